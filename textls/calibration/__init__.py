"""Post-hoc calibration of a trained classifier's probabilities."""

from __future__ import annotations

from textls.calibration.prior_shift import (
    TEST_DISTRIBUTIONS,
    distribution_prior,
    prior_shift,
    target_prior,
)
from textls.calibration.temperature_scaling import TemperatureScaler, probs_to_logits

__all__ = [
    "TEST_DISTRIBUTIONS",
    "TemperatureScaler",
    "distribution_prior",
    "prior_shift",
    "probs_to_logits",
    "target_prior",
]
