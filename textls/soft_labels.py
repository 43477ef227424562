"""The soft-label table on disk: written by ``textls smooth``, read back by ``textls compare``.

A table has one row per input row: ``id``, the gold ``label``, then one ``soft:<class>`` column per
class, each row a distribution.  Next to a table ``F`` lies its record ``F.textls.json``
(:data:`RECORD_SUFFIX`): the fingerprint of the rows it was made from, the method, its effective
parameters and the table's checksum, so the table is never used for other rows or settings.

* the table: :func:`soft_label_frame`;
* writing it with its record: :func:`write_soft_labels`;
* reading it back: :func:`read_soft_label_file` (which checks the record,
  :func:`check_soft_label_record`; a folder is read as a soft-label cache, ``textls cache build``).

Making the soft labels (``textls smooth``) is :mod:`textls.smooth`; what the targets say about
the corpus (``--diagnose``) is :mod:`textls.diagnostics`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

#: A table's soft-label columns are ``SOFT_PREFIX + class``.
SOFT_PREFIX = "soft:"
#: A soft-label file ``F`` is described by ``F`` + this suffix: what made it, so it is never used
#: for other rows or other settings.
RECORD_SUFFIX = ".textls.json"
_RECORD_FORMAT = "textls-soft-labels"
_RECORD_CHECKSUM = "record_sha256"  # over the record's other fields: a hand edit is refused


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
