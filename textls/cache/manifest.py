"""The manifest of a soft-label cache, checksums, and writes that are whole or absent.

A cache folder::

    CACHE/
      manifest.json                       written last: its presence means the cache is complete
      build.json                          the plan: method, parameters, data fingerprint, shards
      fit/state.zip                       the fitted generator and the merged fit statistics
                                          (JSON and NumPy arrays: textls.cache.state_io)
      shards/shard-00000-of-00004.arrow   Arrow IPC streams (one record batch): id, label, soft labels
      shards/shard-00000-of-00004.json    the shard's record (rows, bytes, sha256), for resuming
      _work/                              while building: the input as Arrow, shard statistics
      build.lock                          while a build writes: its pid and host (one writer)

Every file is written under a temporary name in its final folder, flushed to disk and renamed:
a rename within a folder is atomic, so a reader sees a whole file or none, and an interrupted
build never leaves a shard (or a manifest) that loads as valid.  Files get the user's umask.

The manifest carries ``manifest_sha256``, a SHA-256 over the canonical JSON of all its other
fields (keys sorted, no spaces), so an edited manifest (two class names swapped, say) is refused
instead of loading with its columns mislabelled.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from textls import locking
from textls.io import atomic_path

FORMAT = "textls-soft-label-cache"
#: 2: the fitted state is JSON and arrays (``fit/state.zip``), never a pickle; version 1 caches
#: held ``fit/state.pkl`` and are refused, to be rebuilt.
FORMAT_VERSION = 2
FIT_FILE = "fit/state.zip"
#: The soft-label formula a cache's targets follow; a build of another version is never reused.
#: 2: every method moves eps (C-1)/C off the gold class, KWLS's training rows are cross-fitted.
#: 3: informative methods place the mass by relevance / class prior (``balanced=True``).
TARGETS_VERSION = 3
MANIFEST = "manifest.json"
LOCK = "build.lock"
CHECKSUM = "manifest_sha256"

logger = logging.getLogger(__name__)


class CacheError(ValueError):
    """A cache that is incomplete, corrupt, or does not belong to the data it is used with."""


def publish_file(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` to write a file by its name, and publish it as ``path`` (:func:`textls.io.atomic_path`: fsync,
    rename, nothing left behind on error); a storage error names ``path``."""
    try:
        with atomic_path(path) as tmp:
            write(tmp)
    except OSError as exc:
        raise storage_error(exc, path) from exc


def atomic_write_text(path: Path, text: str) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    publish_file(path, write)


def write_json(path: Path, payload: dict) -> None:
    atomic_write_text(
        path, json.dumps(payload, indent=2, sort_keys=False, default=_jsonable) + "\n"
    )


def read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


#: Generator parameters that only batch the work, never change a target.
NOT_TARGETS = ("chunk_size",)


def settings_params(method: str, params: dict | None = None) -> dict:
    """The generator's full parameters as a cache records them.

    ``get_smoother(method, **params).get_params()``: every parameter, defaults filled in, so two
    spellings of the same settings compare equal; tuples become lists and values JSON cannot hold
    their ``repr``.
    """
    from textls.smoothers import get_smoother

    out = {}
    for name, value in sorted(get_smoother(method, **(params or {})).get_params().items()):
        if value is None or isinstance(value, (bool, int, float, str)):
            out[name] = value
        elif isinstance(value, (tuple, list)) and all(
            isinstance(v, (bool, int, float, str)) for v in value
        ):
            out[name] = list(value)
        else:
            out[name] = repr(value)
    return out


def manifest_checksum(manifest: dict, key: str = CHECKSUM) -> str:
    """SHA-256 over the canonical JSON (sorted keys, no spaces) of every field but the checksum."""
    fields = {k: v for k, v in manifest.items() if k != key}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_manifest(path: Path, manifest: dict) -> dict:
    """Write ``manifest`` with its ``manifest_sha256`` (atomically); return what was written."""
    # through JSON first, so the checksum covers exactly what a reader will parse
    written = json.loads(json.dumps(manifest, default=_jsonable))
    written.pop(CHECKSUM, None)
    written[CHECKSUM] = manifest_checksum(written)
    write_json(path, written)
    return written


def read_manifest(path: Path) -> dict:
    """The manifest at ``path``; :class:`CacheError` naming the file if it is not a whole,
    unedited textls manifest."""
    try:
        manifest = read_json(path)
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise CacheError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CacheError(f"{path} is not a textls soft-label cache manifest")
    version = manifest.get("format_version")
    if not _whole(version):
        raise CacheError(
            f"{path}: format_version is {version!r}, not a version number; this is not a "
            "manifest textls wrote"
        )
    if version != FORMAT_VERSION:
        raise CacheError(
            f"{path} is a cache of format version {version}; this textls "
            f"reads version {FORMAT_VERSION}: older caches kept their fitted generator as a "
            "pickle, which textls no longer loads (loading a pickle runs whatever it says); "
            "rebuild it (`textls cache build ... --overwrite`)"
        )
    recorded = manifest.get(CHECKSUM)
    if recorded is None:
        raise CacheError(
            f"{path} has no {CHECKSUM}: an older textls wrote it, and nothing shows whether it "
            "was edited since; rebuild the cache (`textls cache build ... --overwrite`)"
        )
    if recorded != manifest_checksum(manifest):
        raise CacheError(
            f"{path} does not match its {CHECKSUM}: it was edited or damaged after the build, so "
            "its classes, rows or checksums cannot be trusted; re-run the same `textls cache "
            "build` to rewrite it"
        )
    # a checksum proves the manifest is whole, not who wrote it: its fields must have the types
    # textls writes, and every file it names must be a file of the cache folder, listed once,
    # before anything reads (or a rebuild deletes) it
    _check_fields(path, manifest)
    files = [r["file"] for r in manifest["shards"]] + [manifest["fit"]["file"]]
    for file in files:
        inside(path.parent, file, f"{path} names the file")
    twice = next((f for i, f in enumerate(files) if f in files[:i]), None)
    if twice is not None:
        raise CacheError(f"{path} lists the file {twice!r} twice; this is no manifest textls wrote")
    return manifest


#: The manifest's fields every reader relies on, and their types (``int`` excludes ``bool``).
FIELDS = {
    "method": str,
    "params": dict,
    "classes": list,
    "num_classes": int,
    "num_rows": int,
    "layout": str,
    "data": dict,
    "fit": dict,
    "shards": list,
}
DATA_FIELDS = {"num_rows": int, "fingerprint": str, "text_column": str, "label_column": str}
FIT_FIELDS = {"file": str, "sha256": str}
SHARD_FIELDS = {"file": str, "rows": int, "bytes": int, "sha256": str}
KINDS = {str: "a text", int: "a whole number", dict: "an object", list: "a list"}


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_fields(path: Path, manifest: dict) -> None:
    """:class:`CacheError` naming the first field of ``manifest`` that is missing or of another
    type than textls writes (the shard records' fields included)."""

    def check(record: dict, fields: dict, where: str) -> None:
        for key, kind in fields.items():
            value = record.get(key)
            if not (_whole(value) if kind is int else isinstance(value, kind)):
                found = "missing" if key not in record else f"{value!r}"
                raise CacheError(
                    f"{path}: {where}{key} is {found}, expected {KINDS[kind]}; this is no "
                    "manifest textls wrote (rebuild the cache)"
                )

    check(manifest, FIELDS, "")
    check(manifest["data"], DATA_FIELDS, "data.")
    check(manifest["fit"], FIT_FIELDS, "fit.")
    if not manifest["shards"]:
        raise CacheError(f"{path} lists no shards; this is no manifest textls wrote")
    for i, shard in enumerate(manifest["shards"]):
        if not isinstance(shard, dict):
            raise CacheError(f"{path}: shards[{i}] is {shard!r}, not a shard record")
        check(shard, SHARD_FIELDS, f"shards[{i}].")
    if manifest["num_classes"] != len(manifest["classes"]):
        raise CacheError(
            f"{path}: num_classes is {manifest['num_classes']} but classes lists "
            f"{len(manifest['classes'])}"
        )
    layout, top_k = manifest["layout"], manifest.get("top_k")
    top_k_fits = top_k is None if layout == "dense" else _whole(top_k) and top_k >= 1
    if layout not in ("dense", "topk") or not top_k_fits:
        raise CacheError(
            f"{path}: layout {layout!r} with top_k {top_k!r} is no layout textls writes (dense "
            "with no top_k, or topk with a top_k >= 1)"
        )
    if manifest["num_rows"] != manifest["data"]["num_rows"]:
        raise CacheError(
            f"{path}: num_rows is {manifest['num_rows']} but data.num_rows is "
            f"{manifest['data']['num_rows']}: the rows stored are not the rows the cache was "
            "built from"
        )


def inside(root: Path, relative, what: str) -> Path:
    """``root / relative`` if ``relative`` is a relative path that stays inside ``root`` (no
    absolute path, no ``..``, no link leading out), else a :class:`CacheError` naming it: a path
    read from a cache's own metadata is never followed outside the cache."""
    if not isinstance(relative, str) or not relative:
        raise CacheError(f"{what} {relative!r}, which is not a file name")
    parts = Path(relative).parts
    if Path(relative).is_absolute() or ".." in parts or "\\" in relative:
        raise CacheError(
            f"{what} {relative!r}, outside its folder: refusing to read or delete it (a folder "
            "someone else wrote is data, not instructions)"
        )
    full = root / relative
    if not full.resolve().is_relative_to(root.resolve()):
        raise CacheError(f"{what} {relative!r}, which leads outside its folder through a link")
    return full


def storage_error(exc: OSError, path: Path) -> OSError:
    """The same error, worded for a user: what could not be written where, and what to do."""
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PermissionError(
            exc.errno,
            f"cannot write {path}: the output folder is not writable ({exc.strerror or exc}); "
            "choose a writable --output",
        )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OSError(
            exc.errno,
            f"no space left on the device while writing {path}; free space and re-run the same "
            "command: completed shards are kept",
        )
    return exc


def ensure_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, path) from exc
    if not os.access(path, os.W_OK):
        raise storage_error(PermissionError(errno.EACCES, "permission denied"), path)


# -- one writer per folder -----------------------------------------------------------------------


def folder_lock(root: Path):
    """Hold ``root/build.lock`` while writing the cache in ``root`` (:func:`textls.locking.folder_lock`;
    a second writer is a :class:`CacheError` naming the first)."""
    return locking.folder_lock(root, LOCK, CacheError, "build", os_error=storage_error)


def check_unlocked(root: Path) -> None:
    """Refuse (naming the owner) while a live build holds ``root``'s lock.

    For shard tasks: they run many at once by design, each writing only its own files, so they
    take no lock; but none may run while a whole-folder step (merge, manifest, overwrite) does.
    """
    locking.check_unlocked(root, LOCK, CacheError, "build")


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return repr(value)
