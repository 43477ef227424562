"""The registry that names the regularizers of :class:`~textls.classification.SoftLabelTrainer`.

Adding one is a new file with a :class:`~textls.classification.regularizers.Regularizer` subclass
and one registration line here (or ``register_regularizer(MyRegularizer)`` in your own code):
``SoftLabelTrainer(regularizer="<name>")`` and ``textls compare --methods kwls+<name>`` then
accept it.
"""

from __future__ import annotations

from textls.classification.regularizers._base import Regularizer
from textls.classification.regularizers.bootstrap import BootstrapHard, BootstrapSoft
from textls.classification.regularizers.confidence_penalty import ConfidencePenalty
from textls.classification.regularizers.mixup import Mixup

#: What may replace or extend the cross-entropy to the target (``regularizer=``), by name.
REGULARIZERS: dict[str, type[Regularizer]] = {}


def register_regularizer(cls: type[Regularizer]) -> type[Regularizer]:
    """Register ``cls`` under ``cls.name`` (also usable as a class decorator); a name that is
    taken, or one with a ``+`` (``--methods`` splits on it), is a ``ValueError``."""
    if cls.name in REGULARIZERS or "+" in cls.name:
        raise ValueError(f"a regularizer may not be named {cls.name!r}: taken or holding a '+'")
    REGULARIZERS[cls.name] = cls
    return cls


def get_regularizer(name: str, weight: float | None = None) -> Regularizer:
    """The regularizer ``name`` with ``weight`` (its default if ``None``); a ``ValueError``
    names the choices or the weight's range."""
    if name not in REGULARIZERS:
        raise ValueError(f"regularizer must be one of {tuple(REGULARIZERS)}, got {name!r}")
    return REGULARIZERS[name](weight)


register_regularizer(Mixup)
register_regularizer(ConfidencePenalty)
register_regularizer(BootstrapSoft)
register_regularizer(BootstrapHard)
