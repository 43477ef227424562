"""Two writers never share a cache folder (issue 11, item 4).

A build holds ``build.lock`` (created exclusively; it names the owner's pid and host) while it
writes.  A second build fails at once naming the owner; a lock left by a process that is gone is
taken over with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess

import pytest

from textls.cache import CacheError, build_cache, load_cache
from textls.cache import shards as shards_module


def hold_lock(folder, pid: int) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    owner = {"pid": pid, "host": socket.gethostname()}
    (folder / "build.lock").write_text(json.dumps(owner))
    return owner


def test_a_second_writer_fails_at_once_naming_the_owner(tmp_path, data):
    out = tmp_path / "c"
    owner = hold_lock(out, os.getpid())  # this process is alive: the lock is held
    with pytest.raises(CacheError, match=rf"another build \(pid {os.getpid()} on "):
        build_cache(data, out, method="ls-classic")
    assert sorted(p.name for p in out.iterdir()) == ["build.lock"]  # nothing written
    assert json.loads((out / "build.lock").read_text()) == owner
    with pytest.raises(CacheError, match=rf"pid {os.getpid()}"):  # shard tasks respect it too
        build_cache(data, out, method="kwls", num_shards=2, stage="fit", shard=0)


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_warning(tmp_path, data, caplog):
    finished = subprocess.Popen(["true"])
    finished.wait()
    out = tmp_path / "c"
    hold_lock(out, finished.pid)
    with caplog.at_level(logging.WARNING, logger="textls.cache"):
        result = build_cache(data, out, method="ls-classic")
    assert result.complete and not (out / "build.lock").exists()
    assert any(f"pid {finished.pid}" in r.getMessage() for r in caplog.records)
    load_cache(out)


def test_the_lock_is_released_on_success_and_on_error(tmp_path, data, monkeypatch):
    def fail(path, table):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(shards_module, "_write_shard", fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        build_cache(data, tmp_path / "c", method="ls-tfidf")
    assert not (tmp_path / "c" / "build.lock").exists()
    monkeypatch.undo()
    assert build_cache(data, tmp_path / "c", method="ls-tfidf").complete
    assert not (tmp_path / "c" / "build.lock").exists()
