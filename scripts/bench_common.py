"""Small pieces the benchmark scripts share: timing, and the compact form of a compare result."""

from __future__ import annotations

import statistics
import time

#: The fields of a paired comparison (``textls.report.aggregate``) a summary keeps.
PAIRED_FIELDS = ("mean_diff", "std_diff", "p_value", "wins", "n")


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
