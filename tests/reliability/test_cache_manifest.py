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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("shards"), r"shards is missing, expected a list"),
        (lambda m: m.update(format_version="2"), r"format_version is '2', not a version number"),
        (lambda m: m.update(num_rows="30"), r"num_rows is '30', expected a whole number"),
        (
            lambda m: m["shards"][0].update(rows=True),
            r"shards\[0\]\.rows is True, expected a whole number",
        ),
        (lambda m: m["data"].pop("fingerprint"), r"data\.fingerprint is missing"),
        (lambda m: m.update(shards=["x"]), r"shards\[0\] is 'x', not a shard record"),
        (lambda m: m.pop("fit"), r"fit is missing, expected an object"),
        (lambda m: m.update(fit="fit/state.zip"), r"fit is 'fit/state.zip', expected an object"),
        (lambda m: m["fit"].pop("sha256"), r"fit\.sha256 is missing"),
        (lambda m: m.pop("layout"), r"layout is missing"),
        (lambda m: m["data"].pop("text_column"), r"data\.text_column is missing"),
        (lambda m: m.pop("num_classes"), r"num_classes is missing"),
        (lambda m: m.update(num_classes=4), r"num_classes is 4 but classes lists 3"),
        (lambda m: m.update(layout="topk"), r"layout 'topk' with top_k None is no layout"),
        (lambda m: m.update(num_rows=0), r"num_rows is 0 but data.num_rows is 30"),
    ],
)
def test_a_forged_manifest_with_a_field_missing_or_mistyped_is_named(
    tmp_path, data, capsys, change, message, forge
):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic")
    forge(out, change)
    with pytest.raises(CacheError, match=message):
        load_cache(out)
    assert main(["cache", "verify", str(out)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_a_forged_manifest_listing_a_shard_twice_is_refused(tmp_path, data, forge):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic")

    def twice(manifest):
        manifest["shards"] = manifest["shards"] * 2
        manifest["num_rows"] *= 2

    forge(out, twice)
    with pytest.raises(CacheError, match=r"num_rows is 60 but data.num_rows is 30"):
        load_cache(out)

    def twice_everywhere(manifest):
        manifest["data"]["num_rows"] = manifest["num_rows"]

    forge(out, twice_everywhere)
    with pytest.raises(
        CacheError, match=r"lists the file 'shards/shard-00000-of-00001.arrow' twice"
    ):
        load_cache(out)


def test_a_resumed_build_rewrites_a_shard_whose_record_was_edited(tmp_path, data, caplog):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic", num_shards=2)
    meta = out / "shards" / "shard-00000-of-00002.json"
    record = json.loads(meta.read_text())
    meta.write_text(json.dumps({**record, "rows": record["rows"] // 2}))
    (out / "manifest.json").unlink()  # an unfinished build, resumed
    result = build_cache(data, out, method="ls-classic", num_shards=2)
    assert result.shards_written == [0] and result.shards_skipped == [1]
    assert "does not match the build's plan; rewriting it" in caplog.text
    assert "30 rows" in "\n".join(load_cache(out).verify())


def test_a_manifest_listing_no_shard_or_a_shard_of_another_width_is_refused(tmp_path, data, forge):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic")

    def no_shards(manifest):
        manifest["shards"], manifest["num_rows"], manifest["data"]["num_rows"] = [], 0, 0

    forge(out, no_shards)
    with pytest.raises(CacheError, match="lists no shards"):
        load_cache(out)
    build_cache(data, out, method="ls-classic", overwrite=True)

    def four_classes(manifest):
        manifest["classes"], manifest["num_classes"] = [*manifest["classes"], "d"], 4

    forge(out, four_classes)
    with pytest.raises(
        CacheError, match=r"column soft_labels is .*3.*, the manifest says 4 values"
    ):
        load_cache(out).verify()


def test_a_resumed_build_rewrites_a_shard_whose_record_is_no_record(tmp_path, data, caplog):
    out = tmp_path / "c"
    build_cache(data, out, method="ls-classic")
    (out / "shards" / "shard-00000-of-00001.json").write_text("[1, 2]")
    (out / "manifest.json").unlink()
    assert build_cache(data, out, method="ls-classic").shards_written == [0]
    assert "is no record; rewriting the shard" in caplog.text
