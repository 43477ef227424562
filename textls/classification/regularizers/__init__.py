"""Regularizers of :class:`~textls.classification.SoftLabelTrainer`, one per file, and the
registry that names them (``registry.py``).
"""

from __future__ import annotations

from textls.classification.regularizers._base import Regularizer
from textls.classification.regularizers.bootstrap import BootstrapHard, BootstrapSoft
from textls.classification.regularizers.confidence_penalty import ConfidencePenalty
from textls.classification.regularizers.mixup import DEFAULT_MIXUP_ALPHA, Mixup
from textls.classification.regularizers.registry import (
    REGULARIZERS,
    get_regularizer,
    register_regularizer,
)

__all__ = [
    "DEFAULT_MIXUP_ALPHA",
    "REGULARIZERS",
    "BootstrapHard",
    "BootstrapSoft",
    "ConfidencePenalty",
    "Mixup",
    "Regularizer",
    "get_regularizer",
    "register_regularizer",
]
