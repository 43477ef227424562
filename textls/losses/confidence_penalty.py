r"""Confidence penalty (Pereyra, Tucker, Chorowski, Kaiser & Hinton, ICLR 2017 workshop), an
alternative to label smoothing against over-confidence.

With :math:`q = \mathrm{softmax}(z)` and a target :math:`t` (one-hot for hard labels, or any
textls soft label, so it combines with every soft-label method): :math:`\mathrm{CE}(t, q) -
\beta H(q)`, :math:`H(q) = -\sum_k q_k \log q_k`; it penalises low-entropy predictions
directly, where label smoothing does it through the target.  Pereyra et al. tune :math:`\beta`
in :math:`[0.1, 4]` by validation; textls's default 0.1 keeps the entropy term about the size
of label smoothing's at :math:`\epsilon = 0.1` on a few classes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from textls.losses._checks import check_soft_targets, reduce
from textls.losses.soft_target_cross_entropy import soft_target_cross_entropy

#: The default weight of the entropy bonus.
CONFIDENCE_PENALTY_BETA = 0.1


def prediction_entropy(logits: torch.Tensor) -> torch.Tensor:
    r""":math:`H(\mathrm{softmax}(z)) = -\sum_k q_k \log q_k` per row, computed from log-softmax."""
    log_q = F.log_softmax(logits, dim=-1)
    return -(log_q.exp() * log_q).sum(dim=-1)


def confidence_penalty_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    beta: float = CONFIDENCE_PENALTY_BETA,
    reduction: str = "mean",
    validate: bool = True,
) -> torch.Tensor:
    r""":math:`\mathrm{CE}(t, q) - \beta H(q)` (Pereyra et al., 2017).

    Parameters
    ----------
    logits : Tensor of shape (N, C)
    targets : Tensor of shape (N, C)
        Rows summing to one (one-hot for hard labels).
    beta : float, default 0.1
        Weight of the entropy bonus, ``>= 0``; 0 is the cross-entropy to ``targets``.
    reduction : {"mean", "sum", "none"}, default "mean"
    validate : bool, default True
        Check the targets' shape and that each row is a distribution.
    """
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    if validate:
        check_soft_targets(logits, targets)
    cross_entropy = soft_target_cross_entropy(logits, targets, reduction="none", validate=False)
    return reduce(cross_entropy - beta * prediction_entropy(logits), reduction)
