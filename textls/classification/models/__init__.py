"""Small from-scratch text classifiers that train fast on a CPU, as Hugging Face models.

Label-smoothing papers report such models next to fine-tuned transformers; here they let many seeds
and full corpora fit on a laptop.  Both are ``PreTrainedModel`` subclasses, so ``Trainer`` saves,
loads, distributes and mixes precision for them like for any other model.
"""

from __future__ import annotations

from textls.classification.models.fasttext import FastTextConfig, FastTextForSequenceClassification
from textls.classification.models.textcnn import TextCNNConfig, TextCNNForSequenceClassification

__all__ = [
    "FastTextConfig",
    "FastTextForSequenceClassification",
    "TextCNNConfig",
    "TextCNNForSequenceClassification",
]
