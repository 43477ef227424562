"""Input checks shared by the metrics and calibration modules.

Every public function validates here, once, at the edge; the maths behind it trusts the result.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# float32 softmax outputs sum to one only up to ~1e-6 per row; 1e-4 leaves room for stored,
# rounded probabilities while still catching logits or unnormalised scores passed by mistake.
ROW_SUM_ATOL = 1e-4


def to_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a numpy array; torch tensors are detached and moved to the CPU first."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def check_scores(scores: Any, *, name: str) -> np.ndarray:
    """Check an ``(n, C)`` matrix of finite scores with ``n >= 1`` and ``C >= 2``; return float64."""
    scores = to_numpy(scores)
    if scores.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n, C), got shape {scores.shape}")
    n, n_classes = scores.shape
    if n == 0:
        raise ValueError(f"{name} is empty: shape {scores.shape}")
    if n_classes < 2:
        raise ValueError(f"{name} must have at least 2 classes (columns), got {n_classes}")
    if not (np.issubdtype(scores.dtype, np.floating) or np.issubdtype(scores.dtype, np.integer)):
        raise ValueError(f"{name} must be numeric, got dtype {scores.dtype}")
    scores = scores.astype(np.float64)
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return scores


def check_labels(labels: Any, *, n: int, n_classes: int) -> np.ndarray:
    """Check ``n`` integer labels in ``[0, n_classes)``; return int64.

    Float arrays are accepted when every value is a whole number (labels read back from a
    DataFrame often are), anything else is rejected.
    """
    labels = to_numpy(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be a 1-D array of shape (n,), got shape {labels.shape}")
    if labels.shape[0] != n:
        raise ValueError(f"labels has {labels.shape[0]} entries but there are {n} rows of scores")
    if np.issubdtype(labels.dtype, np.floating):
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError("labels must be integers; got non-integer or non-finite values")
    elif not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    bad = (labels < 0) | (labels >= n_classes)
    if np.any(bad):
        raise ValueError(
            f"labels must lie in [0, {n_classes}) for {n_classes} classes; "
            f"found {np.unique(labels[bad]).tolist()[:10]}"
        )
    return labels


def check_probs(probs: Any) -> np.ndarray:
    """Check an ``(n, C)`` matrix whose rows are probability distributions; return float64."""
    probs = check_scores(probs, name="probs")
    if np.any(probs < -ROW_SUM_ATOL) or np.any(probs > 1 + ROW_SUM_ATOL):
        raise ValueError("probs must lie in [0, 1]; were logits passed instead of probabilities?")
    row_sums = probs.sum(axis=1)
    off = np.abs(row_sums - 1.0) > ROW_SUM_ATOL
    if np.any(off):
        first = int(np.argmax(off))
        raise ValueError(
            f"rows of probs must sum to 1 (tolerance {ROW_SUM_ATOL}); {int(off.sum())} do not, "
            f"e.g. row {first} sums to {row_sums[first]:.6g}"
        )
    return probs


def check_probs_labels(probs: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """Check ``probs`` ``(n, C)`` (rows are distributions) and ``labels`` ``(n,)``."""
    probs = check_probs(probs)
    labels = check_labels(labels, n=probs.shape[0], n_classes=probs.shape[1])
    return probs, labels


def check_n_bins(n_bins: Any) -> int:
    """Check that ``n_bins`` is a positive integer."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    return int(n_bins)
