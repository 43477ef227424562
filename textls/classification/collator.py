"""Batching: pad the text features, stack the soft labels (given, or computed on the fly)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from transformers import DataCollatorWithPadding, PreTrainedTokenizerBase


@dataclass
class SoftLabelCollator:
    """Collate examples with ``input_ids`` (or raw ``text``), ``labels`` and optional ``soft_labels``.

    * ``input_ids``/``attention_mask``/``token_type_ids`` are right-padded to the longest example
      (with one NumPy array per field: ``tokenizer.pad`` costs more than a fastText step; a
      left-padding tokenizer goes through ``DataCollatorWithPadding``); examples that carry only
      ``text`` are tokenised here (``max_length``, truncation).
    * ``soft_labels`` present in the examples are stacked into a float32 ``(B, C)`` tensor.
    * Otherwise, with a fitted LS-Classic ``smoother``, they are computed on the fly from ``text``
      and ``labels`` (``labels`` are class indices into ``smoother.classes_``); keep ``text`` in
      the dataset.  An informative smoother is refused: its ``transform`` of the rows it was
      fitted on is in-sample, so training rows take ``fit_transform``'s out-of-sample targets
      (``build_dataset(..., soft=smoother.fit_transform(texts, labels))``).

    Parameters
    ----------
    tokenizer : PreTrainedTokenizerBase
        A Hugging Face tokenizer.
    smoother : optional
        Fitted textls generator for on-the-fly soft labels.
    max_length : int, default 128
        Truncation length when tokenising raw text.
    text_column : str, default "text"
        Name of the raw text field.
    """

    tokenizer: PreTrainedTokenizerBase
    smoother: Any = None
    max_length: int = 128
    text_column: str = "text"

    def __post_init__(self):
        if self.smoother is not None and getattr(self.smoother, "informative", True):
            raise ValueError(
                f"SoftLabelCollator(smoother={type(self.smoother).__name__}) would give the "
                "training rows in-sample soft labels (transform scores a row with statistics "
                "fitted on it), which the out-of-sample relevance exists to avoid: put "
                "smoother.fit_transform(texts, labels) in the dataset's soft_labels column "
                "(build_dataset(..., soft=...)); only LS-Classic, whose targets do not depend on "
                "the data, is computed on the fly"
            )

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        if not features:
            raise ValueError("SoftLabelCollator got an empty batch (no examples)")
        texts = [f[self.text_column] for f in features] if self.text_column in features[0] else None
        labels = _class_indices([f["labels"] for f in features])
        soft = None
        if "soft_labels" in features[0]:
            soft = _stack_soft_labels([f["soft_labels"] for f in features])
            _check_in_range(labels, soft.shape[1], "the soft_labels' width")
            soft = torch.from_numpy(soft)
        elif self.smoother is not None:
            if texts is None:
                raise ValueError(
                    f"on-the-fly soft labels need the {self.text_column!r} field in each example"
                )
            check_is_fitted(self.smoother, "classes_")
            classes = self.smoother.classes_
            _check_in_range(labels, len(classes), f"the smoother's {len(classes)} classes")
            soft = torch.from_numpy(self.smoother.transform(texts, classes[labels]))
        labels = torch.from_numpy(labels)
        if "input_ids" in features[0]:
            batch = self._pad(features)
        elif texts is not None:
            batch = self.tokenizer(
                texts,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
        else:
            raise ValueError(f"examples need 'input_ids' or {self.text_column!r}")
        batch = dict(batch)
        batch["labels"] = labels
        if soft is not None:
            batch["soft_labels"] = soft
        return batch

    def _pad(self, features: list[dict]) -> dict[str, torch.Tensor]:
        """Pad ``input_ids``, ``attention_mask`` and ``token_type_ids``; the same tensors as
        ``DataCollatorWithPadding(tokenizer)``, which handles anything but right padding."""
        tok = self.tokenizer
        keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in features[0]]
        if tok.padding_side != "right" or tok.pad_token_id is None:
            return DataCollatorWithPadding(tok)([{k: f[k] for k in keys} for f in features])
        lengths = np.fromiter((len(f["input_ids"]) for f in features), np.int64, len(features))
        filled = np.arange(lengths.max()) < lengths[:, None]  # (B, L): True where a token sits
        pad_values = {"input_ids": tok.pad_token_id, "token_type_ids": tok.pad_token_type_id}
        batch = {}
        for key in keys:
            array = np.full(filled.shape, pad_values.get(key, 0), dtype=np.int64)
            rows = [f[key] for f in features]
            if isinstance(rows[0], np.ndarray):  # InMemoryDataset's rows
                array[filled] = np.concatenate(rows)  # row-major order, as filled is
            else:
                array[filled] = np.fromiter(chain.from_iterable(rows), np.int64, int(lengths.sum()))
            batch[key] = torch.from_numpy(array)
        if "attention_mask" not in batch and "attention_mask" in tok.model_input_names:
            batch["attention_mask"] = torch.from_numpy(filled.astype(np.int64))
        return batch


def _class_indices(values: list) -> np.ndarray:
    """The batch's ``labels`` as int64 class indices, refused naming the row unless each is a
    whole number (an int, a whole float, a 0-d tensor or array of one)."""
    if all(type(v) is int for v in values):  # the usual batch: plain ints
        return np.fromiter(values, np.int64, len(values))
    out = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        number = value.item() if hasattr(value, "item") and np.ndim(value) == 0 else value
        if (
            isinstance(number, bool)
            or not isinstance(number, numbers.Real)
            or number != int(number)
        ):
            raise ValueError(
                f"labels must be class indices (whole numbers); row {row} of the batch has "
                f"{value!r}: encode the classes first (e.g. ClassLabel, or the index into "
                "smoother.classes_)"
            )
        out[row] = int(number)
    return out


def _check_in_range(labels: np.ndarray, n_classes: int, what: str) -> None:
    """Refuse a class index outside ``[0, n_classes)`` (``-1`` would silently pick the last class)."""
    bad = (labels < 0) | (labels >= n_classes)
    if bad.any():
        row = int(bad.argmax())
        raise ValueError(
            f"labels row {row} of the batch is {int(labels[row])}, not a class index in "
            f"[0, {n_classes}) ({what})"
        )


def _stack_soft_labels(rows: list, atol: float = 1e-3) -> np.ndarray:
    """The ``soft_labels`` of a batch as one float32 ``(B, C)`` array, refused with a
    ``ValueError`` naming the field and the row of the batch unless every row is a distribution
    over the same classes: a list of C finite, non-negative values summing to one (not a class
    index, not a NaN, not a row of another width)."""
    widths = {np.ndim(row) for row in rows}
    if widths != {1}:
        raise ValueError(
            "soft_labels must hold one distribution over the classes per row (a list of C "
            "probabilities); got a single value per row: class indices go in labels"
            if widths == {0}
            else f"soft_labels rows have {sorted(widths)} dimensions, not one list per row"
        )
    lengths = [len(row) for row in rows]
    if len(set(lengths)) > 1:
        row = next(i for i, n in enumerate(lengths) if n != lengths[0])
        raise ValueError(
            f"soft_labels rows of the same batch differ in width: row 0 has {lengths[0]} "
            f"values, row {row} has {lengths[row]}"
        )
    try:
        soft = np.asarray(rows, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        row = next(i for i, r in enumerate(rows) if not _numbers(r))
        raise ValueError(
            f"soft_labels row {row} of the batch holds {rows[row]!r}, not probabilities ({exc})"
        ) from None
    bad = ~np.isfinite(soft).all(axis=1)
    if bad.any():
        raise ValueError(f"soft_labels has NaN or inf in row {int(bad.argmax())} of the batch")
    bad = (soft < 0).any(axis=1)
    if bad.any():
        raise ValueError(
            f"soft_labels has a negative value in row {int(bad.argmax())} of the batch"
        )
    sums = soft.sum(axis=1, dtype=np.float64)
    bad = np.abs(sums - 1.0) > atol
    if bad.any():
        row = int(bad.argmax())
        raise ValueError(f"soft_labels row {row} of the batch sums to {sums[row]:.6f}, not 1")
    return soft


def _numbers(row) -> bool:
    try:
        np.asarray(row, dtype=np.float32)
    except (TypeError, ValueError):
        return False
    return True
