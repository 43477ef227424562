"""Fixtures of the cache tests: a tiny corpus and its CSV file."""

from __future__ import annotations

import pandas as pd
import pytest
from corpora import make_corpus
from tiny_corpora import write


@pytest.fixture
def corpus():
    return make_corpus()


@pytest.fixture
def data_csv(tmp_path, corpus):
    texts, labels = corpus
    return write(pd.DataFrame({"text": texts, "label": labels}), tmp_path / "train.csv")
