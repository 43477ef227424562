"""``--overwrite`` deletes only what textls wrote (issue 11, item 3).

It used to remove ``fit/``, ``shards/`` and ``_work/`` whole, whatever else they held, and an
``--output`` could be the folder that holds the input.  Now a folder with any file a build did not
write is refused, naming the file, with nothing changed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from textls.cache import CacheError, build_cache, export_cache, load_cache


def write_data(path, reverse: bool = False):
    labels = ["a", "b", "c"] * 10
    texts = [f"{y} word{i % 4} other{i % 3}" for i, y in enumerate(labels)]
    step = -1 if reverse else 1
    pd.DataFrame({"text": texts[::step], "label": labels[::step]}).to_csv(path, index=False)
    return path


def snapshot(folder) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("stranger", ["notes.txt", "shards/mine.bin", "fit/backup.pkl"])
def test_overwrite_refuses_a_folder_holding_other_files(tmp_path, stranger):
    data, other = write_data(tmp_path / "d.csv"), write_data(tmp_path / "o.csv", reverse=True)
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic", num_shards=2)
    (out / stranger).write_text("not textls's")
    before = snapshot(out)
    with pytest.raises(CacheError, match=rf"{stranger}.*not a file textls wrote"):
        build_cache(other, out, method="ls-classic", overwrite=True)
    assert snapshot(out) == before
    (out / stranger).unlink()
    build_cache(other, out, method="ls-classic", overwrite=True)
    assert load_cache(out).manifest["data"]["source"] == str(other)


def test_overwrite_of_an_unfinished_build_removes_its_files(tmp_path):
    data, other = write_data(tmp_path / "d.csv"), write_data(tmp_path / "o.csv", reverse=True)
    out = tmp_path / "c"
    build_cache(data, out, method="ls-tfidf", num_shards=3, stage="fit")
    build_cache(data, out, method="ls-tfidf", stage="transform", shard=1)
    build_cache(other, out, method="ls-classic", overwrite=True)
    assert sorted(str(p) for p in snapshot(out)) == [
        "build.json",
        "fit/state.zip",
        "manifest.json",
        "shards/shard-00000-of-00001.arrow",
        "shards/shard-00000-of-00001.json",
    ]


def test_overwrite_refuses_a_folder_of_other_files_that_is_no_cache(tmp_path):
    data = write_data(tmp_path / "d.csv")
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    with pytest.raises(CacheError, match="thesis.tex"):
        build_cache(data, home, method="ls-classic", overwrite=True)
    assert snapshot(home) == {home.joinpath("thesis.tex").relative_to(home): b"years of work"}


@pytest.mark.parametrize("where", ["the file", "its folder"])
def test_an_output_that_is_or_holds_the_input_is_refused(tmp_path, where):
    folder = tmp_path / "data"
    folder.mkdir()
    data = write_data(folder / "d.csv")
    output = data if where == "the file" else folder / ".." / "data"
    with pytest.raises(ValueError, match="is or holds the input"):
        build_cache(data, output, method="ls-classic", overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == ["d.csv"]


def test_an_export_over_its_own_input_is_refused(tmp_path):
    data = tmp_path / "d.jsonl"
    labels = ["a", "b", "c"] * 10
    texts = [f"{y} word{i % 4} other{i % 3}" for i, y in enumerate(labels)]
    pd.DataFrame({"text": texts, "label": labels}).to_json(data, orient="records", lines=True)
    build_cache(data, tmp_path / "c", method="ls-classic")
    before = data.read_bytes()
    with pytest.raises(ValueError, match="is the input"):
        export_cache(tmp_path / "c", data, tmp_path / "." / "d.jsonl", format="tevatron")
    assert data.read_bytes() == before


def test_overwrite_with_a_shard_is_refused(data, tmp_path):
    from textls.cache import build_cache

    with pytest.raises(ValueError, match="cannot go with --shard"):
        build_cache(
            str(data),
            str(tmp_path / "c"),
            method="kwls",
            num_shards=2,
            stage="fit",
            shard=0,
            overwrite=True,
        )
    assert not (tmp_path / "c").exists()
