"""Shape and value checks shared by the soft-target losses."""

from __future__ import annotations

import torch


def check_soft_targets(logits: torch.Tensor, targets: torch.Tensor, atol: float = 1e-3) -> None:
    """Raise ``ValueError`` unless ``targets`` is an ``(N, C)`` distribution per row matching ``logits``."""
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (N, C), got {tuple(logits.shape)}")
    if targets.shape != logits.shape:
        raise ValueError(
            f"targets have shape {tuple(targets.shape)} but logits have {tuple(logits.shape)}"
        )
    if not torch.isfinite(targets).all():
        row = int((~torch.isfinite(targets)).any(dim=1).nonzero()[0])
        raise ValueError(f"targets contain NaN or inf (row {row})")
    if (targets < 0).any():
        row = int((targets < 0).any(dim=1).nonzero()[0])
        raise ValueError(f"targets contain a negative value (row {row})")
    sums = targets.sum(dim=1)
    off = (sums - 1).abs() > atol
    if off.any():
        row = int(off.nonzero()[0])
        raise ValueError(f"target row {row} sums to {float(sums[row]):.6f}, not 1")


def reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
