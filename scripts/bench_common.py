"""Small pieces the benchmark scripts share: their options, the JSON they write, timing, and the
compact form of a compare result."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from textls.io import atomic_write_json

#: The repository's root: the scripts read data/ and write outputs/ below it.
ROOT = Path(__file__).resolve().parents[1]
#: Where the scripts write the JSON that scripts/render_results.py reads.
RESULTS_DIR = ROOT / "scripts" / "results"

#: The fields of a paired comparison (``textls.aggregation.aggregate``) a summary keeps.
PAIRED_FIELDS = ("mean_diff", "std_diff", "p_value", "wins", "n")


def make_parser(doc: str, *, output: str | None = None) -> argparse.ArgumentParser:
    """A parser whose ``--help`` shows the script's docstring ``doc`` as written.

    With ``output``, it takes ``--output`` (default: that file name under :data:`RESULTS_DIR`).
    """
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    if output is not None:
        parser.add_argument("--output", default=str(RESULTS_DIR / output))
    return parser


def add_corpus_arguments(parser: argparse.ArgumentParser, *, words: int) -> None:
    """``--classes`` (50) and ``--words`` (mean words per document) of a synthetic corpus."""
    parser.add_argument("--classes", type=int, default=50)
    parser.add_argument("--words", type=int, default=words, help="mean words per document")


def add_training_arguments(
    parser: argparse.ArgumentParser,
    *,
    epochs: float | None,
    batch_size: int | None = None,
    batch_size_help: str | None = None,
    bf16: bool = False,
) -> None:
    """``--seeds`` (3), ``--epochs`` and ``--batch-size`` of a benchmark that trains models
    (``epochs=None``: compare's default, each run to its validation plateau); with ``bf16``,
    ``--bf16`` too, for a benchmark whose training can run in bf16 mixed precision."""
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--epochs",
        type=float,
        default=epochs,
        help="a fixed training length"
        + (" (default: each run to its validation plateau)" if epochs is None else ""),
    )
    parser.add_argument("--batch-size", type=int, default=batch_size, help=batch_size_help)
    if bf16:
        parser.add_argument("--bf16", action="store_true", help="bf16 mixed precision (a GPU)")


def add_output_arguments(
    parser: argparse.ArgumentParser, name: str, *, results_help: str | None = None
) -> None:
    """``--output-dir`` (default ``outputs/<name>``: the runs' own folders) and ``--results-dir``
    (default :data:`RESULTS_DIR`: where the summary JSON goes)."""
    parser.add_argument("--output-dir", default=str(ROOT / "outputs" / name))
    parser.add_argument("--results-dir", default=str(RESULTS_DIR), help=results_help)


def run_settings(args: argparse.Namespace) -> dict:
    """``--model`` and the options of :func:`add_training_arguments`: the settings a summary
    records."""
    return {name: getattr(args, name) for name in ("model", "seeds", "epochs", "batch_size")}


def compare_settings(args: argparse.Namespace) -> dict:
    """:func:`run_settings` under their ``TrainingArguments`` names, as the keyword arguments of
    ``CompareArguments`` / ``RetrievalCompareArguments``."""
    return {
        "model": args.model,
        "seeds": args.seeds,
        "num_train_epochs": args.epochs,
        "per_device_train_batch_size": args.batch_size,
    }


def write_json(path: str | Path, data: dict, *, allow_nan: bool = True) -> None:
    """Write ``data`` to ``path`` as indented JSON with a final newline, and say so."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, data, allow_nan=allow_nan)
    print(f"wrote {path}")


def median_seconds(fn, repeats: int) -> float:
    """Median wall-clock seconds of ``repeats`` calls of ``fn()``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired_subset(paired: dict, metrics) -> dict:
    """``{method: {metric: {field: value}}}`` of ``aggregate``'s ``paired``, for ``metrics`` only."""
    return {
        method: {k: {f: by_metric[k][f] for f in PAIRED_FIELDS} for k in metrics}
        for method, by_metric in paired.items()
    }


def compact_results(results: dict, metrics) -> dict:
    """Mean and std per method and the paired comparison to the baseline, for ``metrics`` only."""
    return {
        "methods": {
            m: {k: [r["mean"][k], r["std"][k]] for k in metrics}
            for m, r in results["methods"].items()
        },
        "paired_vs_none": paired_subset(results["paired"], metrics),
    }


def per_seed_runs(results: dict, name=lambda m: m) -> list[dict]:
    """A compare result's per-seed metrics as ``aggregate()`` runs, each method renamed by ``name``."""
    return [
        {"method": name(method), "seed": int(seed), "metrics": metrics}
        for method, summary in results["methods"].items()
        for seed, metrics in summary["per_seed"].items()
    ]
