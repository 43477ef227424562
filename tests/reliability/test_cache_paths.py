"""A cache folder someone hands you is data, never a licence to touch files outside it: every file
its manifest names must stay inside the folder, for reading and above all for deleting, even when
the manifest's own checksum was recomputed to match (a checksum proves integrity, not trust)."""

from __future__ import annotations

import os

import pytest

from textls.cache import CacheError, build_cache, load_cache
from textls.cli import main


@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "victim.txt"
    path.write_text("keep me")
    return path


@pytest.mark.parametrize("how", ["absolute", "dotdot"])
def test_a_fit_file_outside_the_folder_is_neither_read_nor_deleted(
    tmp_path, data, victim, how, forge
):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic")
    named = str(victim) if how == "absolute" else os.path.join("..", victim.name)
    forge(out, lambda m: m["fit"].update(file=named))
    with pytest.raises(CacheError, match="outside its folder: refusing to read or delete it"):
        load_cache(out)
    assert main(["cache", "verify", str(out)]) == 1
    # re-running the build over it (which deletes a damaged fit file) rewrites the manifest as
    # damaged and never touches the file it named
    build_cache(data, out, method="ls-classic")
    assert victim.read_text() == "keep me"
    assert load_cache(out).manifest["fit"]["file"] == "fit/state.zip"


def test_a_shard_outside_the_folder_is_refused(tmp_path, data, victim, forge):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic")
    forge(out, lambda m: m["shards"][0].update(file=str(victim)))
    with pytest.raises(CacheError, match="outside its folder"):
        load_cache(out)
    assert victim.read_text() == "keep me"


def test_a_link_out_of_the_folder_is_refused(tmp_path, data, victim, forge):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic")
    (out / "fit" / "elsewhere").symlink_to(victim)
    forge(out, lambda m: m["fit"].update(file="fit/elsewhere"))
    with pytest.raises(CacheError, match="leads outside its folder through a link"):
        load_cache(out)
    assert victim.read_text() == "keep me"
