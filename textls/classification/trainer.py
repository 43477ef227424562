"""``SoftLabelTrainer``: a ``transformers.Trainer`` that trains on per-example soft labels."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import Trainer

from textls.classification.regularizers import REGULARIZERS as REGULARIZERS
from textls.classification.regularizers import get_regularizer
from textls.losses import auxiliary_soft_target_loss, soft_target_cross_entropy
from textls.losses._checks import check_soft_targets, soft_targets_are_valid

LOSS_MODES = ("auxiliary", "soft")


class SoftLabelTrainer(Trainer):
    r"""Train on the ``soft_labels`` carried in each batch next to ``labels``.

    Training loss per example ``i`` (``loss_mode``):

    * ``"soft"`` (default, as in ``textls compare``): :math:`\mathrm{CE}(z_i, y_i)` alone (classic
      label smoothing when ``y`` is LS-Classic).
    * ``"auxiliary"`` (as in KWLS): :math:`(1 - \lambda)\,\mathrm{CE}(z_i, g_i) + \lambda\,\mathrm{CE}(z_i, y_i)`

    Cross-entropy is linear in its target, so ``"auxiliary"`` with soft labels of smoothing ``e`` is
    exactly ``"soft"`` with smoothing ``lam * e``: the paper's auxiliary form is a reparametrisation,
    and ``"soft"`` with ``e`` is the one that matches ``label_smoothing=e`` for LS-Classic.

    A batch without ``soft_labels`` trains on plain cross-entropy (the ``none`` baseline).  The
    evaluation loss is always the hard-label NLL, so ``eval_loss`` compares methods on equal terms.

    ``regularizer`` replaces that loss, with the row's target :math:`t` (its soft label, or the
    one-hot gold label; in ``"auxiliary"`` mode :math:`(1-\lambda) g + \lambda y`, the same
    target).  It names one of :data:`~textls.classification.regularizers.REGULARIZERS`, each a
    :class:`~textls.classification.regularizers.Regularizer` in a file of its own:

    * ``"confidence-penalty"``: :math:`\mathrm{CE}(t, q) - \beta H(q)` (Pereyra et al., 2017);
    * ``"bootstrap-soft"`` / ``"bootstrap-hard"``: Reed et al.'s (2015) target
      :math:`\beta t + (1 - \beta) q` or :math:`\beta t + (1 - \beta)\,\mathrm{onehot}(\arg\max q)`
      (:mod:`textls.losses.bootstrap`, :mod:`textls.losses.confidence_penalty`);
    * ``"mixup"`` (Zhang et al., 2018, for text as Sun et al., COLING 2020): with
      :math:`\lambda \sim \mathrm{Beta}(\alpha, \alpha)` drawn per batch and a random
      permutation :math:`\pi` of its rows, the input :math:`h` of the classification head
      (:func:`~textls.classification.heads.classification_head`: ``model.classifier`` or ``model.score``, i.e. the pooled
      representation after dropout in BERT-style models and textls's fastText / TextCNN; RoBERTa's
      head takes the token features, which are mixed the same way along the batch) becomes
      :math:`\lambda h + (1-\lambda) h_\pi` through a forward pre-hook, so any model with such a
      head is mixed without changing its code, and the target becomes
      :math:`\lambda t + (1-\lambda) t_\pi` (soft targets mix as they are).  Only training
      steps are mixed; evaluation and prediction see the model as it is.

    The per-example losses are summed and divided by ``num_items_in_batch``, the number of examples
    in the whole optimiser step (all gradient-accumulation micro-batches, all devices), so gradient
    accumulation and DDP give the loss of one big batch.  ``Trainer``/``accelerate`` own the loop,
    devices, mixed precision and distribution.

    Parameters
    ----------
    loss_mode : {"soft", "auxiliary"}, default "soft"
    lam : float, default 0.5
        Weight :math:`\lambda` of the soft target in ``"auxiliary"`` mode.
    regularizer : {"mixup", "confidence-penalty", "bootstrap-soft", "bootstrap-hard"} or any
        registered name, optional
    beta : float, optional
        The regularizer's weight :math:`\beta` (default 0.1 for the confidence penalty, the
        paper's 0.95 / 0.8 for soft / hard bootstrapping), or mixup's :math:`\alpha` (default 0.2).
    *args, **kwargs
        Passed to ``transformers.Trainer``.
    """

    # compute_loss normalises by num_items_in_batch itself: Trainer must not divide by GA steps again.
    loss_is_scaled_for_ga = True

    def __init__(
        self,
        *args,
        loss_mode: str = "soft",
        lam: float = 0.5,
        regularizer: str | None = None,
        beta: float | None = None,
        **kwargs,
    ):
        if loss_mode not in LOSS_MODES:
            raise ValueError(f"loss_mode must be one of {LOSS_MODES}, got {loss_mode!r}")
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"lam must be in [0, 1], got {lam}")
        regularization = None if regularizer is None else get_regularizer(regularizer, beta)
        super().__init__(*args, **kwargs)
        if self.args.label_smoothing_factor:
            raise ValueError(
                "label_smoothing_factor is not used by SoftLabelTrainer, which takes its targets "
                "from the soft labels: train on LS-Classic soft labels for classic smoothing"
            )
        if regularization is not None:
            regularization.check_trainer(self)
        self.loss_mode = loss_mode
        self.lam = lam
        self.regularizer = regularizer
        self.beta = None if regularization is None else regularization.weight
        self.regularization = regularization
        # Ask Trainer to count the examples of each optimiser step (see _get_num_items_in_batch).
        self.model_accepts_loss_kwargs = True

    def _set_signature_columns_if_needed(self) -> None:
        super()._set_signature_columns_if_needed()
        if "soft_labels" not in self._signature_columns:  # keep it through remove_unused_columns
            self._signature_columns.append("soft_labels")

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        soft = inputs.pop("soft_labels", None)
        if soft is not None and model.training:
            soft = soft.to(torch.float32)
        if model.training and self.regularizer is not None:
            outputs, per_example = self._regularized(model, inputs, labels, soft)
        else:
            outputs = model(**inputs)
            logits = _logits(outputs)
            if model.training and soft is not None:
                _check_soft_labels(logits, soft)
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
            loss = per_example.sum() / torch.as_tensor(
                num_items_in_batch, device=per_example.device
            )
            if self.args.average_tokens_across_devices:
                # num_items_in_batch counts every device; DDP averages gradients over devices.
                loss = loss * self.accelerator.num_processes
        return (loss, outputs) if return_outputs else loss

    def _target(self, logits: torch.Tensor, labels: torch.Tensor, soft) -> torch.Tensor:
        """Each row's training target: its soft label, or the one-hot gold label (``"auxiliary"``
        mode: the equivalent ``(1 - lam) onehot + lam soft``)."""
        onehot = F.one_hot(labels, logits.shape[-1]).to(logits.dtype)
        if soft is None:
            return onehot
        soft = soft.to(logits.dtype)
        return soft if self.loss_mode == "soft" else (1 - self.lam) * onehot + self.lam * soft

    def _regularized(self, model, inputs, labels, soft):
        outputs, map_target = self.regularization.forward(self, model, inputs, labels)
        logits = _logits(outputs)
        if soft is not None:
            _check_soft_labels(logits, soft)
        target = map_target(self._target(logits, labels, soft))
        return outputs, self.regularization.loss(logits, target)


def _check_soft_labels(logits: torch.Tensor, soft: torch.Tensor) -> None:
    """Refuse a batch whose ``soft_labels`` are not one distribution over the model's classes per
    row (wrong width, class indices, NaN, negative, rows not summing to one): one cheap check per
    step, the details only when it fails."""
    if not soft_targets_are_valid(logits, soft):
        check_soft_targets(logits, soft, name="soft_labels")


def _logits(outputs) -> torch.Tensor:
    """The logits of a model's outputs, in fp32 (the loss under bf16/fp16 autocast)."""
    logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
    return logits.float()
