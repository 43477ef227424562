r"""The alternatives to label smoothing against over-confidence, as per-example losses.

Each takes the logits and the training target of every row: a one-hot row for hard labels, or
any textls soft label (LS-Classic, LS-Distill, LS-TFIDF, KWLS), so each combines with every
soft-label method.  With :math:`q = \mathrm{softmax}(z)` and target :math:`t`:

* **Confidence penalty** (Pereyra, Tucker, Chorowski, Kaiser & Hinton, ICLR 2017 workshop):
  :math:`\mathrm{CE}(t, q) - \beta H(q)`, with :math:`H(q) = -\sum_k q_k \log q_k`; it penalises
  low-entropy predictions directly, where label smoothing does it through the target.
* **Soft bootstrapping** (Reed, Lee, Anguelov, Szegedy, Erhan & Rabinovich, ICLR 2015 workshop):
  :math:`-\sum_k (\beta t_k + (1 - \beta) q_k) \log q_k = \beta\,\mathrm{CE}(t, q) +
  (1 - \beta) H(q)`, as in the paper's equation (gradient through both terms): the model's own
  belief is a share of the target, the classic remedy for noisy labels.
* **Hard bootstrapping** (same paper): :math:`-\sum_k (\beta t_k + (1 - \beta) \hat z_k) \log q_k`
  with :math:`\hat z` the one-hot of :math:`\arg\max_k q_k` (no gradient through the argmax).

Reed et al. use :math:`\beta = 0.95` (soft) and :math:`0.8` (hard); Pereyra et al. tune
:math:`\beta` in :math:`[0.1, 4]` by validation, and textls's default is 0.1 (the size of the
entropy term then matches label smoothing's at :math:`\epsilon = 0.1` on a few classes).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from textls.losses._checks import check_soft_targets, reduce

#: Default weights: the papers' (bootstrapping) and a small penalty (see the module docstring).
DEFAULT_BETA = {"confidence-penalty": 0.1, "bootstrap-soft": 0.95, "bootstrap-hard": 0.8}


def prediction_entropy(logits: torch.Tensor) -> torch.Tensor:
    r""":math:`H(\mathrm{softmax}(z)) = -\sum_k q_k \log q_k` per row, computed from log-softmax."""
    log_q = F.log_softmax(logits, dim=-1)
    return -(log_q.exp() * log_q).sum(dim=-1)


def confidence_penalty_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    beta: float = DEFAULT_BETA["confidence-penalty"],
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
    log_q = F.log_softmax(logits, dim=-1)
    cross_entropy = -(targets.to(log_q.dtype) * log_q).sum(dim=-1)
    entropy = -(log_q.exp() * log_q).sum(dim=-1)
    return reduce(cross_entropy - beta * entropy, reduction)


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
        beta = DEFAULT_BETA["bootstrap-hard" if hard else "bootstrap-soft"]
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
