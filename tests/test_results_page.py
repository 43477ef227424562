"""The README's Results section is exactly what ``scripts/render_results.py`` makes of the JSON under
``scripts/results/``: no number on the page is typed by hand or left stale."""

from __future__ import annotations

import importlib.util
import json
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


def test_readme_results_section_matches_the_json():
    readme = (ROOT / "README.md").read_text()
    block = readme.split(render_results.START, 1)[1].split(render_results.END, 1)[0]
    expected = render_results.render(ROOT / "scripts" / "results", draw=False)
    assert block == "\n" + expected, "README is stale: run python scripts/render_results.py"


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
    assert "| toy-balanced (90) | none | 0.5000 ± 0.0100 |" in page
    assert "**+0.0123 (3/3, p=0.01)**" in page
    assert "| kwls | 1 / 0 of 1 (toy-balanced) | 1 / 0 of 1 (toy-balanced) |" in page
    assert "Not run yet: `python scripts/benchmark_retrieval.py`" in page
    assert "No result on this page was measured on a GPU" in page

    (tmp_path / "classification_fasttext.json").write_text(json.dumps(_classification_json(0.2)))
    page = render_results.render(tmp_path, draw=False)
    assert "+0.0123 (3/3, p=0.2)" in page and "**+0.0123" not in page
    assert "| kwls | 0 / 0 of 1 | 0 / 0 of 1 |" in page


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
    page = render_results.render(tmp_path, draw=True, readme_dir=tmp_path)
    assert "#### toy" in page and "800 training pairs" in page
    assert (
        "| kwls | 0.7500 ± 0.0100 | 0.7500 ± 0.0100 | 0.7500 ± 0.0100 | **-0.0020 (0/3, p=0.04)**"
        in page
    )
    assert "](./retrieval_compare_toy.png)" in page
    assert (tmp_path / "retrieval_compare_toy.png").stat().st_size > 0


def test_check_mode_refuses_a_stale_readme(tmp_path, monkeypatch):
    results = tmp_path / "results"
    results.mkdir()
    (results / "classification_fasttext.json").write_text(json.dumps(_classification_json(0.01)))
    readme = tmp_path / "README.md"
    readme.write_text(f"# t\n\n{render_results.START}\nold numbers\n{render_results.END}\n")
    args = ["render_results.py", "--readme", str(readme), "--results", str(results)]

    monkeypatch.setattr(sys, "argv", [*args, "--check"])
    with pytest.raises(SystemExit, match="out of date"):
        render_results.main()
    monkeypatch.setattr(sys, "argv", args)
    render_results.main()
    assert "old numbers" not in readme.read_text()
    assert (results / "classification_fasttext.png").stat().st_size > 0
    monkeypatch.setattr(sys, "argv", [*args, "--check"])
    render_results.main()  # current now: no exit


def test_a_readme_without_the_block_is_an_error(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text("# no results block\n")
    monkeypatch.setattr(sys, "argv", ["render_results.py", "--readme", str(readme)])
    with pytest.raises(SystemExit, match="no <!-- results:start -->"):
        render_results.main()
