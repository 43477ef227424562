"""Text classification with soft labels: Trainer subclass, collator, models, and `textls compare`."""

from __future__ import annotations

from textls.classification.collator import SoftLabelCollator
from textls.classification.models import (
    FastTextConfig,
    FastTextForSequenceClassification,
    TextCNNConfig,
    TextCNNForSequenceClassification,
)
from textls.classification.trainer import SoftLabelTrainer

__all__ = [
    "FastTextConfig",
    "FastTextForSequenceClassification",
    "SoftLabelCollator",
    "SoftLabelTrainer",
    "TextCNNConfig",
    "TextCNNForSequenceClassification",
]
