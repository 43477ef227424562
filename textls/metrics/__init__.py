"""Classification and calibration metrics over predicted probabilities, and reliability diagrams.

The public names are imported on first use (:mod:`textls._lazy`).
"""

from __future__ import annotations

from textls._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "textls.metrics.classification": [
            "ReliabilityBins",
            "accuracy",
            "brier_score",
            "classification_report",
            "compute_metrics",
            "expected_calibration_error",
            "macro_f1",
            "nll",
            "reliability_bins",
        ],
        "textls.metrics.reliability": ["plot_reliability_diagram"],
    },
)
