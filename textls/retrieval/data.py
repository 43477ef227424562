"""Retrieval data in the BEIR layout, read line by line with errors that name the file and line.

A BEIR folder holds::

    corpus.jsonl          {"_id": "d1", "title": "...", "text": "..."}   (title optional)
    queries.jsonl         {"_id": "q1", "text": "..."}
    qrels/<split>.tsv     query-id <TAB> corpus-id <TAB> score           (header line first)

A run (what ``retrieval search`` writes and ``retrieval evaluate`` reads) is a TREC run file,
``qid Q0 docid rank score tag`` per line (``write_run`` / ``load_run``).

A qrel with ``score > 0`` marks a relevant (positive) passage; ``score <= 0`` is a judged
non-relevant one. Ids are strings (a JSON integer id is read as its decimal string, so it matches
the qrels). Every problem is a ``ValueError`` of the form ``"<file>, line <n>: <what>"`` (with
the offending line, cut at 80 characters, where the line itself is malformed); a missing file is
a ``FileNotFoundError``. Nothing is read as "the last one wins": a repeated id, (query, doc)
pair or JSON key is an error.

Examples
--------
>>> data = load_beir("data/faq", "test")  # doctest: +SKIP
>>> qid = data.query_ids[0]  # doctest: +SKIP
>>> [passage_text(data.corpus[d]) for d in data.positives(qid)]  # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import json
import math
import numbers
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from textls.io import atomic_write

__all__ = [
    "QRELS_HEADER",
    "BeirDataset",
    "load_beir",
    "load_corpus",
    "load_hard_negatives",
    "load_qrels",
    "load_queries",
    "load_run",
    "load_teacher_scores",
    "passage_text",
    "write_run",
]

QRELS_HEADER = ("query-id", "corpus-id", "score")


@dataclass
class BeirDataset:
    """One split of a BEIR folder: the whole corpus, the split's queries and their qrels.

    Attributes:
        corpus: ``doc_id -> {"title": str, "text": str}`` in file order.
        queries: ``query_id -> text`` for the queries that the split's qrels name (all queries
            when ``split`` is ``None``), in file order.
        qrels: ``query_id -> {doc_id: score}``; every query has at least one ``score > 0``.
        split: the qrels file's stem (``"train"``, ``"dev"``, ``"test"``); ``None``: no qrels.
        folder: where it was read from.
    """

    corpus: dict[str, dict[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    split: str | None = "test"
    folder: Path | None = field(default=None, compare=False)

    @property
    def doc_ids(self) -> list[str]:
        return list(self.corpus)

    @property
    def query_ids(self) -> list[str]:
        return list(self.queries)

    def passages(self) -> list[str]:
        """``passage_text`` of every document, in ``doc_ids`` order."""
        return [passage_text(doc) for doc in self.corpus.values()]

    def positives(self, query_id: str) -> list[str]:
        """Doc ids judged relevant (``score > 0``) for ``query_id``, in qrels order."""
        return [d for d, score in self.qrels[query_id].items() if score > 0]

    def __repr__(self) -> str:
        n_qrels = sum(len(v) for v in self.qrels.values())
        return (
            f"BeirDataset(split={self.split!r}, corpus={len(self.corpus)}, "
            f"queries={len(self.queries)}, qrels={n_qrels}, folder={str(self.folder)!r})"
        )


def passage_text(doc: Mapping[str, str]) -> str:
    """``title + " " + text`` when the title is not blank, else ``text`` (the BEIR convention)."""
    title = doc.get("title") or ""
    return f"{title} {doc['text']}" if title.strip() else doc["text"]


# --------------------------------------------------------------------------- reading


def _existing_file(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, expected a file")
    return path


def _lines(path: Path) -> Iterator[tuple[int, str]]:
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


def _excerpt(line: str, width: int = 80) -> str:
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


def _jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    empty = True
    for n, line in _lines(path):
        if not line.strip():
            continue
        try:
            row = json.loads(line, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{path}, line {n}: not valid JSON ({exc.msg}): {_excerpt(line)}"
            ) from exc
        except _DuplicateKey as exc:
            raise ValueError(
                f"{path}, line {n}: key {exc.args[0]!r} appears twice in one object: "
                f"{_excerpt(line)}"
            ) from None
        if not isinstance(row, dict):
            raise ValueError(f"{path}, line {n}: expected a JSON object, got {_excerpt(line)}")
        empty = False
        yield n, row
    if empty:
        raise ValueError(f"{path} has no rows")


def _id(value, path: Path, n: int, key: str) -> str:
    """An id as qrels and TREC runs spell it: a string (an integer written as its digits) with
    surrounding whitespace removed, as every qrels field is (:func:`_read_qrels`), so one id
    reads the same from the corpus, the queries, the qrels and a run."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{path}, line {n}: {key} must be a string, got {value!r}")
    value = str(value).strip()
    if not value:
        raise ValueError(f"{path}, line {n}: {key} is empty")
    return value


def _text(row: dict, key: str, path: Path, n: int, row_id: str, required: bool = True) -> str:
    value = row.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        what = "missing" if key not in row else f"{value!r}, not text"
        raise ValueError(f"{path}, line {n}: {key!r} of {row_id!r} is {what}")
    if required and not value.strip():
        raise ValueError(f"{path}, line {n}: {key!r} of {row_id!r} is empty")
    return value


def _check_new(seen: dict[str, int], key: str, path: Path, n: int, what: str) -> None:
    if key in seen:
        raise ValueError(f"{path}, line {n}: duplicate {what} {key!r} (first on line {seen[key]})")
    seen[key] = n


def load_corpus(path: str | os.PathLike) -> dict[str, dict[str, str]]:
    """Read ``corpus.jsonl`` into ``{doc_id: {"title": title, "text": text}}`` in file order.

    ``title`` may be missing, null or empty; ``text`` must be non-blank; ids must be unique.
    Other fields (BEIR's ``metadata``) are ignored.
    """
    corpus: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    path = _existing_file(path)
    for n, row in _jsonl(path):
        doc_id = _id(row.get("_id"), path, n, "_id")
        _check_new(lines, doc_id, path, n, "_id")
        corpus[doc_id] = {
            "title": _text(row, "title", path, n, doc_id, required=False),
            "text": _text(row, "text", path, n, doc_id),
        }
    return corpus


def load_queries(path: str | os.PathLike) -> dict[str, str]:
    """Read ``queries.jsonl`` into ``{query_id: text}`` in file order (unique ids, non-blank text)."""
    queries: dict[str, str] = {}
    lines: dict[str, int] = {}
    path = _existing_file(path)
    for n, row in _jsonl(path):
        query_id = _id(row.get("_id"), path, n, "_id")
        _check_new(lines, query_id, path, n, "_id")
        queries[query_id] = _text(row, "text", path, n, query_id)
    return queries


def load_qrels(
    path: str | os.PathLike,
    *,
    query_ids: Collection[str] | None = None,
    doc_ids: Collection[str] | None = None,
    require_positive: bool = False,
) -> dict[str, dict[str, int]]:
    """Read a BEIR qrels TSV into ``{query_id: {doc_id: score}}`` (queries in first-seen order).

    The first line must be the header ``query-id<TAB>corpus-id<TAB>score``; every other
    non-blank line has exactly three tab-separated fields and an integer score. A (query, doc)
    pair may appear once. With ``query_ids`` / ``doc_ids``, an id outside them is refused; with
    ``require_positive``, so is a query none of whose scores is ``> 0``.
    """
    return _read_qrels(path, query_ids, doc_ids, require_positive)


def _read_qrels(
    path: str | os.PathLike,
    query_ids: Collection[str] | None,
    doc_ids: Collection[str] | None,
    require_positive: bool,
    queries_name: str = "the queries",
    corpus_name: str = "the corpus",
) -> dict[str, dict[str, int]]:
    path = _existing_file(path)
    qrels: dict[str, dict[str, int]] = {}
    first_line: dict[str, int] = {}
    pair_line: dict[tuple[str, str], int] = {}
    header_seen = False
    for n, line in _lines(path):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("\t")]
        if not header_seen:
            if tuple(fields) != QRELS_HEADER:
                raise ValueError(
                    f"{path}, line {n}: expected the header {chr(9).join(QRELS_HEADER)!r} "
                    f"(tab-separated), got {_excerpt(line)}"
                )
            header_seen = True
            continue
        if len(fields) != 3:
            raise ValueError(
                f"{path}, line {n}: expected 3 tab-separated fields, got {len(fields)}: "
                f"{_excerpt(line)}"
            )
        query_id, doc_id, score_text = fields
        if not query_id or not doc_id:
            raise ValueError(f"{path}, line {n}: empty query-id or corpus-id: {_excerpt(line)}")
        try:
            score = int(score_text)
        except ValueError:
            raise ValueError(
                f"{path}, line {n}: score {score_text!r} is not an integer: {_excerpt(line)}"
            ) from None
        if query_ids is not None and query_id not in query_ids:
            raise ValueError(f"{path}, line {n}: query-id {query_id!r} is not in {queries_name}")
        if doc_ids is not None and doc_id not in doc_ids:
            raise ValueError(f"{path}, line {n}: corpus-id {doc_id!r} is not in {corpus_name}")
        if (query_id, doc_id) in pair_line:
            raise ValueError(
                f"{path}, line {n}: duplicate qrel ({query_id!r}, {doc_id!r}) "
                f"(first on line {pair_line[query_id, doc_id]})"
            )
        pair_line[query_id, doc_id] = n
        first_line.setdefault(query_id, n)
        qrels.setdefault(query_id, {})[doc_id] = score
    if not header_seen:
        raise ValueError(f"{path} is empty; expected the header {chr(9).join(QRELS_HEADER)!r}")
    if not qrels:
        raise ValueError(f"{path} has a header but no rows")
    if require_positive:
        for query_id, judged in qrels.items():
            if not any(score > 0 for score in judged.values()):
                raise ValueError(
                    f"{path}, line {first_line[query_id]}: query {query_id!r} has no relevant "
                    f"passage (no score > 0 among its {len(judged)} qrels)"
                )
    return qrels


def _find(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{folder}: no {name} (BEIR layout: corpus.jsonl, queries.jsonl, qrels/)"
    )


def load_beir(folder: str | os.PathLike, split: str | None = "test") -> BeirDataset:
    """Read a BEIR folder's corpus, queries and ``qrels/<split>.tsv``, cross-checking the ids.

    Every qrel must name a query of ``queries.jsonl`` and a document of ``corpus.jsonl``, and
    every query of the split must have a relevant passage. Only the split's queries are kept.
    ``split=None`` reads no qrels: the corpus and every query (e.g. to index the corpus).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    qrels_path = None if split is None else folder / "qrels" / f"{split}.tsv"
    if qrels_path is not None and not qrels_path.is_file():
        splits = sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))
        raise FileNotFoundError(
            f"{qrels_path}: no such file; splits in {folder / 'qrels'}: {splits or 'none'}"
        )
    corpus_path, queries_path = _find(folder, "corpus.jsonl"), _find(folder, "queries.jsonl")
    corpus = load_corpus(corpus_path)
    queries = load_queries(queries_path)
    qrels: dict[str, dict[str, int]] = {}
    if qrels_path is not None:
        qrels = _read_qrels(qrels_path, queries, corpus, True, queries_path.name, corpus_path.name)
        queries = {q: text for q, text in queries.items() if q in qrels}
    return BeirDataset(corpus=corpus, queries=queries, qrels=qrels, split=split, folder=folder)


def load_hard_negatives(path: str | os.PathLike, dataset: BeirDataset) -> dict[str, list[str]]:
    """Read mined negatives, JSONL rows ``{"query_id": q, "neg_ids": [d, ...]}``, best first.

    Each query may appear once; it must be a query of ``dataset`` (its split), each doc id must
    be in its corpus, appear once in the row, and not be one of the query's positives (a
    positive used as a negative would teach the model the opposite of the qrels).
    """
    negatives: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    path = _existing_file(path)
    for n, row in _jsonl(path):
        query_id = _id(row.get("query_id"), path, n, "query_id")
        if query_id not in dataset.queries:
            raise ValueError(
                f"{path}, line {n}: query_id {query_id!r} is not a query of the "
                f"{dataset.split!r} split"
            )
        _check_new(lines, query_id, path, n, "query_id")
        neg_ids = row.get("neg_ids")
        if not isinstance(neg_ids, list):
            raise ValueError(f"{path}, line {n}: neg_ids must be a list, got {neg_ids!r}")
        positives = {d for d, score in dataset.qrels.get(query_id, {}).items() if score > 0}
        seen: set[str] = set()
        for value in neg_ids:
            doc_id = _id(value, path, n, "neg_ids entry")
            if doc_id not in dataset.corpus:
                raise ValueError(f"{path}, line {n}: neg_ids entry {doc_id!r} is not in the corpus")
            if doc_id in positives:
                raise ValueError(
                    f"{path}, line {n}: {doc_id!r} is a positive of {query_id!r} in the qrels, "
                    "not a negative"
                )
            if doc_id in seen:
                raise ValueError(f"{path}, line {n}: {doc_id!r} appears twice in neg_ids")
            seen.add(doc_id)
        negatives[query_id] = [str(d) for d in neg_ids]
    return negatives


def load_teacher_scores(
    path: str | os.PathLike, query_ids: Sequence[str], doc_ids: Sequence[str]
) -> sp.csr_matrix:
    """Read teacher scores, JSONL rows ``{"query_id": q, "scores": {doc_id: score}}``.

    Returns a ``(len(query_ids), len(doc_ids))`` float64 CSR matrix whose rows follow
    ``query_ids`` and columns ``doc_ids``; a pair the file does not score has no stored entry
    (an explicit ``0.0`` from the file is kept as a stored entry). Rows for queries outside
    ``query_ids`` are skipped, so one file can serve several splits, but a file that scores none
    of them is refused. Scores must be finite numbers; doc ids must be in ``doc_ids``.
    """
    row_of = {q: i for i, q in enumerate(query_ids)}
    col_of = {d: j for j, d in enumerate(doc_ids)}
    if len(row_of) != len(query_ids) or len(col_of) != len(doc_ids):
        raise ValueError("query_ids and doc_ids must not repeat an id")
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    lines: dict[str, int] = {}
    path = _existing_file(path)
    for n, row in _jsonl(path):
        query_id = _id(row.get("query_id"), path, n, "query_id")
        _check_new(lines, query_id, path, n, "query_id")
        scores = row.get("scores")
        if not isinstance(scores, dict):
            raise ValueError(f"{path}, line {n}: scores must be an object {{doc_id: score}}")
        if query_id not in row_of:
            continue
        i = row_of[query_id]
        for doc_id, score in scores.items():
            j = col_of.get(doc_id)
            if j is None:
                raise ValueError(f"{path}, line {n}: doc id {doc_id!r} is not in the corpus")
            if (
                isinstance(score, bool)
                or not isinstance(score, numbers.Real)
                or not math.isfinite(score)
            ):
                raise ValueError(
                    f"{path}, line {n}: score of ({query_id!r}, {doc_id!r}) is {score!r}, "
                    "not a finite number"
                )
            rows.append(i)
            cols.append(j)
            values.append(float(score))
    if not lines.keys() & row_of.keys():
        raise ValueError(
            f"{path}: none of its {len(lines)} query ids is among the {len(row_of)} queries asked for"
        )
    return sp.csr_matrix(
        (np.asarray(values, dtype=np.float64), (np.asarray(rows), np.asarray(cols))),
        shape=(len(query_ids), len(doc_ids)),
    )


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
    path = _existing_file(path)
    run: dict[str, dict[str, float]] = {}
    pair_line: dict[tuple[str, str], int] = {}
    for n, line in _lines(path):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 6:
            raise ValueError(
                f"{path}, line {n}: expected 6 whitespace-separated fields "
                f"(qid Q0 docid rank score tag), got {len(fields)}: {_excerpt(line)}"
            )
        query_id, _, doc_id, rank, score_text, _ = fields
        try:
            int(rank)
        except ValueError:
            raise ValueError(
                f"{path}, line {n}: rank {rank!r} is not an integer: {_excerpt(line)}"
            ) from None
        try:
            score = float(score_text)
        except ValueError:
            raise ValueError(
                f"{path}, line {n}: score {score_text!r} is not a number: {_excerpt(line)}"
            ) from None
        if not math.isfinite(score):
            raise ValueError(
                f"{path}, line {n}: score {score_text!r} is not a finite number: {_excerpt(line)}"
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


def corpus_fingerprint(corpus: dict) -> str:
    """The fingerprint of a BEIR corpus as textls encodes it: its passage ids and texts
    (:func:`passage_text`), in order (:func:`textls.cache.fingerprint.data_fingerprint`)."""
    from textls.cache.fingerprint import data_fingerprint

    ids = list(corpus)
    return data_fingerprint([passage_text(corpus[d]) for d in ids], ids)
