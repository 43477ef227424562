"""The paper's use of soft labels: an auxiliary target beside the hard label."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from textls.losses._checks import reduce
from textls.losses.soft_target_cross_entropy import soft_target_cross_entropy


def auxiliary_soft_target_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    soft_targets: torch.Tensor,
    lam: float = 0.5,
    reduction: str = "mean",
    validate: bool = True,
) -> torch.Tensor:
    r"""``(1 - lam) * CE(logits, labels) + lam * CE(logits, soft_targets)``.

    KWLS (Liu et al., COLING 2022) adds the soft labels as an auxiliary training target next to the
    usual hard-label cross-entropy, so the model gains no parameters.  ``lam = 0`` is plain
    cross-entropy, ``lam = 1`` trains on the soft labels alone.

    Parameters
    ----------
    logits : Tensor of shape (N, C)
    labels : Tensor of shape (N,)
        int64 gold class indices.
    soft_targets : Tensor of shape (N, C)
        Rows summing to one.
    lam : float, default 0.5
        Weight of the soft target, in ``[0, 1]``.
    reduction : {"mean", "sum", "none"}, default "mean"
    """
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must be in [0, 1], got {lam}")
    if labels.shape != logits.shape[:1]:
        raise ValueError(f"labels have shape {tuple(labels.shape)}, expected ({logits.shape[0]},)")
    hard = F.cross_entropy(logits, labels, reduction="none")
    soft = soft_target_cross_entropy(logits, soft_targets, reduction="none", validate=validate)
    return reduce((1.0 - lam) * hard + lam * soft, reduction)
