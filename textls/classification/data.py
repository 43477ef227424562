"""Labelled tables -> tokenised ``datasets.Dataset`` with class indices and soft labels.

Soft-label tables themselves are read by :func:`textls.soft_labels.read_soft_label_file`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import torch
from datasets import Dataset

from textls._utils import encode_labels, unique_classes
from textls.io import read_table, texts_and_labels


def load_labelled(path: str, text_column: str, label_column: str) -> tuple[list[str], list]:
    """The texts and gold labels of a labelled table (:func:`textls.io.texts_and_labels`)."""
    texts, labels = texts_and_labels(read_table(path), text_column, label_column, source=str(path))
    return texts, labels


def classes_of(labels: list, source: str) -> np.ndarray:
    """The sorted classes of ``labels``; fewer than two is an error naming ``source``."""
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


def build_dataset(
    tokenizer,
    texts: list[str],
    y: np.ndarray,
    soft: np.ndarray | None = None,
    max_length: int = 128,
    in_memory: bool = False,
) -> Dataset | InMemoryDataset:
    """Tokenise once with ``datasets.map``.

    Parameters
    ----------
    tokenizer : transformers tokenizer
        Called on batches of texts, truncating at ``max_length``.
    texts : list of str
    y : ndarray of shape (n,)
        Class indices.
    soft : ndarray of shape (n, C), optional
        Soft labels, stored as ``soft_labels``.
    max_length : int, default 128
    in_memory : bool, default False
        Return the rows as an :class:`InMemoryDataset` (faster batches for short training steps).

    Returns
    -------
    Dataset or InMemoryDataset
        Columns ``input_ids``, ``attention_mask``, ``labels`` [, ``soft_labels``].
    """
    columns = {"text": texts, "labels": np.asarray(y, dtype=np.int64)}
    if soft is not None:
        columns["soft_labels"] = np.asarray(soft, dtype=np.float32)
    dataset = Dataset.from_dict(columns)
    dataset = dataset.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_length),
        batched=True,
        remove_columns=["text"],
        desc="tokenising",
    )
    return InMemoryDataset(dataset) if in_memory else dataset


class InMemoryDataset(torch.utils.data.Dataset):
    """The rows of a tokenised ``datasets.Dataset`` held in NumPy arrays, for training loops whose
    steps take milliseconds (the from-scratch models).

    ``datasets`` turns every batch of rows from Arrow into Python objects; for fastText that
    conversion cost about a sixth of a training step: 19,500 against 22,700 training examples/s
    (``scripts/benchmark_fasttext_speed.py``).
    Here it happens once: a column of token lists becomes one flat int64 array with row offsets
    (a row is a view of it, 8 bytes a token), a column of equal-length float lists
    (``soft_labels``) one float32 array of shape ``(n, C)``, a scalar column one array.  Rows are
    dicts as a ``datasets.Dataset`` gives them, so :class:`SoftLabelCollator` and
    ``DataCollatorWithPadding`` take them; ``Trainer`` drops, per batch, the columns the model
    does not take (``remove_unused_columns``).

    Parameters
    ----------
    dataset : datasets.Dataset
        E.g. from :func:`build_dataset`.

    Examples
    --------
    >>> rows = InMemoryDataset(Dataset.from_dict({"input_ids": [[1, 2], [3]], "labels": [0, 1]}))
    >>> rows[1]["input_ids"].tolist(), rows["labels"].tolist()
    ([3], [0, 1])
    """

    def __init__(self, dataset: Dataset):
        table = dataset.with_format("arrow")[:]
        self._flat, self._offsets, self._arrays = {}, {}, {}
        for name, column in zip(table.column_names, table.columns, strict=True):
            column = column.combine_chunks()
            if pa.types.is_list(column.type) and pa.types.is_integer(column.type.value_type):
                self._flat[name] = column.values.to_numpy().astype(np.int64)
                self._offsets[name] = column.offsets.to_numpy() - column.offsets[0].as_py()
            elif pa.types.is_list(column.type):
                widths = set(pc.list_value_length(column).to_pylist())
                if len(widths) > 1:
                    raise ValueError(
                        f"column {name!r}: rows hold lists of {sorted(widths)} values; a float "
                        "column (soft_labels) needs one width"
                    )
                self._arrays[name] = np.asarray(column.to_pylist(), dtype=np.float32)
            else:
                self._arrays[name] = column.to_numpy(zero_copy_only=False)
        self.column_names = list(table.column_names)
        self._rows = len(table)

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, key: int | str):
        """Row ``key`` (a dict), or the column named ``key`` (token columns as a list of arrays),
        as ``datasets.Dataset`` does."""
        if isinstance(key, str):
            if key in self._flat:
                offsets = self._offsets[key]
                return [
                    self._flat[key][a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)
                ]
            return self._arrays[key]
        if not -self._rows <= key < self._rows:
            raise IndexError(f"row {key} of a {self._rows}-row dataset")
        return self.__getitems__([key % self._rows])[0]

    def __getitems__(self, keys: list[int]) -> list[dict]:
        """The rows of a batch (``torch.utils.data`` fetches a batch through this)."""
        rows = [{} for _ in keys]
        for name, flat in self._flat.items():
            offsets = self._offsets[name]
            for row, key in zip(rows, keys, strict=True):
                row[name] = flat[offsets[key] : offsets[key + 1]]
        for name, array in self._arrays.items():
            for row, value in zip(rows, array[keys], strict=True):
                row[name] = value
        return rows
