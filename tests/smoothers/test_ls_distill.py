from __future__ import annotations

import numpy as np
import pytest
from corpora import TWO_TOPIC_LABELS as LABELS
from corpora import TWO_TOPIC_TEXTS as TEXTS
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from textls import DistillSmoother
from textls.smoothers.ls_distill import default_teacher


def noise_corpus(n=60, seed=0):
    """Texts of random words with alternating labels: nothing to learn, only to memorise."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(40)]
    texts = [" ".join(rng.choice(vocab, 6, replace=False)) for _ in range(n)]
    return texts, ["a", "b"] * (n // 2)


def test_cross_fitting_is_out_of_fold():
    texts, labels = noise_corpus()
    smoother = DistillSmoother()
    oof = smoother.fit_relevance(texts, labels)
    in_sample = smoother.relevance(texts)  # the final teacher has seen every text
    y = np.searchsorted(["a", "b"], labels)
    rows = np.arange(len(y))
    oof_gold, in_gold = oof[rows, y].mean(), in_sample[rows, y].mean()
    # On noise a memorising teacher is confident in-sample; held out it is at chance.
    assert in_gold > 0.6
    assert oof_gold < 0.55
    assert oof_gold < in_gold - 0.1


@pytest.mark.parametrize("n_splits", [2, 3, 5])
def test_cross_fitting_equals_fold_by_fold_recomputation(n_splits):
    texts, labels = noise_corpus(n=30, seed=1)
    smoother = DistillSmoother(n_splits=n_splits, random_state=3)
    relevance = smoother.fit_relevance(texts, labels)
    y = np.searchsorted(["a", "b"], labels)
    expected = np.zeros((len(texts), 2))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=3)
    # the vocabulary and idf are unsupervised, fitted once on every row; the regression per fold
    vectorizer, regression = default_teacher(3).steps[0][1], default_teacher(3).steps[-1][1]
    features = vectorizer.fit_transform(texts)
    for train, held_out in folds.split(features, y):
        teacher = regression.fit(features[train], y[train])
        expected[held_out] = teacher.predict_proba(features[held_out])
    np.testing.assert_allclose(relevance, expected, atol=1e-6)


def test_n_splits_is_capped_by_the_smallest_class():
    texts = [*TEXTS, "a budget vote", "the budget minister"]
    labels = ["sport"] * 2 + ["politics"] * 8
    soft = DistillSmoother(n_splits=5).fit_transform(texts, labels)
    assert soft.shape == (10, 2)
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    "labels", [["a"] * 5 + ["b"], ["a"] * 4 + ["b", "c"]], ids=["2-classes", "3-classes"]
)
@pytest.mark.filterwarnings("ignore:The least populated class:UserWarning")
def test_one_member_class_gets_no_out_of_fold_mass(labels):
    texts = [
        "goal match win",
        "goal league match",
        "match win goal",
        "league goal",
        "vote party",
        "vote party win",
    ]
    smoother = DistillSmoother(epsilon=0.1)
    soft = smoother.fit_transform(texts, labels)
    assert np.isfinite(soft).all()
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-5)
    # No teacher that scored the last text ever saw its class: its relevance there is 0, and its
    # target keeps exactly the gold mass LS-Classic keeps.
    own = smoother.classes_.tolist().index(labels[-1])
    assert smoother.fit_relevance(texts, labels)[-1, own] == 0.0
    c = len(smoother.classes_)
    assert soft[-1, own] == pytest.approx(1 - 0.1 * (c - 1) / c, abs=1e-6)


def test_transform_uses_the_teacher_fitted_on_all_data():
    smoother = DistillSmoother(epsilon=1.0, temperature=1.0).fit(TEXTS, LABELS)
    teacher = default_teacher(0).fit(TEXTS, np.searchsorted(["politics", "sport"], LABELS))
    new = ["a goal in the match", "the minister and the vote"]
    np.testing.assert_allclose(smoother.relevance(new), teacher.predict_proba(new), atol=1e-7)
    relevance = smoother.relevance(new)
    assert relevance[0, 1] > 0.5 and relevance[1, 0] > 0.5


# -- tempering ---------------------------------------------------------------------------------

PROBS = np.array([[0.7, 0.2, 0.1], [0.05, 0.05, 0.9], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
THREE_TEXTS = ["one", "two", "three", "four"]
THREE_LABELS = ["x", "y", "z", "x"]


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0, 4.0])
def test_tempering_formula(temperature):
    smoother = DistillSmoother(
        teacher="precomputed", temperature=temperature, epsilon=0.3, balanced=False
    )
    smoother.fit(THREE_TEXTS, THREE_LABELS)
    tempered = PROBS ** (1 / temperature)
    tempered /= tempered.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        smoother.relevance(THREE_TEXTS, teacher_probs=PROBS), tempered, atol=1e-12
    )
    gold = np.array([0, 1, 2, 0])
    rows = np.arange(4)
    off = tempered.copy()
    off[rows, gold] = 0.0
    share = off.sum(axis=1, keepdims=True)
    off = np.where(share > 0, off / np.where(share > 0, share, 1), 0.5)  # [1, 0, 0]: uniform
    expected = 0.3 * 2 / 3 * off
    expected[rows, gold] = 1 - 0.3 * 2 / 3
    soft = smoother.transform(THREE_TEXTS, THREE_LABELS, teacher_probs=PROBS)
    np.testing.assert_allclose(soft, expected, atol=1e-6)
    np.testing.assert_allclose(
        smoother.fit_transform(THREE_TEXTS, THREE_LABELS, teacher_probs=PROBS), expected, atol=1e-6
    )


def test_higher_temperature_softens():
    fit = DistillSmoother(teacher="precomputed", temperature=1.0).fit(THREE_TEXTS, THREE_LABELS)
    entropies = []
    for temperature in [0.5, 1.0, 3.0]:
        r = clone(fit).set_params(temperature=temperature).fit(THREE_TEXTS, THREE_LABELS)
        p = r.relevance(THREE_TEXTS[:2], teacher_probs=PROBS[:2])
        entropies.append(-(p * np.log(p)).sum())
    assert entropies[0] < entropies[1] < entropies[2]


# -- precomputed teacher probabilities ---------------------------------------------------------


def precomputed():
    return DistillSmoother(teacher="precomputed").fit(THREE_TEXTS, THREE_LABELS)


def test_precomputed_needs_teacher_probs():
    assert precomputed().teacher_ is None
    with pytest.raises(ValueError, match="needs teacher_probs"):
        precomputed().transform(THREE_TEXTS, THREE_LABELS)
    with pytest.raises(ValueError, match="needs teacher_probs"):
        DistillSmoother(teacher="precomputed").fit_transform(THREE_TEXTS, THREE_LABELS)


@pytest.mark.parametrize("shape", [(4, 2), (3, 3), (4,)])
def test_precomputed_wrong_shape_raises(shape):
    with pytest.raises(ValueError, match="teacher_probs has shape"):
        precomputed().relevance(THREE_TEXTS, teacher_probs=np.full(shape, 1 / 3))


@pytest.mark.parametrize(
    "row, match",
    [
        ([np.nan, 0.5, 0.5], "NaN"),
        ([0.5, 0.4, 0.0], "sums to 0.9"),
        ([1.2, -0.1, -0.1], "negative"),
    ],
)
def test_precomputed_bad_rows_raise(row, match):
    probs = PROBS.copy()
    probs[2] = row
    with pytest.raises(ValueError, match=match):
        precomputed().transform(THREE_TEXTS, THREE_LABELS, teacher_probs=probs)


# -- a user's teacher --------------------------------------------------------------------------


class KeywordTeacher:
    """A fitted 'model' whose classes_ are not sorted: columns must be aligned by name."""

    classes_ = np.array(["sport", "politics"])

    def predict_proba(self, texts):
        return np.array([[0.9, 0.1] if "goal" in t else [0.2, 0.8] for t in texts])


def test_user_teacher_columns_are_aligned_by_name():
    smoother = DistillSmoother(teacher=KeywordTeacher()).fit(TEXTS, LABELS)
    assert smoother.classes_.tolist() == ["politics", "sport"]
    relevance = smoother.relevance(["a goal", "a vote"])
    np.testing.assert_allclose(relevance, [[0.1, 0.9], [0.8, 0.2]], atol=1e-12)
    fitted = smoother.fit_relevance(["a goal", "a vote"], ["sport", "politics"])
    np.testing.assert_allclose(fitted, [[0.1, 0.9], [0.8, 0.2]], atol=1e-6)


def test_user_teacher_trained_on_string_labels():
    teacher = default_teacher().fit(TEXTS, LABELS)
    smoother = DistillSmoother(teacher=teacher, epsilon=1.0).fit(TEXTS, LABELS)
    new = ["a goal in the match", "a vote in parliament"]
    np.testing.assert_allclose(smoother.relevance(new), teacher.predict_proba(new), atol=1e-7)


class NoClassesTeacher:
    def predict_proba(self, texts):
        return np.full((len(texts), 3), 1 / 3)


def test_user_teacher_without_classes_must_match_column_count():
    smoother = DistillSmoother(teacher=NoClassesTeacher()).fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="3 columns for 2 classes"):
        smoother.relevance(["text"])


def test_teacher_without_predict_proba_raises():
    with pytest.raises(TypeError, match="no predict_proba"):
        DistillSmoother(teacher=object()).fit(TEXTS, LABELS)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"teacher": "bert"}, "teacher must be"),
        ({"n_splits": 1}, "n_splits"),
        ({"temperature": "auto"}, "numeric temperature"),
        ({"temperature": 0.0}, "temperature"),
    ],
)
def test_bad_params_raise(params, match):
    with pytest.raises(ValueError, match=match):
        DistillSmoother(**params).fit(TEXTS, LABELS)
