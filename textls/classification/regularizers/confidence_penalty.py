r"""The confidence penalty (Pereyra et al., 2017) as a regularizer: :math:`\mathrm{CE}(t, q) - \beta H(q)`."""

from __future__ import annotations

from textls.classification.regularizers._base import Regularizer
from textls.losses import confidence_penalty_loss
from textls.losses.confidence_penalty import CONFIDENCE_PENALTY_BETA


class ConfidencePenalty(Regularizer):
    r""":math:`\mathrm{CE}(t, q) - \beta H(q)` to the row's target :math:`t`
    (:func:`~textls.losses.confidence_penalty_loss`); :math:`\beta \ge 0`, default 0.1."""

    name = "confidence-penalty"
    default_weight = CONFIDENCE_PENALTY_BETA

    def loss(self, logits, target):
        return confidence_penalty_loss(
            logits, target, self.weight, reduction="none", validate=False
        )
