"""What a ``textls compare`` concludes, in words: how long each run trained and why it stopped,
which runs are not finished models, and the verdict of each method against LS-Classic and hard
labels (the comparisons textls is about), with their paired tests over seeds."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from textls.aggregation import higher_is_better
from textls.report import format_p, format_signed, md_escape

logger = logging.getLogger(__name__)

#: A run whose accuracy closes less than this share of the gap between always predicting the
#: most frequent training class and a perfect model is "near the majority-class rate".
MAJORITY_MARGIN = 0.1
#: A run "mostly predicts one class" when that class takes at least this share of its test
#: predictions and at least twice its share of the test rows.
ONE_CLASS_SHARE = 0.5
#: The paired p-value under which a difference over seeds is called clear.
ALPHA = 0.05
#: The metrics a verdict speaks of.
VERDICT_METRICS = ("macro_f1", "accuracy", "nll")


def run_warnings(
    training: Mapping[str, Any], probs: np.ndarray, y_test: np.ndarray, majority_class: int
) -> list[str]:
    """What makes one run not a finished model a user would ship, in words (empty if nothing):
    its validation loss was still falling when it stopped (:meth:`PlateauStopping.record`), its
    test accuracy is near the rate of always predicting the most frequent training class
    (:data:`MAJORITY_MARGIN`), or it predicts one class for most rows (:data:`ONE_CLASS_SHARE`)."""
    said = []
    if training.get("still_improving"):
        why = "--max_epochs" if training["stopped"] == "max_epochs" else "--num_train_epochs"
        said.append(
            f"its validation loss was still falling when {why} ended it after "
            f"{training['epochs']:g} epochs: raise {why}"
        )
    predicted = probs.argmax(axis=1)
    accuracy = float((predicted == y_test).mean())
    rate = float((y_test == majority_class).mean())
    if accuracy < rate + MAJORITY_MARGIN * (1.0 - rate):
        said.append(
            f"its test accuracy {accuracy:.3f} is near the majority-class rate {rate:.3f} "
            "(always predicting the most frequent training class)"
        )
    counts = np.bincount(predicted, minlength=probs.shape[1])
    top = int(counts.argmax())
    share, truth = counts[top] / len(predicted), float((y_test == top).mean())
    if share >= ONE_CLASS_SHARE and share >= 2 * truth:
        said.append(
            f"it predicts one class for {share:.0%} of the test rows, a class that holds "
            f"{truth:.0%} of them"
        )
    return said


def training_section(training: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """A Markdown table of each method's training length over its seeds: epochs and steps
    trained, the epoch whose weights were kept, and how its runs stopped."""
    lines = [
        "## Training length",
        "",
        "Each run's validation loss (the NLL of the validation split) was evaluated every epoch. "
        "Without `--num_train_epochs` a run stops once it has not improved for "
        "`--early_stopping_patience` evaluations (or at `--max_epochs`) and keeps the weights of "
        "its lowest validation loss.",
        "",
        "| Method | Epochs trained | Steps | Epoch kept | Stopped |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for method, records in training.items():
        stops = Counter(r["stopped"] for r in records)
        stopped = ", ".join(
            f"{n} {_STOPPED[reason]}" for reason, n in sorted(stops.items(), key=lambda kv: -kv[1])
        )
        lines.append(
            f"| `{md_escape(method)}` | {_spread([r['epochs'] for r in records])} "
            f"| {_spread([r['steps'] for r in records])} "
            f"| {_spread([r['kept_epoch'] for r in records])} | {stopped} |"
        )
    return [*lines, ""]


_STOPPED = {
    "plateau": "at the validation plateau",
    "max_epochs": "by --max_epochs, still improving",
    "fixed": "after --num_train_epochs",
}


def warnings_section(warnings: Sequence[Mapping[str, Any]]) -> list[str]:
    """The runs that are not finished models (:func:`run_warnings`), one line each."""
    if not warnings:
        return []
    lines = [
        "## Warnings: runs that are not finished models",
        "",
        "Conclusions drawn from these runs are about unfinished models.",
        "",
    ]
    lines += [
        f"- `{md_escape(w['method'])}` seed {w['seed']}: {md_escape(w['warning'])}"
        for w in warnings
    ]
    return [*lines, ""]


def verdict(results: Mapping[str, Any]) -> list[str]:
    """The comparison in words, one sentence per (method, reference): each informative method
    (every method but ``none`` and ``ls-classic``) against ``ls-classic``, and the best method on
    macro-F1 against ``none``, on :data:`VERDICT_METRICS` with their paired tests
    (:func:`textls.aggregation.aggregate`'s ``paired``: ``results["paired_vs_ls_classic"]``, and
    ``results["paired"]`` when its baseline is ``none``)."""
    paired_vs = {}
    if results.get("paired_vs_ls_classic"):
        paired_vs["ls-classic"] = results["paired_vs_ls_classic"]
    if results.get("baseline") == "none":
        paired_vs["none"] = results["paired"]
    methods = list(results["methods"])
    sentences = []
    if "ls-classic" in paired_vs:
        for method in methods:
            if method in ("none", "ls-classic"):
                continue
            sentences.append(_sentence(method, "ls-classic", paired_vs["ls-classic"][method]))
    smoothed = [m for m in methods if m != "none"]
    if "none" in paired_vs and smoothed:
        best = max(smoothed, key=lambda m: results["methods"][m]["mean"]["macro_f1"])
        sentences.append(
            _sentence(best, "none", paired_vs["none"][best], prefix="best on macro-F1, ")
        )
    return sentences


def verdict_section(results: Mapping[str, Any]) -> list[str]:
    """:func:`verdict` as a Markdown section, with what "clearly" means."""
    sentences = verdict(results)
    if not sentences:
        return []
    lines = [
        "## Verdict",
        "",
        f"A difference is called clear when it has the same sign on every seed and its paired "
        f"t-test over seeds gives p < {ALPHA:g}; otherwise it is within the noise of these "
        "seeds. The test split's class distribution is "
        f"`{results.get('config', {}).get('test_distribution', 'train')}`.",
        "",
    ]
    return [*lines, *[f"- {s}" for s in sentences], ""]


def _sentence(method: str, reference: str, paired: Mapping[str, Mapping], prefix: str = "") -> str:
    parts = []
    for metric in VERDICT_METRICS:
        if metric not in paired:
            continue
        s = paired[metric]
        diff, n = s["mean_diff"], s["n"]
        if diff is None:
            continue
        better = diff > 0 if higher_is_better(metric) else diff < 0
        clear = s["p_value"] is not None and s["p_value"] < ALPHA and s["wins"] in (0, n)
        if diff == 0:
            word = "the same"
        elif clear:
            word = "clearly better" if better else "clearly worse"
        else:
            word = "better within noise" if better else "worse within noise"
        parts.append(
            f"{metric} {format_signed(diff)} ({word}; {s['wins']}/{n} seeds, p {format_p(s['p_value'])})"
        )
    return f"`{method}` ({prefix}against `{reference}`): " + "; ".join(parts)


def _spread(values: Sequence[float | None]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    low, high, mean = min(values), max(values), float(np.mean(values))
    return f"{mean:.3g}" if low == high else f"{mean:.3g} ({low:g}-{high:g})"
