"""A cache's files get the user's umask, not 0600 (issue 11, item 6).

Files written under ``tempfile.mkstemp`` are created 0600, so a cache shared with a team (or a
training job under another user) could not be read.  Every file a build or an export writes,
the lock included, must carry ``0666 & ~umask``.
"""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from textls.cache import build_cache, export_cache
from textls.cache import shards as shards_module


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(paths) -> dict[str, str]:
    return {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in paths if p.is_file()}


def test_every_written_file_is_0644_under_umask_022(tmp_path, umask_022, monkeypatch):
    labels = ["a", "b", "c"] * 10
    texts = [f"{y} word{i % 4} other{i % 3}" for i, y in enumerate(labels)]
    data = tmp_path / "train.csv"
    pd.DataFrame({"text": texts, "label": labels}).to_csv(data, index=False)
    out = tmp_path / "c"
    seen = {}
    real = shards_module._write_shard

    def look_at_the_lock(path, table):  # the lock exists only while the build runs
        seen.update(modes([out / "build.lock"]))
        real(path, table)

    monkeypatch.setattr(shards_module, "_write_shard", look_at_the_lock)
    build_cache(data, out, method="kwls", num_shards=2, keep_work=True)
    exports = [
        export_cache(out, data, tmp_path / f"x{suffix}", format="tevatron")
        for suffix in (".jsonl", ".parquet")
    ]
    written = modes([*out.rglob("*"), *exports]) | seen
    assert str(out / "build.lock") in seen and len(written) > 10
    assert set(written.values()) == {"0o644"}, written
