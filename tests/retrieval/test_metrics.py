from __future__ import annotations

import logging

import ir_measures
import numpy as np
import pytest

from textls.retrieval.metrics import (
    DEFAULT_MEASURES,
    check_coverage,
    evaluate_run,
    parse_measures,
    per_query,
)

ALL_MEASURES = (*DEFAULT_MEASURES, "RR", "P@5", "AP@10", "nDCG", "R@3")


def random_case(seed: int, n_queries: int = 30, n_docs: int = 40):
    """A run with many tied scores, graded qrels (0..3, some negative) and awkward queries."""
    rng = np.random.default_rng(seed)
    docs = [f"d{i:02d}" for i in rng.permutation(n_docs)]
    qrels, run = {}, {}
    for q in range(n_queries):
        qid = f"q{q}"
        judged = rng.choice(docs, size=rng.integers(1, 8), replace=False)
        qrels[qid] = {str(d): int(rng.choice([-1, 0, 1, 1, 2, 3])) for d in judged}
        kind = q % 10
        if kind == 0:
            continue  # not in the run at all
        if kind == 1:
            run[qid] = {}  # in the run, nothing retrieved
            continue
        retrieved = rng.choice(docs, size=rng.integers(1, n_docs), replace=False)
        # Scores on a coarse grid: most rankings have ties, across relevant and other docs.
        run[qid] = {str(d): float(rng.integers(0, 6)) / 2 for d in retrieved}
    qrels["q_norel"] = {docs[0]: 0}  # judged, nothing relevant
    run["q_norel"] = {docs[0]: 1.0}
    run["q_unjudged"] = {docs[1]: 1.0}  # in the run only: ignored
    return run, qrels


def reference(run, qrels, measures):
    parsed = [ir_measures.parse_measure(m) for m in measures]
    ir_run = {q: d for q, d in run.items() if d}  # pytrec_eval rejects empty rankings
    agg = ir_measures.calc_aggregate(parsed, qrels, ir_run)
    rows: dict[str, dict[str, float]] = {}
    for metric in ir_measures.iter_calc(parsed, qrels, ir_run):
        rows.setdefault(metric.query_id, {})[str(metric.measure)] = metric.value
    return {str(m): v for m, v in agg.items()}, rows


def test_names_are_ir_measures_names():
    for name in ALL_MEASURES:
        assert str(ir_measures.parse_measure(name)) == name
    assert [p[0] for p in parse_measures(DEFAULT_MEASURES)] == list(DEFAULT_MEASURES)


@pytest.mark.parametrize("seed", range(12))
def test_matches_ir_measures_with_ties(seed):
    run, qrels = random_case(seed)
    expected, expected_rows = reference(run, qrels, ALL_MEASURES)
    got = evaluate_run(run, qrels, ALL_MEASURES)
    assert list(got) == list(ALL_MEASURES)
    for name in ALL_MEASURES:
        assert got[name] == pytest.approx(expected[name], abs=1e-9), name
    rows = per_query(run, qrels, ALL_MEASURES)
    assert set(rows) == set(qrels)
    for qid, values in rows.items():
        for name in ALL_MEASURES:
            assert values[name] == pytest.approx(expected_rows[qid][name], abs=1e-9), (qid, name)


def test_default_measures_match_ir_measures():
    run, qrels = random_case(99, n_queries=50, n_docs=200)
    expected, _ = reference(run, qrels, DEFAULT_MEASURES)
    got = evaluate_run(run, qrels)
    assert got == pytest.approx(expected, abs=1e-9)


def test_tie_breaking_conventions():
    # Two docs tied at the top, the relevant one is "b".
    run = {"q": {"a": 1.0, "b": 1.0}}
    qrels = {"q": {"b": 1}}
    # trec_eval (RR without cut-off, AP, nDCG): descending doc id puts "b" first.
    assert evaluate_run(run, qrels, ["RR", "AP", "R@1"]) == {"RR": 1.0, "AP": 1.0, "R@1": 1.0}
    # MS MARCO script (what ir_measures uses for RR@k): ascending doc id puts "a" first.
    assert evaluate_run(run, qrels, ["RR@10"]) == {"RR@10": 0.5}
    expected, _ = reference(run, qrels, ["RR", "RR@10", "AP", "R@1"])
    assert expected == {"RR": 1.0, "RR@10": 0.5, "AP": 1.0, "R@1": 1.0}


def test_hand_computed():
    run = {"q1": {"d1": 0.9, "d2": 0.5, "d3": 0.1}, "q2": {"d4": 1.0}}
    qrels = {"q1": {"d2": 1, "d3": 2}, "q2": {"d5": 2}}
    got = per_query(run, qrels, ["RR@10", "R@1", "R@10", "AP", "nDCG@10"])
    assert got["q1"]["RR@10"] == 0.5
    assert got["q1"]["R@1"] == 0.0
    assert got["q1"]["R@10"] == 1.0
    assert got["q1"]["AP"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    dcg = 1 / np.log2(3) + 2 / np.log2(4)
    idcg = 2 / np.log2(2) + 1 / np.log2(3)
    assert got["q1"]["nDCG@10"] == pytest.approx(dcg / idcg)
    assert got["q2"] == {"RR@10": 0.0, "R@1": 0.0, "R@10": 0.0, "AP": 0.0, "nDCG@10": 0.0}
    mean = evaluate_run(run, qrels, ["R@10"])
    assert mean == {"R@10": 0.5}


def test_missing_queries_count_zero():
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}}
    assert evaluate_run({"q1": {"d1": 1.0}}, qrels, ["RR@10"]) == {"RR@10": 0.5}
    assert evaluate_run({"q1": {"d1": 1.0}, "q2": {}}, qrels, ["RR@10"]) == {"RR@10": 0.5}


def test_check_coverage_counts_both_sides(caplog):
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}, "q3": {"d3": 1}}
    run = {"q1": {"d1": 1.0}, "q2": {}, "q9": {"d1": 1.0}}  # q2 retrieved nothing: missing
    with caplog.at_level(logging.WARNING, logger="textls.retrieval.metrics"):
        counts = check_coverage(run, qrels, run_name="R", qrels_name="Q")
    assert {k: v for k, v in counts.items() if k != "convention"} == {
        "qrels": 3,
        "run": 2,
        "evaluated": 3,
        "missing_from_run": 2,
        "not_in_qrels": 1,
    }
    assert "2 of the 3 queries of qrels Q are not in run R" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="textls.retrieval.metrics"):
        check_coverage({q: {"d1": 1.0} for q in qrels}, qrels)
    assert not caplog.records  # full coverage: nothing to say


@pytest.mark.parametrize("run", [{}, {"q1": {}}, {"1": {"d1": 1.0}}])
def test_check_coverage_refuses_no_overlap(run):
    with pytest.raises(
        ValueError, match=r"no query of run R is in qrels Q; .* qrels like \['q1'\]"
    ):
        check_coverage(run, {"q1": {"d1": 1}}, run_name="R", qrels_name="Q")


@pytest.mark.parametrize("name", ["MRR@10", "R", "P", "nDCG@0", "ndcg@10", "Recall@10", ""])
def test_unknown_measure(name):
    with pytest.raises(ValueError, match="unknown measure"):
        evaluate_run({}, {"q": {"d": 1}}, [name])


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"run\['q'\]\['d'\] = nan"):
        evaluate_run({"q": {"d": float("nan")}}, {"q": {"d": 1}})
    with pytest.raises(ValueError, match=r"qrels\['q'\]\['d'\] = 0.5 is not an integer"):
        evaluate_run({}, {"q": {"d": 0.5}})
    with pytest.raises(ValueError, match="qrels has no queries"):
        evaluate_run({}, {})
