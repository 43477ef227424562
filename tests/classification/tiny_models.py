"""Tiny tokenizer, model and corpus so classification tests run in seconds, offline."""

from __future__ import annotations

from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

WORDS = (
    "goal match striker league coach team win score vote election party poll senate minister law "
    "budget rain storm sunny forecast wind cloud snow the a of and in to"
).split()

CORPUS = [
    ("striker scores a goal in the league match", "sport"),
    ("the coach and the team win the match", "sport"),
    ("league score and goal of the striker", "sport"),
    ("team win in the league", "sport"),
    ("vote in the election for the party", "politics"),
    ("the minister and the senate pass a law", "politics"),
    ("party poll and the budget vote", "politics"),
    ("senate election and the minister", "politics"),
    ("rain and storm in the forecast", "weather"),
    ("sunny forecast and wind", "weather"),
    ("snow and cloud and rain", "weather"),
    ("storm wind and snow in the forecast", "weather"),
]


def make_tokenizer(tmp_path) -> BertTokenizerFast:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    return BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)


def make_model(
    num_labels: int = 3, vocab_size: int = 5 + len(WORDS)
) -> BertForSequenceClassification:
    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=num_labels,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    return BertForSequenceClassification(config)
