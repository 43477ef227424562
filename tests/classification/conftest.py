"""Fixtures for the classification tests."""

from __future__ import annotations

import pytest
from tiny_models import CORPUS, make_tokenizer


@pytest.fixture
def tokenizer(tmp_path):
    return make_tokenizer(tmp_path)


@pytest.fixture
def corpus():
    return [t for t, _ in CORPUS], [label for _, label in CORPUS]
