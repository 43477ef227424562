"""The soft labels of every method of one ``textls compare``: fitted from out-of-sample relevance,
read from a `textls smooth` file or cache, taught by a model this compare trained
(``ls-distill@M``), and, under ``--epsilon auto``, at the epsilon chosen on the validation NLL."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from textls.classification.data import encode_split, load_labelled
from textls.diagnostics import diagnose
from textls.experiments.classification import runs
from textls.experiments.classification.arguments import EPSILON_GRID, CompareArguments
from textls.experiments.classification.data import ComparisonData, tokenised
from textls.smoothers import get_smoother
from textls.soft_labels import read_soft_label_file

logger = logging.getLogger(__name__)


@dataclass
class SoftLabels:
    """Every soft-label method's training targets, diagnostics, seconds and (``--epsilon auto``)
    selection record, keyed by its name in ``--methods`` before any ``+``."""

    targets: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    selection: dict = field(default_factory=dict)


def soft_labels_of(specs, args, data, params, files, setup) -> SoftLabels:
    """The soft labels of every method (:class:`~textls.experiments.methods.MethodSpec`), all
    before the compared runs, so a bad one fails before any model trains: fitted here
    (:func:`soft_labels_for`) or read from a file; under ``--epsilon auto`` each smoother is
    fitted once first and its epsilon then chosen (:func:`choose_epsilon`); a method taught by a
    compared model (``ls-distill@M``) gets its targets when that model is trained."""
    soft, fitted, first = SoftLabels(), {}, {}
    for spec in specs:  # kwls and kwls+mixup share one set of soft labels
        first.setdefault(spec.soft, spec)
    for spec in first.values():
        start = time.perf_counter()
        if spec.teacher is not None:
            soft.seconds[spec.soft] = 0.0
            continue
        if args.epsilon == "auto" and spec.smoother is not None:
            fitted[spec.soft] = fit_relevance(spec.soft, args, data, params)
        else:
            soft.targets[spec.soft], soft.diagnostics[spec.soft] = soft_labels_for(
                spec.soft, args, *data.train, data.classes, params, files, data.train_rows
            )
        soft.seconds[spec.soft] = time.perf_counter() - start
    for base, fit in fitted.items():  # every check passed: the selection runs may start
        soft.targets[base], soft.diagnostics[base], soft.selection[base] = choose_epsilon(
            setup, base, args, data, params, fit
        )
        soft.seconds[base] += soft.selection[base]["selection_seconds"]
    return soft


def soft_labels_for(
    method: str,
    args: CompareArguments,
    texts,
    labels,
    classes,
    params: dict,
    files: dict,
    train_rows,
):
    """Soft labels of the training rows and what they say (:func:`textls.diagnostics.diagnose`): fitted
    here from out-of-sample relevance, or read from a `textls smooth` file / cache of the whole
    ``--train`` table (checked against it, then restricted to ``train_rows``; only the off-gold mass
    is known then)."""
    if method == "none":
        return None, {"off_gold_mass": 0.0}
    if method in files:
        full_texts, full_labels = load_labelled(args.train, args.text_column, args.label_column)
        own = {"epsilon": args.epsilon, **params.get(method, {})}
        soft = read_soft_label_file(files[method], classes, full_labels, full_texts, method, own)
        soft = soft[train_rows]
        y = encode_split(labels, classes, args.train)
        return soft, {"off_gold_mass": float(1.0 - soft[np.arange(len(y)), y].mean())}
    smoother = fitted_smoother(method, args, params)
    soft, relevance, y = smoother.fit_targets(texts, labels)
    if list(map(str, smoother.classes_)) != list(map(str, classes)):
        raise ValueError(f"{method}: a class has no training example after subsampling")
    return soft, diagnose(relevance, y, soft)


def fit_relevance(method: str, args: CompareArguments, data: ComparisonData, params: dict):
    """``(fitted smoother, out-of-sample relevance, y)`` of the training rows, for
    :func:`choose_epsilon`; a class left without training rows is a ``ValueError``."""
    smoother = fitted_smoother(method, args, params)
    _, relevance, y = smoother.fit_targets(*data.train)
    if list(map(str, smoother.classes_)) != list(map(str, data.classes)):
        raise ValueError(f"{method}: a class has no training example after subsampling")
    return smoother, relevance, y


def fitted_smoother(method: str, args: CompareArguments, params: dict):
    """``method``'s generator with ``--smoother_params`` at ``--epsilon`` (the grid's first value
    under ``auto``, until :func:`choose_epsilon` picks one)."""
    epsilon = EPSILON_GRID[0] if args.epsilon == "auto" else args.epsilon
    return get_smoother(method, **{"epsilon": epsilon, **params.get(method, {})})


def distilled_targets(
    args: CompareArguments, data: ComparisonData, params: dict, teacher_probs: np.ndarray
) -> tuple[np.ndarray, dict]:
    """LS-Distill's soft labels (and diagnostics) with a teacher this compare trained: its
    probabilities on the training rows (in-sample, as in knowledge distillation) are the
    relevance, at ``--epsilon`` and with ``--smoother_params["ls-distill"]``'s temperature."""
    own = {k: v for k, v in params.get("ls-distill", {}).items() if k != "teacher"}
    smoother = get_smoother("ls-distill", epsilon=args.epsilon, teacher="precomputed", **own)
    relevance = smoother.fit_relevance(*data.train, teacher_probs=teacher_probs)
    y = encode_split(data.train.labels, data.classes, args.train)
    soft = smoother.mix(relevance, y)
    return soft, diagnose(relevance, y, soft)


def choose_epsilon(
    setup: runs.RunSetup,
    method: str,
    args: CompareArguments,
    data: ComparisonData,
    params: dict,
    fitted: tuple | None = None,
) -> tuple[np.ndarray, dict, dict]:
    """``--epsilon auto`` for one soft-label method: its soft labels at each value of
    :data:`EPSILON_GRID` (one fit, ``fitted`` = :func:`fit_relevance`'s when given; only the mix
    changes), one model of the first seed (``--seed``) trained on each without a regularizer, and the value whose model
    has the lowest validation NLL (before temperature scaling); every method built on these soft
    labels (``kwls``, ``kwls+mixup``) trains at it.  The test split is never looked
    at.  No cheaper proxy is used: the relevance (``score``) does not depend on epsilon, and the
    NLL of a model trained at each value is what epsilon trades off.

    Returns the soft labels at the chosen value, their diagnostics, and the selection record
    (grid, validation NLL per value, chosen value, seconds spent: ``len(grid)`` extra trainings).
    """
    start = time.perf_counter()
    smoother, relevance, y = fitted or fit_relevance(method, args, data, params)
    nll = []
    for epsilon in EPSILON_GRID:
        smoother.set_params(epsilon=epsilon)
        train_set = tokenised(
            setup.tokenizer, data.train.texts, y, smoother.mix(relevance, y), args.max_length
        )
        nll.append(runs.train_and_evaluate(setup, train_set, args.seed, test=False).validation_nll)
        logger.info("--epsilon auto: %s at %g: validation NLL %.4f", method, epsilon, nll[-1])
    chosen = EPSILON_GRID[int(np.argmin(nll))]
    smoother.set_params(epsilon=chosen)
    soft = smoother.mix(relevance, y)
    record = {
        "grid": list(EPSILON_GRID),
        "validation_nll": nll,
        "chosen": chosen,
        "selection_runs": len(EPSILON_GRID),
        "selection_seconds": time.perf_counter() - start,
    }
    return soft, diagnose(relevance, y, soft), record
