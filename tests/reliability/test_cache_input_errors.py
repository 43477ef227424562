"""Unreadable input is one error naming the file, and leaves no half-built cache (issue 11, item 5).

A truncated ``.csv.gz`` used to end in a raw traceback (``EOFError``) with ``_work/`` left behind;
a Parquet file with a damaged page in an ``OSError`` that named no file.
"""

from __future__ import annotations

import pandas as pd
import pytest

from textls.cache import CacheError, build_cache


@pytest.fixture
def frame():
    labels = ["a", "b", "c"] * 100
    texts = [f"{y} word{i % 7} other{i % 5} row{i}" for i, y in enumerate(labels)]
    return pd.DataFrame({"text": texts, "label": labels})


def assert_nothing_left(out) -> None:
    assert not out.exists() or not any(out.iterdir()), sorted(out.rglob("*"))


def test_a_truncated_gzip_csv_is_a_cache_error_and_leaves_nothing(tmp_path, frame):
    path = tmp_path / "train.csv.gz"
    frame.to_csv(path, index=False)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    out = tmp_path / "c"
    with pytest.raises(CacheError, match=r"train.csv.gz.*truncated or corrupt"):
        build_cache(path, out, method="ls-classic")
    assert_nothing_left(out)


def test_a_failed_input_keeps_a_folder_that_was_there(tmp_path, frame):
    path = tmp_path / "train.csv.gz"
    frame.to_csv(path, index=False)
    path.write_bytes(path.read_bytes()[:100])
    out = tmp_path / "c"
    out.mkdir()
    (out / "readme.txt").write_text("mine")
    with pytest.raises(CacheError, match="train.csv.gz"):
        build_cache(path, out, method="ls-classic")
    assert [p.name for p in out.iterdir()] == ["readme.txt"]


def test_a_jsonl_with_a_bad_line_names_the_file_and_line(tmp_path, frame):
    path = tmp_path / "train.jsonl"
    frame.to_json(path, orient="records", lines=True)
    lines = path.read_text().splitlines()
    lines[41] = '{"text": "cut here", "label": '
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CacheError, match=r"train.jsonl, line 42: "):
        build_cache(path, tmp_path / "c", method="ls-classic")
    assert_nothing_left(tmp_path / "c")


@pytest.mark.parametrize("damage", ["footer", "page header", "page data"])
def test_a_malformed_parquet_names_the_file(tmp_path, frame, damage):
    path = tmp_path / "train.parquet"
    frame.to_parquet(path, index=False)
    raw = bytearray(path.read_bytes())
    if damage == "footer":
        raw = raw[: len(raw) // 2]
    else:  # the footer stays valid: the error comes while reading the rows
        start = 4 if damage == "page header" else 20
        raw[start : start + 8] = bytes(b ^ 0xFF for b in raw[start : start + 8])
    path.write_bytes(bytes(raw))
    with pytest.raises(CacheError, match=r"train.parquet: .*Parquet"):
        build_cache(path, tmp_path / "c", method="ls-classic")
    assert_nothing_left(tmp_path / "c")


@pytest.mark.parametrize("method", ["kwls", "ls-tfidf", "ls-distill"])
def test_a_refused_build_leaves_no_work_copy_of_the_input(tmp_path, method):
    """Data the generator cannot smooth (one class) is refused after the input was copied in:
    nothing of that copy stays, and files that were there before are left alone."""
    one = tmp_path / "one.csv"
    one.write_text("text,label\ngoal match,x\nrain snow,x\n")
    out = tmp_path / "c"
    with pytest.raises(ValueError, match="need at least 2 classes"):
        build_cache(one, out, method=method)
    assert not out.exists()
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="need at least 2 classes"):
        build_cache(one, out, method=method)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
