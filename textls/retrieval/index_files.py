"""The files of a saved :class:`~textls.retrieval.index.DenseIndex`: read back and checked.

:meth:`~textls.retrieval.index.DenseIndex.save` writes :data:`INDEX_FILES` into one folder:
``index.faiss`` (the FAISS index), ``doc_ids.json`` (the id of each row) and ``meta.json``
(what built the vectors, and the search settings). The readers here refuse a file that is missing,
damaged or not what saving writes with an error naming it; :func:`check_replaceable` and
:func:`exchange_paths` let saving replace an index, and only an index, in one atomic step.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import faiss

__all__ = [
    "FORMAT_VERSION",
    "IDS_NAME",
    "INDEX_FILES",
    "INDEX_NAME",
    "META_NAME",
    "check_replaceable",
    "exchange_paths",
    "json_name",
    "read_faiss",
    "read_json",
    "read_meta",
]

META_NAME = "meta.json"
IDS_NAME = "doc_ids.json"
INDEX_NAME = "index.faiss"
#: Every file :meth:`~textls.retrieval.index.DenseIndex.save` writes; a folder holding anything
#: else is not only an index.
INDEX_FILES = (INDEX_NAME, IDS_NAME, META_NAME)
FORMAT_VERSION = 1

#: The keys of ``meta.json`` and the JSON types they hold (``None``: may be null).
_META_TYPES = {
    "encoder": (str,),
    "dim": (int,),
    "kind": (str,),
    "normalize": (bool,),
    "count": (int,),
    "textls_version": (str,),
    "faiss_version": (str,),
    "nlist": (int, None),
    "nprobe": (int, None),
    "ef_search": (int, None),
}


def read_json(path: Path):
    """The JSON value of ``path``; a ``ValueError`` naming it if the file is not UTF-8 JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None


def json_name(value) -> str:
    return "object" if isinstance(value, dict) else type(value).__name__


def _is_json(value, kind) -> bool:
    """``value`` is a JSON value of ``kind`` (a Python type, or ``None`` for null); a boolean is
    not a number."""
    if kind is None:
        return value is None
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


def read_meta(path: Path, kinds: Sequence[str]) -> dict:
    """``meta.json`` of a saved index, refused naming the file unless it is a record
    :meth:`~textls.retrieval.index.DenseIndex.save` writes: a JSON object of this format with
    every key of its type and a kind among ``kinds``
    (:data:`~textls.retrieval.index.INDEX_KINDS`)."""
    meta = read_json(path)
    rebuild = "rebuild the index (`textls retrieval index`)"
    if not isinstance(meta, dict):
        raise ValueError(
            f"{path} is not an index record (it holds a JSON {json_name(meta)}, not an "
            f"object); {rebuild}"
        )
    if meta.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: unknown index format {meta.get('format')!r}")
    for key, types in _META_TYPES.items():
        value = meta.get(key)
        if key not in meta and None not in types:
            raise ValueError(f"{path} is not an index record: it lacks {key!r}; {rebuild}")
        if not any(_is_json(value, t) for t in types):
            raise ValueError(
                f"{path} is not an index record: {key} is {value!r}, not "
                f"{' or '.join('null' if t is None else t.__name__ for t in types)}; {rebuild}"
            )
    if meta["kind"] not in kinds:
        raise ValueError(
            f"{path} is not an index record: kind {meta['kind']!r} is not one of {kinds}"
        )
    fingerprint = meta.get("corpus_fingerprint")
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise ValueError(
            f"{path} is not an index record: corpus_fingerprint is {fingerprint!r}; {rebuild}"
        )
    return meta


def read_faiss(path: Path) -> faiss.Index:
    """``faiss.read_index``, with FAISS's C++ error as a ``ValueError`` naming ``path``."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: {path.parent} is not a complete index")
    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:  # FAISS's C++ exception: "Error in <function> at <file:line>: ..."
        reason = " ".join(str(exc).split())
        reason = re.sub(r"^Error in .*? at \S+:\d+: (Error: '.*?' failed: )?", "", reason)
        raise ValueError(f"{path} cannot be read as a FAISS index: {reason}") from None


def check_replaceable(directory: Path) -> None:
    """Refuse to save over ``directory`` unless it is absent, empty, or a saved index and nothing
    else: the swap puts the whole folder aside and deletes it."""
    if not directory.exists() and not directory.is_symlink():
        return
    if directory.is_symlink() or not directory.is_dir():
        what = "a link" if directory.is_symlink() else "not a folder"
        raise FileExistsError(f"{directory} is {what}, not a saved index; refusing to replace it")
    entries = sorted(directory.iterdir())
    names = [p.name for p in entries]
    # a folder or link under an index file's name is not what save wrote either
    foreign = [
        p.name for p in entries if p.name not in INDEX_FILES or p.is_symlink() or not p.is_file()
    ]
    if foreign:
        shown = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise ValueError(
            f"{directory} holds {shown}, which an index does not write (it writes "
            f"{', '.join(INDEX_FILES)}); saving would replace the folder and delete them: save "
            "the index to another folder, or move them out"
        )
    if names and not (directory / META_NAME).is_file():
        raise FileExistsError(
            f"{directory} holds {', '.join(names)} but no {META_NAME}: not a saved index; "
            "refusing to replace it"
        )


def exchange_paths(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (``renameat2(RENAME_EXCHANGE)``); ``False``
    where the platform or file system cannot (then nothing happened)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, f"cannot swap {a} and {b}: {os.strerror(err)}")
