"""A cache's manifest protects itself (issue 11, item 2).

The manifest says which column is which class.  Swapping two class names in it used to pass
``verify`` and load with every column mislabelled; it now carries a checksum of its own fields.
"""

from __future__ import annotations

import json

import pytest

from textls.cache import CacheError, build_cache, load_cache
from textls.cli import main


def edit_manifest(folder, change) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest, indent=2))


def swap_classes(manifest: dict) -> None:
    manifest["classes"][0], manifest["classes"][1] = manifest["classes"][1], manifest["classes"][0]


def test_swapped_class_names_are_refused_by_load_and_verify(tmp_path, data, capsys):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic")
    edit_manifest(out, swap_classes)
    for check_checksums in (True, False):
        with pytest.raises(CacheError, match=r"c/manifest.json does not match its manifest_sha256"):
            load_cache(out, check_checksums=check_checksums)
    capsys.readouterr()
    assert main(["cache", "verify", str(out)]) == 1
    assert "manifest.json does not match its manifest_sha256" in capsys.readouterr().err


def test_verify_rereads_the_manifest_on_disk(tmp_path, data):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic")
    cache = load_cache(out)
    edit_manifest(out, swap_classes)
    with pytest.raises(CacheError, match="manifest.json does not match its manifest_sha256"):
        cache.verify()


def test_a_manifest_without_a_checksum_is_refused_with_a_rebuild_hint(tmp_path, data):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic")
    edit_manifest(out, lambda m: m.pop("manifest_sha256"))
    with pytest.raises(CacheError, match=r"manifest.json has no manifest_sha256.*--overwrite"):
        load_cache(out)


def test_rerunning_the_build_rewrites_a_tampered_manifest(tmp_path, data):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic")
    classes = load_cache(out).classes
    edit_manifest(out, swap_classes)
    result = build_cache(data, out, method="ls-classic")
    assert result.complete and result.shards_skipped == [0]
    assert load_cache(out).classes == classes
