"""TextCNN: convolutions of several widths over token embeddings, max-pooled (Kim, 2014)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from textls.classification.models._base import EmbeddingClassifier, EmbeddingClassifierConfig


class TextCNNConfig(EmbeddingClassifierConfig):
    model_type = "textls-textcnn"

    def __init__(
        self,
        kernel_sizes: tuple[int, ...] = (3, 4, 5),
        num_filters: int = 100,
        dropout: float = 0.5,
        **kwargs,
    ):
        super().__init__(dropout=dropout, **kwargs)
        self.kernel_sizes = list(kernel_sizes)
        self.num_filters = num_filters


class TextCNNForSequenceClassification(EmbeddingClassifier):
    r"""For each width ``w``: ``h_w = max_t ReLU(conv_w(E[x])_t)`` over unpadded positions;
    ``logits = W · dropout([h_3; h_4; h_5]) + b``.

    Reference: Kim, "Convolutional Neural Networks for Sentence Classification", EMNLP 2014.
    """

    config_class = TextCNNConfig
    base_model_prefix = "textcnn"

    def __init__(self, config: TextCNNConfig):
        super().__init__(config)
        self.embeddings = nn.Embedding(
            config.vocab_size, config.embedding_dim, padding_idx=config.pad_token_id
        )
        self.convs = nn.ModuleList(
            nn.Conv1d(config.embedding_dim, config.num_filters, k, padding=k - 1)
            for k in config.kernel_sizes
        )
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(
            config.num_filters * len(config.kernel_sizes), config.num_labels
        )
        self.post_init()

    def logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(input_ids).transpose(1, 2)  # (B, D, L)
        pooled = []
        for conv, k in zip(self.convs, self.config.kernel_sizes, strict=True):
            h = F.relu(conv(x))  # (B, F, L + k - 1): position j covers tokens j-k+1 .. j
            # A window counts if it covers at least one real token; padding k-1 on both sides.
            valid = F.max_pool1d(
                F.pad(attention_mask.float(), (k - 1, k - 1)).unsqueeze(1), k, stride=1
            )
            h = h.masked_fill(valid.eq(0), float("-inf")).amax(dim=2)
            pooled.append(torch.nan_to_num(h, neginf=0.0))
        return self.classifier(self.dropout(torch.cat(pooled, dim=1)))
