"""Build, resume and refuse: a cache is whole, reproducible and tied to its data."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from corpora import make_corpus
from tiny_corpora import write

from textls import get_smoother
from textls.cache import CacheError, build_cache, load_cache
from textls.cache import shards as shards_module


def shard_bytes(root) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(Path(root, "shards").glob("*.arrow"))}


@pytest.mark.parametrize("name", ["train.csv", "train.jsonl", "train.parquet", "train_folder"])
def test_round_trip_from_every_input_format(tmp_path, corpus, name):
    texts, labels = corpus
    frame = pd.DataFrame(
        {"doc": [f"d{i}" for i in range(len(texts))], "text": texts, "label": labels}
    )
    data = write(frame, tmp_path / name)
    result = build_cache(data, tmp_path / "cache", num_shards=3, id_column="doc")
    assert result.complete and result.shards_written == [0, 1, 2]
    cache = load_cache(tmp_path / "cache")
    expected = get_smoother("kwls").fit_transform(texts, labels)
    np.testing.assert_array_equal(np.asarray(cache.soft_labels), expected)
    assert cache.classes == ["politics", "sport", "tech"]
    assert list(cache.ids) == frame.doc.tolist()
    np.testing.assert_array_equal(
        np.asarray(cache.labels), [cache.classes.index(v) for v in labels]
    )
    m = cache.manifest
    assert m["method"] == "kwls" and m["num_rows"] == len(texts) and m["params"]["epsilon"] == 0.1
    assert m["data"]["fingerprint"].startswith("sha256:") and len(m["shards"]) == 3
    assert all(s["sha256"].startswith("sha256:") for s in m["shards"])
    assert not (tmp_path / "cache" / "_work").exists()
    cache.verify(data)


@pytest.mark.parametrize("method", ["kwls", "ls-tfidf", "ls-classic"])
def test_two_processes_write_the_same_bytes_as_one(tmp_path, data_csv, method):
    build_cache(data_csv, tmp_path / "one", method=method, num_shards=4, num_proc=1)
    build_cache(data_csv, tmp_path / "two", method=method, num_shards=4, num_proc=2)
    assert shard_bytes(tmp_path / "one") == shard_bytes(tmp_path / "two")


def test_sharded_build_equals_a_single_fit_for_kwls(tmp_path, data_csv, corpus):
    build_cache(data_csv, tmp_path / "one", num_shards=1)
    build_cache(data_csv, tmp_path / "six", num_shards=6)
    np.testing.assert_array_equal(
        np.asarray(load_cache(tmp_path / "one").soft_labels),
        np.asarray(load_cache(tmp_path / "six").soft_labels),
    )


def test_a_crash_leaves_no_valid_cache_and_a_rerun_finishes_it_identically(
    tmp_path, data_csv, monkeypatch
):
    build_cache(data_csv, tmp_path / "clean", num_shards=5)
    written = []
    real = shards_module._write_shard

    def crash_after_two(path, table):
        if len(written) == 2:
            raise RuntimeError("killed")
        real(path, table)
        written.append(path)

    monkeypatch.setattr(shards_module, "_write_shard", crash_after_two)
    with pytest.raises(RuntimeError, match="killed"):
        build_cache(data_csv, tmp_path / "crashed", num_shards=5)
    assert not (tmp_path / "crashed" / "manifest.json").exists()
    with pytest.raises(CacheError, match="has not finished; re-run"):
        load_cache(tmp_path / "crashed")
    assert len(shard_bytes(tmp_path / "crashed")) == 2
    monkeypatch.setattr(shards_module, "_write_shard", real)
    result = build_cache(data_csv, tmp_path / "crashed")  # num_shards comes from build.json
    assert result.shards_skipped == [0, 1] and result.shards_written == [2, 3, 4]
    assert shard_bytes(tmp_path / "crashed") == shard_bytes(tmp_path / "clean")
    for name in ("clean", "crashed"):
        assert (
            load_cache(tmp_path / name).manifest["shards"]
            == load_cache(tmp_path / "clean").manifest["shards"]
        )


KILLED_BUILD = """
import sys, time
from textls.cache import build_cache, shards as s
real, count = s._write_shard, []
def slow(path, table):
    if len(count) == 2:
        time.sleep(120)  # killed here, with two shards written
    real(path, table)
    count.append(path)
s._write_shard = slow
build_cache(sys.argv[1], sys.argv[2], num_shards=5)
"""


def test_a_killed_build_resumes_to_the_uninterrupted_result(tmp_path, data_csv):
    build_cache(data_csv, tmp_path / "clean", num_shards=5)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, data_csv, str(out)])
    try:
        deadline = time.time() + 120
        while len(list(out.glob("shards/*.json"))) < 2:
            assert proc.poll() is None and time.time() < deadline, "the build ended early"
            time.sleep(0.1)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (out / "manifest.json").exists()
    result = build_cache(data_csv, out)
    assert len(result.shards_skipped) == 2
    assert shard_bytes(out) == shard_bytes(tmp_path / "clean")
    assert not list(out.rglob(".*tmp*"))


def test_a_shard_that_was_altered_before_the_manifest_is_rewritten(tmp_path, data_csv):
    build_cache(data_csv, tmp_path / "clean", num_shards=3)
    out = tmp_path / "c"
    build_cache(data_csv, out, num_shards=3, stage="fit")
    build_cache(data_csv, out, stage="transform", shard=1)
    path = out / "shards" / "shard-00001-of-00003.arrow"
    raw = bytearray(path.read_bytes())
    raw[-20] ^= 0xFF
    path.write_bytes(bytes(raw))
    result = build_cache(data_csv, out)
    assert 1 in result.shards_written
    assert shard_bytes(out) == shard_bytes(tmp_path / "clean")


@pytest.mark.parametrize("method", ["kwls", "ls-tfidf"])
def test_scheduler_steps_give_the_one_call_result(tmp_path, data_csv, method):
    build_cache(data_csv, tmp_path / "all", method=method, num_shards=3)
    out = tmp_path / "steps"
    n_passes = 2 if method == "ls-tfidf" else 1
    for _ in range(n_passes):
        for shard in (2, 0, 1):
            build_cache(data_csv, out, method=method, num_shards=3, stage="fit", shard=shard)
        build_cache(data_csv, out, method=method, stage="merge")
    for shard in range(3):
        build_cache(data_csv, out, method=method, stage="transform", shard=shard)
    assert not (out / "manifest.json").exists()
    result = build_cache(data_csv, out, method=method, stage="transform")
    assert result.complete and result.shards_skipped == [0, 1, 2]
    assert shard_bytes(out) == shard_bytes(tmp_path / "all")


def test_merge_names_the_missing_shards(tmp_path, data_csv):
    build_cache(data_csv, tmp_path / "c", num_shards=3, stage="fit", shard=1)
    with pytest.raises(CacheError, match=r"shard\(s\) \[0, 2\] are missing"):
        build_cache(data_csv, tmp_path / "c", stage="merge")
    with pytest.raises(CacheError, match="fit is not finished"):
        build_cache(data_csv, tmp_path / "c", stage="transform", shard=0)


def test_other_data_or_settings_are_refused(tmp_path, data_csv, corpus):
    out = tmp_path / "c"
    build_cache(data_csv, out, num_shards=2)
    texts, labels = corpus
    other = write(pd.DataFrame({"text": texts[::-1], "label": labels[::-1]}), tmp_path / "o.csv")
    with pytest.raises(CacheError, match="other data.*--overwrite"):
        build_cache(other, out)
    with pytest.raises(CacheError, match="epsilon|params"):
        build_cache(data_csv, out, params={"epsilon": 0.3})
    with pytest.raises(CacheError, match="built for other data"):
        load_cache(out).verify(other)
    with pytest.raises(CacheError, match="built for other data"):
        load_cache(out).check_data(texts[::-1], labels[::-1])
    assert build_cache(data_csv, out).message.endswith("nothing to do")
    build_cache(other, out, overwrite=True)
    load_cache(out).check_data(texts[::-1], labels[::-1])


def test_the_trainer_refuses_a_cache_of_other_data(tmp_path, data_csv, corpus):
    from textls.soft_labels import read_soft_label_file

    texts, labels = corpus
    build_cache(data_csv, tmp_path / "c", num_shards=2)
    classes = np.array(["politics", "sport", "tech"], dtype=object)
    soft = read_soft_label_file(str(tmp_path / "c"), classes, labels, texts, "kwls", {})
    np.testing.assert_array_equal(soft, get_smoother("kwls").fit_transform(texts, labels))
    with pytest.raises(ValueError, match="was built for other data"):
        read_soft_label_file(
            str(tmp_path / "c"), classes, labels[1:] + labels[:1], texts, "kwls", {}
        )
    with pytest.raises(ValueError, match="built with kwls epsilon=0.1, but this run asks"):
        read_soft_label_file(str(tmp_path / "c"), classes, labels, texts, "kwls", {"epsilon": 0.2})


def test_a_read_only_output_folder_is_a_clear_error(tmp_path, data_csv, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if "ro" in str(p) else real_access(p, mode)
    )
    with pytest.raises(PermissionError, match="not writable.*writable --output"):
        build_cache(data_csv, tmp_path / "ro")
    assert not (tmp_path / "ro" / "manifest.json").exists()


@pytest.mark.parametrize("fail_at", [1, 4])
def test_a_disk_that_fills_up_leaves_no_manifest_and_no_partial_file(
    tmp_path, data_csv, monkeypatch, fail_at
):
    build_cache(data_csv, tmp_path / "clean", num_shards=3)
    calls = []
    real_fsync = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == fail_at:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    out = tmp_path / "full"
    with pytest.raises(OSError, match="no space left.*re-run"):
        build_cache(data_csv, out, num_shards=3)
    assert not (out / "manifest.json").exists()
    assert not list(out.rglob(".*tmp*"))
    monkeypatch.setattr(os, "fsync", real_fsync)
    build_cache(data_csv, out, num_shards=3)
    assert shard_bytes(out) == shard_bytes(tmp_path / "clean")


def test_top_k_layout_keeps_the_largest_probabilities(tmp_path, data_csv):
    build_cache(data_csv, tmp_path / "dense", num_shards=2)
    build_cache(data_csv, tmp_path / "topk", num_shards=2, layout="topk", top_k=2)
    dense = np.asarray(load_cache(tmp_path / "dense").soft_labels)
    cache = load_cache(tmp_path / "topk")
    idx, val = np.asarray(cache.topk_indices), np.asarray(cache.topk_values)
    assert idx.shape == (len(dense), 2)
    np.testing.assert_array_equal(val, np.take_along_axis(dense, idx.astype(np.int64), axis=1))
    assert (np.sort(dense, axis=1)[:, -2:][:, ::-1] == val).all()
    np.testing.assert_allclose(cache.soft_labels.sum(axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="positive top_k"):
        build_cache(data_csv, tmp_path / "bad", layout="topk")


def test_ls_distill_is_built_in_one_process(tmp_path, data_csv, corpus):
    texts, labels = corpus
    params = {"n_splits": 2}
    build_cache(data_csv, tmp_path / "c", method="ls-distill", params=params, num_shards=3)
    expected = get_smoother("ls-distill", **params).fit_transform(texts, labels)
    np.testing.assert_array_equal(np.asarray(load_cache(tmp_path / "c").soft_labels), expected)
    with pytest.raises(ValueError, match="cross-fitted.*one process"):
        build_cache(data_csv, tmp_path / "d", method="ls-distill", stage="fit", shard=0)


def test_a_dataset_dict_needs_a_split(tmp_path, corpus):
    from datasets import Dataset, DatasetDict

    texts, labels = corpus
    DatasetDict({"train": Dataset.from_dict({"text": texts, "label": labels})}).save_to_disk(
        str(tmp_path / "dd")
    )
    with pytest.raises(ValueError, match=r"splits \['train'\]; choose one with --split"):
        build_cache(tmp_path / "dd", tmp_path / "c")
    build_cache(tmp_path / "dd", tmp_path / "c", split="train")
    assert len(load_cache(tmp_path / "c")) == len(texts)


def test_integer_labels_stay_integers(tmp_path):
    texts, labels = make_corpus(60, int_labels=True)
    data = write(pd.DataFrame({"text": texts, "label": labels}), tmp_path / "i.parquet")
    build_cache(data, tmp_path / "c", method="ls-tfidf", num_shards=2)
    cache = load_cache(tmp_path / "c")
    assert cache.classes == [0, 1, 2]
    assert json.loads((tmp_path / "c" / "manifest.json").read_text())["classes"] == [0, 1, 2]


def test_bad_options_are_refused_before_reading(tmp_path, data_csv):
    with pytest.raises(ValueError, match="unknown smoothing method"):
        build_cache(data_csv, tmp_path / "c", method="nope")
    with pytest.raises(ValueError, match="--shard runs one shard"):
        build_cache(data_csv, tmp_path / "c", shard=0)
    with pytest.raises(ValueError, match=r"shard must be in \[0, 2\)"):
        build_cache(data_csv, tmp_path / "c", num_shards=2, stage="fit", shard=5)
    with pytest.raises(ValueError, match="more than the 90 rows"):
        build_cache(data_csv, tmp_path / "d", num_shards=91)
    with pytest.raises(FileNotFoundError):
        build_cache(tmp_path / "missing.csv", tmp_path / "e")
