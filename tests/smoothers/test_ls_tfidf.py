from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax as scipy_softmax
from sklearn.feature_extraction.text import TfidfVectorizer

from textls import TfidfSmoother

TEXTS = [
    "cheap flights to rome",
    "hotel deals in rome and paris",
    "cheap hotel near the beach",
    "football scores from the league",
    "tennis scores and football news",
    "league tables and tennis results",
    "rome football derby tickets",
    "",
]
LABELS = ["travel", "travel", "travel", "sport", "sport", "sport", "sport", "travel"]
NEW = ["rome football", "cheap beach hotel", "tennis league results", "paris", "unknownword"]


def peer_vectors(texts, sublinear_tf=True):
    vectorizer = TfidfVectorizer(sublinear_tf=sublinear_tf).fit(texts)
    return vectorizer, vectorizer.transform(texts).toarray()


def centroids(x, y, n_classes):
    sums = np.stack([x[y == k].sum(axis=0) for k in range(n_classes)])
    return sums / np.linalg.norm(sums, axis=1, keepdims=True)


@pytest.mark.parametrize("temperature", [0.05, 0.3, 2.0])
@pytest.mark.parametrize("sublinear_tf", [True, False])
def test_relevance_is_softmax_of_cosine_to_class_centroids(temperature, sublinear_tf):
    smoother = TfidfSmoother(temperature=temperature, sublinear_tf=sublinear_tf).fit(TEXTS, LABELS)
    vectorizer, x = peer_vectors(TEXTS, sublinear_tf)
    y = np.searchsorted(["sport", "travel"], LABELS)
    c = centroids(x, y, 2)
    scores = vectorizer.transform(NEW).toarray() @ c.T
    expected = scipy_softmax(scores / temperature, axis=1)
    np.testing.assert_allclose(smoother.relevance(NEW), expected, atol=1e-10)
    np.testing.assert_allclose(smoother.profiles_.toarray(), c, atol=1e-12)
    assert smoother.temperature_ == temperature


def test_relevance_points_to_the_right_class():
    smoother = TfidfSmoother(temperature=0.1).fit(TEXTS, LABELS)
    relevance = smoother.relevance(["cheap beach hotel", "tennis league results"])
    assert smoother.classes_.tolist() == ["sport", "travel"]
    assert relevance[0, 1] > 0.9 and relevance[1, 0] > 0.9
    # Out-of-vocabulary text: all scores 0, uniform.
    np.testing.assert_allclose(smoother.relevance(["zzz qqq"]), [[0.5, 0.5]])


@pytest.mark.parametrize("temperature", [0.1, 1.0])
def test_fit_relevance_uses_leave_one_out_profiles(temperature):
    smoother = TfidfSmoother(temperature=temperature)
    relevance = smoother.fit_relevance(TEXTS, LABELS)
    _, x = peer_vectors(TEXTS)
    y = np.searchsorted(["sport", "travel"], LABELS)

    expected = np.zeros((len(TEXTS), 2))
    for i in range(len(TEXTS)):
        keep = np.arange(len(TEXTS)) != i
        scores = np.zeros(2)
        for k in range(2):
            members = keep if k == y[i] else np.ones(len(TEXTS), bool)
            s = x[members & (y == k)].sum(axis=0)
            norm = np.linalg.norm(s)
            scores[k] = x[i] @ s / norm if norm > 1e-12 else 0.0
        r = scipy_softmax(scores / temperature)
        if not TEXTS[i].strip():
            r = np.full(2, 0.5)
        expected[i] = r
    np.testing.assert_allclose(relevance, expected, atol=1e-6)


def test_leave_one_out_differs_from_in_sample():
    # In-sample, a training instance is part of its own centroid, which inflates its gold score.
    smoother = TfidfSmoother(temperature=1.0)
    loo = smoother.fit_relevance(TEXTS, LABELS)
    in_sample = smoother.relevance(TEXTS)
    y = np.searchsorted(["sport", "travel"], LABELS)
    rows = np.arange(len(TEXTS) - 1)  # the last text is blank
    assert (loo[rows, y[rows]] < in_sample[rows, y[rows]]).all()


def test_singleton_class_gets_zero_own_score():
    texts = ["red apple pie", "green apple tart", "blue whale song"]
    relevance = TfidfSmoother(temperature=1.0).fit_relevance(texts, ["food", "food", "animal"])
    # "blue whale song" shares nothing with "food" and its own class is empty without it.
    np.testing.assert_allclose(relevance[2], [0.5, 0.5], atol=1e-6)
    assert relevance[0, 1] > 0.5 and relevance[1, 1] > 0.5  # the food rows still see food
    assert np.isfinite(relevance).all()


def gold_nll(scores, y, temperature):
    p = scipy_softmax(scores / temperature, axis=1)
    return -np.log(p[np.arange(len(y)), y]).mean()


def test_auto_temperature_is_finite_positive_and_lowers_gold_nll():
    texts = [
        "cheap flights to rome",
        "hotel deals in rome",
        "beach hotel and football on tv",
        "football scores from the league",
        "tennis scores and football news",
        "rome football derby tickets",
        "cheap tennis holiday",
        "league tables and results",
    ]
    labels = ["travel", "travel", "travel", "sport", "sport", "sport", "travel", "sport"]
    auto = TfidfSmoother(temperature="auto")
    relevance_auto = auto.fit_relevance(texts, labels)
    assert np.isfinite(auto.temperature_) and auto.temperature_ > 0
    y = np.searchsorted(["sport", "travel"], labels)
    # Recover the leave-one-out scores from the T=1 relevance: log r = s - logsumexp(s).
    relevance_one = TfidfSmoother(temperature=1.0).fit_relevance(texts, labels)
    scores = np.log(relevance_one)
    nll_auto = -np.log(relevance_auto[np.arange(len(y)), y]).mean()
    nll_one = -np.log(relevance_one[np.arange(len(y)), y]).mean()
    assert nll_auto <= nll_one + 1e-6
    assert gold_nll(scores, y, auto.temperature_) == pytest.approx(nll_auto, abs=1e-5)


@pytest.mark.parametrize("temperature", [0, -1.0, "hot"])
def test_bad_temperature_raises(temperature):
    with pytest.raises(ValueError, match="temperature"):
        TfidfSmoother(temperature=temperature).fit(TEXTS, LABELS)


def test_no_usable_terms_raises():
    with pytest.raises(ValueError, match="no usable terms"):
        TfidfSmoother().fit(["a", "b"], ["x", "y"])


def test_docstring_example():
    texts = ["cheap flights to rome", "hotel deals in rome", "football scores", "tennis scores"]
    smoother = TfidfSmoother(temperature=0.1).fit(texts, ["travel", "travel", "sport", "sport"])
    np.testing.assert_allclose(smoother.relevance(["rome football"]).round(2), [[0.59, 0.41]])
