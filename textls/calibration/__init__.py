"""Post-hoc calibration of a trained classifier's probabilities."""

from __future__ import annotations

from textls.calibration.temperature_scaling import TemperatureScaler, probs_to_logits

__all__ = ["TemperatureScaler", "probs_to_logits"]
