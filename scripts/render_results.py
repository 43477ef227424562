"""Write the Results page of the documentation (``docs/results.md``) from the JSON under
``scripts/results/``.

Every number on the page comes from a benchmark script's JSON; this script only formats them (and
draws the classification summary plot), so the page cannot drift from what was measured. It replaces
the text between ``<!-- results:start -->`` and ``<!-- results:end -->`` of the page and keeps the
hand-written text around it (the findings at the top); a missing JSON leaves its subsection saying
how to produce it. The page links figures and JSON as ``results/<file>``: ``docs/hooks.py`` serves
``scripts/results/`` there on the documentation site.

    python scripts/render_results.py            # rewrite docs/results.md in place
    python scripts/render_results.py --check    # exit 1 if docs/results.md is not what the JSON gives
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from textls.aggregation import aggregate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- results:start -->", "<!-- results:end -->"
METHODS = ("none", "ls-classic", "ls-distill", "ls-tfidf", "kwls")
#: The invocation that wrote a JSON from before the scripts stored their command line.
DEFAULT_COMMANDS = {
    "generation_scaling.json": "python scripts/benchmark_generation_scaling.py",
    "faiss_benchmark.json": "python scripts/benchmark_faiss.py --docs 1000000",
}


def _load(results: Path, name: str) -> dict | None:
    path = results / name
    return json.loads(path.read_text()) if path.exists() else None


def _provenance(data: dict, name: str) -> str:
    """The line that closes a result's paragraph: its command, machine, date and data file."""
    command = (
        f"`{data['command']}`"
        if "command" in data
        else (f"`{DEFAULT_COMMANDS[name]}` (its defaults; this JSON predates stored command lines)")
    )
    machine = data.get("machine") or data.get("device", "?")
    date = str(data.get("date", "?"))[:10]
    return (
        f"Command: {command} · machine: {machine} · date: {date} · "
        f"data: [`scripts/results/{name}`](scripts/results/{name})\n"
    )


def _ms(pair, digits: int = 4) -> str:
    mean, std = pair
    return f"{mean:.{digits}f}" if std is None else f"{mean:.{digits}f} ± {std:.{digits}f}"


def _diff(paired: dict | None, digits: int = 4) -> str:
    """``+0.0012 (2/3, p=0.04)``; bold when p < 0.05."""
    if paired is None or paired["mean_diff"] is None:
        return "(baseline)"
    p = paired["p_value"]
    text = f"{paired['mean_diff']:+.{digits}f} ({paired['wins']}/{paired['n']}"
    text += ", p n/a)" if p is None else f", p={p:.2g})"
    return f"**{text}**" if _significant(paired) else text


def _significant(paired: dict) -> bool:
    return paired["p_value"] is not None and paired["p_value"] < 0.05


def _scoreboard(runs: dict, metrics: dict[str, str], out: list[str]) -> None:
    """Per method and metric: in how many cells it was better / worse than none with p < 0.05."""
    methods = list(dict.fromkeys(m for r in runs.values() for m in r["paired_vs_none"]))
    tests = 0
    out.append(
        "| method | " + " | ".join(f"{label} better / worse" for label in metrics.values()) + " |"
    )
    out.append("| --- |" + " --- |" * len(metrics))
    for method in methods:
        cells = []
        for metric in metrics:
            found = [
                (cell, s)
                for cell, r in runs.items()
                if (s := r["paired_vs_none"][method].get(metric)) and s["mean_diff"] is not None
            ]
            tests += len(found)
            significant = [(cell, s) for cell, s in found if _significant(s)]
            where = [cell for cell, s in significant if s["wins"] * 2 > s["n"]]
            better = len(where)
            cells.append(
                f"{better} / {len(significant) - better} of {len(found)}"
                + (f" ({', '.join(where)})" if where and len(where) <= 3 else "")
            )
        out.append(f"| {method} | " + " | ".join(cells) + " |")
    out.append(
        f"\nEach entry counts the cells where the paired difference to `none` had p < 0.05, split by "
        f"direction (better on most seeds / worse). Of {tests} tests, about {0.05 * tests:.0f} would "
        "fall below 0.05 by chance alone, so read single cells with care.\n"
    )


#: What each classification setting is, and which distribution its test split follows.
SETTING_TEXT = (
    "`natural`: the data as it comes, its test split drawn like its training split (balanced "
    "for healthtweets, sentiment and rotten_tomatoes, 11:1 and 29:1 for kjv_chapters and "
    "foldoc); `longtail50`: training classes decay geometrically to a 50:1 ratio, the test split "
    "stays balanced and every model predicts under a uniform prior (`--test_distribution "
    "balanced`); `longtail50-iid`: the same training data, the test split long-tailed the same "
    "way (`--test_distribution train`); `noisy20`: 20% of training labels flipped at random "
    "(validation and test clean)."
)


#: Said under a result measured before compare trained every run to its validation plateau.
OLD_PROTOCOL = (
    "**Measured with the defaults of before 2026-12-06 and not rerun since** (a fixed number of "
    "epochs, no prediction-time prior correction): not what `textls compare` gives today.\n"
)
OLD_SETTING_TEXT = (
    "`longtail50`: training classes decay geometrically to a 50:1 ratio (test stays "
    "balanced); `noisy20`: 20% of training labels flipped at random (validation and test clean)."
)


def training_length_section(data: dict | None, name: str, out: list[str]) -> None:
    """Default training length (to the validation plateau) against a long fixed schedule."""
    model = f" (`{data['model']}`)" if data else ""
    heading = (
        f"### Training length{model}: to the validation plateau against a long fixed schedule\n"
    )
    if not _opening(heading, data, name, "benchmark_training_length.py", out):
        return
    out.append(
        f"`textls compare` with its defaults (each run stops once its validation loss has not "
        f"improved for 3 epochs, at most 100, and keeps its best weights) against the same "
        f"command with `--num_train_epochs {data['long_epochs']:g}` (linear decay after a 10% warm-up, "
        f"the last weights); model `{data['model']}`, methods {data['methods']}, "
        f"{data['seeds']} seeds, every test split drawn like its training split. Accuracy is "
        "the mean over seeds; the ratio is default / fixed (goal: at least 0.97); time is the "
        "whole comparison's wall clock.\n"
    )
    methods = data["methods"].split(",")
    out.append(
        "| corpus (train rows, classes) | epochs: default / fixed | "
        + " | ".join(f"{m} accuracy: default / fixed (ratio)" for m in methods)
        + " | time: default / fixed |"
    )
    out.append("| --- | --- | " + " | ".join("---" for _ in methods) + " | --- |")
    ratios, speedups = [], []
    for corpus, cell in data["corpora"].items():
        default, fixed = cell["default"], cell["fixed"]
        epochs = statistics.mean(e for m in default["methods"].values() for e in m["epochs"])
        accuracy = []
        for m in methods:
            ratio = cell["accuracy_ratio"][m]
            ratios.append((ratio, corpus, m))
            accuracy.append(
                f"{default['methods'][m]['accuracy']:.4f} / {fixed['methods'][m]['accuracy']:.4f}"
                f" ({ratio:.3f})"
            )
        speedups.append(fixed["seconds"] / default["seconds"])
        classes = len(cell["data"]["train_class_counts"])
        out.append(
            f"| {corpus} ({cell['data']['train']}, {classes}) | {epochs:.3g} / "
            f"{data['long_epochs']:g} | " + " | ".join(accuracy) + f" | {default['seconds']:.0f} s "
            f"/ {fixed['seconds']:.0f} s ({cell['time_ratio']:.2f}) |"
        )
    worst = min(ratios)
    out.append(
        f"\nThe lowest accuracy ratio is {worst[0]:.3f} ({worst[2]} on {worst[1]}); the default "
        f"took {min(speedups):.1f} to {max(speedups):.1f} times less time than the fixed "
        f"{data['long_epochs']:g} epochs.\n"
    )


def smoothing_mass_section(data: dict | None, name: str, out: list[str]) -> None:
    """How much smoothing mass the rarest class receives, per method, relative to LS-Classic."""
    heading = "### Where the smoothing mass goes on long-tailed data\n"
    if not _opening(heading, data, name, "benchmark_smoothing_mass.py", out):
        return
    out.append(
        "The smoothing mass the rarest training class receives from the other classes' rows over "
        "the mass the most frequent class receives, each method's ratio divided by LS-Classic's "
        f"(1: the same split between rare and frequent classes as uniform smoothing), at epsilon "
        f"{data['epsilon']:g}, from the training targets `textls compare` trains on. "
        "`balanced=True` is the informative methods' default.\n"
    )
    names = list(next(iter(data["cells"].values()))["relative_to_ls_classic"])
    out.append("| corpus (rows, imbalance) | " + " | ".join(f"`{n}`" for n in names) + " |")
    out.append("| --- |" + " --- |" * len(names))
    for cell, entry in data["cells"].items():
        values = entry["relative_to_ls_classic"]
        out.append(
            f"| {cell} ({entry['rows']}, {entry['imbalance']:.0f}:1) | "
            + " | ".join(f"{values[n]:.2f}" for n in names)
            + " |"
        )
    out.append("")


def _current_protocol(data: dict) -> bool:
    """Whether a classification JSON was measured with compare's current defaults: each run to
    its validation plateau, predictions under the test split's class prior."""
    return all("test_distribution" in run for run in data["runs"].values())


def classification_section(
    data: dict, name: str, title: str, out: list[str], results: Path, draw: bool
) -> None:
    out.append(f"#### {title}\n")
    out.append(_provenance(data, name))
    sub = f", at most {data['max_train']} training rows" if data.get("max_train") else ""
    current = _current_protocol(data)
    if data.get("epochs") is None:
        epochs = (
            "each run trained until its validation loss stopped improving (compare's default; "
            "the mean epochs of each method are in the table)"
        )
    elif data.get("min_steps", 400):
        epochs = (
            f"at least {data['epochs']:g} epochs and {data.get('min_steps', 400)} optimiser steps "
            "per cell (each cell's epochs are in the table)"
        )
    else:
        epochs = f"{data['epochs']:g} epochs"
    out.append(
        f"Model `{data['model']}`, {epochs}, {data['seeds']} seeds{sub}. Each cell "
        "trains every method on the same rows with the same seeds; the difference to `none` is paired "
        "by seed (wins/seeds, two-sided paired t-test; **bold**: p < 0.05). Lower is better for NLL and "
        "ECE; NLL (TS) is after temperature scaling on the validation split. "
        f"{SETTING_TEXT if current else OLD_SETTING_TEXT}\n"
    )
    if not current:
        out.append(
            "**Measured with the defaults of before 2026-12-06 and not rerun since**: a fixed "
            "number of epochs (raised to a minimum of optimiser steps), no prediction-time prior "
            "correction, and the long-tailed settings evaluated on the balanced test split only. "
            "Models trained this way stop short of what the data allows, so these numbers are "
            "not what `textls compare` gives today.\n"
        )
    out.append(
        "| corpus-setting (train rows, test distribution) | method | epochs | accuracy | macro-F1 "
        "| NLL | NLL (TS) | ECE | Δ accuracy vs none | Δ macro-F1 | Δ NLL | Δ ECE |"
    )
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for cell, run in data["runs"].items():
        for i, (method, m) in enumerate(run["methods"].items()):
            paired = run["paired_vs_none"].get(method, {})
            size = f"{run['data']['train']}" if "data" in run else ""
            if "test_distribution" in run:
                size += f", test {run['test_distribution']}"
            label = f"{cell} ({size})" if i == 0 and size else ""
            label = label or (cell if i == 0 else "")
            if "training" in run:
                trained = statistics.mean(run["training"][method]["epochs"])
                epochs_cell = f"{trained:.3g}"
            else:
                epochs_cell = f"{run['epochs']:g}" if "epochs" in run else f"{data['epochs']:g}"
            nll_ts = _ms(m["nll_ts"]) if "nll_ts" in m else "-"
            out.append(
                f"| {label} | {method} | {epochs_cell} | {_ms(m['accuracy'])} "
                f"| {_ms(m['macro_f1'])} | {_ms(m['nll'])} | {nll_ts} | {_ms(m['ece'])} "
                f"| {_diff(paired.get('accuracy'))} | {_diff(paired.get('macro_f1'))} "
                f"| {_diff(paired.get('nll'))} | {_diff(paired.get('ece'))} |"
            )
    out.append("")
    _scoreboard(
        data["runs"],
        {"accuracy": "accuracy", "macro_f1": "macro-F1", "nll": "NLL", "ece": "ECE"},
        out,
    )
    _versus_classic(data["runs"], out)
    if current:
        _long_tail_goal(data["runs"], out)
    _ensembles(data["runs"], out)
    figure = data.get("representation_figure")
    if figure:
        out.append(
            f"\n**Penultimate layer** (Müller et al. 2019), `{figure['cell']}`, seed 0: the head "
            f"inputs of training (top) and test (bottom) rows of {', '.join(figure['classes'])} "
            "projected on the plane through the three class templates, one column per method.\n"
        )
        out.append(f"![representations](scripts/results/{figure['file']})\n")
    plot = name.replace(".json", ".png")
    if draw:
        plot_classification(data, results / plot)
    out.append(f"\n![paired differences to none](scripts/results/{plot})\n")


INFORMATIVE = ("ls-distill", "ls-tfidf", "kwls")


def _ensembles(runs: dict, out: list[str]) -> None:
    """Each method's seeds as one model (mean test probabilities), against its single models."""
    cells = {c: r for c, r in runs.items() if r.get("ensembles")}
    if not cells:
        return
    out.append(
        "\n**Seed ensembles**: the mean of a method's seeds' test probabilities scored as one "
        "model, in brackets the change against the mean single model; the cost is one training "
        "per seed.\n"
    )
    out.append("| corpus-setting | method | models | accuracy | macro-F1 | NLL | ECE |")
    out.append("| --- | --- | --- | --- | --- | --- | --- |")
    for cell, run in cells.items():
        for i, (method, e) in enumerate(run["ensembles"].items()):
            values = [
                f"{e['metrics'][k]:.4f} ({e['metrics'][k] - e['single_model_mean'][k]:+.4f})"
                for k in ("accuracy", "macro_f1", "nll", "ece")
            ]
            out.append(
                f"| {cell if i == 0 else ''} | {method} | {e['models']} | "
                + " | ".join(values)
                + " |"
            )
    out.append("")


#: Cells whose training data is long-tailed: the long-tail settings, and the corpora that are
#: long-tailed as they come.
LONG_TAILED = ("-longtail50", "-longtail50-iid", "kjv_chapters-natural", "foldoc-natural")


def _long_tail_goal(runs: dict, out: list[str]) -> None:
    """Per long-tailed cell: the best informative method by macro-F1 against LS-Classic, and
    whether it meets the goal (at least +0.5 macro-F1 points, NLL no worse: lower, or higher
    with p >= 0.05)."""
    cells = {
        c: r
        for c, r in runs.items()
        if "paired_vs_ls_classic" in r and any(c.endswith(k) for k in LONG_TAILED)
    }
    if not cells:
        return
    out.append(
        "\n**Goal on long-tailed data**: the best informative method (by mean macro-F1) at least "
        "0.5 macro-F1 points above LS-Classic, with an NLL no worse (lower, or higher with "
        "p >= 0.05).\n"
    )
    out.append(
        "| cell (test distribution) | best informative | Δ macro-F1 vs ls-classic "
        "| Δ NLL vs ls-classic | goal |"
    )
    out.append("| --- | --- | --- | --- | --- |")
    met, counted = [], 0
    for cell, run in cells.items():
        informative = [m for m in INFORMATIVE if m in run["paired_vs_ls_classic"]]
        if not informative:
            continue
        if len(run["data"].get("train_class_counts", {})) == 2:
            out.append(
                f"| {cell} ({run.get('test_distribution', '?')}) | - | - | - | n/a: with two "
                "classes every method gives LS-Classic's targets |"
            )
            continue
        counted += 1
        best = max(informative, key=lambda m: run["methods"][m]["macro_f1"][0])
        vs = run["paired_vs_ls_classic"][best]
        f1, nll = vs["macro_f1"], vs["nll"]
        nll_ok = nll["mean_diff"] <= 0 or (nll["p_value"] is not None and nll["p_value"] >= 0.05)
        ok = f1["mean_diff"] >= 0.005 and nll_ok
        met += [cell] if ok else []
        out.append(
            f"| {cell} ({run.get('test_distribution', '?')}) | {best} | {_diff(f1)} | "
            f"{_diff(nll)} | {'met' if ok else 'not met'} |"
        )
    out.append(f"\nMet in {len(met)} of {counted} long-tailed cells with three or more classes.\n")


def _significantly_better(paired: dict | None, metric: str) -> bool:
    if not paired or paired.get(metric) is None:
        return False
    p = paired[metric]
    sign = 1 if metric in ("accuracy", "macro_f1") else -1
    return p["p_value"] is not None and p["p_value"] < 0.05 and sign * p["mean_diff"] > 0


def _versus_classic(runs: dict, out: list[str]) -> None:
    """Each informative method against LS-Classic (paired by seed), and, per cell, whether the best
    of them beats both hard labels and LS-Classic on macro-F1 and on NLL."""
    cells = {c: r for c, r in runs.items() if "paired_vs_ls_classic" in r}
    if not cells:
        return
    out.append(
        "\n**Informative methods against LS-Classic** (paired by seed; the same epsilon moves the "
        "same mass off the gold class in every method, so this isolates *where* it goes). "
        "'Beats both' names the informative methods whose macro-F1 (or NLL) is better than both "
        "`none` and `ls-classic` at p < 0.05.\n"
    )
    out.append(
        "| corpus-setting | method | Δ macro-F1 vs ls-classic | Δ NLL vs ls-classic "
        "| beats both on macro-F1 | beats both on NLL |"
    )
    out.append("| --- | --- | --- | --- | --- | --- |")
    tally = {"macro_f1": [], "nll": []}
    for cell, run in cells.items():
        first = True
        winners = {"macro_f1": [], "nll": []}
        for method in INFORMATIVE:
            vs = run["paired_vs_ls_classic"].get(method)
            if vs is None:
                continue
            for metric in winners:
                if _significantly_better(vs, metric) and _significantly_better(
                    run["paired_vs_none"].get(method), metric
                ):
                    winners[metric].append(method)
            out.append(
                f"| {cell if first else ''} | {method} | {_diff(vs.get('macro_f1'))} "
                f"| {_diff(vs.get('nll'))} | {'yes' if method in winners['macro_f1'] else 'no'} "
                f"| {'yes' if method in winners['nll'] else 'no'} |"
            )
            first = False
        for metric, names in winners.items():
            if names:
                tally[metric].append(cell)
    n = len(cells)
    for metric, label in (("macro_f1", "macro-F1"), ("nll", "NLL")):
        won = tally[metric]
        out.append(
            f"\nAn informative method beats both `none` and `ls-classic` on {label} in "
            f"{len(won)} of {n} cells" + (f": {', '.join(won)}." if won else ".")
        )
    out.append("")


def plot_classification(data: dict, path: Path) -> Path:
    """Paired accuracy, NLL and ECE difference to none per cell and method (bars: std over seeds)."""
    cells = list(data["runs"])
    methods = list(  # every method compared with none, in the order the cells list them
        dict.fromkeys(m for r in data["runs"].values() for m in r["paired_vs_none"])
    )
    metrics = ("accuracy", "macro_f1", "nll", "ece")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 0.45 * len(cells) + 2.2))
    width = 0.8 / max(len(methods), 1)
    for ax, metric in zip(axes, metrics, strict=True):
        for j, method in enumerate(methods):
            ys = [i + (j - (len(methods) - 1) / 2) * width for i in range(len(cells))]
            values = [
                (data["runs"][c]["paired_vs_none"].get(method, {}).get(metric) or {}) for c in cells
            ]
            ax.barh(
                ys,
                [v.get("mean_diff") or 0.0 for v in values],
                height=width,
                label=method,
            )
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(range(len(cells)), cells if ax is axes[0] else [""] * len(cells))
        ax.invert_yaxis()
        better = "right" if metric in ("accuracy", "macro_f1") else "left"
        ax.set_title(f"Δ {metric} vs none ({better} is better)", fontsize=9)
    axes[-1].legend(fontsize=8, loc="best")
    fig.suptitle(
        f"{data['model']}, {data['seeds']} seeds: mean paired difference to hard labels",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_retrieval(data: dict, path: Path) -> Path:
    """Paired MRR@10, R@10 and nDCG@10 difference to none per method (bars: std over seeds)."""
    paired = data["result"]["paired_vs_none"]
    methods = [m for m in METHODS[1:] if m in paired]
    measures = ("RR@10", "R@10", "nDCG@10")
    fig, axes = plt.subplots(1, len(measures), figsize=(4.2 * len(measures), 2.8))
    for ax, measure in zip(axes, measures, strict=True):
        values = [paired[m][measure] for m in methods]
        ax.bar(
            methods,
            [v["mean_diff"] for v in values],
            yerr=[v.get("std_diff") or 0.0 for v in values],
            color=[f"C{i}" for i in range(len(methods))],
            capsize=3,
        )
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_title(f"Δ {'MRR@10' if measure == 'RR@10' else measure} vs none", fontsize=9)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.suptitle(f"{data['corpus']}, {data['seeds']} seeds: paired difference to none", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def retrieval_section(data: dict, name: str, out: list[str], results: Path, draw: bool) -> None:
    run = data["result"]
    out.append(f"#### {data['corpus']}\n")
    out.append(_provenance(data, name))
    pairs = data.get("max_train_queries") or "all"
    out.append(
        f"Start model `{data['model']}`, {data['epochs']:g} epoch on {pairs} training pairs, batch "
        f"{data['batch_size']} with in-batch negatives and one BM25 hard negative per query, epsilon "
        f"{data['epsilon']}, passages cut to {data['passage_max_length']} tokens, {data['seeds']} "
        f"seeds, {run['seconds'] / 60:.0f} min in all; flat FAISS index over the whole corpus, test "
        "queries. `pretrained` is the start model without training.\n"
    )
    out.append("| method | MRR@10 | R@10 | nDCG@10 | Δ MRR@10 vs none | Δ R@10 | Δ nDCG@10 |")
    out.append("| --- | --- | --- | --- | --- | --- | --- |")
    for method, m in run["methods"].items():
        paired = run["paired_vs_none"].get(method, {})
        out.append(
            f"| {method} | {_ms(m['RR@10'])} | {_ms(m['R@10'])} | {_ms(m['nDCG@10'])} "
            f"| {_diff(paired.get('RR@10'))} | {_diff(paired.get('R@10'))} "
            f"| {_diff(paired.get('nDCG@10'))} |"
        )
    plot = name.replace(".json", ".png")
    if draw and any(m in run["paired_vs_none"] for m in METHODS[1:]):
        plot_retrieval(data, results / plot)
    out.append(f"\n![paired differences to none](scripts/results/{plot})\n")


def _opening(heading: str, data: dict | None, name: str, script: str, out: list[str]) -> bool:
    """Append a section's ``heading`` and the provenance of its result ``data`` (read from
    ``name``), or the command that writes it if there is none; returns whether there is one."""
    out.append(heading)
    if data is None:
        out.append(f"Not run yet: `python scripts/{script}` writes `{name}`.\n")
        return False
    out.append(_provenance(data, name))
    return True


def sweep_section(data: dict | None, name: str, out: list[str]) -> None:
    heading = "### Where smoothing stops helping: epsilon and KWLS temperature\n"
    if not _opening(heading, data, name, "sweep_epsilon.py", out):
        return
    none = data["none"]
    epochs = (
        "each run to its validation plateau"
        if data.get("epochs") is None
        else f"{data['epochs']:g} epochs"
    )
    calibrated = "nll_ts" in none
    out.append(
        f"{data['corpus']} ({data['setting']}), `{data['model']}`, {epochs}, "
        f"{data['seeds']} seeds. Hard labels: "
        f"accuracy {_ms(none['accuracy'])}, NLL {_ms(none['nll'])}, ECE {_ms(none['ece'])}. "
        "Each cell is the paired difference to hard labels (wins/seeds, p). The off-gold mass is "
        "the mean share of the training targets not on the gold class, as measured in that run"
        + ("; (TS): after temperature scaling on the validation split" if calibrated else "")
        + ".\n"
    )
    if "min_steps" in data or data.get("epochs") is not None:
        out.append(OLD_PROTOCOL)
    off_gold = data.get("off_gold_mass", {})
    metrics = ["accuracy", "macro_f1", "nll", "ece"] + (["nll_ts", "ece_ts"] if calibrated else [])
    labels = {"macro_f1": "macro-F1", "nll_ts": "NLL (TS)", "ece_ts": "ECE (TS)"}
    out.append(
        "| point | off-gold mass | "
        + " | ".join(
            f"Δ {labels.get(m, m.split('_')[0].upper() if m != 'accuracy' else m)}" for m in metrics
        )
        + " |"
    )
    out.append("| --- | --- |" + " --- |" * len(metrics))
    for key, p in data["points"].items():
        mass = f"{off_gold[key]:.3f}" if key in off_gold else "n/a"
        out.append(f"| {key} | {mass} | " + " | ".join(_diff(p[m]) for m in metrics) + " |")
    out.append(
        f"\n![epsilon and temperature sweep](scripts/results/{name.replace('.json', '.png')})\n"
    )


def epsilon_auto_section(data: dict | None, name: str, out: list[str]) -> None:
    heading = "### Choosing epsilon on the validation split (`--epsilon auto`)\n"
    if not _opening(heading, data, name, "benchmark_epsilon_auto.py", out):
        return
    if "min_steps" in data:
        out.append(OLD_PROTOCOL)
    grid = ", ".join(f"{e:g}" for e in data["grid"])
    out.append(
        f"`{data['model']}`, {data['seeds']} seeds, the corpora and settings of the classification "
        f"benchmark. `--epsilon auto` trains one seed-0 model per epsilon of the grid ({grid}), "
        "keeps the lowest validation NLL (the test split is never used) and trains every seed at "
        f"it; each cell is the paired difference auto - fixed ({data['fixed_epsilon']:g}) on the "
        "test split (wins/seeds, p; bold p < 0.05). Cost: the selection's seconds as a multiple "
        "of the method's training at the fixed epsilon.\n"
    )
    out.append("| cell | method | chosen | Δ macro-F1 | Δ NLL | Δ ECE | cost |")
    out.append("| --- | --- | --- | --- | --- | --- | --- |")
    tally = {"macro_f1": [0, 0], "nll": [0, 0]}
    rows = 0
    for cell, c in data["cells"].items():
        for method, m in c["methods"].items():
            diff = m["auto_minus_fixed"]
            rows += 1
            for metric, (better, worse) in tally.items():
                d = diff[metric]
                if _significant(d):
                    improved = d["mean_diff"] > 0 if metric == "macro_f1" else d["mean_diff"] < 0
                    tally[metric] = [better + improved, worse + (not improved)]
            cost = m["selection_seconds"] / m["fixed_training_seconds"]
            out.append(
                f"| {cell} | {method} | {m['chosen_epsilon']:g} | {_diff(diff['macro_f1'])} "
                f"| {_diff(diff['nll'])} | {_diff(diff['ece'])} | {cost:.1f}x |"
            )
    chosen = [m["chosen_epsilon"] for c in data["cells"].values() for m in c["methods"].values()]
    counts = ", ".join(f"{e:g}: {chosen.count(e)}" for e in data["grid"])
    out.append(
        f"\nOf {rows} (cell, method) pairs, auto was significantly better / worse than the fixed "
        f"epsilon on macro-F1 in {tally['macro_f1'][0]} / {tally['macro_f1'][1]} and on NLL in "
        f"{tally['nll'][0]} / {tally['nll'][1]}. Epsilon chosen ({counts}).\n"
    )


#: how each batch setting of benchmark_st_losses.py reads on the page
ST_SETTINGS = {
    ("labels", "one"): "one labelled passage a query (the others unlabelled, counted by the test)",
    ("batches", "clustered"): "topic-clustered batches (TAS-B)",
    ("hard_negatives", "dense"): "one hard negative a pair, mined by the guide",
}


def _st_setting(data: dict) -> str:
    parts = [text for (key, value), text in ST_SETTINGS.items() if data.get(key) == value]
    if data["batch_size"] != 32:  # benchmark_st_losses.BATCH_SIZE, as its file names read
        parts.append(f"batches of {data['batch_size']}")
    if data["searched_passages"] == data["corpus_passages"] >= 100_000:
        parts.append(
            f"at scale: {data['train_queries']:,} training queries, the whole "
            f"{data['corpus_passages']:,}-passage corpus searched"
        )
    return "; ".join(parts) if parts else "every labelled pair, random batches, no hard negatives"


def _st_guides(data: dict) -> str:
    """Which losses use a guide model (GISTEmbed's, textls's guided targets), and its margin."""
    guided = [
        f"`{m}`"
        for m in data["losses"]
        if "gist" in m
        or m.removeprefix("textls-")
        .removeprefix("cached-")
        .startswith(("default", "hybrid", "guided", "keep-suspects"))
    ]
    if not guided:
        return ""
    return (
        f"; the guide of {', '.join(guided)} is the packaged MiniLM as it is before training, "
        f"margin {data.get('margin', 0.0):g}"
    )


def _st_seeds(data: dict) -> str:
    """How many seeds the file's losses ran with."""
    counts = {m["n_seeds"] for m in data.get("comparison", {}).get("methods", {}).values()}
    if len(counts) > 1:
        return f"{min(counts)} to {max(counts)} seeds (per loss in the table)"
    return f"{data['seeds']} seed" + ("" if data["seeds"] == 1 else "s")


def st_losses_section(data: dict, name: str, out: list[str]) -> None:
    out.append(f"#### {data['corpus']}: {_st_setting(data)}\n")
    out.append(_provenance(data, name))
    for method, note in data.get("renamed", {}).items():  # runs kept under what they measured
        out.append(f"`{method}`: {note}.\n")
    for added in data.get("added", []):  # runs of more losses or seeds, same setting (--add)
        seeds = added["seeds"]  # a count (the first seeds) or, since --first-seed, the list
        which = (
            "the same data, batches and seeds"
            if isinstance(seeds, int)
            else "the same data and batches, seeds " + ", ".join(map(str, seeds))
        )
        out.append(
            f"Runs of {', '.join(f'`{m}`' for m in added['losses'])} added on "
            f"{added['date'][:10]} by `{added['command']}` ({which}; "
            "`positive_margin` "
            f"{added['positive_margin']:g}"
            + (
                f", `suspect_quantile` {added['suspect_quantile']:g}"
                if any(m.endswith("default-quantile") for m in added["losses"])
                else ""
            )
            + ")"
            + (f": {added['note']}" if "note" in added else "")
            + ".\n"
        )
    check = data.get("st_evaluator_check")
    agree = ""
    if check:
        worst = max(
            abs(check["textls"][k] - check["sentence_transformers"][k]) for k in check["textls"]
        )
        agree = (
            f" textls's metrics against sentence-transformers' InformationRetrievalEvaluator on "
            f"{check['run']}: largest difference {worst:.1e}."
        )
    unlabelled = data.get("in_batch_unlabelled_positive_share")
    hidden = (
        ""
        if unlabelled is None
        else f" and {100 * unlabelled:.2f}% are relevant by the full qrels but unlabelled"
    )
    out.append(
        f"{data['model']}, {data['epochs']:g} epoch on {data['train_pairs']} training examples "
        f"of {data['train_queries']} queries, batch {data['batch_size']}, "
        f"learning rate {data['learning_rate']:g}, texts cut to {data['max_length']} tokens, "
        f"{_st_seeds(data)}; epsilon {data['epsilon']:g} for textls's lexical losses, "
        f"mini-batches of {data['mini_batch_size']} for the cached ones{_st_guides(data)}. "
        f"Test: {data['test_queries']} queries "
        f"searched exactly over {data['searched_passages']:,} of the corpus's "
        f"{data['corpus_passages']:,} passages. In the training batches, "
        f"{100 * data['in_batch_false_negative_share']:.2f}% of the in-batch candidates are known "
        f"positives of the anchor (false negatives to MNRL){hidden}.{agree}\n"
    )
    comparison = data.get("comparison")
    if comparison is None:  # no mnrl run to compare with
        out.append("No `mnrl` run in this file: nothing to compare with.\n")
        return
    runs = [{k: r[k] for k in ("method", "seed", "metrics")} for r in data["runs"]]
    versus_gist = (
        aggregate(runs, baseline="gist")["paired"] if "gist" in comparison["methods"] else {}
    )
    out.append(
        "| loss | MRR@10 | R@10 | nDCG@10 | Δ MRR@10 vs mnrl | Δ R@10 | Δ nDCG@10 "
        "| Δ MRR@10 vs gist | train s | soft targets |"
    )
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    counts = {m["n_seeds"] for m in comparison["methods"].values()}
    for method, m in comparison["methods"].items():
        paired = comparison["paired"].get(method, {})
        made = [r for r in data["runs"] if r["method"] == method]
        # where losses ran with different numbers of seeds, each says how many (a paired
        # difference uses the seeds both ran)
        shown = method if len(counts) == 1 else f"{method} ({m['n_seeds']} seeds)"
        seconds = statistics.mean(r["train_seconds"] for r in made)
        shares = [r["soft_target_share"] for r in made if r["soft_target_share"] is not None]
        share = f"{100 * statistics.mean(shares):.2f}% of training" if shares else ""
        setup = [r["loss_setup_seconds"] for r in made if r.get("loss_setup_seconds") is not None]
        if shares and setup:
            share += f"; set-up {statistics.mean(setup):.0f} s"
        cells = [_ms((m["mean"][k], m["std"][k])) for k in ("RR@10", "R@10", "nDCG@10")] + [
            _diff(paired.get(k)) for k in ("RR@10", "R@10", "nDCG@10")
        ]
        gist = "" if not versus_gist else _diff(versus_gist.get(method, {}).get("RR@10"))
        out.append(f"| {shown} | " + " | ".join(cells) + f" | {gist} | {seconds:.0f} | {share} |")
    out.append("")


#: What the suspects table counts (scripts/benchmark_suspects.py).
SUSPECTS_INTRO = (
    "The guided targets of `SoftTargetMNRLoss(model, train_dataset)` (the packaged MiniLM as the "
    "guide, as before training) over one epoch of the training batches of each setting above. A "
    "candidate is left out of the softmax when the guide scores it above the anchor's labelled "
    "positive and at least at the floor: the `suspect_quantile` quantile of the guide's scores "
    "on the labelled pairs (0: no floor, GISTEmbed's rule; 0.5, the median: the default). "
    "**suspects**: where they are looked for, `all` the batch's candidates (GISTEmbed's rule) "
    "or `mined` only the hard negatives mined for the anchor's query (the default). "
    "**left out**: share of the (anchor, candidate) pairs that are not known positives; "
    "**unlabelled positives left out**: those relevant by the full qrels (recall); "
    "**precision**: their share of what is left out.\n"
)


def suspects_section(data: dict | None, name: str, out: list[str]) -> None:
    """Which in-batch candidates the guided targets leave out, per scope and floor quantile, and
    how many of them are unlabelled positives."""
    script = "benchmark_suspects.py"
    if not _opening(
        "#### Which candidates the guided default leaves out\n", data, name, script, out
    ):
        return
    out += [
        SUSPECTS_INTRO,
        "| corpus | suspects | quantile | floor | left out | unlabelled positives left out "
        "| precision |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for corpus, setting in data["settings"].items():
        scoped = [(s, q, r) for s, rows in setting["by_scope"].items() for q, r in rows.items()]
        for scope, quantile, row in scoped:
            floor = "none" if row["floor"] is None else f"{row['floor']:.3f}"
            recall = (
                "none in the batches"
                if not row["unlabelled_positives"]
                else f"{row['unlabelled_left_out']} of {row['unlabelled_positives']} "
                f"({100 * row['recall']:.1f}%)"
            )
            precision = "" if row["precision"] is None else f"{100 * row['precision']:.1f}%"
            out.append(
                f"| {corpus} | {scope} | {quantile} | {floor} | {100 * row['left_out_share']:.2f}% "
                f"({row['left_out']:,} of {row['candidate_pairs']:,}) | {recall} | {precision} |"
            )
    out.append("")
    kinds = [
        (corpus, setting["by_scope"]["all"]["0.5"])
        for corpus, setting in data["settings"].items()
        if "by_kind" in setting["by_scope"].get("all", {}).get("0.5", {})
    ]
    if kinds:
        out += [
            "Where the suspects are: with every candidate a possible suspect (`all`) and the "
            "median floor, the candidates left out by kind, and the unlabelled positives among "
            "them.\n",
            "| corpus | candidate | candidate pairs | left out | unlabelled positives left out "
            "(of all in the batches) |",
            "| --- | --- | --- | --- | --- |",
        ]
        for corpus, row in kinds:
            for kind, count in row["by_kind"].items():
                out.append(
                    f"| {corpus} | {kind} | {count['candidate_pairs']:,} | {count['left_out']:,} "
                    f"| {count['unlabelled_left_out']:,} ({count['unlabelled_positives']:,}) |"
                )
        out.append("")


#: (JSON key, header) of the relevance table columns; higher is better in each
RELEVANCE_COLUMNS = (
    ("test_top1", "test top-1"),
    ("test_loglik", "test log-lik"),
    ("train_oos_top1", "train out-of-sample top-1"),
)


def _losses(rows: dict, key: str, reference: str = "kwls") -> list[str]:
    """The configurations that beat ``reference`` on ``key`` at the three decimals shown, with the
    paired difference over the test rows (``± standard error``) where the JSON has it."""
    mine = round(rows[reference][key], 3)
    better = sorted((r[key], name) for name, r in rows.items() if round(r[key], 3) > mine)[::-1]
    found = []
    for value, name in better:
        diff = rows[name].get(f"{key}_vs_{reference}")
        if diff is None:
            found.append(f"{name} ({value:.3f})")
            continue
        mean, se = diff
        noise = ", within 2 SE" if abs(mean) < 2 * se else ""
        found.append(f"{name} ({value:.3f}; {mean:+.3f} ± {se:.3f}{noise})")
    return found


def relevance_section(data: dict | None, name: str, out: list[str]) -> None:
    heading = "### Choosing the defaults: does the relevance point at the gold class?\n"
    if not _opening(heading, data, name, "benchmark_relevance.py", out):
        return
    out.append(
        "Each configuration is fitted on a corpus's `train.csv`. **test top-1**: how often the "
        "relevance ranks the gold class of a `test.csv` row first (a tie for first among `t` "
        "classes counts `1/t`, so uniform relevance scores `1/C`); **test log-lik**: "
        "`smoother.score(test)`, the mean log-likelihood of the gold label (higher is better); "
        "**train out-of-sample top-1**: the same on `fit_relevance`, the training rows' "
        "relevance that the training targets are made of (KWLS cross-fits 5 folds, LS-TFIDF leaves "
        "one out, LS-Distill cross-fits its teacher); **keywords / class**: KWLS's mean class "
        "keyword count; **fit s**: `fit_relevance` on the training rows. `kwls` is the defaults "
        "(every positive-z class keyword, every term of the text); the old defaults were "
        "`top_k=10, class_top_k=50`. Bold: the best of a column. LS-Classic is uniform: the floor. "
        "Under each table: the configurations that beat KWLS's defaults, with the paired "
        "difference over the test rows ± its standard error.\n"
    )
    corpora = data["corpora"]
    versus = {}
    for key, label in (("test_top1", "test top-1"), ("test_loglik", "test log-lik")):
        at_least = [
            c
            for c, d in corpora.items()
            if round(d["configs"]["kwls"][key], 3) >= round(d["configs"]["ls-tfidf"][key], 3)
        ]
        behind = [c for c in corpora if c not in at_least]
        versus[label] = f"{len(at_least)} of {len(corpora)} corpora" + (
            f" (behind on {', '.join(behind)})" if behind else ""
        )
    if corpora and all("ls-tfidf" in d["configs"] for d in corpora.values()):
        out.append(
            f"KWLS with its defaults is at least as good as LS-TFIDF on test top-1 on "
            f"{versus['test top-1']}, and on test log-lik on {versus['test log-lik']}.\n"
        )
    for corpus, d in corpora.items():
        shape, rows = d["shape"], d["configs"]
        out.append(
            f"#### {corpus}: {shape['train_rows']:,} train / {shape['test_rows']:,} test rows, "
            f"{shape['classes']} classes, imbalance {shape['imbalance_ratio']:.1f}:1, "
            f"{shape['mean_words']:.0f} words per text\n"
        )
        out.append(
            "| configuration | "
            + " | ".join(label for _, label in RELEVANCE_COLUMNS)
            + " | keywords / class | fit s |"
        )
        out.append("| --- |" + " --- |" * (len(RELEVANCE_COLUMNS) + 2))
        best = {k: max(round(r[k], 3) for r in rows.values()) for k, _ in RELEVANCE_COLUMNS}
        for config, r in rows.items():
            cells = [
                f"**{r[k]:.3f}**" if round(r[k], 3) == best[k] else f"{r[k]:.3f}"
                for k, _ in RELEVANCE_COLUMNS
            ]
            keywords = f"{r['keywords_per_class']:,.0f}" if "keywords_per_class" in r else ""
            out.append(
                f"| {config} | " + " | ".join(cells) + f" | {keywords} | {r['fit_seconds']:.1f} |"
            )
        if "kwls" in rows:
            lost = [
                f"on {label} to {', '.join(found)}"
                for key, label in RELEVANCE_COLUMNS[:2]
                if (found := _losses(rows, key))
            ]
            out.append(
                "\nKWLS defaults lose " + "; ".join(lost) + "."
                if lost
                else "\nKWLS defaults are best on test top-1 and test log-lik."
            )
        out.append("")
    for corpus, note in data.get("skipped", {}).items():
        out.append(f"Skipped {corpus}: {note}.\n")


#: how the smoothing-speed table names each TfidfVectorizer baseline
_BASELINE_NAMES = {"fit_transform": "fit_transform", "fit_then_transform": "fit, then transform"}


def _smoothing_speed(d: dict, name: str, out: list[str]) -> None:
    """Soft-label generation against the TfidfVectorizer floor, with the KWLS targets."""
    base = d["baselines"]
    out.append(
        f"**Soft-label generation vs the `TfidfVectorizer` floor** ({d['docs']:,} synthetic "
        f"documents of ~{d['words_per_doc']} words, {d['classes']} classes, median of "
        f"{d['repeats']}). Each row is divided by the TfidfVectorizer run that tokenises as often: "
        "`fit_transform` once, `fit` then `transform` on the same texts twice. "
        + _provenance(d, name)
    )
    out.append("| | seconds | ratio | KWLS target |\n| --- | --- | --- | --- |")
    out.append(f"| TfidfVectorizer.fit_transform | {base['fit_transform']:.2f} | 1.00x | |")
    out.append(
        f"| TfidfVectorizer fit, then transform | {base['fit_then_transform']:.2f} | 1.00x | |"
    )
    for method, m in d["methods"].items():
        target = ""
        if "target" in m:
            verdict = "met" if m["meets_target"] else "**missed**"
            target = f"≤ {m['target']:g}x: {verdict}"
        out.append(
            f"| {method} | {m['seconds']:.2f} | {m['ratio']:.2f}x "
            f"{_BASELINE_NAMES[m['baseline']]} | {target} |"
        )
    out.append("")


def _generation_scaling(d: dict, name: str, out: list[str]) -> None:
    """How generation time grows with the number of documents."""
    out.append(
        f"**Growth from {d['sizes_done'][0]:,} to {d['sizes_done'][-1]:,} documents** "
        f"(~{d['words_per_doc']} words, {d['classes']} classes). " + _provenance(d, name)
    )
    methods = list(d["rows"][0]["methods"])
    out.append("| documents | " + " | ".join(f"{m} s (ratio)" for m in methods) + " |")
    out.append("| --- |" + " --- |" * len(methods))
    for row in d["rows"]:
        cells = [
            f"{row['methods'][m]['seconds']:.2f} ({row['methods'][m]['ratio_vs_floor']:.2f})"
            for m in methods
        ]
        out.append(f"| {row['docs']:,} | " + " | ".join(cells) + " |")
    out.append("\n![generation scaling](scripts/results/generation_scaling.png)\n")


def _trainer_overhead(d: dict, name: str, out: list[str]) -> None:
    """SoftLabelTrainer's seconds per step against the plain Trainer's."""
    plain, soft = (
        statistics.median(d["plain_ms_per_step"]),
        statistics.median(d["soft_ms_per_step"]),
    )
    out.append(
        f"**SoftLabelTrainer vs plain Trainer** (`{d['model']}`, {d['steps']} steps of "
        f"{d['batch_size']}, {d['repeats']} alternating repeats): {soft:.1f} vs {plain:.1f} ms per "
        f"step, ratio of medians **{d['ratio_of_medians']:.3f}** (target: within 3%). "
        + _provenance(d, name)
    )
    if d.get("regularizers"):
        per = ", ".join(
            f"{k} {statistics.median(r['ms_per_step']):.1f} ms (ratio **{r['ratio_of_medians']:.3f}**)"
            for k, r in d["regularizers"].items()
        )
        out.append(
            f"**With a regularizer** (the same soft labels, runs and plain Trainer): {per}; "
            "target: within 5% of the plain Trainer.\n"
        )


def _retrieval_overhead(d: dict, name: str, out: list[str]) -> None:
    """The retrieval soft targets' share of a training step."""
    worst = max(m["ratio_to_step"] for m in d["methods"].values())
    per = ", ".join(f"{k} {m['targets_ms']:.2f} ms" for k, m in d["methods"].items())
    out.append(
        f"**Retrieval soft targets per batch** (batch {d['batch_size']}, news_titles): {per}, "
        f"against a {d['step_ms'] / 1000:.1f} s training step; the largest share is "
        f"**{100 * worst:.3f}%** of a step (target: under 5%). " + _provenance(d, name)
    )


def _cache_benchmark(d: dict, name: str, out: list[str]) -> None:
    """Building a soft-label cache, per --num-proc."""
    builds = "; ".join(
        f"`--{k.replace('=', ' ').replace('_', '-')}`: {b['seconds']:.1f} s, {b['rows_per_second']:,.0f} rows/s, "
        f"{b['ratio_vs_tfidf_vectorizer']:.2f}x the floor, peak RSS "
        f"{b['peak_rss_mib_driver']:,.0f} MiB"
        + (
            f" + {b['peak_rss_mib_largest_worker']:,.0f} MiB per worker"
            if b.get("peak_rss_mib_largest_worker")
            else ""
        )
        for k, b in d["builds"].items()
    )
    out.append(
        f"**Cache build** ({d['docs']:,} documents, {d['method']}; TfidfVectorizer "
        f"{d['tfidf_vectorizer']['seconds']:.1f} s): {builds}. Each build reads and fingerprints "
        f"the input and writes {d['builds'][next(iter(d['builds']))]['cache_mib']:,.0f} MiB of "
        "checksummed shards. " + _provenance(d, name)
    )


def _faiss_benchmark(d: dict, name: str, out: list[str]) -> None:
    """FAISS index kinds: build time, size, speed and recall."""
    out.append(
        f"**FAISS** ({d['docs']:,} synthetic clustered unit vectors of dimension {d['dim']}, "
        f"{d['queries']:,} queries, k={d['k']}, {d['threads']} threads; recall@10 against the "
        "exact top-10). The clusters are well separated, which flatters IVF: rank index kinds on "
        "your own embeddings. " + _provenance(d, name)
    )
    out.append("| index | vectors | build s | MiB | queries/s | recall@10 |")
    out.append("| --- | --- | --- | --- | --- | --- |")
    for c in d["configs"]:
        out.append(
            f"| {c['name']} | {c['n_vectors']:,} | {c['build_seconds']:.1f} | "
            f"{c['index_mib']:,.0f} | {c['qps']:,.0f} | {c['recall_at_10']:.3f} |"
        )
    out.append("\n![FAISS](scripts/results/faiss_benchmark.png)\n")


def _fasttext_speed(d: dict, name: str, out: list[str]) -> None:
    """fastText training speed through SoftLabelTrainer, per configuration."""
    per = "; ".join(
        f"`{k}` (batch {c['batch_size']}): {c['median_train_examples_per_second']:,.0f} examples/s, "
        f"accuracy {_ms(c['accuracy'], 3)}"
        for k, c in d["configs"].items()
    )
    out.append(
        f"**fastText training speed** ({d['corpus']}, {d['train_rows']:,} rows, {d['epochs']:g} "
        f"epochs, {d['seeds']} seeds, median): {per}. `old` is batch 64 with the whole WordPiece "
        "table and unfused AdamW; `new` compare's defaults (batch 128, rows for the training "
        "tokens only, fused AdamW, batches from `InMemoryDataset`); `:arrow` reads batches from "
        "the `datasets.Dataset` instead. " + _provenance(d, name)
    )


def _st_throughput(d: dict, name: str, out: list[str]) -> None:
    """sentence-transformers losses: training speed and peak memory at one batch size."""
    per = "; ".join(
        f"`{r['loss']}` {r['examples_per_second']:.1f} examples/s ({r['speed_vs_first']:.2f}x), "
        f"peak {r['peak_memory_mib']:,.0f} MiB ({r['memory_vs_first']:.2f}x)"
        for r in d["results"]
    )
    out.append(
        f"**sentence-transformers losses at batch {d['batch_size']}** (cached mini-batches of "
        f"{d['mini_batch_size']}, {d['max_length']} tokens, {d['device']}, "
        f"{d['results'][0]['peak_memory_kind']}): {per}. {d.get('note', '')} "
        + _provenance(d, name)
    )


#: The paragraphs of the Cost section, each drawn from its result file when that file exists.
_COST_PARAGRAPHS = {
    "fasttext_speed.json": _fasttext_speed,
    "st_throughput.json": _st_throughput,
    "smoothing_speed.json": _smoothing_speed,
    "generation_scaling.json": _generation_scaling,
    "trainer_overhead.json": _trainer_overhead,
    "retrieval_overhead.json": _retrieval_overhead,
    "cache_benchmark.json": _cache_benchmark,
    "faiss_benchmark.json": _faiss_benchmark,
}


def cost_section(results: Path, out: list[str]) -> None:
    out.append("### Cost\n")
    for name, paragraph in _COST_PARAGRAPHS.items():
        d = _load(results, name)
        if d:
            paragraph(d, name, out)


def gpu_section(results: Path, out: list[str]) -> None:
    out.append("### GPU\n")
    on_gpu = []
    for path in sorted(results.glob("*.json")):
        machine = str(json.loads(path.read_text()).get("machine", ""))
        if "cuda" in machine:
            on_gpu.append(f"`{path.name}` ({machine})")
    if on_gpu:
        out.append("Measured on a GPU: " + ", ".join(on_gpu) + ".\n")
    else:
        out.append(
            "No result on this page was measured on a GPU: none was lent to this project's runs, "
            "so the bf16 training throughput is not measured. Every script runs on a GPU unchanged "
            "(`--bf16` for the training benchmarks).\n"
        )


def render(results: Path, draw: bool = True, link: str = "results") -> str:
    """The generated part of the Results page for the JSON in ``results``.

    ``link`` is the folder the page's links to figures and JSON files start with: ``results``, where
    ``docs/hooks.py`` puts ``scripts/results/`` on the documentation site.
    """
    out = [
        "Generated by `python scripts/render_results.py` from the JSON under `scripts/results/`; "
        "do not edit by hand. Every script runs from a clean clone after the quick start's "
        '`pip install -e ".[dev]"`.\n',
        "### Quality: text classification\n",
    ]
    found = sorted(results.glob("classification_*.json"))
    if not found:
        out.append("Not run yet: `python scripts/benchmark_classification.py`.\n")
    for path in found:
        data = json.loads(path.read_text())
        rows = f"at most {data['max_train']} training rows" if data.get("max_train") else "full"
        title = f"`{data['model']}`, {rows}: {', '.join(data['runs'])}"
        methods = list(dict.fromkeys(m for r in data["runs"].values() for m in r["methods"]))
        if tuple(methods) != METHODS:  # e.g. the alternatives to label smoothing
            title += f"; methods {', '.join(f'`{m}`' for m in methods)}"
        classification_section(data, path.name, title, out, results, draw)
    found = sorted(results.glob("training_length_*.json"))
    if not found:
        training_length_section(None, "training_length_fasttext.json", out)
    for path in found:
        training_length_section(json.loads(path.read_text()), path.name, out)
    out.append("### Quality: dense retrieval, none vs each soft-target method\n")
    found = sorted(results.glob("retrieval_compare_*.json"))
    if not found:
        out.append("Not run yet: `python scripts/benchmark_retrieval.py`.\n")
    for path in found:
        retrieval_section(json.loads(path.read_text()), path.name, out, results, draw)
    found = sorted(results.glob("st_losses_*.json"))
    out.append(
        "### Quality: dense retrieval in sentence-transformers, textls's loss vs MNRL and "
        "GISTEmbed\n"
    )
    if not found:
        out.append("Not run yet: `python scripts/benchmark_st_losses.py`.\n")
    for path in found:
        st_losses_section(json.loads(path.read_text()), path.name, out)
    suspects_section(_load(results, "suspects.json"), "suspects.json", out)
    relevance_section(_load(results, "relevance.json"), "relevance.json", out)
    smoothing_mass_section(_load(results, "smoothing_mass.json"), "smoothing_mass.json", out)
    epsilon_auto_section(
        _load(results, "epsilon_auto_fasttext.json"), "epsilon_auto_fasttext.json", out
    )
    sweep_section(_load(results, "sweep_epsilon.json"), "sweep_epsilon.json", out)
    cost_section(results, out)
    gpu_section(results, out)
    page = "\n".join(out).rstrip() + "\n"
    # The sections link to scripts/results/...; point them at where the page sees that folder.
    return page.replace("](scripts/results/", f"]({link}/")


def fill(text: str, generated: str, name: str = "the page") -> str:
    """``text`` with the part between START and END replaced by ``generated``."""
    if START not in text or END not in text:
        sys.exit(f"{name}: no {START} ... {END} block to fill")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{generated}{END}{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--page", default=str(ROOT / "docs" / "results.md"))
    parser.add_argument("--results", default=str(ROOT / "scripts" / "results"))
    parser.add_argument(
        "--link",
        default="results",
        help="The folder the page's links to figures and JSON start with (default: results, "
        "where docs/hooks.py serves scripts/results/ on the documentation site).",
    )
    parser.add_argument("--check", action="store_true", help="Only check that the page is current.")
    args = parser.parse_args()
    page = Path(args.page)
    text = page.read_text()
    new = fill(text, render(Path(args.results), draw=not args.check, link=args.link), str(page))
    if args.check:
        if new != text:
            sys.exit(f"{page} is out of date: run python scripts/render_results.py")
        print(f"{page} is current")
        return
    page.write_text(new)
    print(f"wrote the generated part of {page}")


if __name__ == "__main__":
    main()
