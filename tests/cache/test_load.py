"""Loading: memory-mapped, checked, and usable as a datasets column."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from textls import load_cache as top_level_load_cache
from textls.cache import CacheError, ShardedArray, build_cache, load_cache
from textls.cache.plan import Work


@pytest.fixture
def cache_dir(tmp_path, data_csv):
    build_cache(data_csv, tmp_path / "cache", num_shards=3)
    return tmp_path / "cache"


def test_load_cache_is_exported_at_the_top(cache_dir):
    cache = top_level_load_cache(cache_dir)
    assert len(cache) == 90 and cache.soft_labels.shape == (90, 3)
    assert "load_cache" in __import__("textls").__all__


def test_soft_labels_are_views_of_the_mapped_files(cache_dir):
    cache = load_cache(cache_dir)
    part = cache.soft_labels.parts[0]
    assert not part.flags.owndata and not part.flags.writeable  # a view into the memory map
    assert part.dtype == np.float32
    np.testing.assert_allclose(np.asarray(cache.soft_labels).sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    "key",
    [
        5,
        -1,
        slice(10, 70),
        slice(0, 90, 7),
        slice(80, 200),
        [89, 0, 31, 30, 29],
        np.arange(90) % 2 == 0,
    ],
)
def test_sharded_array_indexes_like_numpy(key):
    rng = np.random.default_rng(0)
    whole = rng.random((90, 4)).astype(np.float32)
    sharded = ShardedArray([whole[:30], whole[30:60], whole[60:]])
    np.testing.assert_array_equal(sharded[key], whole[key])
    np.testing.assert_array_equal(sharded[key, 2], whole[key, 2])
    np.testing.assert_array_equal(np.asarray(sharded), whole)


def test_a_truncated_shard_is_refused_naming_it(cache_dir):
    path = cache_dir / "shards" / "shard-00001-of-00003.arrow"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(
        CacheError, match=r"shard shards/shard-00001-of-00003.arrow is .*\(truncated"
    ):
        load_cache(cache_dir)
    with pytest.raises(CacheError, match="shard-00001-of-00003"):
        load_cache(cache_dir, check_checksums=False)


def test_rerunning_the_build_repairs_a_damaged_cache(cache_dir, data_csv):
    before = {p.name: p.read_bytes() for p in (cache_dir / "shards").glob("*.arrow")}
    path = cache_dir / "shards" / "shard-00001-of-00003.arrow"
    path.write_bytes(path.read_bytes()[:-100])
    result = build_cache(data_csv, cache_dir)
    assert result.shards_written == [1] and result.shards_skipped == [0, 2]
    assert {p.name: p.read_bytes() for p in (cache_dir / "shards").glob("*.arrow")} == before
    load_cache(cache_dir).verify(data_csv)


def test_an_altered_shard_is_refused_naming_it(cache_dir):
    path = cache_dir / "shards" / "shard-00002-of-00003.arrow"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(
        CacheError, match="shard shards/shard-00002-of-00003.arrow does not match its checksum"
    ):
        load_cache(cache_dir)
    cache = load_cache(cache_dir, check_checksums=False)  # opt-out: sizes only
    with pytest.raises(CacheError, match="shard-00002-of-00003.arrow does not match"):
        cache.verify()


def test_a_missing_shard_or_fit_file_is_refused(cache_dir):
    (cache_dir / "fit" / "state.zip").write_bytes(b"not a state file")
    with pytest.raises(CacheError, match="fit/state.zip does not match"):
        load_cache(cache_dir).verify()
    (cache_dir / "shards" / "shard-00000-of-00003.arrow").unlink()
    with pytest.raises(CacheError, match="shard shards/shard-00000-of-00003.arrow is missing"):
        load_cache(cache_dir)


def test_a_folder_that_is_not_a_cache(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(CacheError, match="not a textls soft-label cache"):
        load_cache(tmp_path / "x")
    with pytest.raises(FileNotFoundError):
        load_cache(tmp_path / "nowhere")


def test_verify_reports_what_it_checked(cache_dir, data_csv):
    lines = load_cache(cache_dir).verify(data_csv)
    assert any("checksums" in line for line in lines)
    assert any("matches the fingerprint (90 rows)" in line for line in lines)


def test_datasets_column_is_memory_mapped_and_aligned(cache_dir, corpus):
    from datasets import Dataset

    cache = load_cache(cache_dir)
    ds = cache.to_dataset()
    assert ds.column_names == ["id", "label", "soft_labels"] and len(ds) == 90
    files = {f["filename"] for f in ds.cache_files}  # backed by the shard files themselves
    assert files == {str(cache_dir / s["file"]) for s in cache.manifest["shards"]}
    texts, labels = corpus
    train = cache.add_to_dataset(Dataset.from_dict({"text": texts, "label": labels}))
    np.testing.assert_array_equal(
        np.asarray(train.with_format("numpy")["soft_labels"]), np.asarray(cache.soft_labels)
    )
    with pytest.raises(CacheError, match="holds 90 rows but the dataset has 3"):
        cache.add_to_dataset(Dataset.from_dict({"text": texts[:3], "label": labels[:3]}))
    with pytest.raises(CacheError, match="was built for other data"):
        cache.add_to_dataset(Dataset.from_dict({"text": texts[::-1], "label": labels[::-1]}))


def test_the_fitted_generator_comes_back(cache_dir):
    smoother = load_cache(cache_dir).smoother()
    relevance = smoother.relevance(["the striker scored a goal"])
    assert relevance.shape == (1, 3) and relevance.argmax() == 1  # sport


def test_a_million_rows_by_fifty_classes_open_fast(tmp_path):
    # written directly (not by a build): the point is the open time of the format
    n, c, shards = 1_000_000, 50, 4
    work = Work(
        str(tmp_path / "big"), "ls-classic", {}, [i * n // shards for i in range(shards + 1)], "key"
    )
    rng = np.random.default_rng(0)
    soft = rng.random((n // shards, c), dtype=np.float32)
    y = rng.integers(0, c, n // shards)
    from textls.cache import shards as b

    class State:
        classes = list(range(c))
        smoother = type("S", (), {"classes_": np.arange(c, dtype=object)})()

    for s in range(shards):
        table = b.shard_table(
            work, s, np.arange(work.bounds[s], work.bounds[s + 1]), y.astype(np.int32), soft
        )
        (tmp_path / "big" / "shards").mkdir(parents=True, exist_ok=True)
        b._write_shard(work.path("shards", f"{work.shard_name(s)}.arrow"), table)
    records = []
    for s in range(shards):
        path = work.path("shards", f"{work.shard_name(s)}.arrow")
        records.append(
            {
                "file": f"shards/{path.name}",
                "offset": work.bounds[s],
                "rows": n // shards,
                "bytes": path.stat().st_size,
                "sha256": b.sha256_file(path),
            }
        )
    manifest = {
        "format": "textls-soft-label-cache",
        "format_version": b.FORMAT_VERSION,
        "classes": list(range(c)),
        "num_classes": c,
        "num_rows": n,
        "layout": "dense",
        "shards": records,
        "method": "ls-classic",
        "params": {},
        "data": {
            "num_rows": n,
            "fingerprint": "sha256:" + "0" * 64,
            "text_column": "text",
            "label_column": "label",
        },
        "fit": {"file": "fit/state.zip", "sha256": "sha256:" + "0" * 64},  # not read here
        "top_k": None,
    }
    b.write_manifest(work.path("manifest.json"), manifest)

    # opening is memory-mapping: nothing is copied into Arrow's heap (how long it takes is
    # scripts/benchmark_cache.py's to measure, not a unit test's on a loaded machine)
    allocated = pa.total_allocated_bytes()
    cache = load_cache(tmp_path / "big", check_checksums=False)
    row = cache.soft_labels[123_456]
    assert cache.soft_labels.shape == (n, c) and row.shape == (c,)
    load_cache(tmp_path / "big")  # with the SHA-256 of 200 MB
    assert pa.total_allocated_bytes() - allocated < 2**20
