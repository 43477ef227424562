"""``score`` and model selection with scikit-learn: every smoother is a scorable estimator."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from textls.smoothers import SMOOTHERS, get_smoother
from textls.smoothers._base import UnseenClassWarning

SPORT = ["the striker scored a goal", "a late goal in the match", "the league match was won"]
POLITICS = ["the party won the vote", "voters backed the party", "a vote in parliament"]
COOKING = [
    "bake the bread with flour",
    "butter and flour for the cake",
    "bake the cake in the oven",
]
TEXTS = (SPORT + POLITICS + COOKING) * 4
LABELS = (["sport"] * 3 + ["politics"] * 3 + ["cooking"] * 3) * 4
#: Keep the words of a tiny corpus (the default min_df=2 would drop most of them).
LEXICAL = {"kwls": {"min_df": 1}, "ls-tfidf": {"min_df": 1}}


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


def test_score_names_an_unseen_label_when_no_row_was_seen():
    smoother = get_smoother("kwls", min_df=1).fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="'music'"):
        smoother.score(["a song"], ["music"])


@pytest.mark.parametrize("method", sorted(SMOOTHERS))
def test_score_leaves_out_rows_of_a_class_fit_never_saw(method):
    smoother = get_smoother(method, **LEXICAL.get(method, {})).fit(TEXTS, LABELS)
    new = ["a goal in the match", "a song on the radio", "bread in the oven"]
    with pytest.warns(UnseenClassWarning, match="1 of 3 rows .*music"):
        score = smoother.score(new, ["sport", "music", "cooking"])
    assert score == pytest.approx(smoother.score([new[0], new[2]], ["sport", "cooking"]))


# Long-tailed: 12 / 6 / 3 / 2 / 1 rows, so cv=2 leaves the rarest classes out of a fold's fit.
RARE = ["a song on the radio", "the band played a song"]
TAIL_TEXTS = SPORT * 4 + POLITICS * 2 + COOKING + RARE + ["the singer and the band on stage"]
TAIL_LABELS = ["sport"] * 12 + ["politics"] * 6 + ["cooking"] * 3 + ["music"] * 2 + ["stage"]


@pytest.mark.parametrize("method", ["kwls", "ls-tfidf", "ls-distill"])
def test_grid_search_gives_finite_scores_on_long_tailed_data(method):
    params = (
        {"temperature": [0.05, "auto"]} if method != "ls-distill" else {"temperature": [0.5, 1.0]}
    )
    search = GridSearchCV(
        get_smoother(method, **LEXICAL.get(method, {})), params, cv=2, error_score="raise"
    )
    with pytest.warns(UserWarning):  # scikit-learn: a class with fewer rows than folds
        search.fit(TAIL_TEXTS, TAIL_LABELS)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    assert scores.max() > np.log(1 / 5)  # better than uniform relevance over 5 classes


def test_integer_cv_stratifies_on_label_sorted_data():
    # Smoothers are classifiers to scikit-learn: cv=3 is a StratifiedKFold, so every fold has
    # every class even when the rows are sorted by label (plain KFold would leave classes out).
    texts, labels = zip(*sorted(zip(TEXTS, LABELS, strict=True), key=lambda p: p[1]), strict=True)
    for method in ("kwls", "ls-tfidf"):
        scores = cross_val_score(get_smoother(method, min_df=1), list(texts), list(labels), cv=3)
        assert np.isfinite(scores).all() and scores.mean() > np.log(1 / 3)
