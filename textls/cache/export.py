r"""Export a cache's soft labels in the training formats of peer libraries.

Every row becomes a query (the text) with candidates: its gold class first (the "positive"), then
the other classes by decreasing soft label (the "negatives"; all of them for a dense cache, the
stored top-k for a top-k cache, at most ``max_negatives``).  A candidate's text is the class name,
or ``class_texts[class]``; for retrieval, classes are passage ids and ``class_texts`` is the corpus.

Scores are ``log p`` by default (``scores="log-prob"``): the peers' distillation losses take a
softmax of the teacher scores over the listed candidates, and :math:`\mathrm{softmax}_j(\log p_j)`
is the soft label renormalised over those candidates, exactly (a zero probability is floored at
float32's smallest normal number, so files stay finite JSON).  ``scores="prob"`` writes ``p``.

* ``sentence-transformers``: columns ``query``, ``positive``, ``negative_1`` ... ``negative_m`` and
  ``label`` (a list of ``1 + m`` floats): the layout ``DistillKLDivLoss`` reads (teacher scores of
  (query, positive), (query, negative_i)); use it with ``temperature=1``.
* ``tevatron``: ``query_id``, ``query``, ``positive_passages`` and ``negative_passages`` as lists of
  ``{"docid", "title", "text", "score"}``.
* ``flagembedding``: ``query``, ``pos``, ``neg``, ``pos_scores``, ``neg_scores`` (FlagEmbedding's
  retrieval fine-tuning files with teacher scores for distillation).

Output is JSON Lines (``.jsonl``) or Parquet (``.parquet``), written to a temporary name and renamed
only after the data was checked against the cache's fingerprint (never over the input itself).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from textls.cache.fingerprint import Fingerprinter
from textls.cache.load import SoftLabelCache, load_cache
from textls.cache.manifest import CacheError, storage_error
from textls.cache.source import iter_batches
from textls.errors import MissingKeyError
from textls.io import atomic_path

EXPORT_FORMATS = ("sentence-transformers", "tevatron", "flagembedding")
SCORES = ("log-prob", "prob")
_FLOOR = float(np.finfo(np.float32).tiny)


def export_cache(
    cache: SoftLabelCache | str | os.PathLike,
    input: str | os.PathLike,
    output: str | os.PathLike,
    *,
    format: str,
    text_column: str | None = None,
    label_column: str | None = None,
    split: str | None = None,
    class_texts: dict | str | os.PathLike | None = None,
    scores: str = "log-prob",
    max_negatives: int | None = None,
) -> Path:
    """Write the cache's soft labels with the texts of ``input`` (the data it was built from).

    Returns the output path.  Raises :class:`~textls.cache.CacheError` if ``input`` is not the
    cache's data (nothing is written then).
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {EXPORT_FORMATS}, got {format!r}")
    if scores not in SCORES:
        raise ValueError(f"scores must be one of {SCORES}, got {scores!r}")
    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in (".jsonl", ".parquet"):
        raise ValueError(f"{output}: write .jsonl or .parquet")
    if output.resolve() == Path(input).resolve():
        raise ValueError(f"the output {output} is the input {input}; write the export elsewhere")
    if not isinstance(cache, SoftLabelCache):
        cache = load_cache(cache)
    names = _class_texts(cache.classes, class_texts)
    data = cache.manifest["data"]
    spec = cache.input_spec(input, text_column, label_column, split)
    m = _negatives(cache, max_negatives)
    ids = cache.table.column("id").to_pylist()
    output.parent.mkdir(parents=True, exist_ok=True)
    fp, start, writer = Fingerprinter(), 0, None
    try:
        with atomic_path(output) as tmp:
            jsonl = suffix == ".jsonl"
            with open(tmp, "w", encoding="utf-8") if jsonl else contextlib.nullcontext() as lines:
                for batch in iter_batches(spec):
                    n = len(batch)
                    if start + n > len(cache):
                        raise CacheError(f"{input} has more rows than the cache ({len(cache)})")
                    fp.update(batch.column("text"), batch.column("label"))
                    candidates, probs = _candidates(cache, start, start + n, m)
                    values = np.log(np.maximum(probs, _FLOOR)) if scores == "log-prob" else probs
                    records = _records(
                        format,
                        batch.column("text").to_pylist(),
                        ids[start : start + n],
                        candidates,
                        values,
                        cache.classes,
                        names,
                    )
                    if lines is not None:
                        lines.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
                    else:
                        table = pa.Table.from_pylist(records)
                        if writer is None:
                            writer = pq.ParquetWriter(tmp, table.schema)
                        writer.write_table(table)
                    start += n
            if writer is not None:
                writer.close()
                writer = None
            if fp.hexdigest() != data["fingerprint"]:
                raise CacheError(
                    f"{cache.path} was built for other data: {input} has the fingerprint "
                    f"{fp.hexdigest()[:23]}... over {fp.num_rows} rows, the cache "
                    f"{data['fingerprint'][:23]}... over {data['num_rows']} rows; nothing was exported"
                )
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise storage_error(exc, output) from exc
    finally:
        if writer is not None:
            writer.close()
    return output


def _negatives(cache: SoftLabelCache, max_negatives: int | None) -> int:
    c = len(cache.classes)
    m = c - 1 if cache.layout == "dense" else min(cache.manifest["top_k"], c) - 1
    if max_negatives is not None:
        if max_negatives < 1:
            raise ValueError(f"max_negatives must be at least 1, got {max_negatives}")
        m = min(m, max_negatives)
    if m < 1:
        raise ValueError(
            "a top-k cache with top_k=1 has no negatives to export; build with top_k >= 2"
        )
    return m


def _candidates(
    cache: SoftLabelCache, start: int, stop: int, m: int
) -> tuple[np.ndarray, np.ndarray]:
    """Class indices ``(n, 1 + m)`` (gold first) and their probabilities."""
    gold = cache.labels[start:stop].astype(np.int64)
    rows = np.arange(len(gold))
    if cache.layout == "dense":
        p = np.asarray(cache.soft_labels[start:stop], dtype=np.float64)
        others = p.copy()
        others[rows, gold] = -np.inf
        negatives = np.argsort(-others, axis=1, kind="stable")[:, :m]
        candidates = np.concatenate([gold[:, None], negatives], axis=1)
        return candidates, np.take_along_axis(p, candidates, axis=1)
    idx = cache.topk_indices[start:stop].astype(np.int64)
    val = cache.topk_values[start:stop].astype(np.float64)
    is_gold = idx == gold[:, None]
    gold_p = np.where(is_gold.any(axis=1), (val * is_gold).sum(axis=1), 0.0)
    # the non-gold entries keep their stored (descending) order; take the first m of each row
    order = np.argsort(is_gold, axis=1, kind="stable")[:, :m]
    candidates = np.concatenate([gold[:, None], np.take_along_axis(idx, order, axis=1)], axis=1)
    probs = np.concatenate([gold_p[:, None], np.take_along_axis(val, order, axis=1)], axis=1)
    return candidates, probs


def _records(format, texts, ids, candidates, values, classes, names) -> list[dict]:
    out = []
    for text, id_, cand, score in zip(
        texts, ids, candidates.tolist(), values.tolist(), strict=True
    ):
        if format == "sentence-transformers":
            record = {"query": text, "positive": names[cand[0]][1]}
            for j, k in enumerate(cand[1:], start=1):
                record[f"negative_{j}"] = names[k][1]
            record["label"] = score
        elif format == "tevatron":
            passages = [
                {"docid": str(classes[k]), "title": names[k][0], "text": names[k][1], "score": s}
                for k, s in zip(cand, score, strict=True)
            ]
            record = {
                "query_id": str(id_),
                "query": text,
                "positive_passages": passages[:1],
                "negative_passages": passages[1:],
            }
        else:
            record = {
                "query": text,
                "pos": [names[cand[0]][1]],
                "neg": [names[k][1] for k in cand[1:]],
                "pos_scores": score[:1],
                "neg_scores": score[1:],
            }
        out.append(record)
    return out


def _class_texts(classes: list, class_texts) -> list[tuple[str, str]]:
    """``(title, text)`` of each class: its name, or the text a mapping or a corpus file gives it."""
    if class_texts is None:
        return [("", str(c)) for c in classes]
    titles = {}
    if not isinstance(class_texts, dict):
        path = Path(class_texts)
        if path.suffix.lower() == ".json":
            with open(path, encoding="utf-8") as f:
                class_texts = json.load(f)
        else:
            from textls.io import read_table

            frame = read_table(path)
            for column in ("id", "text"):
                if column not in frame.columns:
                    raise MissingKeyError(
                        f"{path}: no column {column!r}; a corpus needs id and text"
                    )
            keys = frame["id"].astype(str).tolist()
            if "title" in frame.columns:
                titles = dict(zip(keys, frame["title"].fillna("").astype(str), strict=True))
            class_texts = dict(zip(keys, frame["text"].astype(str), strict=True))
    lookup = {str(k): v for k, v in class_texts.items()}
    missing = [c for c in classes if str(c) not in lookup]
    if missing:
        raise MissingKeyError(f"class_texts has no text for class(es) {missing[:5]}")
    return [(titles.get(str(c), ""), str(lookup[str(c)])) for c in classes]
