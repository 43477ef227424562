"""The retrieval steps on folders, one function each: what ``textls retrieval encode | index |
search | evaluate`` run (``mine`` is :func:`textls.retrieval.mining.mine_hard_negatives`).

An embeddings folder (:func:`encode_corpus_folder`) holds the shards of
:func:`~textls.retrieval.encoding.encode_corpus` and ``encoder.json``, the record of the corpus,
encoder and settings that made them (:func:`encoder_record`, :func:`read_encoder_record`): a
resumed encode reuses shards only of the same record, and an index built from the folder carries
that encoder and corpus, so a search with another one is refused.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from textls.io import atomic_write
from textls.retrieval.encoding import RECORD_NAME, read_json_record

logger = logging.getLogger(__name__)

#: The file of an embeddings folder naming the corpus, encoder and settings of its shards.
ENCODER_RECORD = RECORD_NAME


def encode_corpus_folder(
    model: str,
    data_dir: str,
    output_dir: str,
    *,
    batch_size: int = 64,
    shard_size: int = 100_000,
    passage_max_length: int = 128,
) -> int:
    """Encode a BEIR corpus into an embeddings folder; return the number of passages.

    Parameters
    ----------
    model : str
        A saved textls encoder, ``minilm`` or a Hugging Face folder
        (:func:`~textls.retrieval.encoder.load_encoder_and_tokenizer`).
    data_dir : str
        A BEIR folder; its ``corpus.jsonl`` is encoded (title and text, :func:`passage_text`).
    output_dir : str
        The embeddings folder: ``encoder.json`` and the shards (``shard-*.npy`` and their ids).
        A re-run of the same corpus, encoder and settings keeps the finished shards; a folder of
        another run is refused, naming what differs.
    batch_size, shard_size, passage_max_length : int
        Passages per forward pass, per shard, and tokens per passage.
    """
    from textls.retrieval.data import load_beir, passage_text
    from textls.retrieval.encoder import encode_function, load_encoder_and_tokenizer
    from textls.retrieval.encoding import encode_corpus

    encoder, tokenizer = load_encoder_and_tokenizer(model)
    dataset = load_beir(data_dir, None)
    ids = list(dataset.corpus)
    encode_corpus(
        encode_function(encoder, tokenizer, "passage", passage_max_length),
        [passage_text(dataset.corpus[d]) for d in ids],
        ids,
        batch_size=batch_size,
        shard_size=shard_size,
        out_dir=output_dir,
        record=encoder_record(model, encoder, passage_max_length),
    )
    logger.info("encoded %d passages into %s", len(ids), output_dir)
    return len(ids)


def encoder_record(model: str, encoder, passage_max_length: int) -> dict:
    """What makes the passage vectors of ``encoder`` (loaded from ``model``), for
    ``encoder.json``: its identity (:func:`~textls.retrieval.search.encoder_identity`), the
    fingerprint of its passage tower's weights (so a model retrained in the same folder is another
    encoder), its dimension, pooling and normalisation, and the passage length. The folder's
    ``corpus_fingerprint`` is added by :func:`~textls.retrieval.encoding.encode_corpus`."""
    from textls.retrieval.encoder import weights_fingerprint
    from textls.retrieval.search import encoder_identity

    return {
        "encoder": encoder_identity(model),
        "weights": weights_fingerprint(encoder.passage_model),
        "dim": encoder.dim,
        "pooling": encoder.settings["pooling"],
        "normalize": encoder.settings["normalize"],
        "passage_max_length": passage_max_length,
    }


def read_encoder_record(embeddings_dir: str | Path) -> dict:
    """The ``encoder.json`` of an embeddings folder; a ``FileNotFoundError`` naming it if absent."""
    path = Path(embeddings_dir) / ENCODER_RECORD
    if not path.is_file():
        raise FileNotFoundError(
            f"{embeddings_dir}: no {ENCODER_RECORD}; not an embeddings folder written by "
            "`textls retrieval encode`"
        )
    record = read_json_record(path, "the record of an embeddings folder")
    missing = [key for key in ("encoder", "normalize") if key not in record]
    if missing:
        raise ValueError(f"{path} lacks {missing}")
    fingerprint = record.get("corpus_fingerprint")
    if (
        not isinstance(record["encoder"], str)
        or not isinstance(record["normalize"], bool)
        or not (fingerprint is None or isinstance(fingerprint, str))
    ):
        raise ValueError(
            f"{path}: encoder must be a string, normalize true or false and corpus_fingerprint "
            f"a string, got {record['encoder']!r}, {record['normalize']!r}, {fingerprint!r}"
        )
    return record


def index_corpus(
    output_dir: str,
    *,
    kind: str = "flat",
    embeddings_dir: str | None = None,
    data_dir: str | None = None,
    model: str | None = None,
):
    """Build and save a FAISS index of an embeddings folder, or of a BEIR corpus encoded now.

    Parameters
    ----------
    output_dir : str
        Where the index and its ``meta.json`` go.
    kind : str
        ``flat`` (exact inner product), ``ivf``, ``hnsw`` or ``ivfpq``.
    embeddings_dir : str, optional
        An embeddings folder (:func:`encode_corpus_folder`); its encoder record names the index's
        encoder.
    data_dir, model : str, optional
        Without ``embeddings_dir``: the BEIR folder to encode with ``model``.

    Returns
    -------
    DenseIndex
    """
    from textls.retrieval.encoding import load_shards
    from textls.retrieval.index import DenseIndex, build_index
    from textls.retrieval.search import build_corpus_index

    if embeddings_dir:
        record = read_encoder_record(embeddings_dir)
        embeddings, ids = load_shards(embeddings_dir)
        index = DenseIndex(
            build_index(embeddings, kind=kind),
            ids,
            encoder=record["encoder"],
            kind=kind,
            normalize=record["normalize"],
            corpus_fingerprint=record.get("corpus_fingerprint"),
        )
        index.save(output_dir)
    elif data_dir and model:
        index = build_corpus_index(model, data_dir, output_dir, kind=kind)
    else:
        raise ValueError("give --embeddings_dir, or --data_dir and --model")
    logger.info("indexed %d passages (%s) into %s", len(index), kind, output_dir)
    return index


def load_index_for(model: str, index_dir: str, encoder, data_dir: str, corpus: dict):
    """The index in ``index_dir``, refused unless ``model`` (loaded as ``encoder``) built it from
    ``corpus`` (the corpus of the BEIR folder ``data_dir``)."""
    from textls.retrieval.data import corpus_fingerprint
    from textls.retrieval.index import DenseIndex
    from textls.retrieval.search import encoder_identity

    index = DenseIndex.load(
        index_dir, expected_dim=encoder.dim, expected_encoder=encoder_identity(model)
    )
    index.check_corpus(corpus_fingerprint(corpus), str(index_dir), f"{data_dir}/corpus.jsonl")
    return index


def search_split(
    model: str, index_dir: str, data_dir: str, output_dir: str, *, split: str = "test", k: int = 100
) -> tuple[Path, int]:
    """Search a split's queries with ``model`` and write ``output_dir/run.<split>.trec``.

    Parameters
    ----------
    model : str
        The encoder the index was built with (another one is refused: re-index).
    index_dir : str
        A folder written by :func:`index_corpus`.
    data_dir, split : str
        The BEIR folder; the queries of ``qrels/<split>.tsv`` are searched.
    output_dir : str
        Where the run goes; tagged with the model's folder name.
    k : int
        Passages retrieved per query.

    Returns
    -------
    tuple
        ``(path, number of queries)``.
    """
    from textls.retrieval.data import load_beir
    from textls.retrieval.encoder import load_encoder_and_tokenizer
    from textls.retrieval.runs import write_run
    from textls.retrieval.search import search_queries

    encoder, tokenizer = load_encoder_and_tokenizer(model)
    dataset = load_beir(data_dir, split)  # read once: the corpus for the check, the queries
    index = load_index_for(model, index_dir, encoder, data_dir, dataset.corpus)
    run = search_queries(
        model, index, data_dir, split, k=k, encoder=encoder, tokenizer=tokenizer, dataset=dataset
    )
    path = Path(output_dir) / f"run.{split}.trec"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_run(run, path, tag=Path(model).name or "textls")
    logger.debug("wrote %d queries x %d to %s", len(run), k, path)
    return path, len(run)


def evaluate_run_to_folder(
    run: str, data_dir: str, output_dir: str, *, split: str = "test"
) -> tuple[dict[str, float], dict]:
    """Evaluate a TREC run on a BEIR split; write ``output_dir/metrics.json``.

    Returns
    -------
    tuple
        ``(measures, queries)`` of :func:`~textls.retrieval.search.evaluate_run_file`;
        ``metrics.json`` holds the measures and, under ``"queries"``, how the run covers the qrels.
    """
    from textls.retrieval.search import evaluate_run_file

    metrics, queries = evaluate_run_file(run, data_dir, split)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps({**metrics, "queries": queries}, indent=2) + "\n"
    atomic_write(out / "metrics.json", lambda f: f.write(text), mode="w")
    return metrics, queries
