"""The estimator contract every soft-label generator in ``SMOOTHERS`` follows, and ``get_smoother``."""

from __future__ import annotations

import numpy as np
import pytest
from corpora import THREE_TOPIC_LABELS as STR_LABELS
from corpora import THREE_TOPIC_TEXTS as TEXTS
from sklearn.base import clone

from textls._utils import mix_with_gold
from textls.smoothers import SMOOTHERS, BaseSmoother, get_smoother

INT_LABELS = [7] * 4 + [2] * 4 + [5] * 4

METHODS = sorted(SMOOTHERS)


def make(name: str, **params) -> BaseSmoother:
    return get_smoother(name, **params)


@pytest.fixture(params=METHODS)
def method(request):
    return request.param


@pytest.mark.parametrize("labels", [STR_LABELS, INT_LABELS], ids=["str", "int"])
def test_fit_transform_is_a_distribution_per_row(method, labels):
    soft = make(method).fit_transform(TEXTS, labels)
    assert soft.shape == (len(TEXTS), 3)
    assert soft.dtype == np.float32
    assert (soft >= 0).all()
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("labels", [STR_LABELS, INT_LABELS], ids=["str", "int"])
def test_transform_and_relevance_on_new_texts(method, labels):
    smoother = make(method, epsilon=0.3).fit(TEXTS, labels)
    assert smoother.classes_.tolist() == sorted(set(labels))
    new = ["a goal in the match", "a vote in parliament", "bread from the oven"]
    relevance = smoother.relevance(new)
    assert relevance.shape == (3, 3)
    np.testing.assert_allclose(relevance.sum(axis=1), 1.0, atol=1e-5)
    gold = [labels[0], labels[4], labels[8]]
    soft = smoother.transform(new, gold)
    assert soft.dtype == np.float32
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-5)
    # Every method keeps at least 1 - epsilon on the gold class.
    y = [smoother.classes_.tolist().index(g) for g in gold]
    assert (soft[np.arange(3), y] >= 0.7 - 1e-6).all()


def test_classes_are_sorted_whatever_the_order_of_appearance(method):
    order = np.r_[8:12, 0:8]
    smoother = make(method).fit([TEXTS[i] for i in order], [STR_LABELS[i] for i in order])
    assert smoother.classes_.tolist() == ["cooking", "politics", "sport"]


def test_get_params_round_trips_through_clone(method):
    smoother = make(method, epsilon=0.25)
    params = smoother.get_params()
    assert params["epsilon"] == 0.25
    copy = clone(smoother)
    assert copy.get_params() == params
    assert type(copy) is type(smoother)
    fitted = smoother.fit(TEXTS, STR_LABELS)
    assert not hasattr(clone(fitted), "classes_")


def test_blank_texts_get_uniform_relevance(method):
    smoother = make(method).fit(TEXTS, STR_LABELS)
    relevance = smoother.relevance(["", "   ", "\t\n", "goal match"])
    assert np.isfinite(relevance).all()
    np.testing.assert_allclose(relevance[:3], 1 / 3, atol=1e-12)


def test_blank_training_text_gets_a_finite_row(method):
    texts = [*TEXTS, "  "]
    labels = [*STR_LABELS, "sport"]
    soft = make(method).fit_transform(texts, labels)
    assert np.isfinite(soft).all()
    # Its relevance is uniform, so the soft label is (1 - e) onehot + e / C.
    np.testing.assert_allclose(soft[-1], [0.1 / 3, 0.1 / 3, 0.9 + 0.1 / 3], atol=1e-6)


def test_non_string_text_raises_naming_the_row(method):
    texts = list(TEXTS)
    texts[5] = None
    with pytest.raises(TypeError, match=r"texts\[5\]"):
        make(method).fit(texts, STR_LABELS)
    smoother = make(method).fit(TEXTS, STR_LABELS)
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        smoother.relevance(["fine", 42])


def test_length_mismatch_raises(method):
    with pytest.raises(ValueError, match="must match"):
        make(method).fit(TEXTS, STR_LABELS[:-1])
    smoother = make(method).fit(TEXTS, STR_LABELS)
    with pytest.raises(ValueError, match="must match"):
        smoother.transform(TEXTS[:2], STR_LABELS[:3])


def test_unseen_label_at_transform_raises_naming_it(method):
    smoother = make(method).fit(TEXTS, STR_LABELS)
    with pytest.raises(ValueError, match="'weather'"):
        smoother.transform(["sunny and warm", "goal"], ["weather", "sport"])


def test_single_class_raises(method):
    with pytest.raises(ValueError, match="at least 2 classes"):
        make(method).fit(TEXTS, ["sport"] * len(TEXTS))


def test_mixed_label_types_raise(method):
    with pytest.raises(TypeError, match="all strings or all integers"):
        make(method).fit(TEXTS, STR_LABELS[:-1] + [3])


def test_empty_corpus_raises(method):
    with pytest.raises(ValueError, match="empty"):
        make(method).fit([], [])


@pytest.mark.parametrize("epsilon", [-0.1, 1.5, "0.1"])
def test_bad_epsilon_raises(method, epsilon):
    with pytest.raises(ValueError, match="epsilon"):
        make(method, epsilon=epsilon).fit(TEXTS, STR_LABELS)


@pytest.mark.parametrize("epsilon", [0.0, 1.0])
def test_epsilon_bounds(method, epsilon):
    smoother = make(method, epsilon=epsilon)
    soft = smoother.fit(TEXTS, STR_LABELS).transform(TEXTS, STR_LABELS)
    y = [smoother.classes_.tolist().index(g) for g in STR_LABELS]
    if epsilon == 0.0:
        np.testing.assert_array_equal(soft, np.eye(3, dtype=np.float32)[y])
    else:  # the gold class keeps 1/C, the rest goes to the other classes in proportion to r
        rows = np.arange(len(y))
        np.testing.assert_allclose(soft[rows, y], 1 / 3, atol=1e-6)
        off = smoother.relevance(TEXTS)
        off[rows, y] = 0.0
        share = off / off.sum(axis=1, keepdims=True) * 2 / 3
        share[rows, y] = 1 / 3
        np.testing.assert_allclose(soft, share, atol=1e-6)


def test_chunked_relevance_equals_one_chunk(method):
    one = make(method).fit(TEXTS, STR_LABELS).relevance(TEXTS)
    chunked = make(method, chunk_size=5).fit(TEXTS, STR_LABELS).relevance(TEXTS)
    np.testing.assert_allclose(chunked, one, atol=1e-12)


def test_relevance_before_fit_raises(method):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        make(method).relevance(["text"])


# -- registry ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", METHODS)
def test_get_smoother_builds_the_registered_class(name):
    smoother = get_smoother(name.upper(), epsilon=0.2)
    assert type(smoother) is SMOOTHERS[name]
    assert smoother.epsilon == 0.2


def test_registry_names_the_four_methods():
    assert set(SMOOTHERS) == {"ls-classic", "ls-distill", "ls-tfidf", "kwls"}


def test_get_smoother_unknown_method_lists_the_choices():
    with pytest.raises(ValueError, match="unknown smoothing method 'ls-magic'.*kwls"):
        get_smoother("ls-magic")


def test_get_smoother_unknown_param_raises_type_error_naming_it():
    with pytest.raises(TypeError, match="top_k"):
        get_smoother("ls-classic", top_k=3)


INFORMATIVE = [m for m in METHODS if m != "ls-classic"]


@pytest.mark.parametrize("name", INFORMATIVE)
def test_balanced_places_the_mass_by_relevance_over_the_training_prior(name):
    # drop two cooking rows: priors 4/10, 4/10, 2/10 (cooking, politics, sport after sorting)
    texts, labels = TEXTS[:10], STR_LABELS[:10]
    params = {"epsilon": 0.4, "temperature": 1.0}  # soft relevance, so the prior shows
    plain = make(name, balanced=False, **params)
    relevance = plain.fit_relevance(texts, labels)
    balanced = make(name, **params)
    soft = balanced.fit_transform(texts, labels)
    np.testing.assert_allclose(balanced.class_prior_, [0.2, 0.4, 0.4])
    y = np.searchsorted(balanced.classes_, labels)
    np.testing.assert_allclose(soft, mix_with_gold(relevance, y, 0.4, [0.2, 0.4, 0.4]), atol=1e-6)
    assert not np.allclose(soft, plain.fit_transform(texts, labels), atol=1e-4)


@pytest.mark.parametrize("name", INFORMATIVE)
def test_balanced_changes_nothing_on_balanced_data(name):
    a = make(name, balanced=True).fit_transform(TEXTS, STR_LABELS)
    b = make(name, balanced=False).fit_transform(TEXTS, STR_LABELS)
    np.testing.assert_allclose(a, b, atol=1e-7)
