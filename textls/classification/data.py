"""Labelled tables -> tokenised ``datasets.Dataset`` with class indices and soft labels.

Soft-label tables themselves are read by :func:`textls.soft_labels.read_soft_label_file`.
"""

from __future__ import annotations

import numpy as np
from datasets import Dataset

from textls._utils import encode_labels, unique_classes
from textls.io import read_table, texts_and_labels


def load_labelled(path: str, text_column: str, label_column: str) -> tuple[list[str], list]:
    """The texts and gold labels of a labelled table (:func:`textls.io.texts_and_labels`)."""
    texts, labels = texts_and_labels(read_table(path), text_column, label_column, source=str(path))
    return texts, labels


def classes_of(labels: list, source: str) -> np.ndarray:
    """The sorted classes of ``labels``; fewer than two is an error naming ``source``."""
    classes = unique_classes(np.asarray(labels, dtype=object))
    if len(classes) < 2:
        raise ValueError(f"{source}: need at least 2 classes, found {list(classes)}")
    return classes


def encode_split(labels: list, classes: np.ndarray, source: str) -> np.ndarray:
    """Class indices; a label training never saw is an error naming the file."""
    try:
        return encode_labels(np.asarray(labels, dtype=object), classes)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


def build_dataset(
    tokenizer,
    texts: list[str],
    y: np.ndarray,
    soft: np.ndarray | None = None,
    max_length: int = 128,
) -> Dataset:
    """Tokenise once with ``datasets.map``.

    Parameters
    ----------
    tokenizer : transformers tokenizer
        Called on batches of texts, truncating at ``max_length``.
    texts : list of str
    y : ndarray of shape (n,)
        Class indices.
    soft : ndarray of shape (n, C), optional
        Soft labels, stored as ``soft_labels``.
    max_length : int, default 128

    Returns
    -------
    Dataset
        Columns ``input_ids``, ``attention_mask``, ``labels`` [, ``soft_labels``].
    """
    columns = {"text": texts, "labels": np.asarray(y, dtype=np.int64)}
    if soft is not None:
        columns["soft_labels"] = np.asarray(soft, dtype=np.float32)
    dataset = Dataset.from_dict(columns)
    return dataset.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_length),
        batched=True,
        remove_columns=["text"],
        desc="tokenising",
    )
