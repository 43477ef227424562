"""``textls retrieval evaluate`` refuses a run or qrels it would misread, naming file and line.

Issue 11, "Nothing lost, nothing silently wrong": a repeated (query, doc) pair, a malformed line, a
NaN score, an empty run or one that shares no query with the qrels used to give numbers (or an
error without a place); partial overlap was silent about the queries scored 0.
"""

from __future__ import annotations

import json
import logging

import pytest

from textls.cli import main
from textls.retrieval import runs

QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n"


@pytest.fixture
def beir(tmp_path):
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": f"d{i}", "text": f"passage {i}"}) + "\n" for i in range(1, 5))
    )
    (folder / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": f"q{i}", "text": f"query {i}"}) + "\n" for i in range(1, 4))
    )
    (folder / "qrels" / "test.tsv").write_text(QRELS)
    return folder


def evaluate(beir, tmp_path, run_text: str, capsys) -> tuple[int, str]:
    run = tmp_path / "run.trec"
    run.write_text(run_text)
    argv = ["--data_dir", str(beir), "--run", str(run), "--output_dir", str(tmp_path / "eval")]
    rc = main(["retrieval", "evaluate", *argv])
    return rc, capsys.readouterr().err


# --------------------------------------------------------------------- 1. a repeated pair


def test_duplicate_pair_is_an_error_naming_file_line_and_pair(beir, tmp_path, capsys):
    run = "q1 Q0 d1 1 0.9 t\nq1 Q0 d2 2 0.5 t\nq1 Q0 d1 3 0.1 t\n"
    rc, err = evaluate(beir, tmp_path, run, capsys)
    assert rc == 1
    assert f"{tmp_path / 'run.trec'}, line 3: duplicate (query, doc) pair ('q1', 'd1')" in err
    assert "first on line 1" in err
    assert not (tmp_path / "eval" / "metrics.json").exists()


# --------------------------------------------------------------------- 2. coverage


def test_empty_run_is_an_error_naming_the_file(beir, tmp_path, capsys):
    rc, err = evaluate(beir, tmp_path, "\n\n", capsys)
    assert rc == 1
    assert f"{tmp_path / 'run.trec'} has no rows" in err


def test_run_sharing_no_query_with_qrels_is_an_error(beir, tmp_path, capsys):
    run = "1 Q0 d1 1 0.9 t\n2 Q0 d2 1 0.9 t\n"
    rc, err = evaluate(beir, tmp_path, run, capsys)
    assert rc == 1
    qrels = beir / "qrels" / "test.tsv"
    assert f"no query of run {tmp_path / 'run.trec'} is in qrels {qrels}" in err
    assert "run query ids look like ['1', '2'], qrels like ['q1', 'q2', 'q3']" in err


def test_partial_overlap_warns_and_records_the_convention(beir, tmp_path, capsys, caplog):
    # q1 found at rank 1; q2 and q3 missing (score 0, as trec_eval -c); q9 is not in the qrels.
    run = "q1 Q0 d1 1 0.9 t\nq9 Q0 d2 1 0.9 t\n"
    with caplog.at_level(logging.WARNING, logger="textls.retrieval"):
        rc, _ = evaluate(beir, tmp_path, run, capsys)
    assert rc == 0
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "2 of the 3 queries of qrels" in warning and "score 0" in warning
    assert "1 of the 2 queries of run" in warning and "ignored" in warning
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["RR@10"] == pytest.approx(1 / 3)
    assert metrics["queries"] == {
        "qrels": 3,
        "run": 2,
        "evaluated": 3,
        "missing_from_run": 2,
        "not_in_qrels": 1,
        "convention": metrics["queries"]["convention"],
    }
    assert "scores 0" in metrics["queries"]["convention"]


# --------------------------------------------------------------------- 3. malformed lines


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("q1 Q0 d1 1 0.9", "expected 6 whitespace-separated fields"),
        ("q1 Q0 d1 1 0.9 t extra", "expected 6 whitespace-separated fields"),
        ("q1\td1\t0.9", "expected 6 whitespace-separated fields"),
        ("q1 Q0 d1 1 high t", "score 'high' is not a number"),
        ("q1 Q0 d1 first 0.9 t", "rank 'first' is not an integer"),
        ("q1 Q0 d1 1 1,5 t", "score '1,5' is not a number"),
    ],
)
def test_malformed_run_line_names_file_line_and_shows_it(beir, tmp_path, capsys, line, message):
    rc, err = evaluate(beir, tmp_path, f"q2 Q0 d2 1 0.9 t\n\n{line}\n", capsys)
    assert rc == 1
    assert f"{tmp_path / 'run.trec'}, line 3: {message}" in err
    assert repr(line) in err


def test_long_malformed_line_is_truncated(tmp_path):
    path = tmp_path / "run.trec"
    path.write_text("q1 Q0 d1 1 0.9 " + "x" * 5000 + " y\n")
    with pytest.raises(ValueError, match="line 1: expected 6") as info:
        runs.load_run(path)
    assert len(str(info.value)) < 300


@pytest.mark.parametrize(
    ("qrels_line", "message"),
    [
        ("q1\td1", "expected 3 tab-separated fields, got 2"),
        ("q1\td1\tyes", "score 'yes' is not an integer"),
        ("q1\td1\tnan", "score 'nan' is not an integer"),
        ("q1 d1 1", "expected 3 tab-separated fields, got 1"),
    ],
)
def test_malformed_qrels_line_names_file_line_and_shows_it(
    beir, tmp_path, capsys, qrels_line, message
):
    (beir / "qrels" / "test.tsv").write_text(
        f"query-id\tcorpus-id\tscore\nq2\td2\t1\n{qrels_line}\n"
    )
    rc, err = evaluate(beir, tmp_path, "q1 Q0 d1 1 0.9 t\n", capsys)
    assert rc == 1
    assert f"{beir / 'qrels' / 'test.tsv'}, line 3: {message}" in err
    assert repr(qrels_line) in err


# --------------------------------------------------------------------- 4. scores that are not numbers


@pytest.mark.parametrize("score", ["nan", "NaN", "inf", "-Infinity"])
def test_non_finite_run_score_names_file_and_line(beir, tmp_path, capsys, score):
    rc, err = evaluate(beir, tmp_path, f"q1 Q0 d1 1 0.9 t\nq1 Q0 d2 2 {score} t\n", capsys)
    assert rc == 1
    assert f"{tmp_path / 'run.trec'}, line 2: score {score!r} is not a finite number" in err


def test_a_clean_run_reads_back_as_written(tmp_path):
    path = tmp_path / "run.trec"
    path.write_text("\ufeffq1 Q0 d1 1 0.9 t\r\nq1 Q0 d2 2 -1e-3 t\r\n\nq2 0 d1 7 3 other\n")
    assert runs.load_run(path) == {"q1": {"d1": 0.9, "d2": -0.001}, "q2": {"d1": 3.0}}


def test_a_run_whose_documents_are_not_in_the_corpus_is_an_error(beir, tmp_path, capsys):
    run = "q1 Q0 D1 1 0.9 t\nq2 Q0 D2 1 0.9 t\nq3 Q0 D3 1 0.9 t\n"  # ids spelled otherwise
    rc, err = evaluate(beir, tmp_path, run, capsys)
    assert rc == 1 and "no document of run" in err and "'D1'" in err and "'d1'" in err
    assert not (tmp_path / "eval" / "metrics.json").exists()


def test_some_unknown_documents_warn_with_their_count(beir, tmp_path, capsys, caplog):
    run = "q1 Q0 d1 1 0.9 t\nq2 Q0 d2 1 0.9 t\nq3 Q0 zz 1 0.9 t\n"
    with caplog.at_level(logging.WARNING):
        rc, _ = evaluate(beir, tmp_path, run, capsys)
    assert rc == 0 and "1 of the 3 documents of run" in caplog.text
