"""Losses that consume soft targets from any textls generator."""

from __future__ import annotations

from textls.losses.auxiliary import auxiliary_soft_target_loss
from textls.losses.bootstrap import bootstrap_loss
from textls.losses.confidence_penalty import confidence_penalty_loss, prediction_entropy
from textls.losses.distill_kl_div import distill_kl_div
from textls.losses.soft_target_cross_entropy import (
    SoftTargetCrossEntropyLoss,
    soft_target_cross_entropy,
)

__all__ = [
    "SoftTargetCrossEntropyLoss",
    "auxiliary_soft_target_loss",
    "bootstrap_loss",
    "confidence_penalty_loss",
    "distill_kl_div",
    "prediction_entropy",
    "soft_target_cross_entropy",
]
