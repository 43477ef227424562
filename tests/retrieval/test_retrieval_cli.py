"""``textls retrieval`` commands call one library function each (issue 12): mining and the
embeddings folder's encoder record live in :mod:`textls.retrieval.mining` and
:mod:`textls.retrieval.steps`."""

from __future__ import annotations

import json

import pytest
from tiny_retrieval import PASSAGES, QUERIES

from textls.cli import main
from textls.retrieval.mining import mine_hard_negatives
from textls.retrieval.steps import ENCODER_RECORD, read_encoder_record


def jsonl(prefix: str, texts: list[str]) -> str:
    return "".join(
        json.dumps({"_id": f"{prefix}{i}", "text": t}) + "\n" for i, t in enumerate(texts)
    )


@pytest.fixture
def beir(tmp_path):
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(jsonl("d", PASSAGES))
    (folder / "queries.jsonl").write_text(jsonl("q", QUERIES))
    qrels = "".join(f"q{i}\td{i}\t1\n" for i in range(6))
    (folder / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\n" + qrels)
    return folder


@pytest.mark.parametrize(("k", "said"), [(3, "3"), (50, "up to 50")])
def test_mine_says_how_many_negatives_each_query_got(beir, tmp_path, capsys, k, said):
    out = tmp_path / "negs.jsonl"
    argv = ["retrieval", "mine", "--data_dir", str(beir), "--output", str(out), "--k", str(k)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert f"wrote {said} bm25 hard negatives per query for 6 queries to {out}" in printed


def test_mine_returns_what_it_wrote(beir, tmp_path):
    path, counts = mine_hard_negatives(str(beir), str(tmp_path / "negs.jsonl"), k=2)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert counts == [len(row["neg_ids"]) for row in rows] == [2] * 6


def test_mine_refuses_an_unknown_retriever_and_dense_without_a_model(beir, tmp_path):
    with pytest.raises(ValueError, match="--retriever must be bm25 or dense, got 'bm42'"):
        mine_hard_negatives(str(beir), str(tmp_path / "n.jsonl"), retriever="bm42")
    with pytest.raises(ValueError, match="--retriever dense needs --model"):
        mine_hard_negatives(str(beir), str(tmp_path / "n.jsonl"), retriever="dense")


def test_index_names_a_folder_without_an_encoder_record(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match=ENCODER_RECORD):
        read_encoder_record(tmp_path)
    argv = [
        "retrieval",
        "index",
        "--embeddings_dir",
        str(tmp_path),
        "--output_dir",
        str(tmp_path / "i"),
    ]
    assert main(argv) == 1
    assert f"{tmp_path}: no {ENCODER_RECORD}" in capsys.readouterr().err
