"""Encode a corpus into an index, search a split's queries, score a run: the pieces that the
``textls retrieval`` steps (:mod:`textls.retrieval.steps`), hard-negative mining and the compare
compare share.  It imports none of them, so they import it without a cycle."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from textls._utils import chunks
from textls.retrieval.data import corpus_fingerprint, load_beir, passage_text
from textls.retrieval.encoder import encode_function, load_encoder_and_tokenizer
from textls.retrieval.encoding import encode_corpus
from textls.retrieval.index import DenseIndex, build_index
from textls.retrieval.metrics import DEFAULT_MEASURES, check_coverage, check_documents, evaluate_run
from textls.retrieval.runs import load_run


def embed_all(encode, texts: list[str], batch_size: int = 256) -> np.ndarray:
    """``encode`` (:func:`~textls.retrieval.encoder.encode_function`) over ``texts``, a batch
    at a time."""
    return np.concatenate([encode(texts[c]) for c in chunks(len(texts), batch_size)])


def encoder_identity(model: str) -> str:
    return str(Path(model).resolve()) if Path(model).exists() else model


def build_corpus_index(
    model: str,
    data_dir: str,
    output_dir: str,
    kind: str = "flat",
    batch_size: int = 64,
    passage_max_length: int = 128,
    encoder=None,
    tokenizer=None,
    dataset=None,
) -> DenseIndex:
    """Encode the corpus and build, save and return a FAISS index (``dataset``: a
    :class:`~textls.retrieval.data.BeirDataset` of ``data_dir`` the caller has read already)."""
    if encoder is None:
        encoder, tokenizer = load_encoder_and_tokenizer(model)
    if dataset is None:
        dataset = load_beir(data_dir, None)
    doc_ids = list(dataset.corpus)
    texts = [passage_text(dataset.corpus[d]) for d in doc_ids]
    embeddings = encode_corpus(
        encode_function(encoder, tokenizer, "passage", passage_max_length),
        texts,
        doc_ids,
        batch_size=batch_size,
    )
    index = DenseIndex(
        build_index(embeddings, kind=kind),
        doc_ids,
        encoder=encoder_identity(model),
        kind=kind,
        normalize=encoder.settings["normalize"],
        corpus_fingerprint=corpus_fingerprint(dataset.corpus),
    )
    index.save(output_dir)
    return index


def search_queries(
    model: str,
    index: DenseIndex,
    data_dir: str,
    split: str,
    k: int = 100,
    query_max_length: int = 32,
    encoder=None,
    tokenizer=None,
    dataset=None,
) -> dict:
    """The run of ``split``'s queries over ``index`` (``dataset``: that split, when the caller
    has read it already)."""
    if encoder is None:
        encoder, tokenizer = load_encoder_and_tokenizer(model)
    if dataset is None:
        dataset = load_beir(data_dir, split)
    query_ids = list(dataset.queries)
    encode = encode_function(encoder, tokenizer, "query", query_max_length)
    embeddings = embed_all(encode, [dataset.queries[q] for q in query_ids])
    return index.search_run(query_ids, embeddings, k)


def evaluate_split(run: dict, data_dir: str, split: str, dataset=None) -> dict[str, float]:
    """Measures of an in-memory run on a split's qrels, after ``check_coverage`` (``dataset``:
    that split, when the caller has read it already)."""
    qrels = (dataset if dataset is not None else load_beir(data_dir, split)).qrels
    check_coverage(run, qrels, qrels_name=str(Path(data_dir) / "qrels" / f"{split}.tsv"))
    return evaluate_run(run, qrels)


def evaluate_run_file(
    run_path: str, data_dir: str, split: str, measures: Iterable[str] = DEFAULT_MEASURES
) -> tuple[dict[str, float], dict[str, int | str]]:
    """``(measures, queries)`` of a TREC run file on a BEIR split.

    The run is read by ``load_run`` (an empty run, a malformed line, a repeated pair or a
    non-finite score is a ``ValueError`` naming the file and line) before the corpus;
    ``queries`` is ``check_coverage``'s count of how the run covers the split's qrels.
    """
    run = load_run(run_path)
    dataset = load_beir(data_dir, split)
    qrels = dataset.qrels
    check_documents(
        run,
        dataset.corpus,
        run_name=str(run_path),
        corpus_name=str(Path(data_dir) / "corpus.jsonl"),
    )
    queries = check_coverage(
        run,
        qrels,
        run_name=str(run_path),
        qrels_name=str(Path(data_dir) / "qrels" / f"{split}.tsv"),
    )
    return evaluate_run(run, qrels, measures), queries
