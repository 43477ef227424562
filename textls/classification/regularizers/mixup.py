r"""Mixup (Zhang, Cisse, Dauphin & Lopez-Paz, ICLR 2018), for text as Sun et al. (COLING 2020):
mix the classification head's input and the targets of random pairs of rows."""

from __future__ import annotations

import torch

from textls.classification.heads import check_head_input, classification_head
from textls.classification.regularizers._base import Regularizer

#: Mixup's Beta(alpha, alpha) parameter by default (Zhang et al. 2018 use 0.1 to 0.4).
DEFAULT_MIXUP_ALPHA = 0.2


class Mixup(Regularizer):
    r"""With :math:`\lambda \sim \mathrm{Beta}(\alpha, \alpha)` drawn per batch and a random
    permutation :math:`\pi` of its rows, the input :math:`h` of the classification head
    (:func:`~textls.classification.heads.classification_head`) becomes
    :math:`\lambda h + (1-\lambda) h_\pi` through a forward pre-hook, and the target
    :math:`\lambda t + (1-\lambda) t_\pi`; the loss is the cross-entropy to it.

    The weight is :math:`\alpha > 0` (default 0.2).  Models without such a head, and
    ``torch.nn.DataParallel`` (which would mix each replica's rows with a permutation of the
    whole batch), are refused when the trainer is built.
    """

    name = "mixup"
    default_weight = DEFAULT_MIXUP_ALPHA
    weight_name = "alpha"
    weight_low_open = True

    def check_trainer(self, trainer) -> None:
        classification_head(trainer.model)  # a model without one is refused now, not mid-run
        if trainer.args.n_gpu > 1:
            raise ValueError(
                "mixup with torch.nn.DataParallel (several GPUs in one process) would mix "
                "each replica's rows with a permutation of the whole batch: launch with "
                "torchrun (DDP) instead"
            )

    def forward(self, trainer, model, inputs, labels):
        mix = float(torch.distributions.Beta(self.weight, self.weight).sample())
        order = torch.randperm(labels.shape[0], device=labels.device)

        def mix_head_input(module, args):
            hidden = args[0]
            check_head_input(unwrapped, hidden)
            return (mix * hidden + (1 - mix) * hidden[order], *args[1:])

        # looked up per step: with model_init, train() builds a new model after __init__
        unwrapped = trainer.accelerator.unwrap_model(model)
        handle = classification_head(unwrapped).register_forward_pre_hook(mix_head_input)
        try:
            outputs = model(**inputs)
        finally:
            handle.remove()
        return outputs, lambda target: mix * target + (1 - mix) * target[order]
