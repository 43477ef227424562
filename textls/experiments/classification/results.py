"""What a finished ``textls compare`` writes: each run's test predictions, ``results.json``,
``report.md`` and the figures, and the table it prints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from textls.aggregation import aggregate
from textls.classification.representation import (
    plot_template_projections,
    project_onto_templates,
)
from textls.classification.summary import training_section, verdict_section, warnings_section
from textls.experiments.classification.arguments import CompareArguments
from textls.experiments.classification.data import ComparisonData
from textls.experiments.classification.runs import RunResult, RunSetup, run_seeds
from textls.io import atomic_write
from textls.metrics import classification_report, compute_metrics, plot_reliability_diagram
from textls.old_flags import own_options
from textls.report import (
    ensemble_section,
    epsilon_section,
    format_table,
    per_class_sections,
    write_comparison,
)
from textls.training_args import changed_options


def save_predictions(path: Path, result: RunResult, y_test, classes) -> None:
    """``path`` (``predictions/METHOD-seedS.npz``): the test probabilities the metrics score
    (under ``--test_distribution``'s prior), the model's raw logits, the gold labels and the
    classes."""

    def write(f) -> None:
        np.savez_compressed(
            f,
            probs=result.probs.astype(np.float32),
            logits=result.logits.astype(np.float32),
            labels=y_test,
            classes=np.asarray([str(c) for c in classes]),
        )

    atomic_write(path, write)


def write_outputs(
    out: Path,
    args: CompareArguments,
    setup: RunSetup,
    data: ComparisonData,
    y_train: np.ndarray,
    runs: list[dict],
    outcomes: dict[str, list[RunResult]],
    diagnostics: dict,
    timings: dict,
    selection: dict | None = None,
) -> dict:
    """``results.json``, ``report.md`` (each written once, atomically) and the reliability figure
    of a finished compare; returns the results.  ``selection``: :func:`choose_epsilon`'s record
    per method under ``--epsilon auto``."""
    methods = list(outcomes)
    classes = [str(c) for c in data.classes]
    results = aggregate(runs, baseline="none" if "none" in methods else methods[0])
    results["config"] = own_options(args)
    results["trainer_options"] = changed_options(setup.training_args)
    results["classes"] = classes
    counts = np.bincount(y_train, minlength=len(classes))
    results["data"] = {
        "train": len(y_train),
        "validation": len(setup.y_val),
        "test": len(setup.y_test),
        "train_class_counts": dict(zip(classes, map(int, counts), strict=True)),
        "imbalance": float(counts.max() / counts.min()),
    }
    # The mass each method moves off the gold class (eps (C-1)/C for every smoother, by design)
    # and, for those fitted here, how well the training rows' out-of-sample relevance finds gold.
    results["off_gold_mass"] = {m: d["off_gold_mass"] for m, d in diagnostics.items()}
    results["soft_label_diagnostics"] = diagnostics
    results["timings"] = timings
    results["training"] = {m: [r.training for r in rs] for m, rs in outcomes.items()}
    results["warnings"] = [
        {"method": m, "seed": seed, "warning": w}
        for m, rs in outcomes.items()
        for seed, r in zip(run_seeds(args), rs, strict=True)
        for w in r.warnings
    ]
    if "ls-classic" in methods:
        results["paired_vs_ls_classic"] = {
            m: p for m, p in aggregate(runs, baseline="ls-classic")["paired"].items() if m != "none"
        }
    uncorrected = aggregate(
        [
            {"method": m, "seed": seed, "metrics": r.uncorrected}
            for m, rs in outcomes.items()
            for seed, r in zip(run_seeds(args), rs, strict=True)
        ],
        baseline=results["baseline"],
    )
    results["prior_correction"] = {
        "test_distribution": args.test_distribution,
        "train_prior": dict(zip(classes, setup.train_prior.tolist(), strict=True)),
        "test_prior": dict(zip(classes, setup.test_prior.tolist(), strict=True)),
        "uncorrected": {m: r["mean"] for m, r in uncorrected["methods"].items()},
        "uncorrected_paired": uncorrected["paired"],
    }
    results["temperature_scaling"] = {
        m: {"temperatures": [r.temperature for r in rs]} for m, rs in outcomes.items()
    }
    results["environment"] = {
        "torch": torch.__version__,
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "threads": torch.get_num_threads(),
    }
    figure = plot_reliability_diagram(
        {m: np.concatenate([r.probs for r in rs]) for m, rs in outcomes.items()},
        np.tile(setup.y_test, args.seeds),
        out / "figures" / "reliability.png",
        title="Reliability on the test set (all seeds pooled)",
    )
    results["per_class"] = {
        m: _mean_over_seeds([classification_report(r.probs, setup.y_test, classes) for r in rs])
        for m, rs in outcomes.items()
    }
    results["ensembles"] = seed_ensembles(outcomes, setup.y_test, timings)
    figures = {"reliability": str(figure)}
    drawn = _representation_figure(out, setup, data, y_train, outcomes)
    if drawn is not None:
        results["representation_classes"] = [classes[c] for c in setup.projection.classes]
        figures["penultimate layer on three class templates (Müller et al. 2019)"] = str(drawn)
    if selection:
        results["epsilon_selection"] = selection
    write_comparison(
        out,
        results,
        title=f"textls compare: {Path(args.train).name}",
        config=_config_rows(args, setup, len(y_train)),
        figures=figures,
        sections=verdict_section(results)
        + warnings_section(results["warnings"])
        + training_section(results["training"])
        + epsilon_section(selection or {})
        + ensemble_section(results["ensembles"])
        + per_class_sections(results["per_class"]),
    )
    return results


def _representation_figure(out, setup, data, y_train, outcomes) -> Path | None:
    """Müller et al.'s projection of each method's first-seed model, or ``None`` (fewer than three
    classes, or a head without templates)."""
    if setup.projection is None:
        return None
    projection = setup.projection
    position = {c: k for k, c in enumerate(projection.classes)}
    truth = {"train": y_train[projection.train_rows], "test": setup.y_test[projection.test_rows]}
    panels = {}
    for method, results in outcomes.items():
        drawn = results[0].representation
        if drawn is None:
            continue
        panels[method] = {
            split: (
                project_onto_templates(drawn[split], drawn["templates"]),
                np.array([position[c] for c in truth[split]]),
            )
            for split in ("train", "test")
        }
    if not panels:
        return None
    names = [str(data.classes[c]) for c in projection.classes]
    return plot_template_projections(panels, names, out / "figures" / "representations.png")


def seed_ensembles(outcomes: dict[str, list[RunResult]], y_test: np.ndarray, timings: dict) -> dict:
    """Each method's seeds as one ensemble: the mean of their test probabilities, scored like one
    model (accuracy, macro-F1, NLL, Brier, ECE), next to the mean of its single models, and what
    it cost (every seed's training and prediction: ``models`` times one model's).  Methods with
    one seed have none."""
    ensembles = {}
    for method, results in outcomes.items():
        if len(results) < 2:
            continue
        metrics = compute_metrics(np.mean([r.probs for r in results], axis=0), y_test)
        ensembles[method] = {
            "models": len(results),
            "metrics": {k: float(v) for k, v in metrics.items()},
            "single_model_mean": {
                k: float(np.mean([r.metrics[k] for r in results])) for k in metrics
            },
            "train_eval_seconds": float(sum(timings[method]["train_eval_seconds"])),
        }
    return ensembles


def format_results(results: dict) -> str:
    """The terminal table of a compare's results (what ``textls compare`` prints)."""
    return format_table(
        results, metrics=["accuracy", "macro_f1", "nll", "brier", "ece", "nll_ts", "ece_ts"]
    )


def _mean_over_seeds(per_seed: list[dict]) -> dict:
    """``{class: {precision, recall, f1, support}}`` averaged over seeds."""
    return {
        cls: {k: float(np.mean([r[cls][k] for r in per_seed])) for k in per_seed[0][cls]}
        for cls in per_seed[0]
    }


def _config_rows(args: CompareArguments, setup: RunSetup, n_train: int) -> dict:
    rows = {k: v for k, v in own_options(args).items() if v not in (None, "")}
    rows["train examples used"] = n_train
    rows["batch size used"] = setup.batch_size
    rows["learning rate used"] = setup.learning_rate
    rows.update({f"trainer: {k}": v for k, v in changed_options(setup.training_args).items()})
    return rows
