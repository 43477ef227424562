"""Shared fixtures of the reliability suite (issue 11): tiny labelled CSVs and compare arguments."""

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
def compare_arguments(tmp_path):
    """``compare_arguments(copies, **options)``: a fastText compare whose train and test file are
    three one-line classes repeated ``copies`` times, writing into ``tmp_path / "out"``."""
    from textls.experiments.classification.arguments import CompareArguments

    def make(copies: int, **options) -> CompareArguments:
        rows = [("good match", "sport"), ("close vote", "politics"), ("hot oven", "cooking")]
        path = tmp_path / "train.csv"
        pd.DataFrame(rows * copies, columns=["text", "label"]).to_csv(path, index=False)
        return CompareArguments(
            train=str(path),
            test=str(path),
            output_dir=str(tmp_path / "out"),
            model="fasttext",
            **options,
        )

    return make


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
