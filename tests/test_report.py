from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pytest
from scipy.stats import ttest_rel

from textls.aggregation import METRIC_DIRECTION, aggregate, higher_is_better
from textls.report import format_table, write_report

SEEDS = [0, 1, 2]
# method -> metric -> one value per seed in SEEDS. kwls has the best mean accuracy (higher is
# better), ls-classic the best mean nll (lower is better), so the bold cells are in different rows.
VALUES = {
    "none": {
        "accuracy": [0.80, 0.82, 0.84],
        "nll": [0.60, 0.55, 0.50],
        "ece_ts": [0.05, 0.04, 0.06],
    },
    "ls-classic": {
        "accuracy": [0.81, 0.85, 0.84],
        "nll": [0.58, 0.50, 0.52],
        "ece_ts": [0.03, 0.02, 0.05],
    },
    "kwls": {
        "accuracy": [0.83, 0.86, 0.88],
        "nll": [0.62, 0.57, 0.53],
        "ece_ts": [0.04, 0.05, 0.03],
    },
}


def make_runs(values=VALUES, seeds=SEEDS):
    return [
        {"method": method, "seed": seed, "metrics": {m: v[i] for m, v in metrics.items()}}
        for method, metrics in values.items()
        for i, seed in enumerate(seeds)
    ]


def table_row(text, method):
    """Cells of the Markdown table row that starts with the method's name."""
    (line,) = [line for line in text.splitlines() if line.startswith(f"| `{method}` | 3 |")]
    return [cell.strip() for cell in line.strip("|").split("|")]


@pytest.mark.parametrize(
    ("metric", "higher"),
    [
        ("accuracy", True),
        ("macro_f1", True),
        ("macro_f1_ts", True),
        ("nll", False),
        ("brier", False),
        ("ece", False),
        ("nll_ts", False),
        ("ece_ts", False),
        ("brier_ts", False),
        ("test/nll", False),
        ("f1/sports", True),
        ("nllx", True),
        ("some_new_metric", True),
    ],
)
def test_metric_direction(metric, higher):
    assert higher_is_better(metric) is higher
    if metric in METRIC_DIRECTION:
        assert METRIC_DIRECTION[metric] is higher


def test_mean_std_per_seed():
    runs = make_runs()
    runs.reverse()  # kwls seed 2 first: methods keep first-seen order, seeds are sorted
    results = aggregate(runs)
    assert results["baseline"] == "none"
    assert list(results["methods"]) == ["kwls", "ls-classic", "none"]
    for method, metrics in VALUES.items():
        summary = results["methods"][method]
        assert summary["n_seeds"] == 3
        assert list(summary["per_seed"]) == ["0", "1", "2"]
        for m, values in metrics.items():
            assert summary["mean"][m] == pytest.approx(statistics.mean(values), rel=1e-12)
            assert summary["std"][m] == pytest.approx(statistics.stdev(values), rel=1e-12)
            assert [summary["per_seed"][str(s)][m] for s in SEEDS] == values


def test_paired_matches_scipy():
    results = aggregate(make_runs())
    assert list(results["paired"]) == ["ls-classic", "kwls"]
    for method in ["ls-classic", "kwls"]:
        for m in ["accuracy", "nll", "ece_ts"]:
            a, b = np.array(VALUES[method][m]), np.array(VALUES["none"][m])
            expected = ttest_rel(a, b)
            got = results["paired"][method][m]
            assert got["n"] == 3
            assert got["mean_diff"] == pytest.approx(np.mean(a - b), abs=1e-12)
            assert got["std_diff"] == pytest.approx(np.std(a - b, ddof=1), rel=1e-9)
            assert got["t"] == pytest.approx(expected.statistic, rel=1e-9)
            assert got["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
    # ls-classic vs none: accuracy +0.01, +0.03, 0.00 (a tie is no win); nll -0.02, -0.05, +0.02.
    assert results["paired"]["ls-classic"]["accuracy"]["wins"] == 2
    assert results["paired"]["ls-classic"]["nll"]["wins"] == 2
    assert results["paired"]["ls-classic"]["ece_ts"]["wins"] == 3
    assert results["paired"]["kwls"]["nll"]["wins"] == 0


def test_pairs_only_common_seeds():
    runs = make_runs()
    runs = [r for r in runs if not (r["method"] == "kwls" and r["seed"] == 2)]
    runs.append(
        {"method": "kwls", "seed": 7, "metrics": {"accuracy": 0.9, "nll": 0.4, "ece_ts": 0.01}}
    )
    results = aggregate(runs)
    assert results["methods"]["kwls"]["n_seeds"] == 3
    paired = results["paired"]["kwls"]["accuracy"]
    a, b = np.array(VALUES["kwls"]["accuracy"][:2]), np.array(VALUES["none"]["accuracy"][:2])
    assert paired["n"] == 2
    assert paired["mean_diff"] == pytest.approx(np.mean(a - b))
    assert paired["p_value"] == pytest.approx(ttest_rel(a, b).pvalue)


def test_single_seed_and_zero_variance_are_json_safe():
    runs = [
        {"method": "none", "seed": 0, "metrics": {"accuracy": 0.8, "nll": 0.5}},
        {"method": "none", "seed": 1, "metrics": {"accuracy": 0.9, "nll": 0.4}},
        # Same difference on both seeds up to float rounding: zero variance, no t-test.
        {"method": "ls-classic", "seed": 0, "metrics": {"accuracy": 0.85, "nll": 0.5}},
        {"method": "ls-classic", "seed": 1, "metrics": {"accuracy": 0.95, "nll": 0.4}},
        {"method": "kwls", "seed": 0, "metrics": {"accuracy": 0.7, "nll": 0.6}},
        {"method": "other", "seed": 5, "metrics": {"accuracy": 0.7, "nll": 0.6}},
    ]
    results = aggregate(runs)
    text = json.dumps(results, allow_nan=False)
    assert json.loads(text) == results

    assert results["methods"]["kwls"]["std"] == {"accuracy": None, "nll": None}
    for m in ["accuracy", "nll"]:
        same = results["paired"]["ls-classic"][m]
        assert same["n"] == 2 and same["t"] is None and same["p_value"] is None
        one = results["paired"]["kwls"][m]
        assert one["n"] == 1 and one["std_diff"] is None and one["t"] is None
        assert one["p_value"] is None and one["wins"] == 0
        none = results["paired"]["other"][m]
        assert none["n"] == 0 and none["mean_diff"] is None and none["wins"] == 0
    assert results["paired"]["ls-classic"]["accuracy"]["mean_diff"] == pytest.approx(0.05)


def test_single_seed_only():
    runs = [
        {"method": "none", "seed": 3, "metrics": {"accuracy": 0.8}},
        {"method": "kwls", "seed": 3, "metrics": {"accuracy": 0.9}},
    ]
    results = aggregate(runs)
    json.dumps(results, allow_nan=False)
    assert results["paired"]["kwls"]["accuracy"]["wins"] == 1


def test_no_baseline():
    results = aggregate(make_runs(), baseline=None)
    assert results["baseline"] is None and results["paired"] == {}
    assert "diff vs" not in format_table(results)


@pytest.mark.parametrize(
    ("runs", "match"),
    [
        ([], "empty"),
        ([{"method": "none", "metrics": {"accuracy": 0.8}}], r"runs\[0\].*'seed'"),
        (
            [{"method": "none", "seed": "0", "metrics": {"accuracy": 0.8}}],
            "seed must be an integer",
        ),
        ([{"method": "none", "seed": 0, "metrics": {}}], "non-empty"),
        (
            [
                {"method": "none", "seed": 1, "metrics": {"accuracy": 0.8}},
                {"method": "none", "seed": 1, "metrics": {"accuracy": 0.9}},
            ],
            "duplicate run for method 'none', seed 1",
        ),
        (
            [
                {"method": "none", "seed": 0, "metrics": {"accuracy": 0.8, "nll": 0.5}},
                {"method": "kwls", "seed": 2, "metrics": {"accuracy": 0.9}},
            ],
            r"method 'kwls', seed 2 lacks metric\(s\) \['nll'\]",
        ),
        (
            [{"method": "none", "seed": 0, "metrics": {"accuracy": 0.8, "nll": math.nan}}],
            "metric 'nll' of method 'none', seed 0 is nan",
        ),
        (
            [{"method": "kwls", "seed": 4, "metrics": {"ece": -math.inf}}],
            "metric 'ece' of method 'kwls', seed 4 is -inf",
        ),
        (
            [{"method": "none", "seed": 0, "metrics": {"accuracy": "0.8"}}],
            "metric 'accuracy' of method 'none', seed 0 must be a number",
        ),
        (
            [{"method": "kwls", "seed": 0, "metrics": {"accuracy": 0.8}}],
            "baseline 'none' is not among",
        ),
    ],
)
def test_invalid_runs(runs, match):
    with pytest.raises(ValueError, match=match):
        aggregate(runs)


def test_write_report(tmp_path):
    results = aggregate(make_runs())
    out = tmp_path / "compare"
    config = {"dataset": "ag_news", "seeds": [0, 1, 2], "note": "a|b"}
    path = write_report(results, out, title="Label smoothing on AG News", config=config)
    assert path == out / "report.md"
    assert sorted(p.name for p in out.iterdir()) == ["report.md"]  # no temporary file left behind
    text = path.read_text(encoding="utf-8")

    assert text.startswith("# Label smoothing on AG News\n")
    assert "| dataset | ag_news |" in text
    assert "| seeds | [0, 1, 2] |" in text
    assert "| note | a\\|b |" in text
    assert "| Method | Seeds | accuracy ↑ | nll ↓ | ece_ts ↓ |" in text
    for method in VALUES:
        assert f"| `{method}` |" in text

    # Columns: method, seeds, accuracy, nll, ece_ts.
    kwls, classic, none = (table_row(text, m) for m in ["kwls", "ls-classic", "none"])
    assert kwls[2] == "**0.8567 ± 0.0252**"  # best accuracy: highest mean
    assert not classic[2].startswith("**") and not none[2].startswith("**")
    assert classic[3] == "**0.5333 ± 0.0416**"  # best nll: lowest mean
    assert not kwls[3].startswith("**") and not none[3].startswith("**")
    assert classic[4].startswith("**") and none[4] == "0.0500 ± 0.0100"

    assert "## Paired comparison against `none`" in text
    assert "two-sided paired t-test over seeds" in text and "weak evidence" in text
    p = results["paired"]["ls-classic"]["nll"]["p_value"]
    assert f"| `ls-classic` | nll ↓ | -0.0167 | 0.0351 | 2/3 | {p:.3g} |" in text
    assert "| `ls-classic` | accuracy ↑ | +0.0133 |" in text
    assert "nan" not in text.lower()


def test_write_report_single_seed_and_md_path(tmp_path):
    runs = [
        {"method": "none", "seed": 0, "metrics": {"accuracy": 0.8}},
        {"method": "kwls", "seed": 0, "metrics": {"accuracy": 0.9}},
    ]
    path = write_report(aggregate(runs), tmp_path / "out" / "summary.md", title="One seed")
    assert path == tmp_path / "out" / "summary.md"
    text = path.read_text(encoding="utf-8")
    assert "| `kwls` | 1 | **0.9000** |" in text
    assert "| `kwls` | accuracy ↑ | +0.1000 | n/a | 1/1 | n/a |" in text
    assert "nan" not in text.lower()


def test_write_report_overwrites(tmp_path):
    results = aggregate(make_runs())
    write_report(results, tmp_path, title="first")
    path = write_report(results, tmp_path, title="second")
    assert path.read_text(encoding="utf-8").startswith("# second\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_figures_linked_relatively(tmp_path, monkeypatch):
    out = tmp_path / "runs" / "compare"
    (out / "figures").mkdir(parents=True)
    inside = out / "figures" / "reliability.png"
    outside = tmp_path / "shared" / "loss curve.png"
    monkeypatch.chdir(tmp_path)
    figures = {
        "Reliability": inside,  # absolute
        "Loss": outside,
        "From cwd": "runs/compare/figures/reliability.png",  # relative to the current directory
        "From report": "figures/reliability.png",  # exists only relative to the report
    }
    inside.write_bytes(b"png")
    text = write_report(aggregate(make_runs()), out, title="t", figures=figures).read_text(
        encoding="utf-8"
    )
    assert "## Figures" in text
    assert "![Reliability](figures/reliability.png)" in text
    assert "![Loss](../../shared/loss%20curve.png)" in text
    assert "![From cwd](figures/reliability.png)" in text
    assert "![From report](figures/reliability.png)" in text
    assert str(tmp_path) not in text


def test_format_table():
    results = aggregate(make_runs())
    table = format_table(results)
    lines = table.splitlines()
    assert len(lines) == 2 + len(VALUES)
    assert len({len(line) for line in lines}) == 1  # fixed width
    assert lines[0].split()[:5] == ["method", "seeds", "accuracy", "nll", "ece_ts"]
    assert lines[0].endswith("accuracy diff vs none")
    assert set(lines[1]) == {"-", " "}
    for method, line in zip(VALUES, lines[2:], strict=True):
        assert line.startswith(method)
    assert "0.8567 ± 0.0252" in lines[4]
    assert lines[2].endswith("(baseline)")
    assert lines[3].endswith("+0.0133 (2/3)")

    only = format_table(results, metrics=["nll"])
    assert "nll" in only and "ece_ts" not in only and "accuracy diff vs none" in only
    with pytest.raises(ValueError, match="unknown metric.*'f1'"):
        format_table(results, metrics=["f1"])


def test_results_must_come_from_aggregate(tmp_path):
    with pytest.raises(ValueError, match="aggregate"):
        format_table({})
    with pytest.raises(ValueError, match="aggregate"):
        write_report({"methods": {}}, tmp_path, title="t")
