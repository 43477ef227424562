r"""Classification and calibration metrics over predicted class probabilities.

Every function takes ``probs``, an ``(n, C)`` array whose rows are probability distributions
(a softmax output, not logits), and ``labels``, ``n`` integers in ``[0, C)``. Inputs may be
numpy arrays, lists or CPU/GPU torch tensors; they are checked once, here, and a ``ValueError``
names the problem (wrong shape, NaN/inf, rows not summing to 1 within ``1e-4``, a label out
of range). The prediction is :math:`\hat y_i = \arg\max_c p_{ic}` (first index on ties) and the
confidence is :math:`\hat p_i = \max_c p_{ic}`.

Example:
    >>> import numpy as np
    >>> probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> labels = np.array([0, 1, 1])
    >>> round(accuracy(probs, labels), 4)
    0.6667
    >>> sorted(compute_metrics(probs, labels))
    ['accuracy', 'brier', 'ece', 'macro_f1', 'nll']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from textls.metrics._validation import check_n_bins, check_probs_labels

NLL_EPS = 1e-12


def accuracy(probs: Any, labels: Any) -> float:
    r"""Fraction of instances whose arg-max class is the label, :math:`\frac1n\sum_i [\hat y_i = y_i]`."""
    probs, labels = check_probs_labels(probs, labels)
    return float(np.mean(probs.argmax(axis=1) == labels))


def macro_f1(probs: Any, labels: Any) -> float:
    r"""Unweighted mean of per-class F1 of the arg-max prediction, :math:`\frac1{|K|}\sum_{c\in K} F1_c`.

    Computed by ``sklearn.metrics.f1_score(labels, probs.argmax(1), average="macro")``, so
    :math:`K` is the set of classes that occur in ``labels`` or in the predictions (scikit-learn's
    default); a class absent from both is left out rather than counted as F1 = 0. Classes with
    no predicted or no true instance get F1 = 0 without a warning (``zero_division=0``).
    """
    probs, labels = check_probs_labels(probs, labels)
    return float(f1_score(labels, probs.argmax(axis=1), average="macro", zero_division=0))


def nll(probs: Any, labels: Any, *, eps: float = NLL_EPS) -> float:
    r"""Mean negative log-likelihood of the labels, :math:`-\frac1n\sum_i \log \max(p_{i,y_i}, \epsilon)`.

    The probability of the true class is clipped below at ``eps`` (default ``1e-12``) so that a
    confident mistake with :math:`p_{i,y_i} = 0` costs :math:`-\log\epsilon \approx 27.6`
    instead of infinity. Equals ``torch.nn.functional.cross_entropy(log(probs), labels)`` when no
    true-class probability is below ``eps``.
    """
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    probs, labels = check_probs_labels(probs, labels)
    p_true = probs[np.arange(labels.shape[0]), labels]
    return float(-np.mean(np.log(np.clip(p_true, eps, 1.0))))


def brier_score(probs: Any, labels: Any) -> float:
    r"""Multi-class Brier score, :math:`\frac1n\sum_i\sum_{c=1}^{C} (p_{ic} - [y_i = c])^2`.

    This is Brier's original (1950) definition: squared error against the one-hot label summed
    over the classes and averaged over instances, so it lies in ``[0, 2]``. It is not divided by
    ``C``, and for two classes it is twice scikit-learn's ``brier_score_loss`` on the positive class.
    """
    probs, labels = check_probs_labels(probs, labels)
    onehot = np.zeros_like(probs)
    onehot[np.arange(labels.shape[0]), labels] = 1.0
    return float(np.mean(np.sum((probs - onehot) ** 2, axis=1)))


@dataclass(frozen=True)
class ReliabilityBins:
    """Per-bin statistics of a reliability diagram with ``M`` equal-width confidence bins.

    Attributes:
        edges: ``(M + 1,)`` bin edges ``k / M``; bin ``k`` is ``(edges[k], edges[k + 1]]``.
        confidence: ``(M,)`` mean confidence of the instances in each bin (NaN if empty).
        accuracy: ``(M,)`` fraction of correct arg-max predictions in each bin (NaN if empty).
        count: ``(M,)`` number of instances in each bin.
    """

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray

    @property
    def n_bins(self) -> int:
        return int(self.count.shape[0])


def _reliability_bins(probs: np.ndarray, labels: np.ndarray, n_bins: int) -> ReliabilityBins:
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # searchsorted(..., "left") puts a confidence equal to an edge k/M in the bin that edge
    # closes, i.e. bins are right-closed (k/M, (k+1)/M]; the clip only catches conf == 0.
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(idx, weights=conf, minlength=n_bins) / count
        mean_acc = np.bincount(idx, weights=correct, minlength=n_bins) / count
    return ReliabilityBins(edges=edges, confidence=mean_conf, accuracy=mean_acc, count=count)


def _ece_from_bins(bins: ReliabilityBins) -> float:
    filled = bins.count > 0
    weights = bins.count[filled] / bins.count.sum()
    return float(np.sum(weights * np.abs(bins.accuracy[filled] - bins.confidence[filled])))


def reliability_bins(probs: Any, labels: Any, n_bins: int = 15) -> ReliabilityBins:
    r"""Bin instances by confidence :math:`\hat p_i` into ``n_bins`` equal-width bins.

    Bin :math:`B_k = \{i : k/M < \hat p_i \le (k+1)/M\}` for :math:`k = 0..M-1`, ``M = n_bins``.
    Returns the mean confidence, the accuracy and the size of every bin (see
    :class:`ReliabilityBins`); empty bins have NaN confidence and accuracy and count 0.
    """
    n_bins = check_n_bins(n_bins)
    probs, labels = check_probs_labels(probs, labels)
    return _reliability_bins(probs, labels, n_bins)


def expected_calibration_error(probs: Any, labels: Any, n_bins: int = 15) -> float:
    r"""Top-label expected calibration error with equal-width bins (Guo et al., 2017).

    .. math::
        \mathrm{ECE} = \sum_{k=0}^{M-1} \frac{|B_k|}{n}\,
        \bigl|\mathrm{acc}(B_k) - \mathrm{conf}(B_k)\bigr|

    with the bins :math:`B_k` of :func:`reliability_bins`, :math:`\mathrm{acc}(B_k)` the fraction of
    correct arg-max predictions and :math:`\mathrm{conf}(B_k)` the mean confidence in bin ``k``.
    Agrees with ``torchmetrics.classification.MulticlassCalibrationError(num_classes=C,
    n_bins=M, norm="l1")`` up to float32 rounding, except for confidences that fall exactly on
    an edge: torchmetrics' bins are left-closed ``[k/M, (k+1)/M)`` with ``1.0`` in a bin of its
    own, these are right-closed as in Guo et al.'s reference code.

    References:
        Chuan Guo, Geoff Pleiss, Yu Sun, Kilian Q. Weinberger. "On Calibration of Modern Neural
        Networks", ICML 2017. https://arxiv.org/abs/1706.04599
    """
    return _ece_from_bins(reliability_bins(probs, labels, n_bins))


def _check_class_names(class_names: Sequence[str] | None, n_classes: int) -> list[str]:
    if class_names is None:
        return [str(c) for c in range(n_classes)]
    names = [str(name) for name in class_names]
    if len(names) != n_classes:
        raise ValueError(f"class_names has {len(names)} names but probs has {n_classes} classes")
    if len(set(names)) != len(names):
        raise ValueError("class_names must be unique")
    return names


def classification_report(
    probs: Any, labels: Any, class_names: Sequence[str] | None = None
) -> dict[str, dict[str, float]]:
    """Per-class precision, recall, F1 and support of the arg-max prediction.

    Computed by ``sklearn.metrics.precision_recall_fscore_support`` over all ``C`` classes
    (``zero_division=0``). Keys of the result are ``class_names`` (default ``"0"`` .. ``"C-1"``);
    each value is ``{"precision", "recall", "f1", "support"}``.
    """
    probs, labels = check_probs_labels(probs, labels)
    n_classes = probs.shape[1]
    names = _check_class_names(class_names, n_classes)
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, probs.argmax(axis=1), labels=np.arange(n_classes), zero_division=0
    )
    return {
        name: {
            "precision": float(precision[c]),
            "recall": float(recall[c]),
            "f1": float(f1[c]),
            "support": float(support[c]),
        }
        for c, name in enumerate(names)
    }


def compute_metrics(
    probs: Any, labels: Any, class_names: Sequence[str] | None = None, *, n_bins: int = 15
) -> dict[str, float]:
    """All headline metrics at once: ``accuracy``, ``macro_f1``, ``nll``, ``brier`` and ``ece``.

    When ``class_names`` is given, the per-class F1 is added as ``"f1/<name>"`` for each class.
    ``n_bins`` is the number of ECE bins.
    """
    probs, labels = check_probs_labels(probs, labels)
    _check_class_names(class_names, probs.shape[1])
    metrics = {
        "accuracy": accuracy(probs, labels),
        "macro_f1": macro_f1(probs, labels),
        "nll": nll(probs, labels),
        "brier": brier_score(probs, labels),
        "ece": expected_calibration_error(probs, labels, n_bins),
    }
    if class_names is not None:
        report = classification_report(probs, labels, class_names)
        metrics.update({f"f1/{name}": row["f1"] for name, row in report.items()})
    return metrics
