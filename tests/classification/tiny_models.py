"""Tiny tokenizer, model and corpus so classification tests run in seconds, offline."""

from __future__ import annotations

from tiny_bert import SPECIAL_TOKENS, make_word_tokenizer, tiny_bert_config
from transformers import BertForSequenceClassification, BertTokenizerFast

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
    return make_word_tokenizer(tmp_path, WORDS)


def make_model(
    num_labels: int = 3, vocab_size: int = len(SPECIAL_TOKENS) + len(WORDS)
) -> BertForSequenceClassification:
    return BertForSequenceClassification(tiny_bert_config(vocab_size, num_labels=num_labels))
