"""A cache someone hands you is data, never code: its fitted state is JSON and arrays
(``textls.cache.state_io``), textls never unpickles anything, and a state file that asks for any
class outside textls's and scikit-learn's own fitted objects is refused by name.  Each file below
would create ``ran`` if it were executed."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from textls.cache import CacheError, build_cache, load_cache
from textls.cache.state_io import UnsafeStateError, dump_state, load_state
from textls.cli import main
from textls.io import sha256_file


class Payload:
    """Unpickling this touches ``ran``: what a malicious pickle would do, harmlessly."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def cache(tmp_path, data):
    out = tmp_path / "c"
    build_cache(data, out, method="kwls", params={"min_df": 1})
    return out


def test_the_fit_is_json_and_arrays_and_round_trips(cache, data):
    manifest = json.loads((cache / "manifest.json").read_text())
    assert manifest["fit"]["file"] == "fit/state.zip"
    with zipfile.ZipFile(cache / "fit" / "state.zip") as zf:
        assert all(n == "state.json" or n.endswith(".npy") for n in zf.namelist())
    smoother = load_cache(cache).smoother()
    texts = ["a word0 other1", "b word2 other0"]
    assert smoother.transform(texts, ["a", "b"]).shape == (2, 3)


def test_an_old_cache_with_a_pickled_fit_is_refused_unread(cache, tmp_path, forge):
    marker = tmp_path / "ran"
    pickled = cache / "fit" / "state.pkl"
    pickled.write_bytes(pickle.dumps(Payload(marker)))
    forge(
        cache,
        lambda m: m.update(
            format_version=1,
            fit={"file": "fit/state.pkl", "sha256": sha256_file(pickled)},
        ),
    )
    with pytest.raises(CacheError, match="format version 1.*pickle, which textls no longer loads"):
        load_cache(cache).smoother()
    assert main(["cache", "verify", str(cache)]) == 1
    assert not marker.exists()


def test_a_pickle_in_place_of_the_state_file_is_refused_unread(cache, tmp_path, forge):
    marker = tmp_path / "ran"
    state = cache / "fit" / "state.zip"
    state.write_bytes(pickle.dumps(Payload(marker)))
    forge(cache, lambda m: m["fit"].update(sha256=sha256_file(state)))
    with pytest.raises(CacheError, match="is not a textls state file.*never loads pickles"):
        load_cache(cache).smoother()
    assert not marker.exists()


def test_a_state_file_asking_for_another_class_is_refused_by_name(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "state.zip"
    dump_state({"classes": np.arange(3)}, path)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    tree = json.loads(members["state.json"])
    tree["root"] = {"object": "pathlib.Path", "attributes": {"dict": {}}}
    members["state.json"] = json.dumps(tree).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(UnsafeStateError, match="class 'pathlib.Path', which textls does not load"):
        load_state(path)
    assert not marker.exists()


def test_arrays_are_read_without_pickle(tmp_path):
    path = tmp_path / "state.zip"
    dump_state({"a": np.arange(3)}, path)
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("0.npy", buffer.getvalue())  # a second member of that name, read last
    with pytest.raises(UnsafeStateError):
        load_state(path)


def test_a_pickled_work_file_stops_a_resumed_build(tmp_path, data):
    out = tmp_path / "c"
    build_cache(data, out, method="kwls", params={"min_df": 1}, num_shards=2, stage="fit")
    marker = tmp_path / "ran"
    merged = next((out / "_work").glob("fit-*.zip"))
    merged.write_bytes(pickle.dumps(Payload(marker)))
    (out / "fit" / "state.zip").unlink()  # so the resumed build reads the merged statistics
    with pytest.raises(CacheError, match="never loads pickles"):
        build_cache(data, out, method="kwls", params={"min_df": 1}, num_shards=2)
    assert not marker.exists()


def test_saving_a_class_outside_the_allowed_ones_is_refused():
    with pytest.raises(
        TypeError, match="state.x is a .*Payload, which a textls state file does not hold"
    ):
        dump_state({"x": Payload(Path("nowhere"))}, io.BytesIO())
