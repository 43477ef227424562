"""The soft-label table: made and written by ``textls smooth``, read back by ``textls compare``.

A table has one row per input row: ``id``, the gold ``label``, then one ``soft:<class>`` column per
class, each row a distribution.  Next to a table ``F`` lies its record ``F.textls.json``
(:data:`RECORD_SUFFIX`): the fingerprint of the rows it was made from, the method, its effective
parameters and the table's checksum, so the table is never used for other rows or settings.

* making it: :func:`smooth_table` (``textls smooth``), :func:`smooth_texts`,
  :func:`soft_label_frame`;
* writing it with its record: :func:`write_soft_labels`;
* reading it back: :func:`read_soft_label_file` (which checks the record,
  :func:`check_soft_label_record`; a folder is read as a soft-label cache, ``textls cache build``).

What the targets say about the corpus (``--diagnose``) is :mod:`textls.diagnostics`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from textls.diagnostics import diagnose, diagnose_methods, format_diagnosis
from textls.smoothers import BaseSmoother

#: A table's soft-label columns are ``SOFT_PREFIX + class``.
SOFT_PREFIX = "soft:"
#: A soft-label file ``F`` is described by ``F`` + this suffix: what made it, so it is never used
#: for other rows or other settings.
RECORD_SUFFIX = ".textls.json"
_RECORD_FORMAT = "textls-soft-labels"
_RECORD_CHECKSUM = "record_sha256"  # over the record's other fields: a hand edit is refused
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
        logger.debug("wrote %d soft labels x %d classes to %s", *soft.shape, result.path)
    return result


def refuse_overwriting_input(input_path: str, output_path: str) -> None:
    """Refuse an output, or its soft-label record, that is the input file.

    Raises
    ------
    ValueError
        ``output_path`` or ``output_path + RECORD_SUFFIX`` is ``input_path``
        (:func:`textls.io.refuse_overwriting`).
    """
    from textls.io import refuse_overwriting

    for target in (output_path, f"{output_path}{RECORD_SUFFIX}"):
        refuse_overwriting(target, [input_path])


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


def soft_label_frame(soft: np.ndarray, classes, ids, labels) -> pd.DataFrame:
    """The soft-label table: one row per input row.

    Parameters
    ----------
    soft : ndarray of shape (n, C)
        The soft labels; column ``k`` is ``classes[k]``.
    classes : sequence of length C
    ids, labels : sequence of length n
        The rows' ids and gold labels.

    Returns
    -------
    DataFrame
        Columns ``id``, ``label``, then one ``soft:<class>`` column per class.
    """
    frame = pd.DataFrame({"id": ids, "label": labels})
    columns = pd.DataFrame(soft, columns=[f"{SOFT_PREFIX}{c}" for c in classes])
    return pd.concat([frame, columns], axis=1)


# -- a soft-label file bound to what made it -----------------------------------------------------


def effective_params(method: str, params: dict) -> dict:
    """What decides ``method``'s targets with ``params``.

    Returns
    -------
    dict
        Every parameter, defaults filled (:func:`textls.cache.manifest.settings_params`), less
        those that only batch the work.
    """
    from textls.cache.manifest import NOT_TARGETS, settings_params

    return {k: v for k, v in settings_params(method, params).items() if k not in NOT_TARGETS}


def write_soft_labels(path, frame: pd.DataFrame, method: str, params: dict, texts, labels) -> Path:
    """Write the soft-label table, then its record ``path + RECORD_SUFFIX`` (both atomically).

    The record holds the fingerprint of the rows (texts and labels, in order), the method, its
    effective parameters (epsilon included), the classes, the table's SHA-256 and its own SHA-256
    over those fields: a consumer recomputes them (:func:`check_soft_label_record`) and refuses
    any mismatch.  The table is written first, so a crash in between leaves a table whose record
    is missing or stale: refused.

    Parameters
    ----------
    path : str or Path
        Where the table goes (:func:`textls.io.write_table`; the suffix picks the format).
    frame : DataFrame
        :func:`soft_label_frame`'s table.
    method : str
        The generator that made it.
    params : dict
        Its parameters (epsilon included).
    texts, labels : list
        The rows it was made from, in order.

    Returns
    -------
    Path
        The table written.
    """
    from textls.cache.fingerprint import data_fingerprint
    from textls.cache.manifest import manifest_checksum, write_json
    from textls.io import write_table_with_sha256

    path, table_sha256 = write_table_with_sha256(frame, path)
    classes = [c[len(SOFT_PREFIX) :] for c in frame.columns if str(c).startswith(SOFT_PREFIX)]
    record = {
        "format": _RECORD_FORMAT,
        "data_fingerprint": data_fingerprint(texts, labels),
        "num_rows": len(frame),
        "method": method,
        "params": effective_params(method, params),
        "classes": classes,
        "table_sha256": table_sha256,  # of the bytes written, not of whatever is at path now
    }
    record[_RECORD_CHECKSUM] = manifest_checksum(record, _RECORD_CHECKSUM)
    write_json(Path(f"{path}{RECORD_SUFFIX}"), record)
    return path


def check_soft_label_record(path, method: str, params: dict, texts, labels) -> None:
    """Check that ``path`` was written by ``textls smooth`` for exactly these rows and settings.

    Parameters
    ----------
    path : str or Path
        A soft-label table; its record is ``path + RECORD_SUFFIX``.
    method : str
        The generator it must hold.
    params : dict
        The parameters it must have been made with (compared as :func:`effective_params`).
    texts, labels : list
        The rows (texts and labels, in order) it must have been made from.

    Raises
    ------
    ValueError
        The record is missing, unreadable or edited, the table changed since, or the method,
        the effective parameters, the number of rows or the rows' fingerprint differ; the message
        names what differs.
    """
    from textls.cache.fingerprint import data_fingerprint
    from textls.cache.manifest import manifest_checksum
    from textls.io import sha256_file

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


# -- reading it back -----------------------------------------------------------------------------


def read_soft_label_file(
    path: str, classes: np.ndarray, labels: list, texts: list[str], method: str, params: dict
) -> np.ndarray:
    """Soft labels made by ``method`` with ``params`` for exactly these rows and classes, else an error.

    A file written by ``textls smooth`` is checked against its record
    (:func:`check_soft_label_record`: the rows' fingerprint, texts included, the method, its
    effective parameters and the table's checksum), then column by column: one ``soft:<class>``
    column per class (any order), the ``label`` column row by row, no missing values, every row a
    distribution.  A folder is read as a soft-label cache (``textls cache build``), checked
    against the data's fingerprint and the method's settings.

    Parameters
    ----------
    path : str
        A soft-label table (:func:`write_soft_labels`) or a soft-label cache folder.
    classes : ndarray of shape (C,)
        The data's classes; column ``k`` of the result is ``classes[k]``.
    labels : list
        The rows' gold labels, in order.
    texts : list of str
        The rows' texts, in order.
    method : str
        The generator the soft labels must come from.
    params : dict
        Its parameters (epsilon included).

    Returns
    -------
    ndarray of shape (n, C), float32
        Rows renormalised to sum to one.

    Raises
    ------
    ValueError
        The record or cache does not match (see :func:`check_soft_label_record`), or a class
        column, the row count, a row's label, a value (NaN or missing) or a row's sum is wrong;
        the message names the file, row and column.
    """
    from textls.io import read_table

    if Path(path).is_dir():
        return read_soft_label_cache(path, classes, texts, labels, method, params)
    check_soft_label_record(path, method, params, texts, labels)
    frame = read_table(path)
    columns = [c for c in frame.columns if str(c).startswith(SOFT_PREFIX)]
    found = {c[len(SOFT_PREFIX) :] for c in columns}
    expected = {str(c) for c in classes}
    if found != expected:
        raise ValueError(
            f"{path}: soft-label classes do not match the data: missing {sorted(expected - found)}, "
            f"unexpected {sorted(found - expected)}"
        )
    if len(frame) != len(labels):
        raise ValueError(f"{path} has {len(frame)} rows but the data has {len(labels)}")
    if "label" in frame.columns:
        cached = frame["label"].astype(str).to_numpy()
        mismatch = np.flatnonzero(cached != np.asarray([str(v) for v in labels]))
        if mismatch.size:
            i = int(mismatch[0])
            raise ValueError(
                f"{path}: row {i} has label {cached[i]!r} but the data has {labels[i]!r}; "
                "the soft labels were computed for other data"
            )
    soft = frame[[f"{SOFT_PREFIX}{c}" for c in classes]].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(soft)
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise ValueError(
            f"{path}: row {i}, column {SOFT_PREFIX}{classes[j]} is {soft[i, j]} (NaN or missing)"
        )
    sums = soft.sum(axis=1)
    off = np.flatnonzero((np.abs(sums - 1) > 1e-3) | (soft < 0).any(axis=1))
    if off.size:
        raise ValueError(
            f"{path}: row {int(off[0])} is not a distribution (sums to {sums[off[0]]:.4f})"
        )
    return (soft / sums[:, None]).astype(np.float32)


def read_soft_label_cache(
    path: str, classes: np.ndarray, texts: list[str], labels: list, method: str, params: dict
) -> np.ndarray:
    """The soft labels of a cache built from exactly these texts and labels by ``method``.

    Parameters
    ----------
    path : str
        A soft-label cache folder (``textls cache build``).
    classes : ndarray of shape (C,)
        The data's classes; column ``k`` of the result is ``classes[k]``.
    texts, labels : list
        The rows, in order.
    method : str
        The generator the cache must hold.
    params : dict
        The settings it must have been built with.

    Returns
    -------
    ndarray of shape (n, C), float32

    Raises
    ------
    ValueError
        Another method, epsilon or parameter, other data, or other classes.
    """
    from textls.cache import load_cache

    cache = load_cache(path)
    cache.check_settings(method, params)  # refuses another method, epsilon or parameter
    if cache.layout == "topk":
        raise ValueError(
            f"{path} keeps only each row's top {cache.manifest['top_k']} classes (built with "
            f"--top_k), not {method}'s soft labels over all {len(cache.classes)} classes; "
            "rebuild it without --top_k to train on it"
        )
    cache.check_data(texts, labels)  # refuses a cache of other data, saying so
    position = {str(c): k for k, c in enumerate(cache.classes)}
    missing = [c for c in classes if str(c) not in position]
    if missing or len(position) != len(classes):
        raise ValueError(
            f"{path}: the cache's classes {cache.classes} do not match the data's {list(classes)}"
        )
    soft = cache.dense()[:, [position[str(c)] for c in classes]]
    return np.ascontiguousarray(soft, dtype=np.float32)
