"""Text files read line by line, with errors that name the file and the line.

The readers of :mod:`textls.retrieval.data` (BEIR folders), :mod:`textls.retrieval.runs` (TREC
runs) and :mod:`textls.retrieval.side_files` (hard negatives, teacher scores) share them: every
problem is a ``ValueError`` of the form ``"<file>, line <n>: <what>"`` (with the offending line,
cut at 80 characters, where the line itself is malformed), a missing file a
``FileNotFoundError``, and a repeated id or JSON key is an error rather than "the last one wins".
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["check_new", "excerpt", "existing_file", "read_id", "read_jsonl", "read_lines"]


def existing_file(path: str | os.PathLike) -> Path:
    """``path`` as a ``Path``; a ``FileNotFoundError`` if it is missing, an
    ``IsADirectoryError`` if it is a folder."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, expected a file")
    return path


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line_number, line)`` without the line ending, 1-based; ``.gz`` is decompressed."""
    opener = gzip.open if path.suffix == ".gz" else open
    n = 0
    try:
        # utf-8-sig: a byte-order mark some editors add must not become part of the first id.
        with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
            for n, line in enumerate(f, 1):
                yield n, line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}, line {n + 1}: not valid UTF-8 ({exc.reason})") from exc


def excerpt(line: str, width: int = 80) -> str:
    """``repr`` of ``line``, cut to ``width`` characters (marked with ``...``) when longer."""
    return repr(line) if len(line) <= width else f"{line[:width]!r}..."


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    # json.loads keeps the last of two equal keys without a word; a lost score or text must not be.
    row = {}
    for key, value in pairs:
        if key in row:
            raise _DuplicateKey(key)
        row[key] = value
    return row


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    empty = True
    for n, line in read_lines(path):
        if not line.strip():
            continue
        try:
            row = json.loads(line, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{path}, line {n}: not valid JSON ({exc.msg}): {excerpt(line)}"
            ) from exc
        except _DuplicateKey as exc:
            raise ValueError(
                f"{path}, line {n}: key {exc.args[0]!r} appears twice in one object: "
                f"{excerpt(line)}"
            ) from None
        if not isinstance(row, dict):
            raise ValueError(f"{path}, line {n}: expected a JSON object, got {excerpt(line)}")
        empty = False
        yield n, row
    if empty:
        raise ValueError(f"{path} has no rows")


def read_id(value, path: Path, n: int, key: str) -> str:
    """An id as qrels and TREC runs spell it: a string (an integer written as its digits) with
    surrounding whitespace removed, as every qrels field is
    (:func:`~textls.retrieval.data.load_qrels`), so one id reads the same from the corpus, the
    queries, the qrels and a run."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{path}, line {n}: {key} must be a string, got {value!r}")
    value = str(value).strip()
    if not value:
        raise ValueError(f"{path}, line {n}: {key} is empty")
    return value


def check_new(seen: dict[str, int], key: str, path: Path, n: int, what: str) -> None:
    """Record that ``key`` is on line ``n``; refuse a ``key`` seen on an earlier line."""
    if key in seen:
        raise ValueError(f"{path}, line {n}: duplicate {what} {key!r} (first on line {seen[key]})")
    seen[key] = n
