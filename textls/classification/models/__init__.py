"""Small from-scratch text classifiers that train fast on a CPU, as Hugging Face models.

Label-smoothing papers report such models next to fine-tuned transformers; here they let many seeds
and full corpora fit on a laptop.  Both are ``PreTrainedModel`` subclasses, so ``Trainer`` saves,
loads, distributes and mixes precision for them like for any other model.

The public names are imported on first use (:mod:`textls._lazy`).
"""

from __future__ import annotations

from textls._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "textls.classification.models.fasttext": [
            "FastTextConfig",
            "FastTextForSequenceClassification",
        ],
        "textls.classification.models.textcnn": [
            "TextCNNConfig",
            "TextCNNForSequenceClassification",
        ],
    },
)
