"""Shared fixtures of the reliability suite (issue 11): one tiny labelled CSV."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def data(tmp_path):
    """``train.csv``: 30 short texts of three classes."""
    labels = ["a", "b", "c"] * 10
    texts = [f"{y} word{i % 4} other{i % 3}" for i, y in enumerate(labels)]
    path = tmp_path / "train.csv"
    pd.DataFrame({"text": texts, "label": labels}).to_csv(path, index=False)
    return path
