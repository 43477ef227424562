"""Losses that consume soft targets from any textls generator.

The public names are imported on first use (:mod:`textls._lazy`).
"""

from __future__ import annotations

from textls._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "textls.losses.auxiliary": ["auxiliary_soft_target_loss"],
        "textls.losses.bootstrap": ["bootstrap_loss"],
        "textls.losses.confidence_penalty": ["confidence_penalty_loss", "prediction_entropy"],
        "textls.losses.distill_kl_div": ["distill_kl_div"],
        "textls.losses.soft_target_cross_entropy": [
            "SoftTargetCrossEntropyLoss",
            "soft_target_cross_entropy",
        ],
    },
)
