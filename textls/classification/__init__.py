"""Text classification with soft labels: Trainer subclass, collator, models, and `textls compare`.

The public names are imported on first use (:mod:`textls._lazy`).
"""

from __future__ import annotations

from textls._lazy import lazy_exports, public_names

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "textls.classification.collator": ["SoftLabelCollator"],
        "textls.classification.early_stopping": ["PlateauStopping"],
        "textls.classification.models": public_names("textls.classification.models"),
        "textls.classification.trainer": ["SoftLabelTrainer"],
    },
)
