"""A tiny dual encoder, tokenizer and query/passage set for retrieval tests."""

from __future__ import annotations

import json
from pathlib import Path

from tiny_bert import SPECIAL_TOKENS, make_word_tokenizer, tiny_bert_config
from transformers import BertModel, BertTokenizerFast

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
    return make_word_tokenizer(folder, WORDS)


def make_encoder() -> DualEncoder:
    return DualEncoder.from_models(BertModel(tiny_bert_config(len(SPECIAL_TOKENS) + len(WORDS))))


def write_beir(folder: Path, passages=PASSAGES, queries=QUERIES, splits=None) -> Path:
    """A BEIR folder of ``passages`` (``d0``, ``d1``, ...) and ``queries`` (``q0``, ...) where
    query ``i``'s positive is passage ``i``; ``splits``: ``{split: query rows}`` (default every
    query in ``train`` and ``test``)."""
    splits = splits or {"train": range(len(queries)), "test": range(len(queries))}
    (folder / "qrels").mkdir(parents=True)
    with open(folder / "corpus.jsonl", "w") as f:
        for i, text in enumerate(passages):
            f.write(json.dumps({"_id": f"d{i}", "title": "", "text": text}) + "\n")
    with open(folder / "queries.jsonl", "w") as f:
        for i, text in enumerate(queries):
            f.write(json.dumps({"_id": f"q{i}", "text": text}) + "\n")
    for split, rows in splits.items():
        lines = ["query-id\tcorpus-id\tscore"] + [f"q{i}\td{i}\t1" for i in rows]
        (folder / "qrels" / f"{split}.tsv").write_text("\n".join(lines) + "\n")
    return folder
