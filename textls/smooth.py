"""Turn a labelled table into soft labels: the library side of ``textls smooth``."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

from textls.smoothers import BaseSmoother

SOFT_PREFIX = "soft:"
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
    """Fit ``smoother`` on the texts, return ``(soft_labels, y, summary)``.

    ``soft_labels`` are ``fit_transform``'s (from out-of-sample relevance) and ``y`` are the gold
    labels as indices into ``smoother.classes_``.
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
        Where to write ``method``'s soft labels (:func:`write_soft_labels`, with its record);
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
        logger.info("wrote %d soft labels x %d classes to %s", *soft.shape, result.path)
    return result


def refuse_overwriting_input(input_path: str, output_path: str) -> None:
    """Refuse an output, or its soft-label record, that is the input file."""
    from textls.io import refuse_overwriting

    for target in (output_path, f"{output_path}{RECORD_SUFFIX}"):
        refuse_overwriting(target, [input_path])


def summarize(
    soft: np.ndarray, y: np.ndarray, smoother: BaseSmoother, method: str, relevance: np.ndarray
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


def diagnose(relevance: np.ndarray, y: np.ndarray, soft: np.ndarray) -> dict:
    r"""What a method's training targets say, from the rows' out-of-sample ``relevance``.

    ``top1_agreement``: mean of :func:`top1_hits` (a tie for first among ``t`` classes counts
    ``1/t``, so uniform relevance scores ``1/C``, like guessing).  ``log_likelihood``: mean
    :math:`\ln r_{i g_i}` (``-sklearn.metrics.log_loss``; higher is better, ``ln(1/C)`` is
    uniform).  ``off_gold_mass``: mean share of the target off the gold class.
    """
    rows = np.arange(len(y))
    return {
        "top1_agreement": float(top1_hits(relevance, y).mean()),
        "log_likelihood": -float(log_loss(y, relevance, labels=np.arange(relevance.shape[1]))),
        "off_gold_mass": float(1.0 - soft[rows, y].astype(np.float64).mean()),
    }


def top1_hits(relevance: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row ``[gold is a maximum of the row] / (number of maxima)``: top-1 with fair ties."""
    best = relevance.max(axis=1, keepdims=True)
    at_max = np.isclose(relevance, best, rtol=1e-12, atol=0.0)
    return at_max[np.arange(len(y)), y] / at_max.sum(axis=1)


def diagnose_methods(
    texts: list[str], labels: list, methods, epsilon: float, params: dict | None = None
) -> dict:
    """``{method: diagnose(...) plus fit seconds}`` for each method fitted on the same rows."""
    from textls.smoothers import get_smoother

    out = {}
    for method in methods:
        start = time.perf_counter()
        smoother = get_smoother(method, **{"epsilon": epsilon, **(params or {}).get(method, {})})
        soft, relevance, y = smoother.fit_targets(texts, labels)
        out[method] = {**diagnose(relevance, y, soft), "seconds": time.perf_counter() - start}
    return out


def format_diagnosis(diagnosis: dict, n_classes: int) -> str:
    """The table ``textls smooth --diagnose`` prints."""
    lines = [
        f"{'method':<12} {'top-1 agreement':>16} {'log-likelihood':>15} {'off-gold mass':>14} "
        f"{'seconds':>8}",
        f"{'(uniform)':<12} {1 / n_classes:>16.3f} {np.log(1 / n_classes):>15.3f}",
    ]
    for method, d in diagnosis.items():
        lines.append(
            f"{method:<12} {d['top1_agreement']:>16.3f} {d['log_likelihood']:>15.3f} "
            f"{d['off_gold_mass']:>14.3f} {d['seconds']:>8.2f}"
        )
    return "\n".join(lines)


def soft_label_frame(soft: np.ndarray, classes, ids, labels) -> pd.DataFrame:
    """One row per input row: id, gold label, then one ``soft:<class>`` column per class."""
    frame = pd.DataFrame({"id": ids, "label": labels})
    columns = pd.DataFrame(soft, columns=[f"{SOFT_PREFIX}{c}" for c in classes])
    return pd.concat([frame, columns], axis=1)


# -- a soft-label file bound to what made it -----------------------------------------------------

#: A soft-label file ``F`` is described by ``F`` + this suffix: what made it, so it is never used
#: for other rows or other settings.
RECORD_SUFFIX = ".textls.json"
_RECORD_FORMAT = "textls-soft-labels"
_RECORD_CHECKSUM = "record_sha256"  # over the record's other fields: a hand edit is refused


def effective_params(method: str, params: dict) -> dict:
    """What decides ``method``'s targets with ``params``: every parameter, defaults filled
    (:func:`textls.cache.manifest.settings_params`), less those that only batch the work."""
    from textls.cache.manifest import NOT_TARGETS, settings_params

    return {k: v for k, v in settings_params(method, params).items() if k not in NOT_TARGETS}


def write_soft_labels(path, frame: pd.DataFrame, method: str, params: dict, texts, labels) -> Path:
    """Write the soft-label table, then its record ``path + RECORD_SUFFIX`` (both atomically).

    The record holds the fingerprint of the rows (texts and labels, in order), the method, its
    effective parameters (epsilon included), the classes, the table's SHA-256 and its own SHA-256
    over those fields: a consumer
    recomputes them (:func:`check_soft_label_record`) and refuses any mismatch.  The table is
    written first, so a crash in between leaves a table whose record is missing or stale: refused.
    """
    from textls.cache.fingerprint import data_fingerprint
    from textls.cache.manifest import manifest_checksum, sha256_file, write_json
    from textls.io import write_table

    path = write_table(frame, path)
    classes = [c[len(SOFT_PREFIX) :] for c in frame.columns if str(c).startswith(SOFT_PREFIX)]
    record = {
        "format": _RECORD_FORMAT,
        "data_fingerprint": data_fingerprint(texts, labels),
        "num_rows": len(frame),
        "method": method,
        "params": effective_params(method, params),
        "classes": classes,
        "table_sha256": sha256_file(path),
    }
    record[_RECORD_CHECKSUM] = manifest_checksum(record, _RECORD_CHECKSUM)
    write_json(Path(f"{path}{RECORD_SUFFIX}"), record)
    return path


def check_soft_label_record(path, method: str, params: dict, texts, labels) -> None:
    """Raise ``ValueError`` unless ``path`` was written by ``textls smooth`` for exactly these rows
    (texts and labels, in order) with this ``method`` and these effective ``params``; the message
    names what differs."""
    from textls.cache.fingerprint import data_fingerprint
    from textls.cache.manifest import manifest_checksum, sha256_file

    record_path = Path(f"{path}{RECORD_SUFFIX}")
    if not record_path.is_file():
        raise ValueError(
            f"{path}: no {record_path.name} next to it, so nothing says which rows and settings "
            "its soft labels belong to; write it with `textls smooth --output`"
        )
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{record_path}: unreadable ({exc})") from exc
    if not isinstance(record, dict) or record.get("format") != _RECORD_FORMAT:
        raise ValueError(f"{record_path} is not a textls soft-label record")
    if record.get(_RECORD_CHECKSUM) != manifest_checksum(record, _RECORD_CHECKSUM):
        raise ValueError(
            f"{record_path} does not match its {_RECORD_CHECKSUM}: it was edited after "
            "`textls smooth` wrote it; write the soft labels again"
        )
    if record.get("table_sha256") != sha256_file(path):
        raise ValueError(
            f"{path} changed after `textls smooth` wrote it (its SHA-256 differs from "
            f"{record_path.name}); write it again"
        )
    if record.get("method") != method:
        raise ValueError(
            f"{path} holds {record.get('method')} soft labels, but is given for {method}"
        )
    expected = effective_params(method, params)
    recorded = record.get("params", {})
    differ = sorted(k for k in set(expected) | set(recorded) if expected.get(k) != recorded.get(k))
    if differ:
        shown = ", ".join(
            f"{k}={recorded.get(k)!r} (this run: {expected.get(k)!r})" for k in differ[:5]
        )
        raise ValueError(f"{path} was made with other {method} settings: {shown}")
    if record.get("num_rows") != len(texts):
        raise ValueError(f"{path} has {record.get('num_rows')} rows but the data has {len(texts)}")
    if record.get("data_fingerprint") != data_fingerprint(texts, labels):
        raise ValueError(
            f"{path} was computed from other rows: the texts or labels (or their order) differ "
            "from the data's"
        )
