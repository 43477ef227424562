"""Gathering a batch's tensors from every process (DDP), for the dual encoder's trainer and its
GradCache loss."""

from __future__ import annotations

import torch
import torch.distributed as dist


def gather_with_grad(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate ``tensor`` from every process in rank order; gradients flow back to each owner."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return tensor
    import torch.distributed.nn.functional as dist_fn

    check_equal_sizes(tensor)
    return torch.cat(dist_fn.all_gather(tensor), dim=0)


def check_equal_sizes(tensor: torch.Tensor) -> None:
    """Raise ``RuntimeError`` unless every process holds as many rows of ``tensor`` as this one
    (``all_gather`` needs equal shapes; unequal ones fail deep in the backend or hang)."""
    sizes = [
        torch.zeros(1, dtype=torch.long, device=tensor.device) for _ in range(dist.get_world_size())
    ]
    dist.all_gather(sizes, torch.tensor([tensor.shape[0]], device=tensor.device))
    if len({int(s) for s in sizes}) != 1:
        raise RuntimeError(
            f"processes hold different numbers of candidates {[int(s) for s in sizes]}"
        )


def gather(tensor: torch.Tensor) -> torch.Tensor:
    """``gather_with_grad`` for tensors that need no gradient (ids)."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts, dim=0)
