from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from textls import ctfidf_scores, log_odds_scores


def dense_log_odds(y: np.ndarray) -> np.ndarray:
    """The docstring formula on every (class, term) cell, kept only where the class uses the term."""
    y = y.astype(np.float64)
    n_k = y.sum(axis=1, keepdims=True)
    y_t = y.sum(axis=0, keepdims=True)
    total = y.sum()
    alpha, alpha0 = y_t, total
    y_r = y_t - y
    n_r = total - n_k
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.log((y + alpha) / (n_k + alpha0 - y - alpha)) - np.log(
            (y_r + alpha) / (n_r + alpha0 - y_r - alpha)
        )
        z = delta / np.sqrt(1 / (y + alpha) + 1 / (y_r + alpha))
    return np.where(y > 0, np.maximum(z, 0), 0.0)


def dense_ctfidf(y: np.ndarray) -> np.ndarray:
    y = y.astype(np.float64)
    n_k = y.sum(axis=1, keepdims=True)
    y_t = y.sum(axis=0, keepdims=True)
    avg = y.sum() / y.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = y / n_k * np.log(1 + avg / y_t)
    return np.where(y > 0, w, 0.0)


def random_counts(seed: int, n_classes: int, n_terms: int, density: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    counts = rng.poisson(3.0, size=(n_classes, n_terms)) * (
        rng.random((n_classes, n_terms)) < density
    )
    counts[:, 0] += 1  # every class uses at least one term
    return counts


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_classes, n_terms, density", [(2, 10, 0.5), (3, 40, 0.3), (8, 100, 0.1)])
@pytest.mark.parametrize(
    "scorer, peer", [(log_odds_scores, dense_log_odds), (ctfidf_scores, dense_ctfidf)]
)
def test_scores_match_a_dense_implementation(seed, n_classes, n_terms, density, scorer, peer):
    counts = random_counts(seed, n_classes, n_terms, density)
    got = scorer(sp.csr_matrix(counts))
    assert sp.issparse(got) and got.shape == counts.shape
    assert (got.data > 0).all()
    np.testing.assert_allclose(got.toarray(), peer(counts), rtol=1e-10, atol=1e-12)


def test_log_odds_hand_computed_two_classes():
    # Class 0 uses "a" 3 times and "b" once; class 1 uses "b" 4 times.
    counts = np.array([[3, 1], [0, 4]])
    total, n0, n1 = 8.0, 4.0, 4.0
    # term "a": y_t = 3, alpha = 3; class 0 vs rest (class 1 with 0 "a").
    delta = np.log((3 + 3) / (n0 + total - 3 - 3)) - np.log((0 + 3) / (n1 + total - 0 - 3))
    z_a = delta / np.sqrt(1 / 6 + 1 / 3)
    # term "b" in class 1: y_t = 5, alpha = 5, rest count 1.
    delta = np.log((4 + 5) / (n1 + total - 4 - 5)) - np.log((1 + 5) / (n0 + total - 1 - 5))
    z_b1 = delta / np.sqrt(1 / 9 + 1 / 6)
    got = log_odds_scores(sp.csr_matrix(counts)).toarray()
    assert got[0, 0] == pytest.approx(z_a)
    assert got[1, 1] == pytest.approx(z_b1)
    assert got[0, 1] == 0.0  # "b" is rarer in class 0 than elsewhere: negative z, clipped
    assert got[1, 0] == 0.0  # class 1 never uses "a"


def test_ctfidf_hand_computed():
    counts = np.array([[3, 1], [0, 4]])
    avg = 8 / 2
    got = ctfidf_scores(sp.csr_matrix(counts)).toarray()
    assert got[0, 0] == pytest.approx(3 / 4 * np.log(1 + avg / 3))
    assert got[0, 1] == pytest.approx(1 / 4 * np.log(1 + avg / 5))
    assert got[1, 1] == pytest.approx(4 / 4 * np.log(1 + avg / 5))
    assert got[1, 0] == 0.0


def test_log_odds_favours_the_discriminative_term_over_the_frequent_one():
    # "the" is frequent everywhere; "goal" is frequent in class 0 only.
    counts = np.array([[50, 10, 0], [50, 0, 10]])
    got = log_odds_scores(sp.csr_matrix(counts)).toarray()
    assert got[0, 1] > 0 and got[1, 2] > 0
    assert got[0, 0] == 0.0 and got[1, 0] == 0.0


@pytest.mark.parametrize("scorer", [log_odds_scores, ctfidf_scores])
def test_explicit_zeros_and_all_zero_columns(scorer):
    counts = sp.csr_matrix(
        (np.array([2.0, 0.0, 1.0]), np.array([0, 1, 0]), np.array([0, 2, 3])), shape=(2, 3)
    )
    got = scorer(counts)
    assert np.isfinite(got.toarray()).all()
    assert got[:, 2].nnz == 0 and got[:, 1].nnz == 0
