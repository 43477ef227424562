"""The data fingerprint: rows and order, not file format or batching."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from tiny_corpora import write

from textls.cache.fingerprint import Fingerprinter, data_fingerprint
from textls.cache.source import InputSpec, fingerprint_input


def test_batching_does_not_change_the_fingerprint(corpus):
    texts, labels = corpus
    whole = data_fingerprint(texts, labels)
    fp = Fingerprinter()
    for start in range(0, len(texts), 7):
        fp.update(
            pa.array(texts[start : start + 7], pa.string()),
            pa.array(labels[start : start + 7], pa.large_string()),
        )
    assert fp.hexdigest() == whole
    assert fp.num_rows == len(texts)


def test_order_texts_and_labels_all_count(corpus):
    texts, labels = corpus
    base = data_fingerprint(texts, labels)
    assert data_fingerprint(texts[::-1], labels[::-1]) != base
    assert data_fingerprint([texts[0] + "x"] + texts[1:], labels) != base
    assert data_fingerprint(texts, ["tech"] + labels[1:]) != base
    # moving a character across the boundary of two texts changes it too
    assert data_fingerprint(["ab", "c"], ["x", "y"]) != data_fingerprint(["a", "bc"], ["x", "y"])


@pytest.mark.parametrize("name", ["d.csv", "d.jsonl", "d.parquet", "d_folder"])
def test_every_input_format_gives_the_in_memory_fingerprint(tmp_path, corpus, name):
    texts, labels = corpus
    path = write(pd.DataFrame({"text": texts, "label": labels}), tmp_path / name)
    info = fingerprint_input(InputSpec(path))
    assert info.num_rows == len(texts)
    assert info.fingerprint == data_fingerprint(texts, labels)


def test_integer_labels_read_from_csv_and_parquet_agree(tmp_path):
    frame = pd.DataFrame({"text": ["a b", "c d", "e f"], "label": [0, 1, 1]})
    fps = {
        fingerprint_input(InputSpec(write(frame, tmp_path / name))).fingerprint
        for name in ("i.csv", "i.parquet", "i_folder")
    }
    assert fps == {data_fingerprint(frame.text.tolist(), [0, 1, 1])}


def test_missing_values_are_refused_naming_the_row(tmp_path):
    frame = pd.DataFrame({"text": ["a b", None, "e f"], "label": ["x", "y", "y"]})
    with pytest.raises(ValueError, match=r"'text' is empty in 1 row\(s\).*\[1\]"):
        fingerprint_input(InputSpec(write(frame, tmp_path / "m.parquet")))
