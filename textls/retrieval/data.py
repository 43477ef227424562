"""Retrieval data in the BEIR layout, read line by line with errors that name the file and line.

A BEIR folder holds::

    corpus.jsonl          {"_id": "d1", "title": "...", "text": "..."}   (title optional)
    queries.jsonl         {"_id": "q1", "text": "..."}
    qrels/<split>.tsv     query-id <TAB> corpus-id <TAB> score           (header line first)

Run files are :mod:`textls.retrieval.runs`; hard negatives and teacher scores, read beside a
split, :mod:`textls.retrieval.side_files`; the line-by-line readers all of them share,
:mod:`textls.retrieval.lines`.

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

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from textls.retrieval.lines import (
    check_new,
    excerpt,
    existing_file,
    read_id,
    read_jsonl,
    read_lines,
)

__all__ = [
    "QRELS_HEADER",
    "BeirDataset",
    "load_beir",
    "load_corpus",
    "load_qrels",
    "load_queries",
    "passage_text",
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


def load_corpus(path: str | os.PathLike) -> dict[str, dict[str, str]]:
    """Read ``corpus.jsonl`` into ``{doc_id: {"title": title, "text": text}}`` in file order.

    ``title`` may be missing, null or empty; ``text`` must be non-blank; ids must be unique.
    Other fields (BEIR's ``metadata``) are ignored.
    """
    corpus: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    path = existing_file(path)
    for n, row in read_jsonl(path):
        doc_id = read_id(row.get("_id"), path, n, "_id")
        check_new(lines, doc_id, path, n, "_id")
        corpus[doc_id] = {
            "title": _text(row, "title", path, n, doc_id, required=False),
            "text": _text(row, "text", path, n, doc_id),
        }
    return corpus


def load_queries(path: str | os.PathLike) -> dict[str, str]:
    """Read ``queries.jsonl`` into ``{query_id: text}`` in file order (unique ids, non-blank text)."""
    queries: dict[str, str] = {}
    lines: dict[str, int] = {}
    path = existing_file(path)
    for n, row in read_jsonl(path):
        query_id = read_id(row.get("_id"), path, n, "_id")
        check_new(lines, query_id, path, n, "_id")
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
    path = existing_file(path)
    qrels: dict[str, dict[str, int]] = {}
    first_line: dict[str, int] = {}
    pair_line: dict[tuple[str, str], int] = {}
    header_seen = False
    for n, line in read_lines(path):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("\t")]
        if not header_seen:
            if tuple(fields) != QRELS_HEADER:
                raise ValueError(
                    f"{path}, line {n}: expected the header {chr(9).join(QRELS_HEADER)!r} "
                    f"(tab-separated), got {excerpt(line)}"
                )
            header_seen = True
            continue
        if len(fields) != 3:
            raise ValueError(
                f"{path}, line {n}: expected 3 tab-separated fields, got {len(fields)}: "
                f"{excerpt(line)}"
            )
        query_id, doc_id, score_text = fields
        if not query_id or not doc_id:
            raise ValueError(f"{path}, line {n}: empty query-id or corpus-id: {excerpt(line)}")
        try:
            score = int(score_text)
        except ValueError:
            raise ValueError(
                f"{path}, line {n}: score {score_text!r} is not an integer: {excerpt(line)}"
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


def corpus_fingerprint(corpus: dict) -> str:
    """The fingerprint of a BEIR corpus as textls encodes it: its passage ids and texts
    (:func:`passage_text`), in order (:func:`textls.cache.fingerprint.data_fingerprint`)."""
    from textls.cache.fingerprint import data_fingerprint

    ids = list(corpus)
    return data_fingerprint([passage_text(corpus[d]) for d in ids], ids)
