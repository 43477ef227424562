"""Hard-negative mining: top-ranked passages that the qrels do not mark relevant."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from textls._utils import check_whole, chunks
from textls.retrieval.soft_targets import bm25_vectors

logger = logging.getLogger(__name__)


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


def mine_hard_negatives(
    data_dir: str,
    output: str,
    *,
    split: str = "train",
    retriever: str = "bm25",
    model: str | None = None,
    index_dir: str | None = None,
    k: int = 30,
) -> tuple[Path, list[int]]:
    """Mine each query's hard negatives from a BEIR folder; write them as JSONL.

    Parameters
    ----------
    data_dir : str
        The BEIR folder; the queries of ``qrels/<split>.tsv`` get negatives.
    output : str
        The JSONL file (``{"query_id": ..., "neg_ids": [...]}`` a line, in query order) that
        ``retrieval train --hard_negatives`` reads; written atomically, never over an input.
    split : str
        The qrels split; its relevant passages are never negatives.
    retriever : str
        ``bm25`` (:func:`mine_bm25`) or ``dense`` (``model`` through a FAISS index,
        :func:`mine_dense`).
    model : str, optional
        ``dense``: the encoder.
    index_dir : str, optional
        ``dense``: an index built with ``model`` (default: build one in a temporary folder).
    k : int
        Negatives per query, best ranked first (fewer where the corpus runs out).

    Returns
    -------
    tuple
        ``(path, negatives written for each query)``.
    """
    check_whole(k, "k")
    from textls.io import atomic_write
    from textls.retrieval.data import load_beir, passage_text

    refuse_writing_into_inputs(output, data_dir)
    if retriever not in ("bm25", "dense"):
        raise ValueError(f"--retriever must be bm25 or dense, got {retriever!r}")
    if retriever == "dense" and not model:
        raise ValueError("--retriever dense needs --model")
    dataset = load_beir(data_dir, split)
    doc_ids, query_ids = list(dataset.corpus), list(dataset.queries)
    doc_row = {d: i for i, d in enumerate(doc_ids)}
    positives = [{doc_row[d] for d, rel in dataset.qrels[q].items() if rel > 0} for q in query_ids]
    queries = [dataset.queries[q] for q in query_ids]
    if retriever == "bm25":
        passages = [passage_text(dataset.corpus[d]) for d in doc_ids]
        mined = mine_bm25(queries, passages, positives, k=k)
    else:
        mined = _mine_with_encoder(
            model, data_dir, dataset.corpus, index_dir, queries, positives, k
        )
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps({"query_id": q, "neg_ids": [doc_ids[r] for r in rows]}) + "\n"
        for q, rows in zip(query_ids, mined, strict=True)
    ]
    atomic_write(out, lambda f: f.writelines(lines), mode="w")
    logger.debug("wrote %s hard negatives for %d queries to %s", retriever, len(lines), out)
    return out, [len(rows) for rows in mined]


def _mine_with_encoder(
    model: str,
    data_dir: str,
    corpus: dict,
    index_dir: str | None,
    queries: list[str],
    positives,
    k: int,
) -> list[list[int]]:
    """:func:`mine_dense` with ``model``'s query embeddings, over ``index_dir`` (built from
    ``corpus``, the corpus of ``data_dir``) or a fresh index."""
    from textls.retrieval.encoder import encode_function, load_encoder_and_tokenizer
    from textls.retrieval.search import build_corpus_index
    from textls.retrieval.steps import load_index_for

    encoder, tokenizer = load_encoder_and_tokenizer(model)
    if index_dir:
        index = load_index_for(model, index_dir, encoder, data_dir, corpus)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            index = build_corpus_index(
                model, data_dir, os.path.join(tmp, "index"), encoder=encoder, tokenizer=tokenizer
            )
    embeddings = encode_function(encoder, tokenizer, "query", 32)(queries)
    return mine_dense(embeddings, index, positives, k=k)


def refuse_writing_into_inputs(output: str, data_dir: str) -> None:
    """Refuse an output that would replace one of a BEIR folder's files (corpus, queries, qrels)."""
    from textls.io import refuse_overwriting

    root = Path(data_dir)
    inputs = [*root.glob("corpus.jsonl*"), *root.glob("queries.jsonl*"), *root.glob("qrels/*")]
    refuse_overwriting(output, inputs)
