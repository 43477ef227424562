"""Labelled tables -> tokenised ``datasets.Dataset`` with class indices and soft labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from datasets import Dataset

from textls._utils import encode_labels, unique_classes
from textls.io import read_table, texts_and_labels
from textls.smooth import SOFT_PREFIX, check_soft_label_record


def load_labelled(path: str, text_column: str, label_column: str) -> tuple[list[str], list]:
    texts, labels = texts_and_labels(read_table(path), text_column, label_column, source=str(path))
    return texts, labels


def classes_of(labels: list, source: str) -> np.ndarray:
    classes = unique_classes(np.asarray(labels, dtype=object))
    if len(classes) < 2:
        raise ValueError(f"{source}: need at least 2 classes, found {list(classes)}")
    return classes


def encode_split(labels: list, classes: np.ndarray, source: str) -> np.ndarray:
    """Class indices; a label training never saw is an error naming the file."""
    try:
        return encode_labels(np.asarray(labels, dtype=object), classes)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


def read_soft_label_file(
    path: str, classes: np.ndarray, labels: list, texts: list[str], method: str, params: dict
) -> np.ndarray:
    """Soft labels made by ``method`` with ``params`` for exactly these rows and classes, else an error.

    A file written by ``textls smooth`` is checked against its record
    (:func:`textls.smooth.check_soft_label_record`: the rows' fingerprint, texts included, the
    method, its effective parameters and the table's checksum), then column by column: one
    ``soft:<class>`` column per class (any order), the ``label`` column row by row, no missing
    values, every row a distribution.  A folder is read as a soft-label cache (``textls cache
    build``), checked against the data's fingerprint and the method's settings.
    """
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
    """The ``(n, C)`` soft labels of a cache built from exactly these texts and labels by ``method``
    with ``params``, else an error."""
    from textls.cache import load_cache

    cache = load_cache(path)
    cache.check_settings(method, params)  # refuses another method, epsilon or parameter
    cache.check_data(texts, labels)  # refuses a cache of other data, saying so
    position = {str(c): k for k, c in enumerate(cache.classes)}
    missing = [c for c in classes if str(c) not in position]
    if missing or len(position) != len(classes):
        raise ValueError(
            f"{path}: the cache's classes {cache.classes} do not match the data's {list(classes)}"
        )
    soft = cache.dense()[:, [position[str(c)] for c in classes]]
    return np.ascontiguousarray(soft, dtype=np.float32)


def build_dataset(
    tokenizer,
    texts: list[str],
    y: np.ndarray,
    soft: np.ndarray | None = None,
    max_length: int = 128,
) -> Dataset:
    """Tokenise once with ``datasets.map``; columns ``input_ids``, ``attention_mask``, ``labels`` [, ``soft_labels``]."""
    columns = {"text": texts, "labels": np.asarray(y, dtype=np.int64)}
    if soft is not None:
        columns["soft_labels"] = np.asarray(soft, dtype=np.float32)
    dataset = Dataset.from_dict(columns)
    return dataset.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_length),
        batched=True,
        remove_columns=["text"],
        desc="tokenising",
    )
