"""fastText-style classifier: the mean of token embeddings, then a linear layer (Joulin et al., 2017)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from textls.classification.models._init import init_weights


class FastTextConfig(PretrainedConfig):
    model_type = "textls-fasttext"

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


class FastTextForSequenceClassification(PreTrainedModel):
    r"""``logits = W · dropout(mean_{t: mask_t = 1} E[x_t]) + b``.

    The mean is one ``nn.EmbeddingBag`` call, ``sum_t mask_t E[x_t] / max(1, sum_t mask_t)``
    (``mode="sum"`` with the attention mask as ``per_sample_weights``): no ``(B, L, D)`` tensor of
    token embeddings is built, in the forward or the backward pass.  ``attention_mask`` defaults to
    ``input_ids != pad_token_id``; padding never changes a row's logits.

    Reference: Joulin, Grave, Bojanowski & Mikolov, "Bag of Tricks for Efficient Text Classification",
    EACL 2017.  Tokens come from any Hugging Face tokenizer (the packaged MiniLM's WordPiece by
    default); n-gram hashing is left out, so this is the unigram fastText.
    """

    config_class = FastTextConfig
    base_model_prefix = "fasttext"

    def __init__(self, config: FastTextConfig):
        super().__init__(config)
        # Dense gradients: torch's AdamW (Trainer's default) rejects sparse ones.
        self.embeddings = nn.EmbeddingBag(
            config.vocab_size, config.embedding_dim, mode="sum", padding_idx=config.pad_token_id
        )
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.embedding_dim, config.num_labels)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        init_weights(module)

    def forward(
        self, input_ids, attention_mask=None, labels=None, **kwargs
    ) -> SequenceClassifierOutput:
        if attention_mask is None:
            attention_mask = input_ids.ne(self.config.pad_token_id)
        mask = attention_mask.to(self.embeddings.weight.dtype)
        summed = self.embeddings(input_ids, per_sample_weights=mask)
        pooled = summed / mask.sum(1, keepdim=True).clamp_min(1.0)
        logits = self.classifier(self.dropout(pooled))
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)
