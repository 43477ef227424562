"""A tiny sentence-transformers model and the six (query, positive, negative) rows the
SoftTargetMNRLoss and guided-target tests train and score on."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset
from tiny_bert import make_word_tokenizer, tiny_bert_config
from transformers import BertModel

from textls.retrieval import with_row_ids

st = pytest.importorskip("sentence_transformers")

ROWS = [
    ("how do i reset my password", "open settings and choose reset password", "the storm hit"),
    ("what time does the shop open", "the shop opens at nine", "reset the router"),
    ("is the storm over", "the storm passed at noon", "the shop opens late"),
    ("how to cook rice", "boil rice in salted water", "password rules"),
    ("where is the station", "the station is north of the park", "rice fields"),
    ("who won the match", "the home team won the match", "the park closes"),
]
WORDS = sorted({w for row in ROWS for text in row for w in text.split()})


def tiny_sentence_transformer(folder):
    """A one-layer BERT of width 16, loaded by sentence-transformers as any plain transformers
    folder (a Transformer module and mean pooling)."""
    tokenizer = make_word_tokenizer(folder, WORDS)
    torch.manual_seed(0)
    BertModel(tiny_bert_config(len(tokenizer))).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return st.SentenceTransformer(str(folder), device="cpu")


def _dataset(negatives=True):
    columns = {"anchor": [r[0] for r in ROWS], "positive": [r[1] for r in ROWS]}
    if negatives:
        columns["negative"] = [r[2] for r in ROWS]
    return with_row_ids(Dataset.from_dict(columns))
