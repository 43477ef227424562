"""Exports read by sentence-transformers, Tevatron and FlagEmbedding."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.special import softmax as scipy_softmax

from textls.cache import CacheError, build_cache, export_cache, load_cache


@pytest.fixture
def cache(tmp_path, data_csv):
    build_cache(data_csv, tmp_path / "cache", num_shards=2)
    return load_cache(tmp_path / "cache")


def _softmax(x):
    return scipy_softmax(np.asarray(x, dtype=np.float64), axis=1)


def test_sentence_transformers_label_column_gives_back_the_soft_labels(
    tmp_path, cache, data_csv, corpus
):
    from datasets import Dataset
    from sentence_transformers.sentence_transformer.losses import DistillKLDivLoss

    path = export_cache(cache, data_csv, tmp_path / "st.parquet", format="sentence-transformers")
    ds = Dataset.from_parquet(str(path))
    assert ds.column_names == ["query", "positive", "negative_1", "negative_2", "label"]
    texts, labels = corpus
    assert ds["query"] == texts and ds["positive"] == labels
    label = np.asarray(ds["label"], dtype=np.float64)
    soft = np.asarray(cache.soft_labels, dtype=np.float64)
    gold = np.asarray(cache.labels)
    # the listed candidates: the gold class, then the others by decreasing soft label
    names = cache.classes
    order = [
        [names.index(c) for c in (row["positive"], row["negative_1"], row["negative_2"])]
        for row in ds
    ]
    np.testing.assert_allclose(
        _softmax(label), np.take_along_axis(soft, np.array(order), axis=1), atol=1e-6
    )
    assert (np.array(order)[:, 0] == gold).all()
    # DistillKLDivLoss takes the teacher target as softmax(label / T): with T = 1 it is the soft label
    loss = DistillKLDivLoss(model=None, temperature=1.0)
    embeddings = [torch.randn(len(ds), 8) for _ in range(4)]
    value = loss.compute_loss_from_embeddings(embeddings, torch.tensor(label, dtype=torch.float32))
    assert torch.isfinite(value)


def test_tevatron_passages_carry_scores(tmp_path, cache, data_csv, corpus):
    names = {"sport": "sports news", "politics": "politics news", "tech": "technology news"}
    path = export_cache(
        cache,
        data_csv,
        tmp_path / "tev.jsonl",
        format="tevatron",
        scores="prob",
        max_negatives=1,
        class_texts=names,
    )
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    texts, labels = corpus
    assert len(rows) == len(texts)
    first = rows[0]
    assert set(first) == {"query_id", "query", "positive_passages", "negative_passages"}
    assert first["query_id"] == "0" and first["query"] == texts[0]
    (pos,) = first["positive_passages"]
    assert pos["docid"] == labels[0] and pos["text"] == names[labels[0]]
    assert set(pos) == {"docid", "title", "text", "score"} and len(first["negative_passages"]) == 1
    soft = np.asarray(cache.soft_labels)
    k = cache.classes.index(labels[0])
    assert pos["score"] == pytest.approx(float(soft[0, k]))
    assert first["negative_passages"][0]["score"] == pytest.approx(
        float(np.delete(soft[0], k).max())
    )


def test_flagembedding_pos_and_neg_scores(tmp_path, cache, data_csv):
    path = export_cache(cache, data_csv, tmp_path / "fe.jsonl", format="flagembedding")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert set(rows[0]) == {"query", "pos", "neg", "pos_scores", "neg_scores"}
    assert all(
        len(r["pos"]) == len(r["pos_scores"]) == 1 and len(r["neg"]) == len(r["neg_scores"]) == 2
        for r in rows
    )
    scores = np.array([r["pos_scores"] + r["neg_scores"] for r in rows])
    np.testing.assert_allclose(_softmax(scores).sum(axis=1), 1.0)
    assert (scores[:, 0] >= scores[:, 1]).mean() > 0.5  # the gold class usually leads


def test_a_corpus_file_names_the_candidates_of_a_top_k_cache(tmp_path, data_csv):
    build_cache(data_csv, tmp_path / "topk", layout="topk", top_k=2)
    corpus = pd.DataFrame(
        {"id": ["politics", "sport", "tech"], "title": ["P", "S", "T"], "text": ["p", "s", "t"]}
    )
    corpus.to_json(tmp_path / "corpus.jsonl", orient="records", lines=True)
    path = export_cache(
        tmp_path / "topk",
        data_csv,
        tmp_path / "t.jsonl",
        format="tevatron",
        class_texts=tmp_path / "corpus.jsonl",
    )
    row = json.loads(path.read_text().splitlines()[0])
    assert len(row["negative_passages"]) == 1
    assert row["positive_passages"][0]["title"] in {"P", "S", "T"}


def test_export_refuses_other_data_and_writes_nothing(tmp_path, cache, corpus):
    texts, labels = corpus
    other = tmp_path / "other.csv"
    pd.DataFrame({"text": texts[::-1], "label": labels[::-1]}).to_csv(other, index=False)
    with pytest.raises(CacheError, match="built for other data.*nothing was exported"):
        export_cache(cache, other, tmp_path / "x.jsonl", format="flagembedding")
    assert not (tmp_path / "x.jsonl").exists()
    assert not list(tmp_path.glob(".x.jsonl*"))


def test_export_checks_its_options(tmp_path, cache, data_csv):
    with pytest.raises(ValueError, match="format must be one of"):
        export_cache(cache, data_csv, tmp_path / "x.jsonl", format="nope")
    with pytest.raises(ValueError, match="write .jsonl or .parquet"):
        export_cache(cache, data_csv, tmp_path / "x.csv", format="tevatron")
    with pytest.raises(KeyError, match="no text for class"):
        export_cache(
            cache, data_csv, tmp_path / "x.jsonl", format="tevatron", class_texts={"sport": "s"}
        )
