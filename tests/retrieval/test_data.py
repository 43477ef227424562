from __future__ import annotations

import json
from pathlib import Path

import ir_measures
import numpy as np
import pytest

from textls.retrieval.data import (
    load_beir,
    load_corpus,
    load_qrels,
    load_queries,
    passage_text,
)
from textls.retrieval.runs import load_run, write_run
from textls.retrieval.side_files import load_hard_negatives, load_teacher_scores

DATA = Path(__file__).resolve().parents[2] / "data"

CORPUS = [
    {"_id": "d1", "title": "Paris", "text": "Paris is the capital of France."},
    {"_id": "d2", "title": "", "text": "Berlin is the capital of Germany."},
    {"_id": "d3", "text": "Madrid is the capital of Spain."},
    {"_id": 4, "title": None, "text": "Rome is the capital of Italy."},
]
QUERIES = [
    {"_id": "q1", "text": "capital of France"},
    {"_id": "q2", "text": "capital of Germany"},
    {"_id": "q3", "text": "capital of Spain"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\nq2\td1\t0\n"


def write_jsonl(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def assert_load_fails(load, path: Path, text: str, message: str) -> None:
    """Write ``text`` to ``path``: ``load(path)`` must raise a ValueError matching ``message``."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load(path)


@pytest.fixture
def beir(tmp_path) -> Path:
    write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    write_jsonl(tmp_path / "queries.jsonl", QUERIES)
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "test.tsv").write_text(QRELS, encoding="utf-8")
    return tmp_path


def test_load_beir(beir):
    data = load_beir(beir, "test")
    assert data.doc_ids == ["d1", "d2", "d3", "4"]  # a JSON integer id becomes its string
    assert data.corpus["d3"] == {"title": "", "text": "Madrid is the capital of Spain."}
    assert data.query_ids == ["q1", "q2"]  # q3 has no qrels in this split
    assert data.qrels == {"q1": {"d1": 1}, "q2": {"d2": 2, "d1": 0}}
    assert data.positives("q2") == ["d2"]
    assert data.passages()[:2] == [
        "Paris Paris is the capital of France.",
        "Berlin is the capital of Germany.",
    ]
    assert "corpus=4" in repr(data)


def test_load_beir_without_split_reads_corpus_and_all_queries(beir):
    data = load_beir(beir, None)
    assert data.query_ids == ["q1", "q2", "q3"] and data.qrels == {} and len(data.corpus) == 4
    assert data.split is None


def test_passage_text():
    assert passage_text({"title": "T", "text": "body"}) == "T body"
    assert passage_text({"title": "  ", "text": "body"}) == "body"
    assert passage_text({"text": "body"}) == "body"


def test_crlf_bom_gzip_and_blank_lines(tmp_path):
    import gzip

    path = tmp_path / "queries.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8-sig", newline="") as f:
        f.write('{"_id": "q1", "text": "a"}\r\n\r\n{"_id": "q2", "text": "b"}\r\n')
    assert load_queries(path) == {"q1": "a", "q2": "b"}
    qrels = tmp_path / "q.tsv"
    qrels.write_bytes("\ufeffquery-id\tcorpus-id\tscore\r\nq1\td1\t1\r\n\r\n".encode())
    assert load_qrels(qrels) == {"q1": {"d1": 1}}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"_id": "d1", "text": "a"}, {"_id": "d1", "text": "b"}], "line 2: duplicate _id 'd1'"),
        ([{"_id": "d1", "text": "  "}], "line 1: 'text' of 'd1' is empty"),
        ([{"_id": "d1"}], "line 1: 'text' of 'd1' is missing"),
        ([{"_id": "d1", "text": 3}], "line 1: 'text' of 'd1' is 3, not text"),
        ([{"_id": "d1", "text": "a", "title": 7}], "'title' of 'd1' is 7"),
        ([{"text": "a"}], "line 1: _id must be a string, got None"),
        ([{"_id": "", "text": "a"}], "line 1: _id is empty"),
        ([["d1", "a"]], "line 1: expected a JSON object"),
    ],
)
def test_corpus_errors_name_line_and_value(tmp_path, rows, message):
    path = write_jsonl(tmp_path / "corpus.jsonl", rows)
    with pytest.raises(ValueError, match=message) as info:
        load_corpus(path)
    assert str(path) in str(info.value)


def test_bad_json_and_empty_files(tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text('{"_id": "q1", "text": "a"}\n{"_id": "q2", "text": \n')
    with pytest.raises(ValueError, match=r"queries.jsonl, line 2: not valid JSON"):
        load_queries(path)
    path.write_text("\n\n")
    with pytest.raises(ValueError, match="has no rows"):
        load_queries(path)
    path.write_bytes(b'{"_id": "q1", "text": "\xff"}\n')
    with pytest.raises(ValueError, match="line 1: not valid UTF-8"):
        load_queries(path)
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        load_corpus(tmp_path / "nope.jsonl")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("qid\tdocid\tscore\nq1\td1\t1\n", "line 1: expected the header"),
        ("query-id corpus-id score\nq1 d1 1\n", "line 1: expected the header"),
        ("query-id\tcorpus-id\tscore\nq1\td1\t1.5\n", "line 2: score '1.5' is not an integer"),
        ("query-id\tcorpus-id\tscore\nq1\td1\tyes\n", "line 2: score 'yes' is not an integer"),
        ("query-id\tcorpus-id\tscore\nq1\td1\n", "line 2: expected 3 tab-separated fields, got 2"),
        (
            "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td1\t0\n",
            r"line 3: duplicate qrel \('q1', 'd1'\) \(first on line 2\)",
        ),
        ("query-id\tcorpus-id\tscore\n", "has a header but no rows"),
        ("", "is empty"),
    ],
)
def test_qrels_errors(tmp_path, text, message):
    assert_load_fails(load_qrels, tmp_path / "test.tsv", text, message)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("q9\td1\t1\n", r"test.tsv, line 5: query-id 'q9' is not in queries.jsonl"),
        ("q1\td9\t1\n", r"test.tsv, line 5: corpus-id 'd9' is not in corpus.jsonl"),
        ("q3\td3\t0\n", r"test.tsv, line 5: query 'q3' has no relevant passage"),
    ],
)
def test_beir_cross_checks(beir, line, message):
    with open(beir / "qrels" / "test.tsv", "a", encoding="utf-8") as f:
        f.write(line)
    with pytest.raises(ValueError, match=message):
        load_beir(beir, "test")


def test_beir_missing_split_lists_splits(beir):
    with pytest.raises(FileNotFoundError, match=r"dev.tsv: no such file; splits .*\['test'\]"):
        load_beir(beir, "dev")
    (beir / "corpus.jsonl").unlink()
    with pytest.raises(FileNotFoundError, match="no corpus.jsonl"):
        load_beir(beir, "test")


def test_hard_negatives(beir, tmp_path):
    data = load_beir(beir, "test")
    path = write_jsonl(
        tmp_path / "negs.jsonl",
        [{"query_id": "q1", "neg_ids": ["d3", 4]}, {"query_id": "q2", "neg_ids": ["d1"]}],
    )
    # d1 is judged 0 for q2: a judged non-relevant passage is a fine negative.
    assert load_hard_negatives(path, data) == {"q1": ["d3", "4"], "q2": ["d1"]}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"query_id": "q3", "neg_ids": []}], "line 1: query_id 'q3' is not a query of the 'test'"),
        (
            [{"query_id": "q1", "neg_ids": ["d9"]}],
            "line 1: neg_ids entry 'd9' is not in the corpus",
        ),
        ([{"query_id": "q1", "neg_ids": ["d1"]}], "line 1: 'd1' is a positive of 'q1'"),
        ([{"query_id": "q1", "neg_ids": ["d2", "d2"]}], "line 1: 'd2' appears twice"),
        ([{"query_id": "q1", "neg_ids": "d2"}], "line 1: neg_ids must be a list"),
        (
            [{"query_id": "q1", "neg_ids": []}, {"query_id": "q1", "neg_ids": []}],
            "line 2: duplicate query_id 'q1' \\(first on line 1\\)",
        ),
    ],
)
def test_hard_negative_errors(beir, tmp_path, rows, message):
    data = load_beir(beir, "test")
    path = write_jsonl(tmp_path / "negs.jsonl", rows)
    with pytest.raises(ValueError, match=message):
        load_hard_negatives(path, data)


def test_teacher_scores(tmp_path):
    path = write_jsonl(
        tmp_path / "teacher.jsonl",
        [
            {"query_id": "q2", "scores": {"d3": 0.5, "d1": 0.0}},
            {"query_id": "q9", "scores": {"d1": 1.0}},  # another split's query: skipped
            {"query_id": "q1", "scores": {"d2": -3}},
        ],
    )
    m = load_teacher_scores(path, ["q1", "q2", "q3"], ["d1", "d2", "d3"])
    assert m.shape == (3, 3)
    assert m.dtype == np.float64
    np.testing.assert_array_equal(m.toarray(), [[0, -3, 0], [0, 0, 0.5], [0, 0, 0]])
    assert m.nnz == 3  # the explicit 0.0 of (q2, d1) is a stored score, not a missing one
    assert m[1, 0] == 0.0 and 0 in m.indices[m.indptr[1] : m.indptr[2]]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"query_id": "q1", "scores": {"d1": float("nan")}}], "line 1: score of .* is nan"),
        ([{"query_id": "q1", "scores": {"d1": float("inf")}}], "line 1: score of .* is inf"),
        ([{"query_id": "q1", "scores": {"d1": "high"}}], "line 1: score of .* is 'high'"),
        ([{"query_id": "q1", "scores": {"d1": True}}], "line 1: score of .* is True"),
        ([{"query_id": "q1", "scores": {"d9": 1.0}}], "line 1: doc id 'd9' is not in the corpus"),
        ([{"query_id": "q1", "scores": [1.0]}], "line 1: scores must be an object"),
        ([{"query_id": "q9", "scores": {"d1": 1.0}}], "none of its 1 query ids"),
    ],
)
def test_teacher_score_errors(tmp_path, rows, message):
    # json.dumps writes NaN/Infinity, which json.loads reads back: the check must catch them.
    assert_load_fails(
        lambda path: load_teacher_scores(path, ["q1"], ["d1"]),
        tmp_path / "teacher.jsonl",
        "".join(json.dumps(r) + "\n" for r in rows),
        message,
    )


def test_write_run_round_trips_through_ir_measures(tmp_path):
    run = {
        "q1": {"b": 0.5, "a": 0.5, "c": 0.9, "d": -1.25},
        "q2": {"x": 1 / 3, "y": np.float32(0.1)},
    }
    path = write_run(run, tmp_path / "out" / "run.trec", tag="dense")
    lines = path.read_text().splitlines()
    assert lines[:4] == [
        "q1 Q0 c 1 0.9 dense",
        "q1 Q0 a 2 0.5 dense",  # tie: ascending doc id
        "q1 Q0 b 3 0.5 dense",
        "q1 Q0 d 4 -1.25 dense",
    ]
    back = {}
    for doc in ir_measures.read_trec_run(str(path)):
        back.setdefault(doc.query_id, {})[doc.doc_id] = doc.score
    assert back == {q: {d: float(s) for d, s in docs.items()} for q, docs in run.items()}
    assert load_run(path) == back
    assert not list(path.parent.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("q1 Q0 d1 1 0.5 t\nq1 Q0 d1 2 0.4 t\n", r"line 2: duplicate \(query, doc\) pair"),
        ("q1 Q0 d1 1 0.5\n", "line 1: expected 6 whitespace-separated fields"),
        ("q1 Q0 d1 1 nan t\n", "line 1: score 'nan' is not a finite number"),
        ("q1 Q0 d1 x 0.5 t\n", "line 1: rank 'x' is not an integer"),
        ("\n", "has no rows"),
    ],
)
def test_run_errors(tmp_path, text, message):
    assert_load_fails(load_run, tmp_path / "run.trec", text, message)


@pytest.mark.parametrize(
    ("run", "tag", "message"),
    [
        ({"q 1": {"d": 1.0}}, "t", "query id 'q 1'"),
        ({"q1": {"d\t1": 1.0}}, "t", "doc id"),
        ({"q1": {"d": float("nan")}}, "t", "is nan"),
        ({"q1": {"d": 1.0}}, "my run", "tag"),
    ],
)
def test_write_run_refuses_unwritable_runs(tmp_path, run, tag, message):
    with pytest.raises(ValueError, match=message):
        write_run(run, tmp_path / "run.trec", tag=tag)
    assert not (tmp_path / "run.trec").exists()


@pytest.mark.parametrize("name", ["news_titles", "faq"])
def test_shipped_retrieval_sets_load(name):
    data = load_beir(DATA / name, "test")
    assert len(data.corpus) > 0 and len(data.queries) > 0
    for query_id, judged in data.qrels.items():
        assert query_id in data.queries
        assert all(doc_id in data.corpus for doc_id in judged)
        assert data.positives(query_id)
    assert set(data.queries) == set(data.qrels)
