"""``engine="ray"``: the same tasks on Ray Data (a local instance) give the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("ray.data", reason='the Ray engine needs `pip install "ray[data]"`')

from textls.cache import build_cache, load_cache  # noqa: E402


def shard_bytes(root) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(Path(root, "shards").glob("*.arrow"))}


@pytest.mark.slow
@pytest.mark.parametrize("method", ["kwls", "ls-tfidf"])
def test_a_ray_build_is_byte_identical_to_a_one_process_build(tmp_path, data_csv, method):
    build_cache(data_csv, tmp_path / "local", method=method, num_shards=3)
    result = build_cache(
        data_csv, tmp_path / "ray", method=method, num_shards=3, engine="ray", num_proc=2
    )
    assert result.complete and result.shards_written == [0, 1, 2]
    assert shard_bytes(tmp_path / "ray") == shard_bytes(tmp_path / "local")
    local, ray = load_cache(tmp_path / "local").manifest, load_cache(tmp_path / "ray").manifest
    assert ray["shards"] == local["shards"] and ray["fit"]["sha256"] == local["fit"]["sha256"]
