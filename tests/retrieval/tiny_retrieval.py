"""A tiny dual encoder, tokenizer and query/passage set for retrieval tests."""

from __future__ import annotations

from pathlib import Path

from transformers import BertConfig, BertModel, BertTokenizerFast

from textls.retrieval.encoder import DualEncoder

PASSAGES = [
    "the striker scored a late goal in the league match",
    "the coach praised the team after the win",
    "voters went to the polls in the senate election",
    "the minister presented the budget to parliament",
    "heavy rain and storm warnings in the forecast",
    "sunny skies and light wind expected tomorrow",
    "the league table after the weekend matches",
    "the party won the vote in the election",
]
QUERIES = [
    "late goal striker",
    "team coach win",
    "senate election polls",
    "budget minister parliament",
    "storm rain warning",
    "sunny wind tomorrow",
    "league table weekend",
    "party vote election",
]
WORDS = sorted({w for text in PASSAGES + QUERIES for w in text.split()})


def make_tokenizer(folder: Path) -> BertTokenizerFast:
    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    return BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)


def make_encoder() -> DualEncoder:
    config = BertConfig(
        vocab_size=5 + len(WORDS),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    return DualEncoder.from_models(BertModel(config))
