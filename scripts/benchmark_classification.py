"""Every smoothing method on each bundled classification corpus, in the settings users bring, with
compare's defaults (each run trains to its validation plateau); a thin driver over ``textls compare``.

Corpora of several shapes: healthtweets (16 classes, tweets), sentiment (3), rotten_tomatoes (2),
kjv_chapters (10 classes, ~290-word texts, 11:1), foldoc (41 classes, 29:1; its CSVs are built by
``python data/foldoc/prepare.py``, which fetches a Debian package).  Long texts are read up to
``LONG_MAX_LENGTH`` tokens, the rest up to ``--max-length``.

Settings, and the class distribution each test split follows (``--test_distribution``):

* ``natural``: the data as it comes; its test split is drawn like its training split (balanced
  for healthtweets, sentiment and rotten_tomatoes, whose bundled splits are balanced; 11:1 and
  29:1 for kjv_chapters and foldoc);
* ``longtail50``: the training data long-tailed to 50:1, the balanced test split
  (``--test_distribution balanced``; corpora with balanced test splits only);
* ``longtail50-iid``: the same training data, the test split long-tailed the same way, so it is
  drawn like the training data (``--test_distribution train``);
* ``noisy20``: 20% of the training labels flipped at random, the clean test split.

Each (corpus, setting) runs ``run_compare`` into ``--output-dir/<corpus>-<setting>/`` (results.json,
report.md, predictions) and the script gathers every results.json into one summary JSON with, per
method, mean ± std of accuracy, macro-F1, NLL and ECE, the paired differences to ``none`` and to
``ls-classic``, and the epochs each run trained.

    python scripts/benchmark_classification.py --model fasttext --seeds 3            # full corpora
    python scripts/benchmark_classification.py --model minilm --max-train 2000
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402
    ROOT,
    add_training_arguments,
    compact_results,
    compare_settings,
    make_parser,
    paired_subset,
    per_seed_runs,
)
from provenance import provenance  # noqa: E402

from textls.aggregation import aggregate  # noqa: E402
from textls.classification.splits import long_tail  # noqa: E402
from textls.experiments.classification.arguments import CompareArguments  # noqa: E402
from textls.experiments.classification.task import run_compare  # noqa: E402
from textls.io import atomic_write_json  # noqa: E402

CORPORA = ("healthtweets", "sentiment", "rotten_tomatoes", "kjv_chapters", "foldoc")
#: Corpora whose bundled test split is balanced: the long-tailed settings run on them.
BALANCED_TEST = ("healthtweets", "sentiment", "rotten_tomatoes")
#: Corpora of long texts and the tokens they are read up to (the others use --max-length).
LONG_MAX_LENGTH = {"kjv_chapters": 512}
LONG_TAIL = 50.0
SETTINGS = {
    "natural": {},
    "longtail50": {"imbalance_ratio": LONG_TAIL, "test_distribution": "balanced"},
    "longtail50-iid": {"imbalance_ratio": LONG_TAIL},
    "noisy20": {"label_noise": 0.2},
}
METRICS = ("accuracy", "macro_f1", "nll", "ece", "nll_ts", "ece_ts")


def settings_of(corpus: str, settings) -> list[str]:
    """The ``settings`` that apply to ``corpus``: the long-tailed ones need a balanced test split
    (kjv_chapters and foldoc are long-tailed as they come, in ``natural``)."""
    return [s for s in settings if corpus in BALANCED_TEST or not s.startswith("longtail")]


def long_tailed_test(corpus: str, folder: Path) -> Path:
    """``corpus``'s balanced test split long-tailed as its training split is in ``longtail50``
    (the same ratio and seed; classes ranked alike, by name, on balanced data), written once."""
    path = folder / f"{corpus}-test-longtail{LONG_TAIL:g}.csv"
    if not path.exists():
        test = pd.read_csv(ROOT / "data" / corpus / "test.csv")
        keep = long_tail(test["label"].astype(str).tolist(), LONG_TAIL, seed=0)
        folder.mkdir(parents=True, exist_ok=True)
        test.iloc[keep].to_csv(path, index=False)
    return path


def cell_arguments(corpus: str, setting: str, args, output_dir: Path, **overrides):
    """The compare arguments of one (corpus, setting) cell: the script's ``--methods``,
    ``--model``, seeds, epochs (default: compare's, each run to its validation plateau) and batch
    size, the corpus's token budget and the setting's data change, then ``overrides``."""
    test = ROOT / "data" / corpus / "test.csv"
    if setting == "longtail50-iid":
        test = long_tailed_test(corpus, Path(args.output_dir) / "data")
    return CompareArguments(
        train=str(ROOT / "data" / corpus / "train.csv"),
        test=str(test),
        output_dir=str(output_dir),
        methods=args.methods,
        **compare_settings(args),
        max_length=LONG_MAX_LENGTH.get(corpus, args.max_length),
        **SETTINGS[setting],
        **overrides,
    )


def summarize_cell(results: dict) -> dict:
    """What the summary keeps of one cell's compare result: data sizes, soft-label diagnostics,
    fitted temperatures, mean ± std, and paired differences to ``none`` and to ``ls-classic``."""
    cell = {
        "data": results["data"],
        "test_distribution": results["config"]["test_distribution"],
        "training": {
            m: {
                "epochs": [r["epochs"] for r in records],
                "stopped": [r["stopped"] for r in records],
            }
            for m, records in results["training"].items()
        },
        "warnings": results.get("warnings", []),
        "off_gold_mass": results["off_gold_mass"],
        "soft_label_diagnostics": results["soft_label_diagnostics"],
        "fitted_temperatures": {
            m: v["temperatures"] for m, v in results["temperature_scaling"].items()
        },
        **compact_results(results, METRICS),
    }
    if "ls-classic" in results["methods"]:
        vs_classic = aggregate(per_seed_runs(results), baseline="ls-classic")["paired"]
        vs_classic.pop("none", None)
        cell["paired_vs_ls_classic"] = paired_subset(vs_classic, METRICS)
    if results.get("ensembles"):  # each method's seeds as one model, against its single models
        cell["ensembles"] = {
            m: {
                "models": e["models"],
                "metrics": {k: e["metrics"][k] for k in METRICS if k in e["metrics"]},
                "single_model_mean": {
                    k: e["single_model_mean"][k] for k in METRICS if k in e["metrics"]
                },
            }
            for m, e in results["ensembles"].items()
        }
    return cell


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--corpora", default=",".join(CORPORA))
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--methods", default="none,ls-classic,ls-distill,ls-tfidf,kwls")
    parser.add_argument("--model", default="fasttext")
    add_training_arguments(
        parser, epochs=None, batch_size_help="default: the model's (compare's default)", bf16=True
    )
    parser.add_argument("--max-train", type=int, default=None, help="stratified training subsample")
    parser.add_argument("--max-test", type=int, default=None)
    parser.add_argument(
        "--output-dir",
        default=None,
        help="Per-cell compare outputs; default outputs/benchmark_classification/<model>/",
    )
    parser.add_argument(
        "--summary",
        default=None,
        help="Summary JSON; default scripts/results/classification_<model>.json",
    )
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument(
        "--figure-cell",
        default=None,
        help="Copy this cell's Müller representation figure next to the summary (e.g. "
        "healthtweets-noisy20); default: none.",
    )
    parser.add_argument(
        "--from-outputs",
        action="store_true",
        help="Train nothing: rebuild the summary from the cells' results.json under --output-dir "
        "(e.g. after the summary's fields changed); seconds are kept from the old summary.",
    )
    args = parser.parse_args()
    if args.output_dir is None:  # per model, so a MiniLM run never overwrites a fastText cell
        args.output_dir = str(ROOT / "outputs" / "benchmark_classification" / Path(args.model).name)
    if args.summary is None:
        args.summary = str(
            ROOT / "scripts" / "results" / f"classification_{Path(args.model).name}.json"
        )

    summary = {
        "model": args.model,
        "seeds": args.seeds,
        "epochs": args.epochs,
        "max_train": args.max_train,
        "max_test": args.max_test,
        **provenance(),
        "runs": {},
    }
    if args.from_outputs:
        old = json.loads(Path(args.summary).read_text())
        for name, run in old["runs"].items():
            results = json.loads((Path(args.output_dir) / name / "results.json").read_text())
            run.update(summarize_cell(results))
        atomic_write_json(args.summary, old, allow_nan=False)
        print(f"rebuilt {args.summary} from {args.output_dir}")
        return
    for corpus in args.corpora.split(","):
        if not (ROOT / "data" / corpus / "train.csv").exists():
            sys.exit(f"data/{corpus}/train.csv is missing: run python data/{corpus}/prepare.py")
    for corpus in args.corpora.split(","):
        for setting in settings_of(corpus, args.settings.split(",")):
            name = f"{corpus}-{setting}"
            start = time.perf_counter()
            cell = cell_arguments(
                corpus,
                setting,
                args,
                Path(args.output_dir) / name,
                max_train_samples=args.max_train,
                max_test_samples=args.max_test,
                learning_rate=args.learning_rate,
                bf16=args.bf16,
            )
            results = run_compare(cell)
            summary["runs"][name] = {
                "seconds": time.perf_counter() - start,
                **summarize_cell(results),
            }
            if name == args.figure_cell:
                figure = Path(args.output_dir) / name / "figures" / "representations.png"
                copy = Path(args.summary).with_name(
                    f"{Path(args.summary).stem}_representations.png"
                )
                if figure.exists():
                    shutil.copyfile(figure, copy)
                    summary["representation_figure"] = {
                        "cell": name,
                        "file": copy.name,
                        "classes": results.get("representation_classes"),
                    }
            Path(args.summary).parent.mkdir(parents=True, exist_ok=True)
            atomic_write_json(args.summary, summary, allow_nan=False)
    print(f"wrote {args.summary}")


if __name__ == "__main__":
    main()
