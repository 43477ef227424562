from __future__ import annotations

import pandas as pd
import pytest

from textls.io import read_table, texts_and_labels, write_table

FRAME = pd.DataFrame(
    {
        "text": ["NA", 'a goal, in the "match"', "tabs\tand\nnewlines", "null", "é ü 中文"],
        "label": ["sport", "politics", "NA", "sport", "politics"],
        "score": [0.25, 1.0, 0.5, 0.0, 0.75],
    }
)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet", ".csv.gz", ".jsonl.gz"])
def test_round_trip(tmp_path, suffix):
    path = write_table(FRAME, tmp_path / f"data{suffix}")
    assert path.exists()
    back = read_table(path)
    assert back["text"].tolist() == FRAME["text"].tolist()
    assert back["label"].tolist() == FRAME["label"].tolist()
    assert back["score"].tolist() == pytest.approx(FRAME["score"].tolist())
    texts, labels = texts_and_labels(back, "text", "label", source=str(path))
    assert texts == FRAME["text"].tolist()
    assert labels == FRAME["label"].tolist()
    assert not list(tmp_path.glob(".*.tmp*"))  # the temporary file was renamed away


def test_na_is_a_word_not_a_missing_value(tmp_path):
    path = tmp_path / "na.csv"
    path.write_text("text,label\nNA,NA\nN/A,null\nnan,None\n")
    texts, labels = texts_and_labels(read_table(path), "text", "label")
    assert texts == ["NA", "N/A", "nan"]
    assert labels == ["NA", "null", "None"]


def test_missing_column_names_file_and_column(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("sentence,label\nhello,a\n")
    with pytest.raises(KeyError, match=r"data\.csv: no column 'text'.*'sentence'"):
        texts_and_labels(read_table(path), "text", "label", source=str(path))
    with pytest.raises(KeyError, match="no column 'gold'"):
        texts_and_labels(read_table(path), "sentence", "gold", source=str(path))


@pytest.mark.parametrize(
    "content, match", [("", "is empty"), ("text,label\n", "header but no rows")]
)
def test_empty_file_raises_naming_it(tmp_path, content, match):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=f"empty.csv.*{match}|{match}"):
        read_table(path)


def test_empty_cells_raise_naming_the_rows(tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("text,label\nfine,a\n,b\nalso fine,a\n")
    with pytest.raises(ValueError, match=r"column 'text' is empty in 1 row\(s\), first \[1\]"):
        texts_and_labels(read_table(path), "text", "label", source=str(path))
    path.write_text("text,label\nfine,a\nok,\nalso fine,\n")
    with pytest.raises(ValueError, match=r"column 'label' is empty in 2 row\(s\), first \[1, 2\]"):
        texts_and_labels(read_table(path), "text", "label")


def test_whole_float_labels_become_int(tmp_path):
    path = tmp_path / "floats.csv"
    path.write_text("text,label\na,1.0\nb,0.0\nc,2.0\n")
    _, labels = texts_and_labels(read_table(path), "text", "label")
    assert labels == [1, 0, 2]
    assert all(type(label) is int for label in labels)


def test_int_labels_are_python_ints_and_fractional_labels_raise(tmp_path):
    path = tmp_path / "ints.jsonl"
    path.write_text('{"text": "a", "label": 3}\n{"text": "b", "label": 1}\n')
    _, labels = texts_and_labels(read_table(path), "text", "label")
    assert labels == [3, 1] and all(type(label) is int for label in labels)
    path = tmp_path / "frac.csv"
    path.write_text("text,label\na,1.0\nb,0.5\n")
    with pytest.raises(ValueError, match="label 0.5 in row 1"):
        texts_and_labels(read_table(path), "text", "label")


def test_non_text_cell_raises_naming_the_row(tmp_path):
    path = tmp_path / "nums.jsonl"
    path.write_text('{"text": "fine", "label": "a"}\n{"text": 12, "label": "b"}\n')
    with pytest.raises(ValueError, match="row 1 is 12, not text"):
        texts_and_labels(read_table(path), "text", "label")


def test_labels_are_optional():
    texts, labels = texts_and_labels(pd.DataFrame({"text": ["a", "b"]}), "text", None)
    assert texts == ["a", "b"] and labels is None


def test_read_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(IsADirectoryError):
        read_table(tmp_path)
    (tmp_path / "data.xlsx").write_text("x")
    with pytest.raises(ValueError, match="unsupported format .xlsx"):
        read_table(tmp_path / "data.xlsx")
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(ValueError, match="bad.jsonl: could not be read"):
        read_table(tmp_path / "bad.jsonl")


def test_write_refuses_unknown_suffix_and_creates_folders(tmp_path):
    with pytest.raises(ValueError, match="unsupported output format"):
        write_table(FRAME, tmp_path / "out.xlsx")
    path = write_table(FRAME, tmp_path / "new" / "dir" / "out.csv")
    assert read_table(path).shape == FRAME.shape


def test_failed_write_leaves_no_partial_file(tmp_path):
    path = tmp_path / "out.parquet"
    bad = pd.DataFrame({"x": [object()]})  # pyarrow cannot write an arbitrary object
    with pytest.raises(Exception):  # noqa: B017 - whatever pyarrow raises
        write_table(bad, path)
    assert list(tmp_path.iterdir()) == []
