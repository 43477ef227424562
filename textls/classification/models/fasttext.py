"""fastText-style classifier: the mean of token embeddings, then a linear layer (Joulin et al., 2017)."""

from __future__ import annotations

import torch
from torch import nn

from textls.classification.models._base import EmbeddingClassifier, EmbeddingClassifierConfig


class FastTextConfig(EmbeddingClassifierConfig):
    model_type = "textls-fasttext"

    def __init__(self, kept_token_ids: list[int] | None = None, **kwargs):
        super().__init__(**kwargs)
        # The token ids that get an embedding row (e.g. those of the training texts); None: all.
        self.kept_token_ids = None if kept_token_ids is None else sorted(set(kept_token_ids))


class FastTextForSequenceClassification(EmbeddingClassifier):
    r"""``logits = W · dropout(mean_{t: mask_t = 1} E[x_t]) + b``.

    The mean is one ``nn.EmbeddingBag`` call, ``sum_t mask_t E[x_t] / max(1, sum_t mask_t)``
    (``mode="sum"`` with the attention mask as ``per_sample_weights``): no ``(B, L, D)`` tensor of
    token embeddings is built, in the forward or the backward pass.  ``attention_mask`` defaults to
    ``input_ids != pad_token_id``; padding never changes a row's logits.

    With ``config.kept_token_ids`` (``make_model_factory`` passes the ids of the training texts) only
    those tokens have an embedding row, and any other token is left out of the mean as padding is,
    as fastText drops out-of-vocabulary words.  A token the training data never contains gets no
    gradient, so with a full table its row would stay at its random start and add noise to every
    test text that contains it; and each optimiser step (AdamW, gradient clipping) costs
    O(rows x dim), so a corpus using 8,700 of WordPiece's 30,522 tokens trains about 1.7x faster
    (``scripts/benchmark_fasttext_speed.py``).

    Reference: Joulin, Grave, Bojanowski & Mikolov, "Bag of Tricks for Efficient Text Classification",
    EACL 2017.  Tokens come from any Hugging Face tokenizer (the packaged MiniLM's WordPiece by
    default); n-gram hashing is left out, so this is the unigram fastText.
    """

    config_class = FastTextConfig
    base_model_prefix = "fasttext"

    def __init__(self, config: FastTextConfig):
        super().__init__(config)
        # Dense gradients: torch's AdamW (Trainer's default) rejects sparse ones.
        kept = config.kept_token_ids
        if kept is None:
            rows, padding_row = config.vocab_size, config.pad_token_id
        else:
            if kept and not 0 <= min(kept) <= max(kept) < config.vocab_size:
                raise ValueError(
                    f"kept_token_ids must lie in [0, vocab_size={config.vocab_size}); "
                    f"got ids from {min(kept)} to {max(kept)}"
                )
            # Row 0 is the (zero, never trained) row of every token left out; kept ids map to 1..K.
            index = torch.zeros(config.vocab_size, dtype=torch.long)
            index[torch.as_tensor(kept, dtype=torch.long)] = torch.arange(1, len(kept) + 1)
            index[config.pad_token_id] = 0
            self.register_buffer("token_rows", index)  # saved: from_pretrained builds on meta
            rows, padding_row = len(kept) + 1, 0
        self.embeddings = nn.EmbeddingBag(
            rows, config.embedding_dim, mode="sum", padding_idx=padding_row
        )
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.embedding_dim, config.num_labels)
        self.post_init()

    def logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.config.kept_token_ids is not None:
            input_ids = self.token_rows[input_ids]
            attention_mask = attention_mask * input_ids.ne(0)
        mask = attention_mask.to(self.embeddings.weight.dtype)
        summed = self.embeddings(input_ids, per_sample_weights=mask)
        pooled = summed / mask.sum(1, keepdim=True).clamp_min(1.0)
        return self.classifier(self.dropout(pooled))
