"""``textls compare``'s data: the training, validation and test texts and labels after every
subsample and split, read once."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from textls.classification.data import build_dataset, classes_of, encode_split, load_labelled
from textls.classification.splits import (
    flip_labels,
    long_tail,
    stratified_subsample,
    validation_split,
)
from textls.experiments.classification.arguments import CompareArguments

logger = logging.getLogger(__name__)

#: compare trains several short runs on each split: their rows are held in memory.
tokenised = functools.partial(build_dataset, in_memory=True)


class Split(NamedTuple):
    """The texts and labels of one split, in the same order."""

    texts: list[str]
    labels: list


@dataclass
class ComparisonData:
    """One compare's data after every subsample and split (:func:`prepare_data`).

    ``train_rows`` are the training rows' indices in ``--train`` (a soft-label file of
    ``--train`` is restricted to them); ``sources`` the files each split came from, for errors.
    """

    classes: list
    train: Split
    train_rows: np.ndarray
    validation: Split
    test: Split
    sources: tuple[str, str, str]

    def encoded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Train, validation and test labels as indices into ``classes`` (a label the training
        data lacks is a ``ValueError`` naming its file)."""
        splits = (self.train, self.validation, self.test)
        return tuple(
            encode_split(split.labels, self.classes, source)
            for split, source in zip(splits, self.sources, strict=True)
        )


def prepare_data(args: CompareArguments) -> ComparisonData:
    """Train / validation / test texts and labels.  ``train_rows`` are the training rows' indices in
    ``--train``, kept through every subsample and split so a soft-label file of ``--train`` lines up.

    Long-tailed data works (see :mod:`textls.classification.splits`): every class of ``--train``
    keeps at least one training row through ``--imbalance_ratio``, ``--max_train_samples``, the
    validation split and ``--label_noise``; a class too rare for the validation split stays in
    training; ``--max_test_samples`` keeps a test row of every class the test data has. A warning
    names the classes concerned.
    """
    texts, labels = load_labelled(args.train, args.text_column, args.label_column)
    test_texts, test_labels = load_labelled(args.test, args.text_column, args.label_column)
    classes = classes_of(labels, args.train)
    # A test label --train never has fails here, naming it, not after subsampling and training.
    encode_split(test_labels, classes, args.test)
    rows = np.arange(len(texts))
    if args.imbalance_ratio:
        rows = rows[long_tail(labels, args.imbalance_ratio, args.data_seed)]
        counts = np.unique([str(labels[i]) for i in rows], return_counts=True)[1]
        if counts.max() / counts.min() < args.imbalance_ratio / 1.1:  # beyond rounding
            logger.warning(
                "--imbalance_ratio %g: %s can supply at most %.3g:1 (its smallest class keeps "
                "one row); training on that (recorded in results.json as data.imbalance)",
                args.imbalance_ratio,
                args.train,
                counts.max() / counts.min(),
            )
    rows = rows[
        stratified_subsample(
            [labels[i] for i in rows],
            args.max_train_samples,
            args.data_seed,
            name="--max_train_samples",
        )
    ]
    keep = stratified_subsample(
        test_labels, args.max_test_samples, args.data_seed, name="--max_test_samples"
    )
    test_texts, test_labels = [test_texts[i] for i in keep], [test_labels[i] for i in keep]
    if args.validation:
        val_texts, val_labels = load_labelled(args.validation, args.text_column, args.label_column)
        train_rows = rows
    else:
        train_part, val_part = validation_split(
            [labels[i] for i in rows], args.validation_fraction, args.data_seed
        )
        train_rows, val_rows = rows[train_part], rows[val_part]
        val_texts, val_labels = [texts[i] for i in val_rows], [labels[i] for i in val_rows]
    train_labels = [labels[i] for i in train_rows]
    if args.label_noise:
        train_labels = flip_labels(train_labels, classes, args.label_noise, args.data_seed)
    return ComparisonData(
        classes=classes,
        train=Split([texts[i] for i in train_rows], train_labels),
        train_rows=train_rows,
        validation=Split(val_texts, val_labels),
        test=Split(test_texts, test_labels),
        sources=(args.train, args.validation or args.train, args.test),
    )
