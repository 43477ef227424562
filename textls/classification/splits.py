"""Seeded, stratified splits of a labelled table that keep working on long-tailed data.

``textls compare`` subsamples the training and test data, holds out a validation split for
temperature scaling, can make the training data long-tailed and can flip training labels. Every
step here returns row indices and is deterministic given its ``seed``.

scikit-learn's ``train_test_split(stratify=...)`` refuses a class with a single row ("The least
populated classes in y have only 1 member") and, on a small sample, may give a small class no
row on one side. So each split uses scikit-learn's exactly when it can and its result keeps
every class where it must be kept (ordinary data: the same rows as scikit-learn alone), and
otherwise allocates rows per class itself:

* **Subsample of n rows** (``--max_train_samples``, ``--max_test_samples``): every class keeps at
  least one row; the other ``n - C`` rows go to the classes in proportion to their size.
* **Validation split** (``--validation_fraction``): ``ceil(fraction * N)`` rows, in proportion to
  class size, but every class keeps at least one training row, so a class with a single row
  stays in training and is left out of the validation split.

Each such case logs a warning naming the classes concerned.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from sklearn.model_selection import train_test_split

logger = logging.getLogger(__name__)


def stratified_subsample(
    labels, n: int | None, seed: int, *, name: str = "subsample"
) -> np.ndarray:
    """Sorted indices of a stratified subsample of ``n`` rows that keeps every class.

    All rows when ``n`` is None or at least the number of rows. Otherwise scikit-learn's
    ``train_test_split(train_size=n, stratify=labels, random_state=seed)`` when every class has
    at least two rows, ``n`` and ``N - n`` are at least the number of classes ``C``, and the
    subsample it draws holds every class. Else per class: class ``c`` with ``m_c`` rows keeps
    ``a_c`` rows, ``1 <= a_c <= m_c``, ``sum(a_c) = max(n, C)``, each ``a_c`` as close to
    ``n * m_c / N`` as these bounds allow (largest remainder), the rows drawn with
    ``numpy.random.default_rng(seed)``. A warning names the classes whose proportional share was
    below one row, and says so when ``n < C`` (then one row of each class is kept).

    ``name`` (e.g. ``"--max_test_samples"``) prefixes the warnings.
    """
    labels = list(labels)
    if n is None or n >= len(labels):
        return np.arange(len(labels))
    if n < 1:
        raise ValueError(f"{name} must be at least 1, got {n}")
    classes, codes, counts = _encode(labels)
    if counts.min() >= 2 and min(n, len(labels) - n) >= len(classes):
        keep, _ = train_test_split(
            np.arange(len(labels)), train_size=n, stratify=labels, random_state=seed
        )
        if len(np.unique(codes[keep])) == len(classes):
            return np.sort(keep)
    quota = n * counts / len(labels)
    if n < len(classes):
        logger.warning(
            "%s: %d rows are fewer than the %d classes; keeping one row of each class",
            name,
            n,
            len(classes),
        )
    elif (quota < 1).any():
        logger.warning(
            "%s: class(es) %s are too rare for a stratified sample of %d rows (a share below one "
            "row); keeping one row of each",
            name,
            _describe(classes, counts, quota < 1),
            n,
        )
    alloc = _allocate(quota, max(n, len(classes)), np.ones_like(counts), counts)
    return np.sort(_draw(codes, alloc, seed))


def validation_split(labels, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``(train, validation)`` indices; every class keeps at least one training row.

    scikit-learn's ``train_test_split(test_size=fraction, stratify=labels, random_state=seed)``
    when every class has at least two rows, both sides have at least ``C`` rows, and every class
    keeps a training row. Else per class: class ``c`` with ``m_c`` rows gives ``v_c`` rows to
    validation, ``0 <= v_c <= m_c - 1``, ``sum(v_c) = ceil(fraction * N)`` (capped by those
    bounds), each ``v_c`` as close to ``fraction * m_c`` as the bounds allow, the rows drawn with
    ``numpy.random.default_rng(seed)``. A class with a single row therefore stays in training.

    A warning names every class the validation split lacks (temperature scaling is then fitted
    without it); an error is raised when the validation split would be empty.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_fraction must be in (0, 1), got {fraction}")
    labels = list(labels)
    classes, codes, counts = _encode(labels)
    n_val = math.ceil(fraction * len(labels))
    val = None
    if counts.min() >= 2 and min(n_val, len(labels) - n_val) >= len(classes):
        train, val = train_test_split(
            np.arange(len(labels)), test_size=fraction, stratify=labels, random_state=seed
        )
        if len(np.unique(codes[train])) < len(classes):
            val = None
    if val is None:
        quota = fraction * counts
        alloc = _allocate(quota, n_val, np.zeros_like(counts), counts - 1)
        val = _draw(codes, alloc, seed)
    if len(val) == 0:
        raise ValueError(
            f"no validation rows: every class has a single row after subsampling "
            f"({len(labels)} rows, {len(classes)} classes); pass --validation or more data"
        )
    missing = np.bincount(codes[val], minlength=len(classes)) == 0
    if missing.any():
        logger.warning(
            "validation split: no row of class(es) %s (a share below one row; a class with a "
            "single row always stays in training); temperature scaling is fitted without them",
            _describe(classes, counts, missing),
        )
    train = np.setdiff1d(np.arange(len(labels)), val)
    return train, np.sort(val)


def long_tail(labels, ratio: float, seed: int) -> np.ndarray:
    """Sorted indices of a long-tailed subsample: the k-th largest class keeps ``b * ratio^(-k/(C-1))``.

    Classes are ranked by size, largest first (ties by class name), and each size is rounded and
    at least one row. The base ``b = min_k m_(k) * ratio^(k/(C-1))``, with ``m_(k)`` the size of
    the k-th largest class, is the largest for which every class has the rows its share asks
    for, so the ratio is exact up to rounding; on balanced data ``b`` is the class size. Rows
    are drawn with ``numpy.random.default_rng(seed)``.
    """
    if ratio < 1:
        raise ValueError(f"imbalance_ratio must be >= 1, got {ratio}")
    rng = np.random.default_rng(seed)
    labels = np.asarray([str(v) for v in labels])
    classes, counts = np.unique(labels, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    decay = ratio ** (-np.arange(len(classes)) / max(1, len(classes) - 1))
    base = np.min(counts[order] / decay)
    keep = []
    for rank, k in enumerate(order):
        size = max(1, int(round(base * decay[rank])))
        members = np.flatnonzero(labels == classes[k])
        keep.append(rng.choice(members, size=min(size, len(members)), replace=False))
    return np.sort(np.concatenate(keep))


def flip_labels(labels: list, classes, fraction: float, seed: int) -> list:
    """Flip exactly ``round(fraction * n)`` labels, chosen at random, each to a different class drawn uniformly.

    Every class keeps at least one row with its own label: when the random choice would flip every
    row of a class, one of them is left alone and a row of a class with rows to spare is flipped
    instead (a warning names the class). This only changes the draw when it happens; when no
    class has a row to spare (fewer than ``C`` rows would keep their label), one row fewer is
    flipped.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"label_noise must be in [0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    classes = list(classes)
    out = list(labels)
    picked = rng.choice(len(out), size=int(round(fraction * len(out))), replace=False)
    picked = _keep_a_clean_row(out, picked, rng)
    for i in picked:
        others = [c for c in classes if str(c) != str(out[i])]
        out[i] = others[rng.integers(len(others))]
    return out


def _keep_a_clean_row(labels: list, picked: np.ndarray, rng) -> np.ndarray:
    """``picked`` with, for each class whose rows are all picked, one of them swapped for a spare row."""
    names, codes, counts = _encode(labels)
    is_picked = np.zeros(len(labels), dtype=bool)
    is_picked[picked] = True
    clean = counts - np.bincount(codes[picked], minlength=len(names))
    wiped = np.flatnonzero(clean == 0)
    if wiped.size == 0:
        return picked
    logger.warning(
        "label noise would flip every row of class(es) %s; one row of each keeps its label",
        _describe(names, counts, clean == 0),
    )
    picked = list(picked)
    for k in wiped:
        spare = np.flatnonzero(~is_picked & (clean[codes] >= 2))
        back = rng.choice(np.flatnonzero(codes == k))
        picked.remove(back)
        is_picked[back] = False
        clean[k] += 1
        if spare.size:  # else flip one row fewer: no class has a row to spare
            row = rng.choice(spare)
            picked.append(row)
            is_picked[row] = True
            clean[codes[row]] -= 1
    return np.asarray(picked, dtype=np.int64)


def _encode(labels: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class names (as strings, sorted), each row's class index, and the rows per class."""
    classes, codes, counts = np.unique(
        np.asarray([str(v) for v in labels]), return_inverse=True, return_counts=True
    )
    return classes, codes, counts


def _allocate(quota: np.ndarray, n: int, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Integers ``low <= a <= high`` summing to ``n`` (clipped to what the bounds allow), close to ``quota``.

    Start from ``floor(quota)`` within the bounds, then add a row to the class furthest below its
    quota (or take one from the class furthest above) until the total is ``n``; ties go to the
    first class.
    """
    n = int(np.clip(n, low.sum(), high.sum()))
    alloc = np.clip(np.floor(quota).astype(np.int64), low, high)
    while alloc.sum() < n:
        room = np.flatnonzero(alloc < high)
        alloc[room[np.argmax((quota - alloc)[room])]] += 1
    while alloc.sum() > n:
        spare = np.flatnonzero(alloc > low)
        alloc[spare[np.argmax((alloc - quota)[spare])]] -= 1
    return alloc


def _draw(codes: np.ndarray, alloc: np.ndarray, seed: int) -> np.ndarray:
    """``alloc[k]`` rows of each class ``k``, drawn without replacement with ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    rows = [
        rng.choice(np.flatnonzero(codes == k), size=int(a), replace=False)
        for k, a in enumerate(alloc)
    ]
    return np.sort(np.concatenate(rows)).astype(np.int64)


def _describe(classes: np.ndarray, counts: np.ndarray, mask: np.ndarray, limit: int = 10) -> str:
    """``'a' (1 row), 'b' (2 rows)``: the masked classes with their sizes, at most ``limit``."""
    shown = [
        f"{str(classes[k])!r} ({counts[k]} row{'s' if counts[k] != 1 else ''})"
        for k in np.flatnonzero(mask)
    ]
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more
