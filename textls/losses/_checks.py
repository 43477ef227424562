"""Shape and value checks shared by the soft-target losses."""

from __future__ import annotations

import torch


def check_soft_targets(
    logits: torch.Tensor, targets: torch.Tensor, atol: float = 1e-3, name: str = "targets"
) -> None:
    """Raise ``ValueError`` unless ``targets`` is an ``(N, C)`` distribution per row matching
    ``logits``; the message calls them ``name`` (e.g. ``"soft_labels"``)."""
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (N, C), got {tuple(logits.shape)}")
    if targets.shape != logits.shape:
        hint = (
            ": one value per row, class indices? Those go in labels; soft labels are a "
            "distribution over the classes per row"
            if targets.dim() == 1
            else ""
        )
        raise ValueError(
            f"{name} have shape {tuple(targets.shape)} but the logits have "
            f"{tuple(logits.shape)} ({logits.shape[-1]} classes){hint}"
        )
    if not torch.isfinite(targets).all():
        row = int((~torch.isfinite(targets)).any(dim=1).nonzero()[0])
        raise ValueError(f"{name} contain NaN or inf (row {row})")
    if (targets < 0).any():
        row = int((targets < 0).any(dim=1).nonzero()[0])
        raise ValueError(f"{name} contain a negative value (row {row})")
    sums = targets.sum(dim=1)
    off = (sums - 1).abs() > atol
    if off.any():
        row = int(off.nonzero()[0])
        raise ValueError(f"{name} row {row} sums to {float(sums[row]):.6f}, not 1")


def soft_targets_are_valid(logits: torch.Tensor, targets: torch.Tensor, atol: float = 1e-3) -> bool:
    """Whether :func:`check_soft_targets` would pass, in one device-to-host sync: the check a
    training step can afford (the details are worked out only when it fails)."""
    if targets.shape != logits.shape:
        return False
    ok = torch.isfinite(targets).all() & (targets >= 0).all()
    return bool(ok & ((targets.sum(dim=1) - 1).abs() <= atol).all())


def reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
