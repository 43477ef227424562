"""Regularizers of :class:`~textls.classification.SoftLabelTrainer`, one per file, and the
registry that names them (``registry.py``).

The public names are imported on first use (:mod:`textls._lazy`).
"""

from __future__ import annotations

from textls._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "textls.classification.regularizers._base": ["Regularizer"],
        "textls.classification.regularizers.bootstrap": ["BootstrapHard", "BootstrapSoft"],
        "textls.classification.regularizers.confidence_penalty": ["ConfidencePenalty"],
        "textls.classification.regularizers.mixup": ["DEFAULT_MIXUP_ALPHA", "Mixup"],
        "textls.classification.regularizers.registry": [
            "REGULARIZERS",
            "get_regularizer",
            "register_regularizer",
        ],
    },
)
