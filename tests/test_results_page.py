"""The documentation's Results page (``docs/results.md``) is exactly what
``scripts/render_results.py`` makes of the JSON under ``scripts/results/``: no number on the page
is typed by hand or left stale."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _render_module():
    spec = importlib.util.spec_from_file_location(
        "render_results", ROOT / "scripts" / "render_results.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_results = _render_module()


def test_results_page_matches_the_json():
    page = ROOT / "docs" / "results.md"
    text = page.read_text()
    expected = render_results.fill(
        text, render_results.render(ROOT / "scripts" / "results", draw=False)
    )
    assert text == expected, "docs/results.md is stale: run python scripts/render_results.py"


def test_results_page_links_resolve_on_the_site():
    """Every figure and JSON the page links as ``results/<file>`` is a file that docs/hooks.py
    serves there (the benchmarks write them under scripts/results/)."""
    text = (ROOT / "docs" / "results.md").read_text()
    linked = set(re.findall(r"\]\(results/([^)]+)\)", text))
    assert linked, "the page links no figure or data file"
    missing = sorted(n for n in linked if not (ROOT / "scripts" / "results" / n).is_file())
    assert missing == []


def _classification_json(p_value: float) -> dict:
    paired = {"mean_diff": 0.0123, "p_value": p_value, "wins": 3, "n": 3}
    metrics = {k: [0.5, 0.01] for k in ("accuracy", "macro_f1", "nll", "ece")}
    return {
        "model": "fasttext",
        "seeds": 3,
        "epochs": 5.0,
        "max_train": None,
        "command": "python scripts/benchmark_classification.py --seeds 3",
        "machine": "x86_64, 2 CPU cores, cpu",
        "date": "2026-11-24T00:00:00+00:00",
        "runs": {
            "toy-balanced": {
                "seconds": 1.0,
                "data": {"train": 90},
                "methods": {"none": metrics, "kwls": metrics},
                "paired_vs_none": {
                    "kwls": {k: paired for k in ("accuracy", "macro_f1", "nll", "ece")}
                },
            }
        },
    }


def test_render_formats_the_json_and_marks_significance(tmp_path):
    (tmp_path / "classification_fasttext.json").write_text(json.dumps(_classification_json(0.01)))
    page = render_results.render(tmp_path, draw=False)
    assert "`python scripts/benchmark_classification.py --seeds 3`" in page
    assert "| toy-balanced (90) | none | 5 | 0.5000 ± 0.0100 |" in page  # old: fixed 5 epochs
    assert "Measured with the defaults of before 2026-12-06 and not rerun since" in page
    assert "**+0.0123 (3/3, p=0.01)**" in page
    assert "| kwls | 1 / 0 of 1 (toy-balanced) | 1 / 0 of 1 (toy-balanced) |" in page
    assert "Not run yet: `python scripts/benchmark_retrieval.py`" in page
    assert "No result on this page was measured on a GPU" in page

    (tmp_path / "classification_fasttext.json").write_text(json.dumps(_classification_json(0.2)))
    page = render_results.render(tmp_path, draw=False)
    assert "+0.0123 (3/3, p=0.2)" in page and "**+0.0123" not in page
    assert "| kwls | 0 / 0 of 1 | 0 / 0 of 1 |" in page


def test_informative_methods_against_ls_classic(tmp_path):
    data = _classification_json(0.01)
    run = data["runs"]["toy-balanced"]
    better_f1 = {"mean_diff": 0.006, "std_diff": 0.001, "p_value": 0.01, "wins": 3, "n": 3}
    worse_nll = {"mean_diff": 0.02, "std_diff": 0.001, "p_value": 0.01, "wins": 0, "n": 3}
    run["paired_vs_ls_classic"] = {"kwls": {"macro_f1": better_f1, "nll": worse_nll}}
    (tmp_path / "classification_fasttext.json").write_text(json.dumps(data))
    page = render_results.render(tmp_path, draw=False)
    # kwls beats none (p=0.01, +0.0123) and ls-classic (+0.006) on macro-F1; on NLL it is worse
    assert (
        "| toy-balanced | kwls | **+0.0060 (3/3, p=0.01)** | **+0.0200 (0/3, p=0.01)** | yes | no |"
        in page
    )
    assert "beats both `none` and `ls-classic` on macro-F1 in 1 of 1 cells: toy-balanced." in page
    assert "beats both `none` and `ls-classic` on NLL in 0 of 1 cells." in page


def test_render_retrieval_table_and_plot(tmp_path):
    paired = {"mean_diff": -0.002, "std_diff": 0.001, "p_value": 0.04, "wins": 0, "n": 3}
    measures = ("RR@10", "R@10", "nDCG@10")
    data = {
        "corpus": "toy",
        "model": "minilm",
        "seeds": 3,
        "epochs": 1.0,
        "batch_size": 32,
        "epsilon": 0.1,
        "max_train_queries": 800,
        "passage_max_length": 64,
        "command": "python scripts/benchmark_retrieval.py --corpora toy",
        "machine": "x86_64, 2 CPU cores, cpu",
        "date": "2026-11-24",
        "result": {
            "seconds": 120.0,
            "methods": {m: {k: [0.75, 0.01] for k in measures} for m in ("none", "kwls")},
            "paired_vs_none": {"kwls": {k: paired for k in measures}},
        },
    }
    (tmp_path / "retrieval_compare_toy.json").write_text(json.dumps(data))
    page = render_results.render(tmp_path, draw=True, link=".")
    assert "#### toy" in page and "800 training pairs" in page
    assert (
        "| kwls | 0.7500 ± 0.0100 | 0.7500 ± 0.0100 | 0.7500 ± 0.0100 | **-0.0020 (0/3, p=0.04)**"
        in page
    )
    assert "](./retrieval_compare_toy.png)" in page
    assert (tmp_path / "retrieval_compare_toy.png").stat().st_size > 0


def test_check_mode_refuses_a_stale_page(tmp_path, monkeypatch):
    results = tmp_path / "results"
    results.mkdir()
    (results / "classification_fasttext.json").write_text(json.dumps(_classification_json(0.01)))
    page = tmp_path / "results.md"
    page.write_text(f"# t\n\nfindings\n{render_results.START}\nold numbers\n{render_results.END}\n")
    args = ["render_results.py", "--page", str(page), "--results", str(results)]

    monkeypatch.setattr(sys, "argv", [*args, "--check"])
    with pytest.raises(SystemExit, match="out of date"):
        render_results.main()
    monkeypatch.setattr(sys, "argv", args)
    render_results.main()
    assert "old numbers" not in page.read_text()
    assert "findings" in page.read_text()  # the hand-written part stays
    assert (results / "classification_fasttext.png").stat().st_size > 0
    monkeypatch.setattr(sys, "argv", [*args, "--check"])
    render_results.main()  # current now: no exit


def test_a_page_without_the_block_is_an_error(tmp_path, monkeypatch):
    page = tmp_path / "results.md"
    page.write_text("# no results block\n")
    monkeypatch.setattr(sys, "argv", ["render_results.py", "--page", str(page)])
    with pytest.raises(SystemExit, match="no <!-- results:start -->"):
        render_results.main()


def _relevance_row(
    top1: float, loglik: float, keywords: float | None = None, vs_kwls=((0.0, 0.0), (0.0, 0.0))
) -> dict:
    row = {
        "params": {},
        "test_top1": top1,
        "test_loglik": loglik,
        "train_oos_top1": top1 - 0.01,
        "train_oos_loglik": loglik - 0.1,
        "fit_seconds": 0.25,
        "warnings": [],
        "test_top1_vs_kwls": list(vs_kwls[0]),
        "test_loglik_vs_kwls": list(vs_kwls[1]),
    }
    if keywords is not None:
        row["keywords_per_class"] = keywords
    return row


def _relevance_json() -> dict:
    shape = {
        "train_rows": 6400,
        "test_rows": 1600,
        "classes": 16,
        "imbalance_ratio": 1.0,
        "mean_words": 11.2,
    }
    return {
        "configs": {"kwls": "kwls", "kwls top_k=10 class_top_k=50 (old)": "kwls"},
        "corpora": {
            "tweets": {  # KWLS loses to LS-TFIDF on both columns
                "shape": shape,
                "configs": {
                    "kwls": _relevance_row(0.385, -2.076, 1012.4),
                    "kwls top_k=10 class_top_k=50 (old)": _relevance_row(0.337, -2.255, 50.0),
                    # top-1 gap within noise, log-lik gap beyond it
                    "ls-tfidf": _relevance_row(
                        0.386, -2.054, None, ((0.001, 0.004), (0.022, 0.006))
                    ),
                    "ls-classic": _relevance_row(0.0625, -2.773),
                },
            },
            "chapters": {  # KWLS best on both
                "shape": {**shape, "classes": 10, "imbalance_ratio": 11.1, "mean_words": 287.0},
                "configs": {
                    "kwls": _relevance_row(0.878, -0.429, 1233.0),
                    "ls-tfidf": _relevance_row(0.832, -0.466),
                },
            },
        },
        "skipped": {"dictionary": "no train.csv/test.csv: run python data/foldoc/prepare.py"},
        "command": "python scripts/benchmark_relevance.py",
        "machine": "x86_64, 2 CPU cores, cpu",
        "date": "2026-12-02T00:00:00+00:00",
    }


def test_render_relevance_tables_name_where_kwls_loses(tmp_path):
    page = render_results.render(tmp_path, draw=False)
    assert "Not run yet: `python scripts/benchmark_relevance.py` writes `relevance.json`" in page

    (tmp_path / "relevance.json").write_text(json.dumps(_relevance_json()))
    page = render_results.render(tmp_path, draw=False)
    assert "`python scripts/benchmark_relevance.py`" in page
    assert (
        "#### tweets: 6,400 train / 1,600 test rows, 16 classes, imbalance 1.0:1, 11 words per text"
        in page
    )
    assert "| kwls | 0.385 | -2.076 | 0.375 | 1,012 | 0.2 |" in page
    assert "| kwls top_k=10 class_top_k=50 (old) | 0.337 | -2.255 | 0.327 | 50 | 0.2 |" in page
    assert "| ls-tfidf | **0.386** | **-2.054** | **0.376** |  | 0.2 |" in page
    assert (
        "KWLS defaults lose on test top-1 to ls-tfidf (0.386; +0.001 ± 0.004, within 2 SE); "
        "on test log-lik to ls-tfidf (-2.054; +0.022 ± 0.006)." in page
    )
    assert "| kwls | **0.878** | **-0.429** | **0.868** | 1,233 | 0.2 |" in page
    assert "KWLS defaults are best on test top-1 and test log-lik." in page
    assert (
        "at least as good as LS-TFIDF on test top-1 on 1 of 2 corpora (behind on tweets), and on "
        "test log-lik on 1 of 2 corpora (behind on tweets)." in page
    )
    assert "Skipped dictionary: no train.csv/test.csv: run python data/foldoc/prepare.py." in page


def test_render_smoothing_speed_shows_both_ratios_and_targets(tmp_path):
    def row(seconds, baseline, target=None):
        entry = {"seconds": seconds, "baseline": baseline, "ratio": seconds / 2.0}
        if target is not None:
            entry.update(target=target, meets_target=seconds / 2.0 <= target)
        return entry

    data = {
        "docs": 50000,
        "classes": 50,
        "words_per_doc": 60,
        "repeats": 3,
        "baselines": {"fit_transform": 2.0, "fit_then_transform": 2.0},
        "methods": {
            "kwls fit_transform": row(2.8, "fit_transform", 1.5),
            "kwls fit, then transform": row(4.4, "fit_then_transform", 2.0),
            "ls-classic fit_transform": row(0.1, "fit_transform"),
        },
        "command": "python scripts/benchmark_smoothing_speed.py",
        "machine": "x86_64, 2 CPU cores, cpu",
        "date": "2026-12-02",
    }
    (tmp_path / "smoothing_speed.json").write_text(json.dumps(data))
    page = render_results.render(tmp_path, draw=False)
    assert "| TfidfVectorizer fit, then transform | 2.00 | 1.00x | |" in page
    assert "| kwls fit_transform | 2.80 | 1.40x fit_transform | ≤ 1.5x: met |" in page
    assert (
        "| kwls fit, then transform | 4.40 | 2.20x fit, then transform | ≤ 2x: **missed** |" in page
    )
    assert "| ls-classic fit_transform | 0.10 | 0.05x fit_transform |  |" in page


def test_current_protocol_shows_test_distribution_epochs_and_the_long_tail_goal(tmp_path):
    data = _classification_json(0.01)
    data["epochs"] = None
    run = data["runs"].pop("toy-balanced")
    run["test_distribution"] = "balanced"
    run["training"] = {m: {"epochs": [10.0, 12.0, 14.0]} for m in ("none", "ls-classic", "kwls")}
    run["methods"]["ls-classic"] = run["methods"]["none"]
    better = {"mean_diff": 0.006, "p_value": 0.01, "wins": 3, "n": 3}
    worse_nll = {"mean_diff": 0.02, "p_value": 0.01, "wins": 0, "n": 3}
    run["paired_vs_ls_classic"] = {"kwls": {"macro_f1": better, "nll": worse_nll}}
    data["runs"]["toy-longtail50"] = run
    (tmp_path / "classification_fasttext.json").write_text(json.dumps(data))
    page = render_results.render(tmp_path, draw=False)
    assert "Measured with the defaults of before" not in page
    assert "each run trained until its validation loss stopped improving" in page
    assert "| toy-longtail50 (90, test balanced) | none | 12 | 0.5000 ± 0.0100 |" in page
    assert "| toy-longtail50 (balanced) | kwls | **+0.0060 (3/3, p=0.01)** |" in page
    assert "| not met |" in page
    assert "Met in 0 of 1 long-tailed cells with three or more classes." in page


def test_training_length_section(tmp_path):
    cell = {
        "data": {"train": 100, "train_class_counts": {"a": 60, "b": 40}},
        "default": {"seconds": 10.0, "methods": {"none": {"accuracy": 0.8, "epochs": [6.0, 8.0]}}},
        "fixed": {"seconds": 40.0, "methods": {"none": {"accuracy": 0.82, "epochs": [50.0]}}},
        "accuracy_ratio": {"none": 0.8 / 0.82},
        "time_ratio": 0.25,
    }
    data = {
        "model": "fasttext",
        "seeds": 2,
        "methods": "none",
        "long_epochs": 50.0,
        "command": "python scripts/benchmark_training_length.py",
        "date": "2026-12-06",
        "corpora": {"toy": cell},
    }
    (tmp_path / "training_length_fasttext.json").write_text(json.dumps(data))
    page = render_results.render(tmp_path, draw=False)
    assert "| toy (100, 2) | 7 / 50 | 0.8000 / 0.8200 (0.976) | 10 s / 40 s (0.25) |" in page
    assert "The lowest accuracy ratio is 0.976 (none on toy)" in page


def test_render_suspects_table_gives_recall_and_precision(tmp_path):
    row = {
        "floor": 0.35,
        "candidate_pairs": 1000,
        "left_out_share": 0.03,
        "left_out": 30,
        "unlabelled_positives": 8,
        "unlabelled_left_out": 6,
        "precision": 0.2,
        "recall": 0.75,
    }
    counts = ("candidate_pairs", "left_out", "unlabelled_positives", "unlabelled_left_out")
    kinds = {
        "own mined negatives": dict(zip(counts, (100, 20, 7, 6), strict=True)),
        "other queries' positives": dict(zip(counts, (900, 10, 1, 0), strict=True)),
    }
    clean = {**row, "floor": None, "unlabelled_positives": 0, "unlabelled_left_out": 0}
    clean |= {"recall": None, "precision": 0.0}
    data = {
        "command": "python scripts/benchmark_suspects.py",
        "date": "2026-12-07T00:00:00+00:00",
        "settings": {
            "toy": {"by_scope": {"mined": {"0.5": row}, "all": {"0.5": {**row, "by_kind": kinds}}}},
            "clean": {"by_scope": {"all": {"0": clean}}},
        },
    }
    (tmp_path / "suspects.json").write_text(json.dumps(data))
    page = render_results.render(tmp_path, draw=False)
    assert "#### Which candidates the guided default leaves out" in page
    assert "| toy | mined | 0.5 | 0.350 | 3.00% (30 of 1,000) | 6 of 8 (75.0%) | 20.0% |" in page
    assert "| clean | all | 0 | none | 3.00% (30 of 1,000) | none in the batches | 0.0% |" in page
    assert "| toy | own mined negatives | 100 | 20 | 6 (7) |" in page
    assert "| toy | other queries' positives | 900 | 10 | 0 (1) |" in page


@pytest.mark.parametrize(
    ("setting", "heading"),
    [
        (
            {"labels": "all", "batch_size": 32, "searched_passages": 503, "corpus_passages": 503},
            "every labelled pair, random batches, no hard negatives",
        ),
        (
            {
                "labels": "one",
                "batch_size": 128,
                "searched_passages": 5000,
                "corpus_passages": 136_727,
            },
            "one labelled passage a query (the others unlabelled, counted by the test); "
            "batches of 128",
        ),
        (
            {
                "labels": "one",
                "batch_size": 128,
                "searched_passages": 136_727,
                "corpus_passages": 136_727,
            },
            "one labelled passage a query (the others unlabelled, counted by the test); "
            "batches of 128; at scale: 10,003 training queries, the whole 136,727-passage "
            "corpus searched",
        ),
    ],
)
def test_st_setting_names_batch_size_and_corpus_scale(setting, heading):
    data = {"train_queries": 10_003, **setting}
    assert render_results._st_setting(data) == heading
