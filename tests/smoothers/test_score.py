"""``score`` and model selection with scikit-learn: every smoother is a scorable estimator."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from textls.smoothers import SMOOTHERS, get_smoother

SPORT = ["the striker scored a goal", "a late goal in the match", "the league match was won"]
POLITICS = ["the party won the vote", "voters backed the party", "a vote in parliament"]
COOKING = [
    "bake the bread with flour",
    "butter and flour for the cake",
    "bake the cake in the oven",
]
TEXTS = (SPORT + POLITICS + COOKING) * 4
LABELS = (["sport"] * 3 + ["politics"] * 3 + ["cooking"] * 3) * 4


@pytest.mark.parametrize("method", sorted(SMOOTHERS))
def test_score_is_the_mean_log_likelihood_of_the_gold_labels(method):
    smoother = get_smoother(method).fit(TEXTS, LABELS)
    new, gold = ["a goal in the match", "bread in the oven"], ["sport", "cooking"]
    relevance = smoother.relevance(new)
    y = np.searchsorted(smoother.classes_, gold)
    expected = np.mean(np.log(relevance[np.arange(2), y]))
    assert smoother.score(new, gold) == pytest.approx(expected, rel=1e-9)


def test_ls_classic_scores_chance_and_informative_methods_beat_it():
    folds = KFold(3, shuffle=True, random_state=0)
    classic = cross_val_score(get_smoother("ls-classic"), TEXTS, LABELS, cv=folds)
    np.testing.assert_allclose(classic, np.log(1 / 3))
    for method in ("kwls", "ls-tfidf", "ls-distill"):
        scores = cross_val_score(get_smoother(method), TEXTS, LABELS, cv=folds)
        assert np.isfinite(scores).all()
        assert scores.mean() > classic.mean() + 0.1, method


def test_grid_search_chooses_smoother_parameters():
    search = GridSearchCV(
        get_smoother("kwls", min_df=1),
        {"temperature": [0.05, 1000.0], "class_min_z": [0.0, 1.0]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(TEXTS, LABELS)
    # a near-infinite temperature is uniform relevance: it cannot win on a learnable corpus
    assert search.best_params_["temperature"] == 0.05
    assert search.best_score_ > np.log(1 / 3)
    assert search.best_estimator_.relevance(["a goal"]).argmax() == list(
        search.best_estimator_.classes_
    ).index("sport")


def test_score_names_an_unseen_label():
    smoother = get_smoother("kwls", min_df=1).fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="'music'"):
        smoother.score(["a song"], ["music"])


def test_integer_cv_stratifies_on_label_sorted_data():
    # Smoothers are classifiers to scikit-learn: cv=3 is a StratifiedKFold, so every fold has
    # every class even when the rows are sorted by label (plain KFold would leave classes out).
    texts, labels = zip(*sorted(zip(TEXTS, LABELS, strict=True), key=lambda p: p[1]), strict=True)
    for method in ("kwls", "ls-tfidf"):
        scores = cross_val_score(get_smoother(method, min_df=1), list(texts), list(labels), cv=3)
        assert np.isfinite(scores).all() and scores.mean() > np.log(1 / 3)
