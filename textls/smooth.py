"""Turn a labelled table into soft labels: the library side of ``textls smooth``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from textls._utils import encode_labels
from textls.smoothers import BaseSmoother

SOFT_PREFIX = "soft:"


@dataclass
class SmoothSummary:
    """What a set of soft labels says about a corpus."""

    method: str
    rows: int
    classes: list
    mean_gold_mass: float
    relevance_agreement: float  # share of rows whose most relevant class is the gold one
    mean_relevance_entropy: float  # in nats; log(C) is uniform
    confusions: dict = field(
        default_factory=dict
    )  # class -> (top non-gold class, share of its rows)
    keywords: dict = field(default_factory=dict)  # class -> top keywords (KWLS only)

    def __str__(self) -> str:
        c = len(self.classes)
        lines = [
            f"{self.method}: {self.rows} rows, {c} classes",
            f"mean soft-label mass on the gold class: {self.mean_gold_mass:.3f}",
            f"relevance agrees with the gold label on {100 * self.relevance_agreement:.1f}% of rows "
            f"(chance {100 / c:.1f}%)",
            f"mean relevance entropy: {self.mean_relevance_entropy:.3f} nats (uniform: {np.log(c):.3f})",
            "per class: most frequent top non-gold class of the soft label (share of the class's rows)"
            + ("; top keywords" if self.keywords else ""),
        ]
        for cls in self.classes:
            other, share = self.confusions[cls]
            line = f"  {cls!s:>20} -> {other!s:<20} {100 * share:5.1f}%"
            if self.keywords:
                line += "  " + ", ".join(self.keywords[cls])
            lines.append(line)
        return "\n".join(lines)


def smooth_texts(
    smoother: BaseSmoother, texts: list[str], labels: list, method: str = ""
) -> tuple[np.ndarray, np.ndarray, SmoothSummary]:
    """Fit ``smoother`` on the texts, return ``(soft_labels, relevance, summary)``.

    ``soft_labels`` come from ``fit_transform`` (cross-fitted where the method supports it) and
    ``y`` are the gold labels as indices into ``smoother.classes_``.
    """
    soft = smoother.fit_transform(texts, labels)
    y = encode_labels(np.asarray(labels, dtype=object), smoother.classes_)
    summary = summarize(soft, y, smoother, method or type(smoother).__name__)
    return soft, y, summary


def summarize(
    soft: np.ndarray, y: np.ndarray, smoother: BaseSmoother, method: str
) -> SmoothSummary:
    classes = smoother.classes_.tolist()
    rows = np.arange(len(y))
    off_gold = soft.astype(np.float64).copy()
    off_gold[rows, y] = -np.inf
    top_other = off_gold.argmax(axis=1)
    # A row whose non-gold mass is tied (e.g. uniform) prefers no class; argmax would say column 0.
    top_two = np.sort(off_gold, axis=1)[:, -2:] if len(classes) > 2 else None
    strict = np.ones(len(y), bool) if top_two is None else top_two[:, 1] > top_two[:, 0] + 1e-7
    confusions = {}
    for k, cls in enumerate(classes):
        mine = top_other[(y == k) & strict]
        if len(mine) == 0:
            confusions[cls] = ("-", 0.0)
            continue
        counts = np.bincount(mine, minlength=len(classes))
        confusions[cls] = (classes[int(counts.argmax())], float(counts.max() / np.sum(y == k)))
    gold_mass = soft[rows, y].astype(np.float64)
    relevance = _recover_relevance(soft, y, smoother)
    if relevance is None:
        agreement = entropy = float("nan")
    else:
        agreement = float((relevance.argmax(axis=1) == y).mean())
        entropy = float(-(relevance * np.log(np.clip(relevance, 1e-12, None))).sum(axis=1).mean())
    keywords = {}
    if hasattr(smoother, "class_keywords_"):
        keywords = {cls: [t for t, _ in smoother.class_keywords_[cls][:8]] for cls in classes}
    return SmoothSummary(
        method=method,
        rows=len(y),
        classes=classes,
        mean_gold_mass=float(gold_mass.mean()),
        relevance_agreement=agreement,
        mean_relevance_entropy=entropy,
        confusions=confusions,
        keywords=keywords,
    )


def _recover_relevance(
    soft: np.ndarray, y: np.ndarray, smoother: BaseSmoother
) -> np.ndarray | None:
    """``r = (y_soft - (1 - e) onehot) / e``; None when ``e`` is 0 or differs per row."""
    epsilon = smoother.epsilon
    if not epsilon or getattr(smoother, "adaptive_epsilon", False):
        return None
    relevance = soft.astype(np.float64)
    relevance[np.arange(len(y)), y] -= 1.0 - epsilon
    relevance = np.clip(relevance / epsilon, 0, None)
    return relevance / relevance.sum(axis=1, keepdims=True)


def soft_label_frame(soft: np.ndarray, classes, ids, labels) -> pd.DataFrame:
    """One row per input row: id, gold label, then one ``soft:<class>`` column per class."""
    frame = pd.DataFrame({"id": ids, "label": labels})
    columns = pd.DataFrame(soft, columns=[f"{SOFT_PREFIX}{c}" for c in classes])
    return pd.concat([frame, columns], axis=1)
