"""Post-hoc calibration of a trained classifier's probabilities.

The public names are imported on first use (:mod:`textls._lazy`).
"""

from __future__ import annotations

from textls._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "textls.calibration.prior_shift": [
            "TEST_DISTRIBUTIONS",
            "distribution_prior",
            "prior_shift",
            "target_prior",
        ],
        "textls.calibration.temperature_scaling": ["TemperatureScaler", "probs_to_logits"],
    },
)
