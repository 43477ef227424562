from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import softmax as scipy_softmax
from sklearn.preprocessing import normalize

from textls._utils import (
    check_distribution,
    check_labels,
    check_texts,
    chunks,
    encode_labels,
    is_blank,
    l2_normalize_rows,
    mix_with_gold,
    softmax,
    top_k_per_row,
    unique_classes,
)

# -- input checks ------------------------------------------------------------------------------


def test_check_texts_accepts_any_sequence_of_str():
    assert check_texts(("a", "b")) == ["a", "b"]
    assert check_texts(t for t in ["x", ""]) == ["x", ""]


@pytest.mark.parametrize(
    "bad, row", [(["ok", None], 1), ([3, "ok"], 0), (["a", "b", float("nan")], 2)]
)
def test_check_texts_names_the_first_non_string_row(bad, row):
    with pytest.raises(TypeError, match=rf"texts\[{row}\]"):
        check_texts(bad)


def test_check_texts_refuses_a_single_string():
    with pytest.raises(TypeError, match="single string"):
        check_texts("one text")


def test_check_labels_length_and_missing():
    with pytest.raises(ValueError, match="len\\(labels\\) = 2"):
        check_labels(["a", "b"], 3)
    with pytest.raises(ValueError, match=r"labels\[1\] is missing"):
        check_labels(["a", None, "b"], 3)
    with pytest.raises(ValueError, match=r"labels\[0\] is missing"):
        check_labels([float("nan"), 1], 2)


@pytest.mark.parametrize(
    "labels, expected",
    [
        (["b", "a", "b"], ["a", "b"]),
        ([2, 0, np.int64(2)], [0, 2]),
        (np.array([3, 1, 3]), [1, 3]),
        (np.array(["y", "x"]), ["x", "y"]),
        # Elements of a numpy string array are np.str_, a str subclass: still string labels.
        (list(np.array(["y", "x", "y"])), ["x", "y"]),
    ],
)
def test_unique_classes_sorted(labels, expected):
    classes = unique_classes(check_labels(labels, len(labels)))
    assert classes.tolist() == expected


# True and 1 would be one class: bools mixed with integers stay refused (issue 21: bools alone
# are two classes, below)
@pytest.mark.parametrize("labels", [["a", 1], [1, 2.0], [True, 1], [1.0, 2.0]])
def test_unique_classes_refuses_mixed_or_non_integer_labels(labels):
    with pytest.raises(TypeError, match="all strings or all integers"):
        unique_classes(np.asarray(labels, dtype=object))


def test_true_and_false_alone_are_two_classes():
    assert unique_classes(np.asarray([True, False, True], dtype=object)).tolist() == [False, True]
    assert unique_classes(np.asarray([np.True_, np.False_], dtype=object)).tolist() == [False, True]


def test_encode_labels_maps_and_names_unseen():
    classes = np.array([0, 3, 7], dtype=object)
    np.testing.assert_array_equal(encode_labels(np.array([7, np.int64(0), 3]), classes), [2, 0, 1])
    with pytest.raises(ValueError, match=r"5 \(row 1\)"):
        encode_labels(np.array([0, 5, 5]), classes)


def test_is_blank():
    np.testing.assert_array_equal(is_blank(["", " \t\n", "a", " b "]), [True, True, False, False])


# -- row-wise math -----------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.05, 1.0, 7.0])
def test_softmax_matches_scipy_and_is_stable(temperature):
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(6, 4)) * 50
    expected = scipy_softmax(scores / temperature, axis=1)
    np.testing.assert_allclose(softmax(scores, temperature), expected, rtol=1e-12, atol=1e-300)
    assert np.isfinite(softmax(np.array([[1e6, 0.0]]), 1e-3)).all()


def test_mix_with_gold_moves_ls_classic_mass_where_relevance_says():
    # m = eps (C - 1) / C leaves the gold class; the non-gold classes share it as r does.
    relevance = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [1.0, 0.0, 0.0]])
    y = np.array([0, 2, 0])
    out = mix_with_gold(relevance, y, 0.3)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        out, [[0.8, 0.12, 0.08], [0.1, 0.1, 0.8], [0.8, 0.1, 0.1]], atol=1e-7
    )  # last row: r has no mass off gold, so the share is uniform


def test_mix_with_gold_per_row_epsilon_and_uniform_relevance_is_torch():
    relevance = np.array([[0.2, 0.8], [0.5, 0.5]])
    y = np.array([0, 1])
    out = mix_with_gold(relevance, y, np.array([0.0, 1.0]))
    np.testing.assert_allclose(out, [[1.0, 0.0], [0.5, 0.5]], atol=1e-7)
    uniform = np.full((4, 5), 0.2)
    labels = np.array([0, 1, 4, 2])
    expected = 0.1 / 5 + (1 - 0.1) * np.eye(5)[labels]  # torch's label_smoothing=0.1 target
    np.testing.assert_allclose(mix_with_gold(uniform, labels, 0.1), expected, atol=1e-7)


def test_mix_with_gold_with_a_prior_places_the_mass_by_relevance_over_prior():
    # y_ik = m (r_ik / pi_k) / sum_{j != g} r_ij / pi_j: a frequent class draws less of the mass
    relevance = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]])
    y = np.array([0, 2])
    prior = np.array([0.2, 0.6, 0.2])
    out = mix_with_gold(relevance, y, 0.3, prior)
    m = 0.3 * 2 / 3
    first = np.array([0.3 / 0.6, 0.2 / 0.2])
    second = np.array([0.2 / 0.2, 0.2 / 0.6])
    expected = [
        [1 - m, *(m * first / first.sum())],
        [*(m * second / second.sum()), 1 - m],
    ]
    np.testing.assert_allclose(out, expected, atol=1e-7)
    # a uniform prior cancels
    np.testing.assert_array_equal(
        mix_with_gold(relevance, y, 0.3, np.full(3, 1 / 3)), mix_with_gold(relevance, y, 0.3)
    )


@pytest.mark.parametrize(
    "rows, match",
    [
        (np.array([0.5, 0.5]), "2-dimensional"),
        (np.array([[0.5, 0.5], [np.nan, 1.0]]), "NaN or inf in row 1"),
        (np.array([[1.2, -0.2]]), "negative value in row 0"),
        (np.array([[0.5, 0.5], [0.5, 0.4]]), "row 1 sums to 0.9"),
    ],
)
def test_check_distribution_names_the_problem(rows, match):
    with pytest.raises(ValueError, match=match):
        check_distribution(rows, "probs")


def test_check_distribution_accepts_valid_rows():
    check_distribution(np.array([[0.25, 0.75], [1.0, 0.0]]), "probs")


def test_l2_normalize_rows_keeps_zero_rows():
    m = sp.csr_matrix(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(l2_normalize_rows(m).toarray(), [[0.6, 0.8], [0.0, 0.0]])


@pytest.mark.parametrize("n, size", [(0, 3), (7, 3), (6, 3), (2, 10)])
def test_chunks_cover_range_once(n, size):
    parts = list(chunks(n, size))
    covered = [i for p in parts for i in range(n)[p]]
    assert covered == list(range(n))
    assert all(p.stop - p.start <= size for p in parts)


# -- top-k per row -----------------------------------------------------------------------------


def brute_top_k(matrix: sp.csr_matrix, k: int) -> np.ndarray:
    """Per row: sort stored entries by (-value, column), keep the first k."""
    dense = np.zeros(matrix.shape)
    for i in range(matrix.shape[0]):
        row = matrix.getrow(i)
        entries = sorted(zip(row.indices, row.data, strict=True), key=lambda e: (-e[1], e[0]))
        for j, v in entries[:k]:
            dense[i, j] = v
    return dense


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "shape, density", [((1, 5), 0.8), ((20, 30), 0.3), ((50, 7), 0.9), ((5, 200), 0.05)]
)
@pytest.mark.parametrize("k", [1, 3, 10])
def test_top_k_per_row_matches_brute_force(seed, shape, density, k):
    matrix = sp.random(shape[0], shape[1], density=density, format="csr", random_state=seed)
    expected = brute_top_k(matrix, k)
    got = top_k_per_row(matrix, k)
    np.testing.assert_array_equal(got.toarray(), expected)
    assert np.diff(got.indptr).max(initial=0) <= k


@pytest.mark.parametrize("seed", [0, 1])
def test_top_k_per_row_breaks_ties_by_lower_column(seed):
    # Integer values make ties common; the brute force keeps the lower column of a tie.
    rng = np.random.default_rng(seed)
    dense = rng.integers(0, 4, size=(15, 12)).astype(float)
    matrix = sp.csr_matrix(dense)
    np.testing.assert_array_equal(top_k_per_row(matrix, 3).toarray(), brute_top_k(matrix, 3))


def test_top_k_per_row_does_not_modify_its_input_and_handles_k_zero():
    matrix = sp.csr_matrix(np.array([[1.0, 2.0, 3.0], [0.0, 5.0, 4.0]]))
    before = matrix.toarray().copy()
    assert top_k_per_row(matrix, 0).nnz == 0
    np.testing.assert_array_equal(top_k_per_row(matrix, 1).toarray(), [[0, 0, 3], [0, 5, 0]])
    np.testing.assert_array_equal(matrix.toarray(), before)


def test_l2_normalize_rows_matches_sklearn():
    matrix = sp.random(8, 9, density=0.4, format="csr", random_state=3)
    np.testing.assert_allclose(l2_normalize_rows(matrix).toarray(), normalize(matrix.toarray()))


def test_mix_with_gold_keeps_a_row_without_evidence_uniform_under_a_prior():
    # uniform relevance says nothing: dividing it by the prior would send the mass to rare classes
    out = mix_with_gold(np.full((1, 3), 1 / 3), np.array([0]), 0.1, [0.9, 0.09, 0.01])
    np.testing.assert_allclose(out, [[1 - 0.1 * 2 / 3, 0.1 / 3, 0.1 / 3]], atol=1e-7)
