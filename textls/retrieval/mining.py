"""Hard-negative mining: top-ranked passages that the qrels do not mark relevant."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from textls._utils import chunks
from textls.retrieval.soft_targets import bm25_vectors


def top_k_excluding(scores: np.ndarray, k: int, exclude: list[set[int]]) -> list[list[int]]:
    """Per row, the ``k`` highest-scoring columns not in ``exclude[row]``, best first."""
    depth = min(scores.shape[1], k + max((len(e) for e in exclude), default=0))
    part = (
        np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
        if depth < scores.shape[1]
        else np.tile(np.arange(scores.shape[1]), (len(scores), 1))
    )
    out = []
    for row, cols in enumerate(part):
        ranked = cols[np.lexsort((cols, -scores[row, cols]))]
        out.append([int(c) for c in ranked if int(c) not in exclude[row]][:k])
    return out


def mine_bm25(
    query_texts: list[str],
    passage_texts: list[str],
    positives: list[set[int]],
    k: int = 30,
    chunk_size: int = 1024,
) -> list[list[int]]:
    """BM25 (``k1=0.9, b=0.4``) top-``k`` non-positive passages for each query, in query order."""
    queries, passages = bm25_vectors(query_texts, passage_texts)
    passages_t = sp.csc_matrix(passages.T)
    out: list[list[int]] = []
    for part in chunks(len(query_texts), chunk_size):
        scores = (queries[part] @ passages_t).toarray()
        out.extend(top_k_excluding(scores, k, positives[part]))
    return out


def mine_dense(
    query_embeddings: np.ndarray, index, positives: list[set[int]], k: int = 30
) -> list[list[int]]:
    """Top-``k`` non-positive passage rows from a :class:`~textls.retrieval.index.DenseIndex` search."""
    depth = min(len(index), k + max((len(p) for p in positives), default=0))
    _, rows = index.search_rows(query_embeddings, depth)
    return [
        [int(r) for r in row if r >= 0 and int(r) not in positives[i]][:k]
        for i, row in enumerate(rows)
    ]
