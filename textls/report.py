"""Write the results of a comparison as a Markdown report, or as a table for the terminal.

:func:`write_report` writes :func:`textls.aggregation.aggregate`'s results as ``report.md``: the
configuration, each method's ``mean ± std`` over seeds, the paired comparison with the baseline,
the soft-label diagnostics and any further sections (:func:`epsilon_section`,
:func:`ensemble_section`, :func:`per_class_sections`) and figures. :func:`format_table` gives the
same results as a fixed-width table for the terminal; :func:`write_comparison` writes a
comparison's ``results.json`` and ``report.md`` (``textls compare`` and ``textls retrieval
compare`` both), each once and atomically.

Examples
--------
>>> from textls.aggregation import aggregate
>>> results = aggregate([{"method": "none", "seed": 0, "metrics": {"accuracy": 0.8}}])
>>> path = write_report(results, "runs/compare", title="AG News")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from textls.aggregation import higher_is_better
from textls.io import atomic_write, atomic_write_json

__all__ = [
    "ensemble_section",
    "epsilon_section",
    "format_p",
    "format_signed",
    "format_table",
    "md_escape",
    "per_class_sections",
    "write_comparison",
    "write_report",
]


def write_report(
    results: Mapping[str, Any],
    path: str | os.PathLike[str],
    title: str,
    config: Mapping[str, Any] | None = None,
    figures: Mapping[str, str | os.PathLike[str]] | None = None,
    sections: Sequence[str] = (),
) -> Path:
    """Write the results of :func:`~textls.aggregation.aggregate` as a Markdown report; return
    the file's path.

    The report has the title, a ``key | value`` table of ``config`` (if given), a table of
    methods by metrics with ``mean ± std`` over seeds and the best mean of each column in bold
    (by :func:`higher_is_better`), the paired comparison with the baseline (mean difference,
    wins / n and p-value per method and metric), the soft-label diagnostics if ``results`` has
    them, the Markdown lines of ``sections`` (e.g. :func:`per_class_sections`), and ``figures``
    as images.

    Parameters
    ----------
    results : mapping
        The dict returned by :func:`~textls.aggregation.aggregate` (or read back from its JSON).
    path : str or PathLike
        A ``.md`` file, or a folder to write ``report.md`` into. Missing folders are made; the
        file is written to a temporary name and moved into place, so a reader never sees half a
        report.
    title : str
        The report's heading.
    config : mapping, optional
        Settings shown in the configuration table; lists and dicts are shown as JSON.
    figures : mapping, optional
        ``{caption: image path}``. Paths are absolute or relative to the current directory (as
        ``plot_reliability_diagram`` returns them) and are linked relative to the report's
        folder; a relative path that exists only under the report's folder is taken as relative
        to it.
    """
    methods, metrics = _check_results(results)
    path = Path(path)
    if path.suffix.lower() != ".md":
        path = path / "report.md"
    baseline = results.get("baseline")

    lines = [f"# {title}", ""]
    if config:
        lines += ["## Configuration", "", "| Key | Value |", "| --- | --- |"]
        lines += [
            f"| {md_escape(key)} | {md_escape(_config_value(value))} |"
            for key, value in config.items()
        ]
        lines.append("")
    lines += [
        "## Results",
        "",
        "Mean ± standard deviation over seeds (sample std, ddof = 1). "
        "↑: higher is better, ↓: lower is better; the best mean of each column is in **bold**.",
        "",
        *_results_table(results, methods, metrics),
        "",
    ]
    paired = results.get("paired") or {}
    if baseline is not None and paired:
        lines += _paired_section(paired, baseline, metrics)
    if results.get("soft_label_diagnostics"):
        lines += _diagnostics_section(results["soft_label_diagnostics"])
    lines += list(sections)
    if figures:
        lines += ["## Figures", ""]
        for caption, figure in figures.items():
            lines += [f"![{caption}]({quote(_relative_link(figure, path.parent))})", ""]

    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines)
    atomic_write(path, lambda f: f.write(text if text.endswith("\n") else text + "\n"), mode="w")
    return path


def write_comparison(
    folder: str | os.PathLike[str],
    results: Mapping[str, Any],
    title: str,
    config: Mapping[str, Any] | None = None,
    figures: Mapping[str, str | os.PathLike[str]] | None = None,
    sections: Sequence[str] = (),
) -> tuple[Path, Path]:
    """Write a comparison's ``report.md`` and then its ``results.json`` into ``folder``, each once
    and atomically (:func:`textls.io.atomic_write`: a reader sees the old file or the whole new
    one); ``results.json`` comes last, so it is there only when everything else is.  Return both
    paths.  ``results`` is :func:`~textls.aggregation.aggregate`'s dict with any extra JSON
    fields; the other arguments are :func:`write_report`'s.  JSON has no NaN (``allow_nan=False``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    json.dumps(results, allow_nan=False)  # a NaN fails before the report is written
    report = write_report(
        results, folder / "report.md", title, config=config, figures=figures, sections=sections
    )
    atomic_write_json(folder / "results.json", results, allow_nan=False)
    return folder / "results.json", report


def epsilon_section(selection: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """A Markdown table of ``--epsilon auto``'s choice per method (``epsilon_selection``): the
    validation NLL at each epsilon of the grid (the chosen one in bold) and the cost."""
    if not selection:
        return []
    grid = next(iter(selection.values()))["grid"]
    lines = [
        "## Epsilon chosen on the validation split (`--epsilon auto`)",
        "",
        "Validation NLL of one seed-0 model per value (the test split is never used); the "
        "lowest, in bold, is the epsilon every seed of the method then trains with.",
        "",
        "| Method | " + " | ".join(f"eps {e:g}" for e in grid) + " | Chosen | Cost |",
        "| --- | " + " | ".join("---:" for _ in grid) + " | ---: | ---: |",
    ]
    for method, entry in selection.items():
        cells = [
            f"**{v:.4f}**" if e == entry["chosen"] else f"{v:.4f}"
            for e, v in zip(entry["grid"], entry["validation_nll"], strict=True)
        ]
        cost = f"{entry['selection_runs']} runs, {entry['selection_seconds']:.0f} s"
        lines.append(
            f"| `{md_escape(method)}` | " + " | ".join(cells) + f" | {entry['chosen']:g} | {cost} |"
        )
    return [*lines, ""]


def ensemble_section(ensembles: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """A Markdown table of each method's seed ensemble (``textls compare``'s ``ensembles``):
    its metrics, the change against the mean single model, and its cost in training seconds."""
    if not ensembles:
        return []
    metrics = [
        m
        for m in ("accuracy", "macro_f1", "nll", "ece")
        if m in next(iter(ensembles.values()))["metrics"]
    ]
    arrows = [f"{m} {'↑' if higher_is_better(m) else '↓'}" for m in metrics]
    lines = [
        "## Ensembles of each method's seeds (test set)",
        "",
        "The mean of a method's seeds' test probabilities, scored as one model; in brackets the "
        "change against the mean of its single models. The cost is every seed's training and "
        "prediction: as many models as seeds.",
        "",
        "| Method | Models | " + " | ".join(arrows) + " | Cost (s) |",
        "| --- | ---: | " + " | ".join("---:" for _ in metrics) + " | ---: |",
    ]
    for method, entry in ensembles.items():
        cells = [
            f"{entry['metrics'][m]:.4f} ({format_signed(entry['metrics'][m] - entry['single_model_mean'][m])})"
            for m in metrics
        ]
        lines.append(
            f"| `{md_escape(method)}` | {entry['models']} | "
            + " | ".join(cells)
            + f" | {entry['train_eval_seconds']:.0f} |"
        )
    return [*lines, ""]


def per_class_sections(per_class: Mapping[str, Mapping[str, Mapping[str, float]]]) -> list[str]:
    """Markdown tables of per-class F1, precision and recall (classes as rows, methods as
    columns, the best of each row in bold), from ``{method: {class: {precision, recall, f1,
    support}}}`` as :func:`textls.metrics.classification_report` gives them (averaged over seeds)."""
    methods = list(per_class)
    if not methods:
        return []
    classes = list(per_class[methods[0]])
    lines = []
    for key, name in (("f1", "F1"), ("precision", "precision"), ("recall", "recall")):
        lines += [
            f"## Per-class {name} (test set, mean over seeds)",
            "",
            "| Class | Support | " + " | ".join(f"`{md_escape(m)}`" for m in methods) + " |",
            "| --- | ---: | " + " | ".join("---:" for _ in methods) + " |",
        ]
        for cls in classes:
            values = [per_class[m][cls][key] for m in methods]
            cells = [
                f"**{v:.4f}**" if v == max(values) and len(methods) > 1 else f"{v:.4f}"
                for v in values
            ]
            support = per_class[methods[0]][cls]["support"]
            lines.append(f"| {md_escape(cls)} | {support:.0f} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _results_table(results: Mapping[str, Any], methods: list[str], metrics: list[str]) -> list[str]:
    summaries = results["methods"]
    best = {}
    if len(methods) > 1:
        for m in metrics:
            means = [summaries[method]["mean"][m] for method in methods]
            best[m] = max(means) if higher_is_better(m) else min(means)
    arrows = [f"{m} {'↑' if higher_is_better(m) else '↓'}" for m in metrics]
    lines = [
        "| " + " | ".join(["Method", "Seeds", *arrows]) + " |",
        "| --- | ---: |" + " ---: |" * len(metrics),
    ]
    for method in methods:
        summary = summaries[method]
        cells = [f"`{md_escape(method)}`", str(summary["n_seeds"])]
        for m in metrics:
            cell = _mean_std(summary["mean"][m], summary["std"][m])
            cells.append(f"**{cell}**" if summary["mean"][m] == best.get(m) else cell)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _diagnostics_section(diagnostics: Mapping[str, Mapping[str, float]]) -> list[str]:
    """What each method's training targets say (see :func:`textls.diagnostics.diagnose`)."""
    lines = [
        "## Soft labels of the training rows",
        "",
        "Top-1 agreement and log-likelihood of the gold label under each method's out-of-sample "
        "relevance (higher is better; '-' where the soft labels came from a file), the mean "
        "mass its targets put off the gold class, and the smoothing mass the rarest class "
        "receives from the other classes' rows over the mass the most frequent class receives "
        "(about 1 for LS-Classic).",
        "",
        "| Method | Top-1 agreement ↑ | Log-likelihood ↑ | Off-gold mass | Rare / frequent mass |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    keys = ("top1_agreement", "log_likelihood", "off_gold_mass", "rare_to_frequent_mass")
    for method, d in diagnostics.items():
        cells = [f"{d[k]:.4f}" if d.get(k) is not None else "-" for k in keys]
        lines.append(f"| `{md_escape(method)}` | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _paired_section(paired: Mapping[str, Any], baseline: str, metrics: list[str]) -> list[str]:
    base = f"`{md_escape(baseline)}`"
    lines = [
        f"## Paired comparison against {base}",
        "",
        f"Each method is compared with {base} on the seeds both were run with (n). Δ is the mean "
        f"over those seeds of (method − {base}): an improvement is positive for ↑ metrics and "
        f"negative for ↓ metrics. Wins counts the seeds on which the method beat {base} (ties are "
        "not wins). p is from a two-sided paired t-test over seeds (`scipy.stats.ttest_rel`); it "
        "is n/a with fewer than two paired seeds or when the difference is the same on every "
        "seed. With few seeds p-values are weak evidence, and they are not corrected for the "
        "number of methods and metrics compared: read them together with the wins and the spread.",
        "",
        f"| Method | Metric | Δ (method − {base}) | sd of Δ | Wins | p |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for method, by_metric in paired.items():
        for m in metrics:
            s = by_metric[m]
            arrow = "↑" if higher_is_better(m) else "↓"
            lines.append(
                f"| `{md_escape(method)}` | {md_escape(m)} {arrow} | {format_signed(s['mean_diff'])} "
                f"| {_num(s['std_diff'])} | {s['wins']}/{s['n']} | {format_p(s['p_value'])} |"
            )
    lines.append("")
    return lines


def format_table(results: Mapping[str, Any], metrics: Sequence[str] | None = None) -> str:
    """A fixed-width text table of :func:`~textls.aggregation.aggregate`'s results, for printing
    to a terminal.

    One row per method: its name, the number of seeds and ``mean ± std`` of each of ``metrics``
    (default: all). When there is a baseline and an ``accuracy`` metric, a last column gives the
    paired accuracy difference against the baseline and the wins, e.g. ``+0.0123 (4/5)``.

    Raises
    ------
    ValueError
        If a name in ``metrics`` is not in the results.
    """
    methods, all_metrics = _check_results(results)
    if metrics is None:
        metrics = all_metrics
    else:
        metrics = list(metrics)
        unknown = [m for m in metrics if m not in all_metrics]
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown}; the results have {all_metrics}")
    summaries = results["methods"]
    header = ["method", "seeds", *metrics]
    rows = [
        [method, str(summaries[method]["n_seeds"])]
        + [_mean_std(summaries[method]["mean"][m], summaries[method]["std"][m]) for m in metrics]
        for method in methods
    ]
    baseline = results.get("baseline")
    paired = results.get("paired") or {}
    if baseline is not None and "accuracy" in all_metrics:
        header.append(f"accuracy diff vs {baseline}")
        for method, row in zip(methods, rows, strict=True):
            s = paired.get(method, {}).get("accuracy")
            if method == baseline:
                row.append("(baseline)")
            elif s is None:
                row.append("n/a")
            else:
                row.append(f"{format_signed(s['mean_diff'])} ({s['wins']}/{s['n']})")

    widths = [max(len(row[j]) for row in [header, *rows]) for j in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def _check_results(results: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Method and metric names of an :func:`~textls.aggregation.aggregate` result; raise if it
    does not look like one."""
    summaries = results.get("methods") if isinstance(results, Mapping) else None
    if not isinstance(summaries, Mapping) or not summaries:
        raise ValueError("results must be the non-empty dict returned by aggregate()")
    methods = list(summaries)
    first = summaries[methods[0]]
    if not isinstance(first, Mapping) or not {"mean", "std", "n_seeds"} <= first.keys():
        raise ValueError(f"results['methods'][{methods[0]!r}] lacks 'mean', 'std' or 'n_seeds'")
    return methods, list(first["mean"])


def _num(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.4f}" if x == 0 or abs(x) >= 1e-3 else f"{x:.2e}"


def format_signed(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.4f}" if x == 0 or abs(x) >= 1e-3 else f"{x:+.2e}"


def format_p(p: float | None) -> str:
    return "n/a" if p is None else f"{p:.3g}"


def _mean_std(mean: float, std: float | None) -> str:
    # With one seed there is no spread to show, only the value.
    return _num(mean) if std is None else f"{_num(mean)} ± {_num(std)}"


def _config_value(value: Any) -> str:
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str)
    return str(value)


def md_escape(text: Any) -> str:
    """Make ``text`` safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _relative_link(figure: str | os.PathLike[str], folder: Path) -> str:
    figure = Path(figure)
    if not figure.is_absolute() and not figure.exists() and (folder / figure).exists():
        return figure.as_posix()
    return Path(os.path.relpath(figure.resolve(), folder.resolve())).as_posix()
