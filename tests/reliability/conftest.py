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


@pytest.fixture
def forge():
    """``forge(folder, change)``: edit a cache's manifest as anyone can, ``change(manifest)``
    then its checksum recomputed; the checksum proves a manifest whole, not who wrote it."""
    import json

    from textls.cache.manifest import CHECKSUM, manifest_checksum

    def edit(folder, change) -> None:
        path = folder / "manifest.json"
        manifest = json.loads(path.read_text())
        change(manifest)
        manifest[CHECKSUM] = manifest_checksum(manifest)
        path.write_text(json.dumps(manifest, indent=2))

    return edit
