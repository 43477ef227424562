"""Side files of a BEIR split: mined hard negatives and teacher scores, one JSONL row per query.

:func:`load_hard_negatives` reads what ``textls retrieval mine`` writes, checked against a
:class:`~textls.retrieval.data.BeirDataset` (its split's queries, its corpus, its positives);
:func:`load_teacher_scores` reads a teacher's scores of (query, passage) pairs as a sparse
matrix, for soft targets distilled from it. Errors name the file and line.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from textls.retrieval.data import BeirDataset
from textls.retrieval.lines import check_new, existing_file, read_id, read_jsonl

__all__ = ["load_hard_negatives", "load_teacher_scores"]


def load_hard_negatives(path: str | os.PathLike, dataset: BeirDataset) -> dict[str, list[str]]:
    """Read mined negatives, JSONL rows ``{"query_id": q, "neg_ids": [d, ...]}``, best first.

    Each query may appear once; it must be a query of ``dataset`` (its split), each doc id must
    be in its corpus, appear once in the row, and not be one of the query's positives (a
    positive used as a negative would teach the model the opposite of the qrels).
    """
    negatives: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    path = existing_file(path)
    for n, row in read_jsonl(path):
        query_id = read_id(row.get("query_id"), path, n, "query_id")
        if query_id not in dataset.queries:
            raise ValueError(
                f"{path}, line {n}: query_id {query_id!r} is not a query of the "
                f"{dataset.split!r} split"
            )
        check_new(lines, query_id, path, n, "query_id")
        neg_ids = row.get("neg_ids")
        if not isinstance(neg_ids, list):
            raise ValueError(f"{path}, line {n}: neg_ids must be a list, got {neg_ids!r}")
        positives = {d for d, score in dataset.qrels.get(query_id, {}).items() if score > 0}
        seen: set[str] = set()
        for value in neg_ids:
            doc_id = read_id(value, path, n, "neg_ids entry")
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
    path = existing_file(path)
    for n, row in read_jsonl(path):
        query_id = read_id(row.get("query_id"), path, n, "query_id")
        check_new(lines, query_id, path, n, "query_id")
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
