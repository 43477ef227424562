"""Classification and calibration metrics over predicted probabilities, and reliability diagrams."""

from __future__ import annotations

from textls.metrics.classification import (
    ReliabilityBins,
    accuracy,
    brier_score,
    classification_report,
    compute_metrics,
    expected_calibration_error,
    macro_f1,
    nll,
    reliability_bins,
)
from textls.metrics.reliability import plot_reliability_diagram

__all__ = [
    "ReliabilityBins",
    "accuracy",
    "brier_score",
    "classification_report",
    "compute_metrics",
    "expected_calibration_error",
    "macro_f1",
    "nll",
    "plot_reliability_diagram",
    "reliability_bins",
]
