"""Where does smoothing stop helping? Sweep the smoothing mass epsilon of each method, and the KWLS
relevance temperature, on one classification corpus; plot each metric's paired difference to hard
labels (``none``) against the swept value.

Every point is ``textls compare`` on the same data, seeds and model; ``none`` is trained once per seed
and every point is paired with it seed by seed (mean difference, spread over seeds, t-test p-value).

The default is the long-tailed (50:1) health tweets with fastText, 3 seeds: the setting of
``benchmark_classification.py`` in which smoothing helped, so the curve can show where it stops.

    python scripts/sweep_epsilon.py                      # healthtweets longtail50, fastText, 3 seeds
    python scripts/sweep_epsilon.py --corpus sentiment --setting noisy20 --epsilons 0.1,0.3
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402
    ROOT,
    add_output_arguments,
    add_training_arguments,
    compare_settings,
    make_parser,
    paired_subset,
    per_seed_runs,
)
from benchmark_classification import SETTINGS  # noqa: E402
from provenance import provenance  # noqa: E402

from textls.aggregation import aggregate  # noqa: E402
from textls.experiments.classification.arguments import CompareArguments  # noqa: E402
from textls.experiments.classification.task import run_compare  # noqa: E402

METRICS = ("accuracy", "macro_f1", "nll", "ece", "nll_ts", "ece_ts")
METHOD_ORDER = ["ls-classic", "ls-distill", "ls-tfidf", "kwls"]


def _off_gold(results: dict, name) -> dict[str, float]:
    """Mean mass the training targets put off the gold class, per renamed method."""
    return {name(m): v for m, v in results["off_gold_mass"].items()}


def _plot(ax, xs, points: dict, metric: str, label: str) -> None:
    means = [p[metric]["mean_diff"] for p in points]
    spread = [p[metric]["std_diff"] or 0.0 for p in points]
    line = ax.errorbar(xs, means, yerr=spread, marker="o", capsize=3, label=label)
    # ring the points whose difference is significant at 5%
    for x, p in zip(xs, points, strict=True):
        if p[metric]["p_value"] is not None and p[metric]["p_value"] < 0.05:
            ax.scatter(
                [x],
                [p[metric]["mean_diff"]],
                s=120,
                facecolors="none",
                edgecolors=line[0].get_color(),
            )


def plot_sweep(result: dict, path: Path) -> None:
    """Row 1: each metric's paired difference to none against epsilon (every method moves the same
    mass off the gold class at the same epsilon, ``eps (C-1)/C``); row 2: KWLS temperature."""
    epsilons, temperatures = result["epsilons"], result["kwls_temperatures"]
    points = result["points"]
    methods = sorted({k.split("@")[0] for k in points if "@eps=" in k}, key=METHOD_ORDER.index)
    fig, axes = plt.subplots(2, len(METRICS), figsize=(4.2 * len(METRICS), 7.0))
    for col, metric in enumerate(METRICS):
        ax = axes[0, col]
        for m in methods:
            keys = [f"{m}@eps={e}" for e in epsilons]
            _plot(ax, epsilons, [points[k] for k in keys], metric, m)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel("epsilon", fontsize=8)
        ax.set_title(f"{metric}: method - none", fontsize=9)
        ax = axes[1, col]
        if temperatures:
            label = f"kwls, eps={result['kwls_epsilon']}"
            _plot(ax, temperatures, [points[f"kwls@T={t}"] for t in temperatures], metric, label)
            auto = f"kwls@eps={result['kwls_epsilon']}"
            if auto in points:
                ax.axhline(
                    points[auto][metric]["mean_diff"],
                    color="C3",
                    ls="--",
                    label="kwls temperature=auto",
                )
            ax.set_xscale("log")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel("KWLS temperature", fontsize=8)
        ax.set_title(f"{metric}: kwls - none", fontsize=9)
    axes[0, 0].legend(fontsize=8)
    axes[1, 0].legend(fontsize=8)
    fig.suptitle(
        f"{result['corpus']} ({result['setting']}), {result['model']}, {result['seeds']} seeds: "
        "paired difference to hard labels (bars: std over seeds; rings: p < 0.05)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--corpus", default="healthtweets")
    parser.add_argument(
        "--setting", default="longtail50", choices=[s for s in SETTINGS if not s.endswith("-iid")]
    )
    parser.add_argument("--model", default="fasttext")
    add_training_arguments(parser, epochs=None, batch_size_help="default: the model's")
    parser.add_argument("--max-train", type=int, default=None)
    parser.add_argument("--methods", default="ls-classic,ls-tfidf,kwls")
    parser.add_argument("--epsilons", default="0.05,0.1,0.2,0.3,0.5,0.7,0.9")
    parser.add_argument(
        "--kwls-temperatures",
        default="0.03,0.1,0.3,1.0",
        help="Fixed KWLS temperatures, compared at --kwls-epsilon with the default temperature=auto.",
    )
    parser.add_argument("--kwls-epsilon", type=float, default=0.1)
    add_output_arguments(parser, "sweep_epsilon")
    parser.add_argument(
        "--plot-only", action="store_true", help="Redraw the plot from the existing JSON."
    )
    args = parser.parse_args()
    out, results_dir = Path(args.output_dir), Path(args.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    if args.plot_only:
        plot_sweep(
            json.loads((results_dir / "sweep_epsilon.json").read_text()),
            results_dir / "sweep_epsilon.png",
        )
        return
    epsilons = [float(e) for e in args.epsilons.split(",")]
    temperatures = [float(t) for t in args.kwls_temperatures.split(",") if t]
    methods = [m for m in args.methods.split(",") if m]

    base = CompareArguments(
        train=str(ROOT / "data" / args.corpus / "train.csv"),
        test=str(ROOT / "data" / args.corpus / "test.csv"),
        output_dir=str(out / "none"),
        methods="none",
        **compare_settings(args),
        max_train_samples=args.max_train,
        **SETTINGS[args.setting],
    )
    runs, off_gold = [], {}

    def add(results, name):
        runs.extend(per_seed_runs(results, name))
        off_gold.update(_off_gold(results, name))

    add(run_compare(base), lambda m: m)
    for eps in epsilons:
        point = replace(
            base, output_dir=str(out / f"eps{eps}"), methods=",".join(methods), epsilon=eps
        )
        add(run_compare(point), lambda m, eps=eps: f"{m}@eps={eps}")
    for t in temperatures:
        point = replace(
            base,
            output_dir=str(out / f"kwls-T{t}"),
            methods="kwls",
            epsilon=args.kwls_epsilon,
            smoother_params=json.dumps({"kwls": {"temperature": t}}),
        )
        add(run_compare(point), lambda m, t=t: f"{m}@T={t}")
    table = aggregate(runs, baseline="none")

    result = {
        "corpus": args.corpus,
        "setting": args.setting,
        "model": args.model,
        "seeds": args.seeds,
        "epochs": base.num_train_epochs,
        "epsilons": epsilons,
        "kwls_epsilon": args.kwls_epsilon,
        "kwls_temperatures": temperatures,
        **provenance(),
        "none": {
            k: [table["methods"]["none"]["mean"][k], table["methods"]["none"]["std"][k]]
            for k in METRICS
        },
        "off_gold_mass": off_gold,
        "points": paired_subset(table["paired"], METRICS),
    }
    (results_dir / "sweep_epsilon.json").write_text(
        json.dumps(result, indent=2, allow_nan=False) + "\n"
    )

    plot_sweep(result, results_dir / "sweep_epsilon.png")
    print(f"wrote {results_dir / 'sweep_epsilon.json'} and sweep_epsilon.png")


if __name__ == "__main__":
    main()
