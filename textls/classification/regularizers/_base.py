"""The small contract every regularizer of :class:`~textls.classification.SoftLabelTrainer` follows."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import torch

from textls.losses import soft_target_cross_entropy


def _unchanged(target: torch.Tensor) -> torch.Tensor:
    return target


class Regularizer:
    r"""What may replace or extend the cross-entropy to a row's target :math:`t` in training.

    A training step runs :meth:`forward` (the model on the batch, possibly changed on the way,
    and the map the batch's targets then go through), builds each row's target :math:`t` (its
    soft label, or the one-hot gold label) from the logits, and takes :meth:`loss` of the logits
    and the mapped target, per row.  The defaults are the plain model call, the identity and the
    soft-target cross-entropy, so a regularizer overrides only what it changes: mixup the batch
    and targets (:meth:`forward`), the confidence penalty and bootstrapping the loss.

    Subclasses set the class attributes below and are registered by name in
    :data:`~textls.classification.regularizers.REGULARIZERS`
    (:func:`~textls.classification.regularizers.register_regularizer`); the trainer and
    ``textls compare`` (``--methods kwls+<name>``) then find them there.

    Parameters
    ----------
    weight : float, optional
        The regularizer's weight (``weight_name``); ``default_weight`` if not given.  A
        ``ValueError`` names it when it is not finite and in ``weight_range``.
    """

    #: The name ``SoftLabelTrainer(regularizer=...)`` and ``--methods`` use.
    name: ClassVar[str]
    #: The weight when none is given.
    default_weight: ClassVar[float]
    #: What the weight is called in error messages (the paper's symbol).
    weight_name: ClassVar[str] = "beta"
    #: ``(low, high)``: a weight must be finite and in ``[low, high]`` (``(low, high]`` when
    #: ``weight_low_open``; an infinite ``high`` is open).
    weight_range: ClassVar[tuple[float, float]] = (0.0, math.inf)
    weight_low_open: ClassVar[bool] = False

    def __init__(self, weight: float | None = None):
        self.weight = self.default_weight if weight is None else weight
        self.check_weight(self.weight)

    @classmethod
    def check_weight(cls, weight: float) -> None:
        """A ``ValueError`` naming the regularizer unless ``weight`` is finite and in range."""
        low, high = cls.weight_range
        above_low = low < weight if cls.weight_low_open else low <= weight
        if not (math.isfinite(weight) and above_low and weight <= high):
            shown = (
                f"{'(' if cls.weight_low_open else '['}{low:g}, {high:g}"
                f"{']' if high < math.inf else ')'}"
            )
            raise ValueError(f"{cls.name}'s {cls.weight_name} must be in {shown}, got {weight!r}")

    def check_trainer(self, trainer) -> None:
        """Refuse, at construction, a trainer (model, arguments) this regularizer cannot run on."""

    def forward(
        self, trainer, model: torch.nn.Module, inputs: dict, labels: torch.Tensor
    ) -> tuple[object, Callable[[torch.Tensor], torch.Tensor]]:
        """Run ``model`` on a training batch; return its outputs and the map that the batch's
        ``(N, C)`` targets go through before :meth:`loss` (the identity by default)."""
        return model(**inputs), _unchanged

    def loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per-row loss, shape ``(N,)``, of fp32 ``(N, C)`` logits against ``(N, C)`` targets whose
        rows are distributions (the trainer checked them): the cross-entropy by default."""
        return soft_target_cross_entropy(logits, target, reduction="none", validate=False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.weight_name}={self.weight!r})"
