r"""Bootstrapping (Reed, Lee, Anguelov, Szegedy, Erhan & Rabinovich, ICLR 2015 workshop), the
classic remedy for noisy labels, as an alternative to label smoothing.

With :math:`q = \mathrm{softmax}(z)` and a target :math:`t` (one-hot for hard labels, or any
textls soft label, so it combines with every soft-label method):

* **soft**: :math:`-\sum_k (\beta t_k + (1 - \beta) q_k) \log q_k = \beta\,\mathrm{CE}(t, q) +
  (1 - \beta) H(q)`, as in the paper's equation (gradient through both terms): the model's own
  belief is a share of the target;
* **hard**: :math:`-\sum_k (\beta t_k + (1 - \beta) \hat z_k) \log q_k` with :math:`\hat z` the
  one-hot of :math:`\arg\max_k q_k` (no gradient through the argmax).

Reed et al. use :math:`\beta = 0.95` (soft) and :math:`0.8` (hard), the defaults here.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from textls.losses._checks import check_soft_targets, reduce

#: The paper's weights of the given target.
BOOTSTRAP_BETA = {"soft": 0.95, "hard": 0.8}


def bootstrap_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    beta: float | None = None,
    hard: bool = False,
    reduction: str = "mean",
    validate: bool = True,
) -> torch.Tensor:
    r"""Reed et al.'s bootstrapping: :math:`-\sum_k (\beta t_k + (1 - \beta) b_k) \log q_k`,
    :math:`b = q` (soft, gradient through it) or the one-hot of :math:`\arg\max q` (hard).

    Parameters
    ----------
    logits : Tensor of shape (N, C)
    targets : Tensor of shape (N, C)
        Rows summing to one (one-hot for hard labels, or any soft label).
    beta : float, optional
        Weight of the given target, in ``[0, 1]``; 1 is the cross-entropy to ``targets``.
        Default 0.95 (soft) or 0.8 (hard), the paper's.
    hard : bool, default False
    reduction : {"mean", "sum", "none"}, default "mean"
    validate : bool, default True
        Check the targets' shape and that each row is a distribution.
    """
    if beta is None:
        beta = BOOTSTRAP_BETA["hard" if hard else "soft"]
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be in [0, 1], got {beta}")
    if validate:
        check_soft_targets(logits, targets)
    log_q = F.log_softmax(logits, dim=-1)
    if hard:
        own = F.one_hot(log_q.argmax(dim=-1), logits.shape[-1]).to(log_q.dtype)
    else:
        own = log_q.exp()
    mixed = beta * targets.to(log_q.dtype) + (1.0 - beta) * own
    return reduce(-(mixed * log_q).sum(dim=-1), reduction)
