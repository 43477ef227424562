"""Training length: ``textls compare``'s default (each run stops at its validation plateau) against
a long fixed schedule, on corpora of several sizes and shapes; a thin driver over ``run_compare``.

Each corpus is compared twice with the same methods, seeds and every other default: once as a
user runs it (no ``--epochs``: a run stops once its validation loss has not improved for 3
epochs, at most 100, and keeps its best weights) and once with ``--epochs LONG`` (50 by
default: linear decay after a 10% warm-up, the last weights). The summary records, per method,
mean accuracy, macro-F1 and NLL, the epochs each run trained, and the seconds each comparison
took; and per corpus the ratios default / fixed of the mean accuracy (goal: at least 0.97) and
of the time.

Corpora (every test split is drawn like its training split, ``--test_distribution train``):
kjv_chapters (bundled; 855 training rows, 10 classes, ~290 words, 11:1), foldoc (3,609, 41
classes, 29:1; ``python data/foldoc/prepare.py``), sentiment-500 (500 rows of the bundled
sentiment training data, 3 classes), rotten_tomatoes (bundled; 3,600, 2 classes), and the full
natural splits of sentiment (~29,000 rows, 3 classes, 2.3:1) and health tweets (~43,000, 16
classes, 5.3:1), which the script writes with their ``prepare.py`` into ``--data-dir``.

    python scripts/benchmark_training_length.py --model fasttext --seeds 3
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, make_parser, write_json  # noqa: E402
from provenance import provenance  # noqa: E402

from textls.experiments.classification.arguments import CompareArguments  # noqa: E402
from textls.experiments.classification.task import run_compare  # noqa: E402

#: name -> (folder of train.csv/test.csv relative to the data dir or the repository, options)
CORPORA = {
    "kjv_chapters": ("data/kjv_chapters", {"max_length": 512}),
    "foldoc": ("data/foldoc", {}),
    "sentiment-500": ("data/sentiment", {"max_train_samples": 500}),
    "rotten_tomatoes": ("data/rotten_tomatoes", {}),
    "sentiment-full": ("full/sentiment", {}),
    "healthtweets-full": ("full/healthtweets", {}),
}
METRICS = ("accuracy", "macro_f1", "nll")


def corpus_folder(name: str, data_dir: Path) -> Path:
    """The folder of ``name``'s train.csv and test.csv; the full natural splits are written by
    their ``prepare.py`` (every row, 20% of each class held out) the first time."""
    folder, _ = CORPORA[name]
    if not folder.startswith("full/"):
        return ROOT / folder
    corpus = folder.split("/", 1)[1]
    out = data_dir / corpus
    if not (out / "train.csv").exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "data" / corpus / "prepare.py"),
                "--out-dir",
                str(out),
                "--max-per-class",
                "0",
                "--max-test-per-class",
                "0",
            ],
            check=True,
        )
    return out


def summarize(results: dict, seconds: float) -> dict:
    """Mean of each metric per method, the epochs each run trained, and the seconds it took."""
    return {
        "seconds": seconds,
        "methods": {
            method: {
                **{k: summary["mean"][k] for k in METRICS},
                "epochs": [record["epochs"] for record in results["training"][method]],
                "stopped": [record["stopped"] for record in results["training"][method]],
            }
            for method, summary in results["methods"].items()
        },
    }


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--corpora", default=",".join(CORPORA))
    parser.add_argument("--methods", default="none,ls-classic,kwls")
    parser.add_argument("--model", default="fasttext")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--long-epochs", type=float, default=50.0)
    parser.add_argument("--data-dir", default=str(ROOT / "outputs" / "data"))
    parser.add_argument(
        "--output-dir", default=None, help="default outputs/benchmark_training_length/<model>/"
    )
    parser.add_argument(
        "--summary", default=None, help="default scripts/results/training_length_<model>.json"
    )
    args = parser.parse_args()
    model = Path(args.model).name
    output_dir = Path(args.output_dir or ROOT / "outputs" / "benchmark_training_length" / model)
    summary_path = args.summary or ROOT / "scripts" / "results" / f"training_length_{model}.json"
    summary = {
        "model": args.model,
        "seeds": args.seeds,
        "methods": args.methods,
        "long_epochs": args.long_epochs,
        **provenance(),
        "corpora": {},
    }
    for name in args.corpora.split(","):
        folder = corpus_folder(name, Path(args.data_dir))
        cell = {}
        for schedule, epochs in (("default", None), ("fixed", args.long_epochs)):
            compare = CompareArguments(
                train=str(folder / "train.csv"),
                test=str(folder / "test.csv"),
                output_dir=str(output_dir / name / schedule),
                methods=args.methods,
                model=args.model,
                seeds=args.seeds,
                num_train_epochs=epochs,
                **CORPORA[name][1],
            )
            start = time.perf_counter()
            results = run_compare(compare)
            cell[schedule] = summarize(results, time.perf_counter() - start)
            cell["data"] = results["data"]
        default, fixed = cell["default"], cell["fixed"]
        cell["accuracy_ratio"] = {
            m: default["methods"][m]["accuracy"] / fixed["methods"][m]["accuracy"]
            for m in default["methods"]
        }
        cell["time_ratio"] = default["seconds"] / fixed["seconds"]
        summary["corpora"][name] = cell
        write_json(summary_path, summary, allow_nan=False)


if __name__ == "__main__":
    main()
