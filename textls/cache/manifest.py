"""The manifest of a soft-label cache, checksums, and writes that are whole or absent.

A cache folder::

    CACHE/
      manifest.json                       written last: its presence means the cache is complete
      build.json                          the plan: method, parameters, data fingerprint, shards
      fit/state.pkl                       the fitted generator and the merged fit statistics
      shards/shard-00000-of-00004.arrow   Arrow IPC streams (one record batch): id, label, soft labels
      shards/shard-00000-of-00004.json    the shard's record (rows, bytes, sha256), for resuming
      _work/                              while building: the input as Arrow, shard statistics

Every file is written under a temporary name in its final folder, flushed to disk and renamed:
a rename within a folder is atomic, so a reader sees a whole file or none, and an interrupted
build never leaves a shard (or a manifest) that loads as valid.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

FORMAT = "textls-soft-label-cache"
FORMAT_VERSION = 1
#: The soft-label formula a cache's targets follow; a build of another version is never reused.
#: 2: every method moves eps (C-1)/C off the gold class, KWLS's training rows are cross-fitted.
#: 3: informative methods place the mass by relevance / class prior (``balanced=True``).
TARGETS_VERSION = 3
MANIFEST = "manifest.json"


class CacheError(ValueError):
    """A cache that is incomplete, corrupt, or does not belong to the data it is used with."""


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)``, fsync, then rename to ``path``; on any error leave nothing behind."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(str(tmp))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise storage_error(exc, path) from exc
        raise


def atomic_write_text(path: Path, text: str) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    atomic_write(path, write)


def write_json(path: Path, payload: dict) -> None:
    atomic_write_text(
        path, json.dumps(payload, indent=2, sort_keys=False, default=_jsonable) + "\n"
    )


def read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


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


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return repr(value)
