"""Does ``--epsilon auto`` pick a better epsilon than the fixed default, and what does it cost?

For each bundled corpus and setting (as ``benchmark_classification.py``: natural, 50:1 long tail
with a balanced or a long-tailed test split, 20% label noise; each run trained to its validation
plateau, compare's default), one run trains every soft-label method twice with the same seeds,
data and model:

* ``fixed``: ``--epsilon 0.1`` (textls's default);
* ``auto``: ``--epsilon auto``, which trains one seed-0 model per value of compare's grid
  (``EPSILON_GRID``), keeps the value with the lowest validation NLL (the test split is never
  looked at), then trains every seed at it.

Recorded per cell and method: the chosen epsilon and the validation NLL at each grid value; test
accuracy, macro-F1, NLL and ECE at both settings (mean over seeds) and the paired difference
``auto - fixed`` over seeds (``textls.aggregation.aggregate``: mean, std, p-value, wins); and the
cost, the wall-clock seconds of the selection against those of the fixed-epsilon method's
training.

    python scripts/benchmark_epsilon_auto.py --seeds 3
    python scripts/benchmark_epsilon_auto.py --corpora healthtweets --settings noisy20 --seeds 2
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402
    ROOT,
    add_training_arguments,
    make_parser,
    paired_subset,
    per_seed_runs,
    write_json,
)
from benchmark_classification import CORPORA, SETTINGS, cell_arguments, settings_of  # noqa: E402
from provenance import provenance  # noqa: E402

from textls.aggregation import aggregate  # noqa: E402
from textls.experiments.classification.arguments import EPSILON_GRID  # noqa: E402
from textls.experiments.classification.task import run_compare  # noqa: E402

METRICS = ("accuracy", "macro_f1", "nll", "ece")
FIXED = 0.1


def compare_auto_with_fixed(fixed: dict, auto: dict) -> dict:
    """Per method: the choice ``auto`` made, both settings' mean test metrics, and the paired
    difference ``auto - fixed`` over seeds."""
    runs = per_seed_runs(fixed, lambda m: f"{m}@fixed") + per_seed_runs(auto, lambda m: f"{m}@auto")
    out = {}
    for method, selection in auto["epsilon_selection"].items():
        pair = [r for r in runs if r["method"] in (f"{method}@fixed", f"{method}@auto")]
        paired = aggregate(pair, baseline=f"{method}@fixed")["paired"]
        out[method] = {
            "chosen_epsilon": selection["chosen"],
            "validation_nll": selection["validation_nll"],
            "selection_seconds": selection["selection_seconds"],
            "fixed_training_seconds": sum(fixed["timings"][method]["train_eval_seconds"]),
            "fixed": {k: fixed["methods"][method]["mean"][k] for k in METRICS},
            "auto": {k: auto["methods"][method]["mean"][k] for k in METRICS},
            "auto_minus_fixed": paired_subset(paired, METRICS)[f"{method}@auto"],
        }
    return out


def main() -> None:
    parser = make_parser(__doc__, output="epsilon_auto_fasttext.json")
    parser.add_argument("--corpora", default=",".join(CORPORA))
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--methods", default="ls-classic,ls-tfidf,kwls")
    parser.add_argument("--model", default="fasttext")
    add_training_arguments(parser, epochs=None)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument(
        "--output-dir",
        default=str(ROOT / "outputs" / "benchmark_epsilon_auto"),
        help="Per-cell compare outputs (<cell>/fixed, <cell>/auto)",
    )
    args = parser.parse_args()
    for corpus in args.corpora.split(","):
        if not (ROOT / "data" / corpus / "train.csv").exists():
            sys.exit(f"data/{corpus}/train.csv is missing: run python data/{corpus}/prepare.py")
    summary = {
        "model": args.model,
        "seeds": args.seeds,
        "methods": args.methods,
        "fixed_epsilon": FIXED,
        "grid": list(EPSILON_GRID),
        **provenance(),
        "cells": {},
    }
    for corpus in args.corpora.split(","):
        for setting in settings_of(corpus, args.settings.split(",")):
            name = f"{corpus}-{setting}"
            start = time.perf_counter()
            cell = cell_arguments(
                corpus, setting, args, Path(args.output_dir) / name / "fixed", epsilon=str(FIXED)
            )
            fixed = run_compare(cell)
            auto = run_compare(
                replace(cell, epsilon="auto", output_dir=str(Path(args.output_dir) / name / "auto"))
            )
            summary["cells"][name] = {
                "seconds": time.perf_counter() - start,
                "methods": compare_auto_with_fixed(fixed, auto),
            }
            write_json(args.output, summary, allow_nan=False)
            for method, m in summary["cells"][name]["methods"].items():
                diff = m["auto_minus_fixed"]["macro_f1"]["mean_diff"]
                print(
                    f"{name} {method}: epsilon {m['chosen_epsilon']:g}, "
                    f"macro-F1 auto - fixed {diff:+.4f}"
                )


if __name__ == "__main__":
    main()
