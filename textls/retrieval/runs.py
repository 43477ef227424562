"""TREC run files: what ``textls retrieval search`` writes and ``retrieval evaluate`` reads.

A run lists ``qid Q0 docid rank score tag`` per line; in memory it is
``{query_id: {doc_id: score}}``. :func:`write_run` writes one atomically, with scores that read
back bit-exact; :func:`load_run` reads one as trec_eval does (the ranking is the score's),
refusing what trec_eval refuses, with errors that name the file and line.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

from textls.io import atomic_write
from textls.retrieval.lines import excerpt, existing_file, read_lines

__all__ = ["load_run", "write_run"]


def load_run(path: str | os.PathLike) -> dict[str, dict[str, float]]:
    """Read a TREC run, ``qid Q0 docid rank score tag`` per line, into ``{query_id: {doc_id: score}}``.

    The twin of ``write_run``. Fields are separated by whitespace; blank lines are skipped and a
    ``.gz`` file is decompressed. Queries and documents keep file order, but the ranking is the
    score's (as in trec_eval and ``ir_measures``): the rank must be an integer and is otherwise
    unused, the second and last fields are not read. A score must be a finite number, and a
    (query, doc) pair may appear once: trec_eval refuses a repeated pair ("duplicate docs"),
    where a reader that builds a dict would keep the last score without a word. An empty file
    is refused too.
    """
    path = existing_file(path)
    run: dict[str, dict[str, float]] = {}
    pair_line: dict[tuple[str, str], int] = {}
    for n, line in read_lines(path):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 6:
            raise ValueError(
                f"{path}, line {n}: expected 6 whitespace-separated fields "
                f"(qid Q0 docid rank score tag), got {len(fields)}: {excerpt(line)}"
            )
        query_id, _, doc_id, rank, score_text, _ = fields
        try:
            int(rank)
        except ValueError:
            raise ValueError(
                f"{path}, line {n}: rank {rank!r} is not an integer: {excerpt(line)}"
            ) from None
        try:
            score = float(score_text)
        except ValueError:
            raise ValueError(
                f"{path}, line {n}: score {score_text!r} is not a number: {excerpt(line)}"
            ) from None
        if not math.isfinite(score):
            raise ValueError(
                f"{path}, line {n}: score {score_text!r} is not a finite number: {excerpt(line)}"
            )
        if (query_id, doc_id) in pair_line:
            raise ValueError(
                f"{path}, line {n}: duplicate (query, doc) pair ({query_id!r}, {doc_id!r}) "
                f"(first on line {pair_line[query_id, doc_id]}); a TREC run lists each pair once"
            )
        pair_line[query_id, doc_id] = n
        run.setdefault(query_id, {})[doc_id] = score
    if not run:
        raise ValueError(f"{path} has no rows (an empty run)")
    return run


# --------------------------------------------------------------------------- writing


def write_run(
    run: Mapping[str, Mapping[str, float]], path: str | os.PathLike, tag: str = "textls"
) -> Path:
    """Write a run in TREC format, ``qid Q0 docid rank score tag``, atomically.

    Within a query, ranks are 1-based by descending score, ties broken by ascending doc id.
    Scores are written with ``repr`` so they read back bit-exact. Ids and ``tag`` must not
    contain whitespace (it separates the columns); scores must be finite. The file is written
    to a temporary name in the same folder and renamed into place.
    """
    if not tag or any(c.isspace() for c in tag):
        raise ValueError(f"tag must be non-empty without whitespace, got {tag!r}")
    lines: list[str] = []
    for query_id, docs in run.items():
        _check_run_id(query_id, "query id")
        ranked = sorted(docs.items(), key=lambda kv: (-kv[1], kv[0]))
        for rank, (doc_id, score) in enumerate(ranked, 1):
            _check_run_id(doc_id, f"doc id (query {query_id!r})")
            score = float(score)
            if not math.isfinite(score):
                raise ValueError(f"run score of ({query_id!r}, {doc_id!r}) is {score}")
            lines.append(f"{query_id} Q0 {doc_id} {rank} {score!r} {tag}\n")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: f.writelines(lines), mode="w")
    return path


def _check_run_id(value, what: str) -> None:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise ValueError(f"{what} {value!r} cannot be written to a TREC run (empty or whitespace)")
