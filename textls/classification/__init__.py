"""Text classification with soft labels: Trainer subclass, collator, models, and `textls compare`."""

from __future__ import annotations

from textls.classification.collator import SoftLabelCollator
from textls.classification.early_stopping import PlateauStopping
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
    "PlateauStopping",
    "SoftLabelCollator",
    "SoftLabelTrainer",
    "TextCNNConfig",
    "TextCNNForSequenceClassification",
]
