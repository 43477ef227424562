"""Cross-entropy against a soft target distribution per example."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from textls.losses._checks import check_soft_targets, reduce


def soft_target_cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, reduction: str = "mean", validate: bool = True
) -> torch.Tensor:
    r"""``-sum_k y_ik log softmax(z_i)_k``, reduced over the batch.

    With ``targets = (1 - e) * onehot + e / C`` this equals
    ``torch.nn.CrossEntropyLoss(label_smoothing=e)``; with one-hot targets it is plain cross-entropy.

    Parameters
    ----------
    logits : Tensor of shape (N, C)
        Unnormalised scores :math:`z`.
    targets : Tensor of shape (N, C)
        Rows that sum to one :math:`y` (any textls generator's output).
    reduction : {"mean", "sum", "none"}, default "mean"
    validate : bool, default True
        Check shapes, NaN and row sums (one device sync); a training loop whose targets were
        checked once at load time may pass ``False``.

    Examples
    --------
    >>> logits = torch.tensor([[2.0, 0.0]])
    >>> soft_target_cross_entropy(logits, torch.tensor([[0.9, 0.1]]))
    tensor(0.3269)
    """
    if validate:
        check_soft_targets(logits, targets)
    loss = -(targets.to(logits.dtype) * F.log_softmax(logits, dim=-1)).sum(dim=-1)
    return reduce(loss, reduction)


class SoftTargetCrossEntropyLoss(nn.Module):
    """Module form of :func:`soft_target_cross_entropy`."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return soft_target_cross_entropy(logits, targets, self.reduction)
