"""Weight initialisation shared by the from-scratch models."""

from __future__ import annotations

import torch
from torch import nn


def init_weights(module: nn.Module) -> None:
    """Embeddings ~ N(0, 0.1^2) with a zero padding row; linear and conv layers Xavier-uniform, zero bias."""
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        nn.init.normal_(module.weight, std=0.1)
        if module.padding_idx is not None:
            with torch.no_grad():
                module.weight[module.padding_idx].zero_()
    elif isinstance(module, (nn.Linear, nn.Conv1d)):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)
