"""What the from-scratch classifiers share: the embedding options, weight init and the output."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from textls.classification.models.weight_init import init_weights


class EmbeddingClassifierConfig(PretrainedConfig):
    """A token-embedding table of ``vocab_size`` x ``embedding_dim``, ``dropout`` before the
    classifier and the ``pad_token_id`` that marks padding; a model's config adds its own fields."""

    def __init__(
        self,
        vocab_size: int = 30522,
        embedding_dim: int = 128,
        dropout: float = 0.1,
        pad_token_id: int = 0,
        **kwargs,
    ):
        super().__init__(pad_token_id=pad_token_id, **kwargs)
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.dropout = dropout


class EmbeddingClassifier(PreTrainedModel):
    """A classifier from token ids: a subclass builds its layers and computes ``logits``.

    ``forward`` defaults ``attention_mask`` to ``input_ids != pad_token_id`` and adds the
    cross-entropy against ``labels`` when they are given, as Hugging Face's models do.
    """

    def _init_weights(self, module: nn.Module) -> None:
        init_weights(module)

    def logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """``(B, C)`` logits of ``(B, L)`` token ids with their 0/1 attention mask."""
        raise NotImplementedError

    def forward(
        self, input_ids, attention_mask=None, labels=None, **kwargs
    ) -> SequenceClassifierOutput:
        if attention_mask is None:
            attention_mask = input_ids.ne(self.config.pad_token_id)
        logits = self.logits(input_ids, attention_mask)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)
