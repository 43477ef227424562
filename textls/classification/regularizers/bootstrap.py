r"""Bootstrapping (Reed et al., 2015) as a regularizer: the target becomes
:math:`\beta t + (1 - \beta) q` (soft) or :math:`\beta t + (1 - \beta)\,\mathrm{onehot}(\arg\max q)`
(hard)."""

from __future__ import annotations

from textls.classification.regularizers._base import Regularizer
from textls.losses import bootstrap_loss
from textls.losses.bootstrap import BOOTSTRAP_BETA


class BootstrapSoft(Regularizer):
    r"""Reed et al.'s soft bootstrapping to the row's target :math:`t`
    (:func:`~textls.losses.bootstrap_loss`); :math:`\beta \in [0, 1]`, default the paper's 0.95."""

    name = "bootstrap-soft"
    default_weight = BOOTSTRAP_BETA["soft"]
    weight_range = (0.0, 1.0)
    hard = False

    def loss(self, logits, target):
        return bootstrap_loss(
            logits, target, self.weight, hard=self.hard, reduction="none", validate=False
        )


class BootstrapHard(BootstrapSoft):
    r"""Reed et al.'s hard bootstrapping (the model's argmax in place of :math:`q`);
    :math:`\beta \in [0, 1]`, default the paper's 0.8."""

    name = "bootstrap-hard"
    default_weight = BOOTSTRAP_BETA["hard"]
    hard = True
