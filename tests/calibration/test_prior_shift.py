"""Prediction under another class prior: Bayes' rule on the logits, and temperature scaling with it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import norm

from textls.calibration import (
    TemperatureScaler,
    distribution_prior,
    prior_shift,
    target_prior,
)
from textls.metrics import compute_metrics

MEANS = np.array([-2.0, 0.0, 2.0])  # three classes, 1-D Gaussian features with unit variance


def _sample(prior, n, rng):
    y = rng.choice(len(prior), size=n, p=prior)
    return rng.normal(MEANS[y], 1.0), y


def _posterior_logits(x, prior):
    """The exact log-posterior (up to a constant per row) under class prior ``prior``."""
    return norm.logpdf(x[:, None], MEANS[None, :], 1.0) + np.log(prior)[None, :]


def test_the_shift_turns_one_prior_s_posterior_into_another_s_exactly():
    rng = np.random.default_rng(0)
    source, target = np.array([0.7, 0.25, 0.05]), np.array([0.2, 0.3, 0.5])
    x, _ = _sample(source, 200, rng)
    shifted = softmax(_posterior_logits(x, source) + prior_shift(source, target), axis=1)
    np.testing.assert_allclose(shifted, softmax(_posterior_logits(x, target), axis=1), atol=1e-12)


def test_a_balanced_test_set_is_predicted_better_after_the_shift():
    rng = np.random.default_rng(1)
    train = np.array([0.8, 0.15, 0.05])
    x, y = _sample(np.full(3, 1 / 3), 20_000, rng)  # the test data is balanced
    model = _posterior_logits(x, train)  # a perfect model of the long-tailed training data
    raw = compute_metrics(softmax(model, axis=1), y)
    shifted = compute_metrics(softmax(model + prior_shift(train, np.full(3, 1 / 3)), axis=1), y)
    assert shifted["nll"] < raw["nll"] - 0.05
    assert shifted["macro_f1"] > raw["macro_f1"] + 0.02


def test_target_prior_is_the_marginal_of_the_training_targets():
    onehot = np.eye(3)[[0, 0, 0, 1]]
    np.testing.assert_allclose(target_prior(onehot), [0.75, 0.25, 1e-12 / (1 + 1e-12)])
    soft = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]])
    np.testing.assert_allclose(target_prior(soft), [0.5, 0.425, 0.075])
    assert np.isfinite(prior_shift(target_prior(onehot), np.full(3, 1 / 3))).all()
    with pytest.raises(ValueError, match=r"non-empty \(n, C\)"):
        target_prior(np.ones(3))


def test_distribution_priors():
    counts = np.array([6.0, 3.0, 1.0])
    np.testing.assert_allclose(distribution_prior("train", counts), [0.6, 0.3, 0.1])
    np.testing.assert_allclose(distribution_prior("balanced", counts), [1 / 3] * 3)
    with pytest.raises(ValueError, match="one of train, balanced, got 'iid'"):
        distribution_prior("iid", counts)


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ([0.5, 0.5], [0.2, 0.3, 0.5], "priors of 2 and 3 classes"),
        ([0.5, 0.6], [0.5, 0.5], "source prior must be positive and sum to one"),
        ([0.5, 0.5], [1.0, 0.0], "target prior must be positive"),
    ],
)
def test_bad_priors_are_refused(source, target, message):
    with pytest.raises(ValueError, match=message):
        prior_shift(np.array(source), np.array(target))


def test_temperature_scaling_with_an_offset_fits_softmax_of_scaled_logits_plus_offset():
    rng = np.random.default_rng(2)
    source, target = np.array([0.7, 0.25, 0.05]), np.full(3, 1 / 3)
    x, y = _sample(target, 5000, rng)
    offset = prior_shift(source, target)
    # an over-confident model of the long-tailed data: logits 2.5 times too large
    logits = 2.5 * _posterior_logits(x, source)
    scaler = TemperatureScaler().fit(logits, y, offset=offset)
    grid = np.exp(np.linspace(np.log(0.5), np.log(10), 2001))
    nll = [compute_metrics(softmax(logits / t + offset, axis=1), y)["nll"] for t in grid]
    assert scaler.temperature_ == pytest.approx(grid[int(np.argmin(nll))], rel=5e-3)
    np.testing.assert_allclose(
        scaler.transform(logits, offset=offset),
        softmax(logits / scaler.temperature_ + offset, axis=1),
        rtol=1e-12,
    )
    assert scaler.nll_after_ == pytest.approx(min(nll), rel=1e-4)
    with pytest.raises(ValueError, match="offset must be 3 finite numbers"):
        scaler.transform(logits, offset=np.zeros(2))
