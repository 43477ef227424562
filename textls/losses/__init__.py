"""Losses that consume soft targets from any textls generator."""

from __future__ import annotations

from textls.losses.auxiliary import auxiliary_soft_target_loss
from textls.losses.distill_kl_div import distill_kl_div
from textls.losses.soft_target_cross_entropy import (
    SoftTargetCrossEntropyLoss,
    soft_target_cross_entropy,
)

__all__ = [
    "SoftTargetCrossEntropyLoss",
    "auxiliary_soft_target_loss",
    "distill_kl_div",
    "soft_target_cross_entropy",
]
