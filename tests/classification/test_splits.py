from __future__ import annotations

import logging

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from textls.classification.splits import (
    flip_labels,
    long_tail,
    stratified_subsample,
    validation_split,
)

# Naturally long-tailed: two classes of 20 rows, one of 2, one of a single row.
LONG_TAIL = ["big"] * 20 + ["mid"] * 20 + ["two"] * 2 + ["one"]
ORDINARY = ["a"] * 30 + ["b"] * 12 + ["c"] * 8


def _counts(labels, rows):
    values, counts = np.unique([labels[i] for i in rows], return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


@pytest.mark.parametrize("n", [6, 10, 25, 42])
def test_subsample_keeps_every_class_and_names_the_rare_ones(n, caplog):
    with caplog.at_level(logging.WARNING, logger="textls.classification.splits"):
        keep = stratified_subsample(LONG_TAIL, n, seed=0, name="--max_train_samples")
    assert len(keep) == n and len(set(keep)) == n and list(keep) == sorted(keep)
    assert set(_counts(LONG_TAIL, keep)) == {"big", "mid", "two", "one"}
    assert "--max_train_samples" in caplog.text and "'one' (1 row)" in caplog.text
    np.testing.assert_array_equal(keep, stratified_subsample(LONG_TAIL, n, seed=0))


def test_subsample_smaller_than_the_number_of_classes_keeps_one_row_of_each(caplog):
    with caplog.at_level(logging.WARNING, logger="textls.classification.splits"):
        keep = stratified_subsample(LONG_TAIL, 2, seed=0, name="--max_test_samples")
    assert _counts(LONG_TAIL, keep) == {"big": 1, "mid": 1, "two": 1, "one": 1}
    assert "fewer than the 4 classes" in caplog.text


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_subsample_of_ordinary_data_is_scikit_learns(seed, caplog):
    expected, _ = train_test_split(
        np.arange(len(ORDINARY)), train_size=20, stratify=ORDINARY, random_state=seed
    )
    with caplog.at_level(logging.WARNING):
        keep = stratified_subsample(ORDINARY, 20, seed=seed)
    np.testing.assert_array_equal(keep, np.sort(expected))
    assert caplog.text == ""
    np.testing.assert_array_equal(stratified_subsample(ORDINARY, None, 0), np.arange(50))
    with pytest.raises(ValueError, match="--max_test_samples must be at least 1"):
        stratified_subsample(ORDINARY, 0, 0, name="--max_test_samples")


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5])
def test_validation_split_leaves_a_single_row_class_in_training(fraction, caplog):
    with caplog.at_level(logging.WARNING, logger="textls.classification.splits"):
        train, val = validation_split(LONG_TAIL, fraction, seed=0)
    assert sorted([*train, *val]) == list(range(len(LONG_TAIL)))
    assert set(_counts(LONG_TAIL, train)) == {"big", "mid", "two", "one"}
    assert "one" not in _counts(LONG_TAIL, val) and len(val) == np.ceil(fraction * 43)
    assert "'one' (1 row)" in caplog.text
    again = validation_split(LONG_TAIL, fraction, seed=0)
    np.testing.assert_array_equal(train, again[0])


def test_validation_split_of_ordinary_data_is_scikit_learns():
    expected_train, expected_val = train_test_split(
        np.arange(len(ORDINARY)), test_size=0.2, stratify=ORDINARY, random_state=3
    )
    train, val = validation_split(ORDINARY, 0.2, seed=3)
    np.testing.assert_array_equal(train, np.sort(expected_train))
    np.testing.assert_array_equal(val, np.sort(expected_val))


def test_validation_split_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="no validation rows: every class has a single row"):
        validation_split(["a", "b", "c"], 0.5, seed=0)
    with pytest.raises(ValueError, match=r"validation_fraction must be in \(0, 1\)"):
        validation_split(ORDINARY, 0.0, seed=0)


def test_long_tail_of_long_tailed_data_keeps_the_ratio_and_every_class():
    keep = long_tail(LONG_TAIL, ratio=5, seed=0)
    # base b = min(20/1, 20/5^(-1/3), 2/5^(-2/3), 1/5^(-1)) = 5: sizes 5, 3, 2, 1
    assert _counts(LONG_TAIL, keep) == {"big": 5, "mid": 3, "two": 2, "one": 1}


def test_label_noise_never_flips_every_row_of_a_class(caplog):
    labels = ["a"] * 10 + ["b"] * 10 + ["c"]
    for seed in range(20):
        with caplog.at_level(logging.WARNING, logger="textls.classification.splits"):
            noisy = flip_labels(labels, ["a", "b", "c"], 0.5, seed=seed)
        assert sum(x != y for x, y in zip(labels, noisy, strict=True)) == round(0.5 * 21)
        assert all(any(x == y == c for x, y in zip(labels, noisy, strict=True)) for c in "abc")
    assert "every row of class(es) 'c' (1 row)" in caplog.text
