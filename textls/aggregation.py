r"""Aggregate the runs of a comparison over seeds: each method's mean and spread, and a paired test.

``textls compare`` and ``textls retrieval compare`` train several methods on the same data with
the same seeds and evaluate every run on the test set. :func:`aggregate` turns those runs into
the mean and standard deviation of each metric per method, and a paired comparison of each
method against a baseline over the seeds both were run with: for method :math:`a`, baseline
:math:`b` and the common seeds :math:`s = 1..n`, the differences :math:`d_s = a_s - b_s` give

.. math::
    \bar d = \frac1n \sum_s d_s, \qquad
    t = \frac{\bar d}{\mathrm{sd}(d) / \sqrt n}, \qquad
    \mathrm{wins} = \#\{s : d_s \text{ is an improvement}\}

with :math:`\mathrm{sd}` the sample standard deviation (``ddof=1``) and the two-sided p-value of
:math:`t` on :math:`n - 1` degrees of freedom, as ``scipy.stats.ttest_rel`` computes them.
Pairing by seed removes the share of the noise that both runs of a seed have in common. Whether
an improvement is an increase or a decrease comes from :func:`higher_is_better`.
:mod:`textls.report` writes the result as Markdown or as a table for the terminal.

Examples
--------
>>> runs = [
...     {"method": "none", "seed": 0, "metrics": {"accuracy": 0.80, "nll": 0.60}},
...     {"method": "none", "seed": 1, "metrics": {"accuracy": 0.82, "nll": 0.58}},
...     {"method": "ls-classic", "seed": 0, "metrics": {"accuracy": 0.81, "nll": 0.55}},
...     {"method": "ls-classic", "seed": 1, "metrics": {"accuracy": 0.84, "nll": 0.54}},
... ]
>>> results = aggregate(runs)
>>> round(results["methods"]["none"]["mean"]["accuracy"], 4)
0.81
>>> results["paired"]["ls-classic"]["nll"]["wins"]
2
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["METRIC_DIRECTION", "aggregate", "higher_is_better"]

#: Whether a higher value of a metric is better, for the metrics of
#: :func:`textls.metrics.compute_metrics`. A name that starts or ends with one of these keys
#: followed or preceded by ``_``, ``/``, ``-`` or ``.`` takes that key's direction (``nll_ts``,
#: ``ece_ts``, ``test/brier``); any other name, e.g. the per-class ``f1/<class>``, is taken as
#: higher-is-better. Add an entry here to declare the direction of a new metric.
METRIC_DIRECTION: dict[str, bool] = {
    "accuracy": True,
    "macro_f1": True,
    "nll": False,
    "brier": False,
    "ece": False,
}

# Differences that agree on every seed up to float rounding (0.85 - 0.80 vs 0.95 - 0.90) have
# zero variance in truth; ttest_rel would turn the rounding noise into |t| ~ 1e15 and p ~ 0.
_ZERO_SPREAD_RTOL = 1e-12


def higher_is_better(metric: str) -> bool:
    """Whether a higher value of ``metric`` is better; see :data:`METRIC_DIRECTION`."""
    if metric in METRIC_DIRECTION:
        return METRIC_DIRECTION[metric]
    # Longest key first, so that a longer key that contains a shorter one wins.
    for key in sorted(METRIC_DIRECTION, key=len, reverse=True):
        if re.fullmatch(rf"{re.escape(key)}[_/.-].+|.+[_/.-]{re.escape(key)}", metric):
            return METRIC_DIRECTION[key]
    return True


def aggregate(runs: Iterable[Mapping[str, Any]], baseline: str | None = "none") -> dict[str, Any]:
    """Mean and spread of every metric per method, and each method paired with ``baseline``.

    Parameters
    ----------
    runs : iterable of mapping
        One ``{"method": str, "seed": int, "metrics": {name: float}}`` per trained model.
        Every run must report the same metric names; their direction comes from
        :func:`higher_is_better`.
    baseline : str or None, default "none"
        The method the others are compared with, or ``None`` for no comparison.

    Returns
    -------
    dict
        A JSON-serialisable dict (no NaN anywhere; missing values are ``None``)::

            {"baseline": "none",
             "methods": {method: {"mean": {m: float}, "std": {m: float | None},
                                  "n_seeds": int, "per_seed": {str(seed): {m: float}}}},
             "paired": {method: {m: {"mean_diff": float | None, "std_diff": float | None,
                                     "t": float | None, "p_value": float | None,
                                     "n": int, "wins": int}}}}

        Methods and metrics keep the order in which they first appear in ``runs``; seeds are
        sorted. ``std`` is the sample standard deviation (``ddof=1``), ``None`` for one seed.
        ``paired`` has every method but the baseline, over the seeds both were run with (``n``);
        ``mean_diff`` is method minus baseline (``None`` when ``n = 0``), ``wins`` the number of
        seeds where the method is strictly better. ``t`` and ``p_value`` (two-sided) are
        ``scipy.stats.ttest_rel(method, baseline)``, ``None`` when ``n < 2`` or the difference
        is the same on every seed.

    Raises
    ------
    ValueError
        If ``runs`` is empty or malformed, a (method, seed) pair repeats, a run lacks a metric
        that others report, a metric is NaN or infinite (naming method, seed and metric), or
        ``baseline`` is not one of the methods.
    """
    table, metrics = _check_runs(runs)
    if baseline is not None and baseline not in table:
        raise ValueError(
            f"baseline {baseline!r} is not among the methods {list(table)}; "
            "pass one of them, or baseline=None for no paired comparison"
        )
    return {
        "baseline": baseline,
        "methods": {method: _summarize(by_seed, metrics) for method, by_seed in table.items()},
        "paired": {
            method: _paired(by_seed, table[baseline], metrics)
            for method, by_seed in table.items()
            if baseline is not None and method != baseline
        },
    }


def _check_runs(runs: Iterable[Mapping[str, Any]]) -> tuple[dict[str, dict[int, dict]], list[str]]:
    """Validate ``runs``; return ``{method: {seed: {metric: float}}}`` and the metric names."""
    runs = list(runs)
    if not runs:
        raise ValueError("runs is empty; aggregate needs at least one run")
    table: dict[str, dict[int, dict[str, float]]] = {}
    metrics: dict[str, None] = {}  # an ordered set
    for i, run in enumerate(runs):
        if not isinstance(run, Mapping) or not {"method", "seed", "metrics"} <= run.keys():
            raise ValueError(
                f"runs[{i}] must be a dict with 'method', 'seed' and 'metrics', got {run!r}"
            )
        method, seed, values = run["method"], run["seed"], run["metrics"]
        if not isinstance(method, str) or not method:
            raise ValueError(f"runs[{i}]: method must be a non-empty string, got {method!r}")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise ValueError(
                f"runs[{i}] (method {method!r}): seed must be an integer, got {seed!r}"
            )
        seed = int(seed)
        if not isinstance(values, Mapping) or not values:
            raise ValueError(f"method {method!r}, seed {seed}: metrics must be a non-empty dict")
        by_seed = table.setdefault(method, {})
        if seed in by_seed:
            raise ValueError(f"duplicate run for method {method!r}, seed {seed}")
        checked = {}
        for name, value in values.items():
            where = f"metric {name!r} of method {method!r}, seed {seed}"
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"{where} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{where} is {value!r}; every metric must be finite")
            checked[str(name)] = float(value)
            metrics.setdefault(str(name))
        by_seed[seed] = checked
    for method, by_seed in table.items():
        for seed, values in by_seed.items():
            missing = [name for name in metrics if name not in values]
            if missing:
                raise ValueError(
                    f"method {method!r}, seed {seed} lacks metric(s) {missing} that other runs "
                    "report; every run must report the same metrics"
                )
    return table, list(metrics)


def _summarize(by_seed: dict[int, dict[str, float]], metrics: list[str]) -> dict[str, Any]:
    seeds = sorted(by_seed)
    values = {m: np.array([by_seed[s][m] for s in seeds]) for m in metrics}
    return {
        "mean": {m: float(v.mean()) for m, v in values.items()},
        "std": {m: float(v.std(ddof=1)) if len(seeds) > 1 else None for m, v in values.items()},
        "n_seeds": len(seeds),
        "per_seed": {str(s): {m: by_seed[s][m] for m in metrics} for s in seeds},
    }


def _paired(
    by_seed: dict[int, dict[str, float]], base: dict[int, dict[str, float]], metrics: list[str]
) -> dict[str, dict[str, Any]]:
    seeds = sorted(by_seed.keys() & base.keys())
    out = {}
    for m in metrics:
        a = np.array([by_seed[s][m] for s in seeds])
        b = np.array([base[s][m] for s in seeds])
        out[m] = _paired_stats(a, b, higher_is_better(m))
    return out


def _paired_stats(a: np.ndarray, b: np.ndarray, higher: bool) -> dict[str, Any]:
    n = len(a)
    diff = a - b
    result = {
        "mean_diff": float(diff.mean()) if n else None,
        "std_diff": float(diff.std(ddof=1)) if n > 1 else None,
        "t": None,
        "p_value": None,
        "n": n,
        "wins": int(np.sum(diff > 0 if higher else diff < 0)),
    }
    scale = max(1.0, float(np.max(np.abs(np.concatenate([a, b]))))) if n else 1.0
    if n > 1 and np.ptp(diff) > _ZERO_SPREAD_RTOL * scale:
        test = stats.ttest_rel(a, b)
        if math.isfinite(test.statistic) and math.isfinite(test.pvalue):
            result["t"] = float(test.statistic)
            result["p_value"] = float(test.pvalue)
    return result
