from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from textls.calibration import TemperatureScaler, probs_to_logits
from textls.metrics import accuracy, nll


def synthetic(seed: int, n: int = 4000, n_classes: int = 5, scale: float = 3.0):
    """Labels drawn from softmax(true_logits); the model reports ``scale * true_logits``."""
    rng = np.random.default_rng(seed)
    true_logits = 1.5 * rng.normal(size=(n, n_classes))
    probs = np.exp(true_logits) / np.exp(true_logits).sum(axis=1, keepdims=True)
    labels = (probs.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return scale * true_logits, labels


def softmax(z):
    return F.softmax(torch.as_tensor(z, dtype=torch.float64), dim=1).numpy()


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("scale", [3.0, 0.5])
def test_recovers_known_temperature(seed, scale):
    logits, labels = synthetic(seed, scale=scale)
    scaler = TemperatureScaler().fit(logits, labels)
    assert scaler.temperature_ == pytest.approx(scale, rel=0.1)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("scale", [3.0, 1.0, 0.7])
def test_never_increases_validation_nll(seed, scale):
    logits, labels = synthetic(seed, n=500, n_classes=4, scale=scale)
    scaler = TemperatureScaler().fit(logits, labels)
    before = nll(softmax(logits), labels)
    after = nll(scaler.transform(logits), labels)
    assert after <= before + 1e-12
    assert scaler.nll_before_ == pytest.approx(before)
    assert scaler.nll_after_ == pytest.approx(after)
    # The fitted T is a minimum: nudging it either way does not help.
    for factor in (0.9, 1.1):
        nudged = nll(softmax(logits / (scaler.temperature_ * factor)), labels)
        assert after <= nudged + 1e-12


def test_flat_objective_keeps_temperature_one():
    scaler = TemperatureScaler().fit(np.zeros((6, 3)), [0, 1, 2, 0, 1, 2])
    assert scaler.temperature_ == 1.0


def test_keeps_argmax_and_accuracy():
    logits, labels = synthetic(3)
    probs = TemperatureScaler().fit(logits, labels).transform(logits)
    np.testing.assert_array_equal(probs.argmax(axis=1), logits.argmax(axis=1))
    assert accuracy(probs, labels) == accuracy(softmax(logits), labels)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_transform_is_softmax_of_scaled_logits():
    logits, labels = synthetic(4, n=300)
    scaler = TemperatureScaler().fit(logits, labels)
    np.testing.assert_allclose(scaler.transform(logits), softmax(logits / scaler.temperature_))
    np.testing.assert_allclose(scaler.fit_transform(logits, labels), scaler.transform(logits))


def test_accepts_torch_tensors():
    logits, labels = synthetic(5, n=1000)
    t_logits = torch.from_numpy(logits).float().requires_grad_()
    scaler = TemperatureScaler().fit(t_logits, torch.from_numpy(labels))
    reference = TemperatureScaler().fit(logits, labels)
    assert scaler.temperature_ == pytest.approx(reference.temperature_, rel=1e-4)
    probs = scaler.transform(t_logits)
    assert isinstance(probs, np.ndarray) and probs.shape == logits.shape


def test_probs_to_logits_round_trip_and_calibrates_stored_probs():
    logits, labels = synthetic(6, n=2000)
    probs = softmax(logits)
    log_probs = probs_to_logits(probs)
    np.testing.assert_allclose(softmax(log_probs), probs, atol=1e-12)
    # log-probs differ from logits by a per-row constant, so the same temperature is learned.
    from_probs = TemperatureScaler().fit(log_probs, labels)
    from_logits = TemperatureScaler().fit(logits, labels)
    assert from_probs.temperature_ == pytest.approx(from_logits.temperature_, rel=1e-4)
    assert np.isfinite(probs_to_logits(np.array([[1.0, 0.0]]))).all()


def test_estimator_contract():
    scaler = TemperatureScaler(max_iter=50)
    assert scaler.get_params() == {"bounds": (1e-2, 1e2), "max_iter": 50, "xatol": 1e-6}
    assert clone(scaler).get_params() == scaler.get_params()
    logits, labels = synthetic(0, n=200)
    assert scaler.fit(logits, labels) is scaler
    assert scaler.n_classes_ == logits.shape[1]
    assert scaler.temperature_ > 0
    with pytest.raises(TypeError):
        TemperatureScaler(50)  # keyword-only


def test_transform_before_fit_raises():
    with pytest.raises(NotFittedError):
        TemperatureScaler().transform(np.zeros((2, 3)))


def test_warns_when_optimum_is_outside_bounds():
    logits, labels = synthetic(0, n=500, scale=3.0)
    with pytest.warns(UserWarning, match="bounds"):
        scaler = TemperatureScaler(bounds=(0.1, 1.5)).fit(logits, labels)
    assert scaler.temperature_ == pytest.approx(1.5, rel=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TemperatureScaler().fit(logits, labels)


@pytest.mark.parametrize(
    ("logits", "labels", "match"),
    [
        (np.zeros(3), [0], "2-D"),
        (np.zeros((2, 1)), [0, 0], "at least 2 classes"),
        (np.array([[np.nan, 0.0], [0.0, 1.0]]), [0, 1], "NaN"),
        (np.zeros((2, 3)), [0, 3], r"\[0, 3\)"),
        (np.zeros((2, 3)), [0], "1 entries"),
    ],
)
def test_invalid_fit_inputs(logits, labels, match):
    with pytest.raises(ValueError, match=match):
        TemperatureScaler().fit(logits, labels)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"bounds": (0.0, 10.0)}, "bounds"),
        ({"bounds": (5.0, 1.0)}, "bounds"),
        ({"bounds": 3.0}, "bounds"),
        ({"max_iter": 0}, "max_iter"),
        ({"xatol": -1.0}, "xatol"),
    ],
)
def test_invalid_params(params, match):
    with pytest.raises(ValueError, match=match):
        TemperatureScaler(**params).fit(np.zeros((2, 3)), [0, 1])


def test_transform_checks_number_of_classes():
    logits, labels = synthetic(0, n=100, n_classes=3)
    scaler = TemperatureScaler().fit(logits, labels)
    with pytest.raises(ValueError, match="4 classes"):
        scaler.transform(np.zeros((2, 4)))
