from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import f1_score
from torchmetrics.classification import MulticlassCalibrationError

from textls.metrics import (
    accuracy,
    brier_score,
    classification_report,
    compute_metrics,
    expected_calibration_error,
    macro_f1,
    nll,
    reliability_bins,
)


def random_probs(seed: int, n: int, n_classes: int, sharpness: float = 2.0):
    rng = np.random.default_rng(seed)
    logits = sharpness * rng.normal(size=(n, n_classes))
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    labels = rng.integers(0, n_classes, size=n)
    # Make about half the predictions right so accuracy and F1 are not trivial.
    right = rng.random(n) < 0.5
    labels[right] = probs[right].argmax(axis=1)
    return probs, labels


TINY_PROBS = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.5, 0.5, 0.0]])
TINY_LABELS = np.array([0, 2, 2, 1])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("n_bins", [15, 10])
def test_ece_matches_torchmetrics(seed, n_classes, n_bins):
    probs, labels = random_probs(seed, 500, n_classes)
    metric = MulticlassCalibrationError(num_classes=n_classes, n_bins=n_bins, norm="l1")
    expected = metric(torch.from_numpy(probs), torch.from_numpy(labels)).item()
    assert expected_calibration_error(probs, labels, n_bins=n_bins) == pytest.approx(
        expected, abs=1e-6
    )


def test_ece_default_is_15_bins():
    probs, labels = random_probs(0, 300, 4)
    assert expected_calibration_error(probs, labels) == expected_calibration_error(
        probs, labels, n_bins=15
    )


def test_ece_hand_computed():
    # Confidences 0.7, 0.6, 0.4, 0.5 with 2 bins (0, .5], (.5, 1]: 0.5 sits on the edge and
    # belongs to the lower bin. Lower bin: {0.4 right, 0.5 wrong} -> |0.5 - 0.45| = 0.05.
    # Upper bin: {0.7 right, 0.6 wrong} -> |0.5 - 0.65| = 0.15. ECE = 0.5 * 0.05 + 0.5 * 0.15.
    assert expected_calibration_error(TINY_PROBS, TINY_LABELS, n_bins=2) == pytest.approx(0.1)


def test_ece_is_zero_for_perfectly_calibrated_bins():
    probs = np.array([[0.75, 0.25]] * 4)
    labels = np.array([0, 0, 0, 1])
    assert expected_calibration_error(probs, labels) == pytest.approx(0.0)


def test_reliability_bins():
    bins = reliability_bins(TINY_PROBS, TINY_LABELS, n_bins=2)
    np.testing.assert_allclose(bins.edges, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(bins.count, [2, 2])
    np.testing.assert_allclose(bins.confidence, [0.45, 0.65])
    np.testing.assert_allclose(bins.accuracy, [0.5, 0.5])
    assert bins.n_bins == 2


def test_reliability_bins_empty_bins_are_nan():
    bins = reliability_bins(TINY_PROBS, TINY_LABELS, n_bins=10)
    assert bins.count.sum() == 4
    empty = bins.count == 0
    assert np.isnan(bins.confidence[empty]).all() and np.isnan(bins.accuracy[empty]).all()
    assert not np.isnan(bins.confidence[~empty]).any()


def test_confidence_one_falls_in_last_bin():
    probs = np.array([[1.0, 0.0], [0.0, 1.0]])
    bins = reliability_bins(probs, np.array([0, 0]), n_bins=15)
    assert bins.count[-1] == 2


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("n_classes", [2, 5])
def test_nll_matches_torch_cross_entropy(seed, n_classes):
    probs, labels = random_probs(seed, 200, n_classes)
    expected = F.cross_entropy(torch.log(torch.from_numpy(probs)), torch.from_numpy(labels))
    assert nll(probs, labels) == pytest.approx(expected.item(), rel=1e-10)


def test_nll_clips_zero_probability():
    probs = np.array([[1.0, 0.0]])
    assert nll(probs, [1]) == pytest.approx(-math.log(1e-12))
    assert nll(probs, [1], eps=1e-6) == pytest.approx(-math.log(1e-6))
    with pytest.raises(ValueError, match="eps"):
        nll(probs, [1], eps=0.0)


def test_brier_hand_computed():
    # Row 1: (0.7-1)^2 + 0.2^2 + 0.1^2 = 0.14;  row 2: 0.1^2 + 0.6^2 + (0.3-1)^2 = 0.86
    # row 3: 0.3^2 + 0.3^2 + (0.4-1)^2 = 0.54;  row 4: 0.5^2 + (0.5-1)^2 + 0 = 0.5
    assert brier_score(TINY_PROBS, TINY_LABELS) == pytest.approx((0.14 + 0.86 + 0.54 + 0.5) / 4)


def test_brier_bounds():
    onehot = np.eye(3)
    assert brier_score(onehot, [0, 1, 2]) == 0.0
    assert brier_score(onehot, [1, 2, 0]) == pytest.approx(2.0)


def test_accuracy():
    assert accuracy(TINY_PROBS, TINY_LABELS) == pytest.approx(0.5)  # rows 0 and 2 right


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_classes", [2, 4, 7])
def test_macro_f1_matches_sklearn(seed, n_classes):
    probs, labels = random_probs(seed, 100, n_classes)
    expected = f1_score(labels, probs.argmax(axis=1), average="macro")
    assert macro_f1(probs, labels) == pytest.approx(expected)


def test_classification_report():
    report = classification_report(TINY_PROBS, TINY_LABELS, ["a", "b", "c"])
    assert list(report) == ["a", "b", "c"]
    # predictions [0, 1, 2, 0] vs labels [0, 2, 2, 1]
    assert report["a"] == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "support": 1,
    }
    assert report["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert report["c"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert list(classification_report(TINY_PROBS, TINY_LABELS)) == ["0", "1", "2"]


def test_compute_metrics():
    probs, labels = random_probs(3, 200, 4)
    metrics = compute_metrics(probs, labels)
    assert set(metrics) == {"accuracy", "macro_f1", "nll", "brier", "ece"}
    assert metrics["accuracy"] == accuracy(probs, labels)
    assert metrics["nll"] == nll(probs, labels)
    assert metrics["brier"] == brier_score(probs, labels)
    assert metrics["ece"] == expected_calibration_error(probs, labels)
    assert all(isinstance(v, float) for v in metrics.values())

    named = compute_metrics(probs, labels, class_names=["w", "x", "y", "z"])
    assert {"f1/w", "f1/x", "f1/y", "f1/z"} <= set(named)


def test_accepts_torch_tensors_and_lists():
    probs, labels = random_probs(0, 50, 3)
    from_numpy = compute_metrics(probs, labels)
    from_torch = compute_metrics(torch.from_numpy(probs).float(), torch.from_numpy(labels))
    assert from_torch == pytest.approx(from_numpy, abs=1e-6)
    assert accuracy(probs.tolist(), labels.tolist()) == from_numpy["accuracy"]


GOOD = np.array([[0.6, 0.4], [0.2, 0.8]])


@pytest.mark.parametrize(
    ("probs", "labels", "match"),
    [
        (np.array([0.6, 0.4]), [0], "2-D"),
        (np.zeros((0, 2)), [], "empty"),
        (np.array([[1.0], [1.0]]), [0, 0], "at least 2 classes"),
        (np.array([[np.nan, 1.0], [0.2, 0.8]]), [0, 1], "NaN"),
        (np.array([[np.inf, 0.0], [0.2, 0.8]]), [0, 1], "NaN or infinite"),
        (np.array([[0.6, 0.6], [0.2, 0.8]]), [0, 1], "sum to 1"),
        (np.array([[2.0, -1.0], [0.2, 0.8]]), [0, 1], r"\[0, 1\]"),
        (GOOD, [0, 2], r"\[0, 2\)"),
        (GOOD, [-1, 0], r"\[0, 2\)"),
        (GOOD, [0, 1, 1], "3 entries"),
        (GOOD, [[0], [1]], "1-D"),
        (GOOD, [0.5, 1.0], "integers"),
        (GOOD, ["a", "b"], "integers"),
    ],
)
@pytest.mark.parametrize(
    "metric", [accuracy, macro_f1, nll, brier_score, expected_calibration_error, compute_metrics]
)
def test_invalid_inputs_raise(metric, probs, labels, match):
    with pytest.raises(ValueError, match=match):
        metric(probs, labels)


def test_float_labels_with_integer_values_are_accepted():
    assert accuracy(GOOD, np.array([0.0, 1.0])) == 1.0


@pytest.mark.parametrize("n_bins", [0, -3, 2.5, True])
def test_invalid_n_bins(n_bins):
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error(GOOD, [0, 1], n_bins=n_bins)


def test_class_names_checked():
    with pytest.raises(ValueError, match="class_names has 3 names"):
        classification_report(GOOD, [0, 1], ["a", "b", "c"])
    with pytest.raises(ValueError, match="unique"):
        compute_metrics(GOOD, [0, 1], ["a", "a"])
