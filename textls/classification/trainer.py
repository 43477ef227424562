"""``SoftLabelTrainer``: a ``transformers.Trainer`` that trains on per-example soft labels."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import Trainer

from textls.losses import auxiliary_soft_target_loss, soft_target_cross_entropy

LOSS_MODES = ("auxiliary", "soft")


class SoftLabelTrainer(Trainer):
    r"""Train on the ``soft_labels`` carried in each batch next to ``labels``.

    Training loss per example ``i`` (``loss_mode``):

    * ``"auxiliary"`` (default, as in KWLS): :math:`(1 - \lambda)\,\mathrm{CE}(z_i, g_i) + \lambda\,\mathrm{CE}(z_i, y_i)`
    * ``"soft"``: :math:`\mathrm{CE}(z_i, y_i)` alone (classic label smoothing when ``y`` is LS-Classic).

    Cross-entropy is linear in its target, so ``"auxiliary"`` with soft labels of smoothing ``e`` is
    exactly ``"soft"`` with smoothing ``lam * e``: the paper's auxiliary form is a reparametrisation,
    and ``"soft"`` with ``e`` is the one that matches ``label_smoothing=e`` for LS-Classic.

    A batch without ``soft_labels`` trains on plain cross-entropy (the ``none`` baseline).  The
    evaluation loss is always the hard-label NLL, so ``eval_loss`` compares methods on equal terms.

    The per-example losses are summed and divided by ``num_items_in_batch``, the number of examples
    in the whole optimiser step (all gradient-accumulation micro-batches, all devices), so gradient
    accumulation and DDP give the loss of one big batch.  ``Trainer``/``accelerate`` own the loop,
    devices, mixed precision and distribution.

    Parameters
    ----------
    loss_mode : {"auxiliary", "soft"}, default "auxiliary"
    lam : float, default 0.5
        Weight :math:`\lambda` of the soft target in ``"auxiliary"`` mode.
    *args, **kwargs
        Passed to ``transformers.Trainer``.
    """

    # compute_loss normalises by num_items_in_batch itself: Trainer must not divide by GA steps again.
    loss_is_scaled_for_ga = True

    def __init__(self, *args, loss_mode: str = "auxiliary", lam: float = 0.5, **kwargs):
        if loss_mode not in LOSS_MODES:
            raise ValueError(f"loss_mode must be one of {LOSS_MODES}, got {loss_mode!r}")
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"lam must be in [0, 1], got {lam}")
        super().__init__(*args, **kwargs)
        self.loss_mode = loss_mode
        self.lam = lam
        # Ask Trainer to count the examples of each optimiser step (see _get_num_items_in_batch).
        self.model_accepts_loss_kwargs = True

    def _set_signature_columns_if_needed(self) -> None:
        super()._set_signature_columns_if_needed()
        if "soft_labels" not in self._signature_columns:  # keep it through remove_unused_columns
            self._signature_columns.append("soft_labels")

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        soft = inputs.pop("soft_labels", None)
        outputs = model(**inputs)
        logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
        logits = logits.float()  # the loss in fp32 under bf16/fp16 autocast
        if model.training and soft is not None:
            if self.loss_mode == "soft":
                per_example = soft_target_cross_entropy(
                    logits, soft, reduction="none", validate=False
                )
            else:
                per_example = auxiliary_soft_target_loss(
                    logits, labels, soft, lam=self.lam, reduction="none", validate=False
                )
        else:
            per_example = F.cross_entropy(logits, labels, reduction="none")
        if num_items_in_batch is None:
            loss = per_example.mean()
        else:
            loss = per_example.sum() / torch.as_tensor(num_items_in_batch, device=logits.device)
            if self.args.average_tokens_across_devices:
                # num_items_in_batch counts every device; DDP averages gradients over devices.
                loss = loss * self.accelerator.num_processes
        return (loss, outputs) if return_outputs else loss
