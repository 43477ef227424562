"""``textls smooth``: soft labels for a labelled table, and what they say about the corpus.

:func:`smooth_table` reads a table, fits a generator on its rows and writes their soft labels
with :func:`textls.soft_labels.write_soft_labels` (the table and its record), and/or diagnoses
every method on the rows (``--diagnose``, :mod:`textls.diagnostics`). :func:`smooth_texts` does
the fitting for texts in memory; :func:`summarize` says what the targets and the out-of-sample
relevance of a fitted generator say (:class:`SmoothSummary`, what ``textls smooth`` prints).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textls.diagnostics import diagnose, diagnose_methods, format_diagnosis
from textls.smoothers import BaseSmoother
from textls.soft_labels import refuse_overwriting_input, soft_label_frame, write_soft_labels

__all__ = ["SmoothSummary", "SmoothTableResult", "smooth_table", "smooth_texts", "summarize"]

logger = logging.getLogger(__name__)


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
    """Fit ``smoother`` on the texts and return their soft labels, with what they say.

    Parameters
    ----------
    smoother : BaseSmoother
        An unfitted generator.
    texts : list of str
        The rows' texts.
    labels : list
        Their gold labels.
    method : str, default ""
        The name the summary shows (default: the smoother's class name).

    Returns
    -------
    soft_labels : ndarray of shape (n, C)
        ``fit_transform``'s (from out-of-sample relevance).
    y : ndarray of shape (n,)
        The gold labels as indices into ``smoother.classes_``.
    summary : SmoothSummary
    """
    soft, relevance, y = smoother.fit_targets(texts, labels)
    summary = summarize(soft, y, smoother, method or type(smoother).__name__, relevance)
    return soft, y, summary


@dataclass
class SmoothTableResult:
    """What :func:`smooth_table` did; ``str()`` is what ``textls smooth`` prints."""

    source: str
    rows: int
    num_classes: int
    diagnosis: dict | None = None  # diagnose_methods' table, with diagnose=True
    summary: SmoothSummary | None = None  # with an output
    path: Path | None = None  # the soft-label table written

    def __str__(self) -> str:
        lines = []
        if self.diagnosis is not None:
            lines.append(f"{self.source}: {self.rows} rows, {self.num_classes} classes")
            lines.append(format_diagnosis(self.diagnosis, self.num_classes))
        if self.path is not None:
            lines.append(str(self.summary))
            lines.append(
                f"wrote {self.rows} soft labels x {len(self.summary.classes)} classes to {self.path}"
            )
        return "\n".join(lines)


def smooth_table(
    input: str,
    output: str | None = None,
    *,
    method: str = "kwls",
    params: dict | None = None,
    text_column: str = "text",
    label_column: str = "label",
    id_column: str | None = None,
    diagnose: bool = False,
) -> SmoothTableResult:
    """Soft labels for a labelled table (``textls smooth``), and/or every method's diagnosis.

    Parameters
    ----------
    input : str
        A .csv, .tsv, .jsonl, .json or .parquet file (:func:`textls.io.read_table`).
    output : str, optional
        Where to write ``method``'s soft labels
        (:func:`~textls.soft_labels.write_soft_labels`, with its record);
        required unless ``diagnose``.  Neither it nor its record may be ``input``.
    method, params : str, dict
        The generator (:func:`textls.smoothers.get_smoother`); ``params`` holds ``epsilon``.
    text_column, label_column : str
        The columns holding the text and the gold label.
    id_column : str, optional
        A column of ids, one per row, copied to the output (default: the row number).
    diagnose : bool
        Fit every method on the rows and report :func:`diagnose` for each (``params`` apply
        to ``method``).

    Returns
    -------
    SmoothTableResult

    Raises
    ------
    ValueError
        No output and no diagnosis asked for; an output over the input; an unknown method or
        parameter; a missing column or id column; an id repeated in ``id_column``.
    """
    from textls.errors import MissingKeyError
    from textls.io import read_table, texts_and_labels
    from textls.smoothers import SMOOTHERS, get_smoother

    if output is None and not diagnose:
        raise ValueError("give --output (where to write the soft labels) or --diagnose")
    if output is not None:
        refuse_overwriting_input(input, output)
    params = dict(params or {})
    smoother = get_smoother(method, **params)

    frame = read_table(input)
    texts, labels = texts_and_labels(frame, text_column, label_column, source=input)
    if id_column is not None and id_column not in frame.columns:
        raise MissingKeyError(
            f"{input}: no column {id_column!r}; columns are {list(frame.columns)}"
        )
    ids = frame[id_column].tolist() if id_column else list(range(len(frame)))
    repeated = frame[id_column].duplicated(keep=False) if id_column else None
    if repeated is not None and repeated.any():
        rows = [int(i) for i in repeated.to_numpy().nonzero()[0][:5]]
        raise ValueError(
            f"{input}: column {id_column!r} repeats ids ({ids[rows[0]]!r} in rows "
            f"{rows}); an id must name one row"
        )

    result = SmoothTableResult(input, len(texts), len(set(map(str, labels))))
    if diagnose:
        own = {k: v for k, v in params.items() if k != "epsilon"}
        result.diagnosis = diagnose_methods(
            texts, labels, SMOOTHERS, smoother.epsilon, {method: own}
        )
    if output is not None:
        soft, _, result.summary = smooth_texts(smoother, texts, labels, method=method)
        frame = soft_label_frame(soft, smoother.classes_, ids, labels)
        result.path = write_soft_labels(output, frame, method, params, texts, labels)
        logger.debug("wrote %d soft labels x %d classes to %s", *soft.shape, result.path)
    return result


def summarize(
    soft: np.ndarray, y: np.ndarray, smoother: BaseSmoother, method: str, relevance: np.ndarray
) -> SmoothSummary:
    """What ``soft`` (the targets) and ``relevance`` (out of sample) of a fitted ``smoother`` say.

    Parameters
    ----------
    soft, relevance : ndarray of shape (n, C)
        The rows' soft labels and out-of-sample relevance (``fit_targets``).
    y : ndarray of shape (n,)
        The gold labels as indices into ``smoother.classes_``.
    smoother : BaseSmoother
        The fitted generator (KWLS adds its top keywords per class).
    method : str
        The name the summary shows.

    Returns
    -------
    SmoothSummary
    """
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
    diagnosis = diagnose(relevance, y, soft)
    entropy = float(-(relevance * np.log(np.clip(relevance, 1e-12, None))).sum(axis=1).mean())
    keywords = {}
    if hasattr(smoother, "class_keywords_"):
        class_keywords = smoother.class_keywords_  # built on access: once
        keywords = {cls: [t for t, _ in class_keywords[cls][:8]] for cls in classes}
    return SmoothSummary(
        method=method,
        rows=len(y),
        classes=classes,
        mean_gold_mass=float(gold_mass.mean()),
        relevance_agreement=diagnosis["top1_agreement"],
        mean_relevance_entropy=entropy,
        confusions=confusions,
        keywords=keywords,
    )
