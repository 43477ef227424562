from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from corpora import TWO_TOPIC_LABELS as LABELS
from corpora import TWO_TOPIC_TEXTS as TEXTS
from scipy.special import softmax as scipy_softmax
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from textls import KeywordExtractor, KeywordSmoother, ctfidf_scores, log_odds_scores
from textls._utils import default_model_path, mix_with_gold
from textls.smoothers.kwls import cross_fit_folds

NEW = [
    "a late goal in the league match",
    "the minister lost the vote on the budget",
    "the striker joined the party",
    "nothing relevant here",
    "",
]


def top_k_dense(row: np.ndarray, k: int) -> np.ndarray:
    """Keep the k largest positive entries of a dense row (ties: lower column)."""
    out = np.zeros_like(row)
    nonzero = np.flatnonzero(row > 0)
    keep = sorted(nonzero, key=lambda j: (-row[j], j))[:k]
    out[keep] = row[keep]
    return out


def unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def class_keyword_matrix(smoother: KeywordSmoother, terms: list[str]) -> np.ndarray:
    """The (C, V) class keyword weights rebuilt from ``class_keywords_``."""
    index = {t: j for j, t in enumerate(terms)}
    b = np.zeros((len(smoother.classes_), len(terms)))
    for k, cls in enumerate(smoother.classes_):
        for term, weight in smoother.class_keywords_[cls]:
            b[k, index[term]] = weight
    return b


def test_class_keywords_are_the_discriminative_terms():
    smoother = KeywordSmoother().fit(TEXTS, LABELS)
    sport = {t for t, _ in smoother.class_keywords_["sport"]}
    politics = {t for t, _ in smoother.class_keywords_["politics"]}
    assert {"goal", "match", "football", "league", "striker"} <= sport
    assert {"election", "vote", "party", "parliament", "minister", "budget"} <= politics
    assert not sport & {"election", "vote", "party", "parliament", "minister", "budget"}
    assert not politics & {"goal", "match", "football", "league", "striker"}
    # Stop words and terms seen in a single text (min_df=2) are never keywords.
    assert not (sport | politics) & {"the", "a", "after", "coach", "penalty"}
    # Best first, unit L2 norm, matching the class_weights_ matrix.
    for k, cls in enumerate(smoother.classes_):
        weights = [w for _, w in smoother.class_keywords_[cls]]
        assert weights == sorted(weights, reverse=True)
        assert np.linalg.norm(weights) == pytest.approx(1.0)
        row = smoother.class_weights_.getrow(k)
        assert sorted(row.data.tolist()) == pytest.approx(sorted(weights))


def test_relevance_points_to_the_right_class():
    smoother = KeywordSmoother(temperature=0.2).fit(TEXTS, LABELS)
    relevance = smoother.relevance(NEW)
    politics, sport = 0, 1
    assert smoother.classes_.tolist() == ["politics", "sport"]
    assert relevance[0, sport] > 0.9
    assert relevance[1, politics] > 0.9
    # One keyword of each class, or none at all: no strong preference.
    assert abs(relevance[2, 0] - relevance[2, 1]) < 0.5
    np.testing.assert_allclose(relevance[3:], 0.5)


@pytest.mark.parametrize("top_k, class_top_k", [(10, 50), (2, 3), (1, 1)])
@pytest.mark.parametrize("temperature", [0.1, 1.0])
def test_relevance_equals_softmax_of_keyword_cosine(top_k, class_top_k, temperature):
    smoother = KeywordSmoother(temperature=temperature, top_k=top_k, class_top_k=class_top_k)
    smoother.fit(TEXTS, LABELS)
    peer = TfidfVectorizer(min_df=2, stop_words="english", sublinear_tf=True, norm=None).fit(TEXTS)
    terms = peer.get_feature_names_out().tolist()
    assert terms == smoother.vocabulary_extractor_.terms_.tolist()
    b = class_keyword_matrix(smoother, terms)
    assert all(len(smoother.class_keywords_[c]) <= class_top_k for c in smoother.classes_)
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0)
    a = np.stack([unit(top_k_dense(row, top_k)) for row in peer.transform(NEW).toarray()])
    expected = scipy_softmax(a @ b.T / temperature, axis=1)
    expected[-1] = 0.5  # the blank text
    np.testing.assert_allclose(smoother.relevance(NEW), expected, atol=1e-10)


# -- keyword sets that adapt to the corpus ----------------------------------------------------


def test_class_keywords_are_every_term_above_the_z_threshold():
    smoother = KeywordSmoother(min_df=1).fit(TEXTS, LABELS)
    vectorizer = CountVectorizer(min_df=1, stop_words="english").fit(TEXTS)
    counts = vectorizer.transform(TEXTS)
    y = np.searchsorted(smoother.classes_, LABELS)
    class_counts = sp.csr_matrix(np.stack([counts[y == k].sum(axis=0).A1 for k in range(2)]))
    z = log_odds_scores(class_counts).toarray()
    terms = vectorizer.get_feature_names_out()
    for threshold in (0.0, 0.5):
        fitted = KeywordSmoother(min_df=1, class_min_z=threshold).fit(TEXTS, LABELS)
        for k, cls in enumerate(fitted.classes_):
            assert {t for t, _ in fitted.class_keywords_[cls]} == set(terms[z[k] > threshold])
    # every positive z by default, weights proportional to z
    for k, cls in enumerate(smoother.classes_):
        weights = dict(smoother.class_keywords_[cls])
        kept = z[k] > 0
        assert set(weights) == set(terms[kept])
        expected = z[k, kept] / np.linalg.norm(z[k, kept])
        np.testing.assert_allclose([weights[t] for t in terms[kept]], expected, atol=1e-12)
    capped = KeywordSmoother(min_df=1, class_top_k=2).fit(TEXTS, LABELS)
    assert all(len(kws) == 2 for kws in capped.class_keywords_.values())


def test_instance_keywords_are_all_terms_by_default():
    long_text = " ".join(TEXTS[:4])  # a long sport text: every sport term counts, not ten
    smoother = KeywordSmoother(min_df=1).fit(TEXTS, LABELS)
    weights = smoother._instance_weights([long_text])
    vocabulary_terms = smoother.vocabulary_extractor_.counts([long_text])
    assert weights.nnz == vocabulary_terms.nnz > 10
    assert (
        KeywordSmoother(min_df=1, top_k=10).fit(TEXTS, LABELS)._instance_weights([long_text]).nnz
        == 10
    )


# -- out-of-sample training targets ------------------------------------------------------------


@pytest.mark.parametrize("n_splits", [2, 3, 8])
def test_fit_relevance_is_cross_fitted_fold_by_fold(n_splits):
    temperature = 0.3
    smoother = KeywordSmoother(min_df=1, temperature=temperature, n_splits=n_splits)
    relevance = smoother.fit_relevance(TEXTS, LABELS)
    peer = TfidfVectorizer(min_df=1, stop_words="english", sublinear_tf=True, norm=None).fit(TEXTS)
    counts = CountVectorizer(min_df=1, stop_words="english").fit_transform(TEXTS).toarray()
    a = np.stack([unit(row) for row in peer.transform(TEXTS).toarray()])
    y = np.searchsorted(smoother.classes_, LABELS)
    expected = np.zeros((len(TEXTS), 2))
    for f in range(n_splits):
        held = np.random.default_rng(0).permutation(len(TEXTS)) % n_splits == f
        class_counts = np.stack([counts[~held & (y == k)].sum(axis=0) for k in range(2)])
        z = log_odds_scores(sp.csr_matrix(class_counts)).toarray()
        b = np.stack([unit(row) for row in z])
        expected[held] = scipy_softmax(a[held] @ b.T / temperature, axis=1)
    np.testing.assert_allclose(relevance, expected, atol=1e-10)


def test_folds_do_not_follow_the_order_of_the_rows():
    # Labels that cycle through 5 classes: `i % 5` folds would each hold one whole class.
    words = {c: [f"{c}{j}" for j in range(6)] for c in "abcde"}
    rng = np.random.default_rng(1)
    labels = [c for _ in range(30) for c in "abcde"]
    texts = [" ".join(rng.choice(words[c], 3, replace=False)) for c in labels]
    relevance = KeywordSmoother(min_df=1).fit_relevance(texts, labels)
    assert (relevance.argmax(axis=1) == np.searchsorted(list("abcde"), labels)).mean() > 0.9
    for n_splits in (2, 5, 7):
        folds = cross_fit_folds(np.arange(150), 150, n_splits)
        assert np.bincount(folds).max() - np.bincount(folds).min() <= 1
        for c in range(5):  # every class is spread over the folds
            assert len(set(folds[c::5])) == n_splits


def test_training_rows_get_out_of_sample_relevance():
    # Random words with alternating labels: in-sample keywords memorise, held out is chance.
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(60)]
    texts = [" ".join(rng.choice(vocab, 8, replace=False)) for _ in range(200)]
    labels = ["a", "b"] * 100
    smoother = KeywordSmoother(temperature=0.1)
    out_of_sample = smoother.fit_relevance(texts, labels)
    in_sample = smoother.relevance(texts)
    y = np.searchsorted(smoother.classes_, labels)
    rows = np.arange(len(y))
    assert in_sample[rows, y].mean() > 0.6
    assert abs(out_of_sample[rows, y].mean() - 0.5) < 0.05


def test_fit_transform_mixes_the_out_of_sample_relevance():
    texts = TEXTS + ["bake the bread with flour", "the cake needs butter and flour"] * 2
    labels = LABELS + ["cooking"] * 4
    smoother = KeywordSmoother(min_df=1, epsilon=0.3)
    soft = smoother.fit_transform(texts, labels)
    relevance = KeywordSmoother(min_df=1, epsilon=0.3).fit_relevance(texts, labels)
    y = np.searchsorted(smoother.classes_, labels)
    np.testing.assert_allclose(soft, mix_with_gold(relevance, y, 0.3), atol=1e-7)
    rows = np.arange(len(y))
    np.testing.assert_allclose(soft[rows, y], 1 - 0.3 * 2 / 3, atol=1e-6)  # LS-Classic's mass


def test_auto_temperature_does_not_increase_gold_nll():
    # the temperature is fitted on the cross-fitted relevance of the training rows
    auto = KeywordSmoother(min_df=1)
    relevance_auto = auto.fit_relevance(TEXTS, LABELS)
    assert np.isfinite(auto.temperature_) and auto.temperature_ > 0
    y = np.searchsorted(auto.classes_, LABELS)
    rows = np.arange(len(y))
    for temperature in (0.05, 1.0, 20.0):
        fixed = KeywordSmoother(min_df=1, temperature=temperature).fit_relevance(TEXTS, LABELS)
        nll_auto = -np.log(relevance_auto[rows, y]).mean()
        assert nll_auto <= -np.log(fixed[rows, y]).mean() + 1e-6


# -- adaptive epsilon --------------------------------------------------------------------------


@pytest.mark.parametrize("epsilon", [0.1, 0.3, 0.8])
def test_adaptive_epsilon_follows_its_formula(epsilon):
    smoother = KeywordSmoother(epsilon=epsilon, temperature=0.5, adaptive_epsilon=True)
    smoother.fit(TEXTS, LABELS)
    texts = NEW[:4]
    labels = ["sport", "sport", "politics", "politics"]
    relevance = smoother.relevance(texts).astype(np.float64)
    y = np.searchsorted(smoother.classes_, labels)
    c = 2
    eps = np.minimum(1.0, epsilon * c / (c - 1) * (1 - relevance[np.arange(4), y]))
    mass = eps * (c - 1) / c  # with two classes all of it goes to the other one
    expected = np.repeat(mass[:, None], 2, axis=1)
    expected[np.arange(4), y] = 1 - mass
    np.testing.assert_allclose(smoother.transform(texts, labels), expected, atol=1e-6)


def test_adaptive_epsilon_smooths_more_where_keywords_point_elsewhere():
    epsilon = 0.2
    fixed = KeywordSmoother(epsilon=epsilon, temperature=0.5).fit(TEXTS, LABELS)
    adaptive = KeywordSmoother(epsilon=epsilon, temperature=0.5, adaptive_epsilon=True).fit(
        TEXTS, LABELS
    )
    texts = ["the election vote and the party", "a goal in the football match", "nothing here"]
    labels = ["sport", "sport", "sport"]  # the first text's keywords point to politics
    sport = 1
    gold_fixed = fixed.transform(texts, labels)[:, sport]
    gold_adaptive = adaptive.transform(texts, labels)[:, sport]
    assert gold_adaptive[0] < gold_fixed[0]  # more smoothing for the misfit
    assert gold_adaptive[1] > gold_fixed[1]  # less for a clear member of its class
    assert gold_adaptive[2] == pytest.approx(
        gold_fixed[2], abs=1e-6
    )  # uniform r gives back epsilon


def test_adaptive_epsilon_is_capped_at_one():
    smoother = KeywordSmoother(epsilon=0.9, temperature=0.05, adaptive_epsilon=True).fit(
        TEXTS, LABELS
    )
    soft = smoother.transform(["the election vote and the party"], ["sport"])
    # eps = min(1, 0.9 * 2 * ~1) = 1: the gold class keeps 1/C, as LS-Classic at epsilon 1
    np.testing.assert_allclose(soft, [[0.5, 0.5]], atol=1e-6)


# -- edge cases --------------------------------------------------------------------------------


def test_class_without_usable_terms_warns_and_stays_finite():
    texts = [*TEXTS, "hello there", "xyzzy plugh"]  # single-text words only: below min_df
    labels = [*LABELS, "misc", "misc"]
    with pytest.warns(UserWarning, match=r"\['misc'\] have no keywords"):
        smoother = KeywordSmoother()
        soft = smoother.fit_transform(texts, labels)
    assert smoother.class_keywords_["misc"] == []
    assert np.isfinite(soft).all()
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-5)
    assert np.isfinite(smoother.relevance(["a goal", "hello"])).all()


def test_single_term_vocabulary_gives_uniform_relevance():
    # With min_df=2 only "goal" survives: no term can tell the classes apart.
    texts = ["goal one", "goal two", "goal three", "vote four"]
    with pytest.warns(UserWarning, match="no keywords"):
        soft = KeywordSmoother(temperature=1.0).fit_transform(texts, ["a", "a", "b", "b"])
    np.testing.assert_allclose(
        soft, [[0.95, 0.05], [0.95, 0.05], [0.05, 0.95], [0.05, 0.95]], atol=1e-6
    )


def test_no_terms_at_all_raises_naming_min_df():
    with pytest.raises(ValueError, match="min_df=2"):
        KeywordSmoother().fit(["alpha beta", "gamma delta"], ["x", "y"])


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"top_k": 0}, ValueError, "top_k"),
        ({"class_top_k": 2.5}, ValueError, "class_top_k"),
        ({"class_scoring": "chi2"}, ValueError, "class_scoring"),
        ({"match": "fuzzy"}, ValueError, "match"),
        ({"temperature": -1.0}, ValueError, "temperature"),
        ({"extractor": "tfidf"}, TypeError, "KeywordExtractor"),
    ],
)
def test_bad_params_raise(params, error, match):
    with pytest.raises(error, match=match):
        KeywordSmoother(**params).fit(TEXTS, LABELS)


# -- explanations ------------------------------------------------------------------------------


def test_explain_names_the_contributing_keywords():
    smoother = KeywordSmoother(temperature=0.5).fit(TEXTS, LABELS)
    explanation = smoother.explain("a late goal in the league match", label="sport")
    keywords = {t for t, _ in explanation.keywords}
    assert keywords == {"goal", "league", "match"}  # "late" occurs once in training: below min_df
    contributed = {term for term, _, _ in explanation.contributions["sport"]}
    assert contributed == {"goal", "league", "match"}
    assert explanation.contributions["politics"] == []
    # Each contribution is a_it * b_kt, and together they are the score s_ik.
    weights = dict(explanation.keywords)
    class_weights = dict(smoother.class_keywords_["sport"])
    total = 0.0
    for term, matched, value in explanation.contributions["sport"]:
        assert matched == term
        assert value == pytest.approx(weights[term] * class_weights[term])
        total += value
    s = np.array([0.0, total])
    expected = scipy_softmax(s / smoother.temperature_)
    assert explanation.relevance["sport"] == pytest.approx(expected[1])
    assert explanation.soft_label["sport"] == pytest.approx(1 - 0.1 / 2, abs=1e-6)
    text = str(explanation)
    assert "goal" in text and "(gold)" in text and "sport" in text


def test_explain_without_label_and_top_n():
    smoother = KeywordSmoother().fit(TEXTS, LABELS)
    explanation = smoother.explain("goal match league", top_n=1)
    assert explanation.soft_label is None
    assert len(explanation.contributions["sport"]) == 1
    assert "(none in vocabulary)" in str(smoother.explain("zzz"))


# -- class scoring and extractors --------------------------------------------------------------


def test_c_tfidf_class_keywords_follow_the_scorer():
    smoother = KeywordSmoother(class_scoring="c-tfidf", temperature=0.2).fit(TEXTS, LABELS)
    counts = CountVectorizer(min_df=2, stop_words="english").fit(TEXTS)
    terms = counts.get_feature_names_out()
    y = np.searchsorted(["politics", "sport"], LABELS)
    x = counts.transform(TEXTS).toarray()
    class_counts = np.stack([x[y == k].sum(axis=0) for k in range(2)])
    scores = ctfidf_scores(sp.csr_matrix(class_counts)).toarray()
    b = np.stack([unit(row) for row in scores])
    np.testing.assert_allclose(class_keyword_matrix(smoother, terms.tolist()), b, atol=1e-12)
    relevance = smoother.relevance(NEW[:2])
    assert relevance[0, 1] > 0.5 and relevance[1, 0] > 0.5


class FirstWords(KeywordExtractor):
    """A toy extractor: the first ``top_k`` words, weights 1, 1/2, 1/3, ..."""

    def __init__(self, *, decay: float = 1.0):
        self.decay = decay

    def fit(self, texts):
        self.n_fit_ = len(texts)
        return self

    def extract(self, texts, top_k=10):
        return [
            [(w, 1.0 / (1 + self.decay * j)) for j, w in enumerate(t.lower().split()[:top_k])]
            for t in texts
        ]


def test_custom_extractor_is_cloned_fitted_and_used():
    extractor = FirstWords(decay=1.0)
    smoother = KeywordSmoother(extractor=extractor, top_k=3, temperature=0.5).fit(TEXTS, LABELS)
    assert not hasattr(extractor, "n_fit_")  # the user's object is left alone
    assert smoother.extractor_.n_fit_ == len(TEXTS)
    terms = smoother.vocabulary_extractor_.terms_.tolist()
    b = class_keyword_matrix(smoother, terms)
    texts = ["vote party goal striker", "goal striker vote party", "unknown words only"]
    a = np.zeros((3, len(terms)))
    for i, keywords in enumerate(FirstWords().extract(texts, top_k=3)):
        for term, weight in keywords:
            if term in terms:
                a[i, terms.index(term)] = weight
        a[i] = unit(a[i])
    expected = scipy_softmax(a @ b.T / 0.5, axis=1)
    np.testing.assert_allclose(smoother.relevance(texts), expected, atol=1e-10)
    # Same words, different order: the extractor's weights (not a bag of words) decide.
    assert expected[0, 0] > 0.5 > expected[1, 0]
    soft = smoother.fit_transform(TEXTS, LABELS)
    np.testing.assert_allclose(soft, smoother.transform(TEXTS, LABELS), atol=1e-7)


# -- semantic match ----------------------------------------------------------------------------

SEMANTIC_TEXTS = [
    "the striker scored a late goal in the football match",
    "the football league match ended with a penalty",
    "the coach praised the striker after the football win",
    "fans cheered as the football team won the league",
    "the party won the election after a close vote",
    "voters backed the party in the parliament election",
    "the minister called a vote in parliament on soccer funding",
    "the election campaign focused on the minister and soccer",
]


@pytest.mark.slow
def test_semantic_match_counts_a_near_synonym():
    model = str(default_model_path())
    params = {"temperature": 1.0, "class_top_k": 3, "semantic_model": model}
    lexical = KeywordSmoother(**params).fit(SEMANTIC_TEXTS, LABELS)
    semantic = KeywordSmoother(match="semantic", **params).fit(SEMANTIC_TEXTS, LABELS)
    assert "football" in dict(semantic.class_keywords_["sport"])
    # "soccer" occurs only in politics texts and is no keyword of either class.
    assert all("soccer" not in dict(kws) for kws in semantic.class_keywords_.values())
    np.testing.assert_allclose(lexical.relevance(["soccer"]), [[0.5, 0.5]])
    relevance = semantic.relevance(["soccer"])
    assert relevance[0, 1] > relevance[0, 0] + 0.1  # sport, by its likeness to "football"
    t = semantic.vocabulary_extractor_.vocabulary_["soccer"]
    assert semantic.match_matrix_[t, 1] > semantic.semantic_threshold * 0.5
    assert semantic.match_matrix_[t, 0] == 0.0
    explanation = semantic.explain("soccer")
    assert [(term, kw) for term, kw, _ in explanation.contributions["sport"]] == [
        ("soccer", "football")
    ]
    # A class keyword matches itself with similarity 1: its column holds at least its own weight.
    for k, cls in enumerate(semantic.classes_):
        for term, weight in semantic.class_keywords_[cls]:
            j = semantic.vocabulary_extractor_.vocabulary_[term]
            assert semantic.match_matrix_[j, k] >= weight - 1e-5


def test_explain_stays_readable_for_long_texts_and_many_classes():
    classes = [f"c{k}" for k in range(12)]
    texts = [f"shared w{k} w{k}x word{k} topic{k}" for k in range(12) for _ in range(3)]
    labels = [c for c in classes for _ in range(3)]
    smoother = KeywordSmoother(min_df=1).fit(texts, labels)
    long_text = " ".join(f"w{k} word{k} topic{k} w{k}x" for k in range(12))
    explanation = smoother.explain(long_text, label="c11")
    text = str(explanation)
    assert len(explanation.keywords) == 48  # every term kept, but only the strongest shown
    assert "... (+36)" in text
    class_lines = [line for line in text.splitlines() if ": relevance" in line]
    assert len(class_lines) <= 9 and any("(gold)" in line for line in class_lines)
    assert "less relevant classes" in text
