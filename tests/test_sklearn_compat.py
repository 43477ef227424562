"""textls._sklearn_compat must leave scikit-learn's vectorizers as their own fit leaves them.

These tests are the alarm for a scikit-learn upgrade: if a release changes the pruning, the idf
or the fitted attributes of ``CountVectorizer`` / ``TfidfVectorizer`` / ``TfidfTransformer``,
they fail here, before sharded caches silently drift from the in-memory fit.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from corpora import THREE_TOPIC_TEXTS as TEXTS
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer

from textls._sklearn_compat import (
    fit_idf_from_counts,
    fit_vectorizer_from_counts,
    forget_stop_words_id,
    tfidf_from_counts,
)

PARAMS = [
    {},
    {"min_df": 2},
    {"min_df": 0.2, "max_df": 0.5},
    {"max_df": 3, "max_features": 7},
    {"max_features": 5, "ngram_range": (1, 2)},
    {"stop_words": "english", "sublinear_tf": True},
    {"smooth_idf": False, "norm": None},
]


def from_counts(vectorizer, texts, **params):
    """``vectorizer`` fitted from the texts' counts, with its tokenisation but no pruning."""
    tokenisation = {k: v for k, v in params.items() if k in ("ngram_range", "stop_words")}
    counter = CountVectorizer(dtype=np.float64, **tokenisation)
    counts = sp.csr_matrix(counter.fit_transform(texts))
    doc_freq = np.bincount(counts.indices, minlength=counts.shape[1])
    term_freq = np.asarray(counts.sum(axis=0)).ravel()
    terms = counter.get_feature_names_out().astype(object)
    mask = fit_vectorizer_from_counts(vectorizer, terms, doc_freq, term_freq, len(texts))
    return vectorizer, mask


@pytest.mark.parametrize("params", PARAMS)
def test_tfidf_vectorizer_from_counts_is_its_fit(params):
    plain = TfidfVectorizer(**params).fit(TEXTS)
    merged, mask = from_counts(TfidfVectorizer(**params), TEXTS, **params)
    assert merged.vocabulary_ == plain.vocabulary_
    assert mask.sum() == len(plain.vocabulary_)
    # sklearn caches id(stop_words) when it first builds an analyzer; nothing else may differ
    assert set(vars(merged)) - {"_stop_words_id"} == set(vars(plain)) - {"_stop_words_id"}
    assert set(vars(merged._tfidf)) == set(vars(plain._tfidf))
    assert merged.get_params() == plain.get_params()
    if plain.use_idf:
        np.testing.assert_array_equal(merged.idf_, plain.idf_)
    new = ["the goal of the vote", "butter", "nothing known here"]
    np.testing.assert_array_equal(merged.transform(new).toarray(), plain.transform(new).toarray())
    counts = CountVectorizer(vocabulary=plain.vocabulary_, dtype=np.float64).transform(new)
    np.testing.assert_array_equal(
        tfidf_from_counts(merged, counts).toarray(), plain.transform(new).toarray()
    )


@pytest.mark.parametrize(
    "params", [p for p in PARAMS if "norm" not in p and "sublinear_tf" not in p]
)
def test_count_vectorizer_from_counts_is_its_fit(params):
    plain = CountVectorizer(dtype=np.float64, **params).fit(TEXTS)
    merged, _ = from_counts(CountVectorizer(dtype=np.float64, **params), TEXTS, **params)
    assert merged.vocabulary_ == plain.vocabulary_
    assert merged.fixed_vocabulary_ is plain.fixed_vocabulary_ is False
    assert merged.get_params() == plain.get_params()


@pytest.mark.parametrize("smooth_idf", [True, False])
@pytest.mark.parametrize("sublinear_tf", [True, False])
def test_idf_from_counts_is_the_transformers_fit(smooth_idf, sublinear_tf):
    counts = CountVectorizer(dtype=np.float64).fit_transform(TEXTS)
    plain = TfidfTransformer(smooth_idf=smooth_idf, sublinear_tf=sublinear_tf).fit(counts)
    doc_freq = np.bincount(sp.csr_matrix(counts).indices, minlength=counts.shape[1])
    merged = fit_idf_from_counts(
        TfidfTransformer(smooth_idf=smooth_idf, sublinear_tf=sublinear_tf), doc_freq, len(TEXTS)
    )
    np.testing.assert_array_equal(merged.idf_, plain.idf_)
    assert set(vars(merged)) == set(vars(plain))
    np.testing.assert_array_equal(
        merged.transform(counts).toarray(), plain.transform(counts).toarray()
    )


@pytest.mark.parametrize(
    "params",
    [
        {"min_df": 5, "max_df": 2},
        {"min_df": 100},
        {"stop_words": ["a", "b"], "token_pattern": "[ab]"},
    ],
)
def test_errors_are_the_ones_fit_raises(params):
    texts = TEXTS if "token_pattern" not in params else ["a b", "b a"]
    with pytest.raises(ValueError) as expected:
        CountVectorizer(**params).fit(texts)
    counter = CountVectorizer(**{k: v for k, v in params.items() if "df" not in k})
    try:
        counts = sp.csr_matrix(counter.fit_transform(texts))
        terms = counter.get_feature_names_out().astype(object)
    except ValueError:  # only stop words: no raw vocabulary at all
        counts, terms = sp.csr_matrix((len(texts), 0)), np.array([], dtype=object)
    doc_freq = np.bincount(counts.indices, minlength=counts.shape[1])
    term_freq = np.asarray(counts.sum(axis=0)).ravel()
    with pytest.raises(ValueError) as ours:
        fit_vectorizer_from_counts(
            CountVectorizer(**params), terms, doc_freq, term_freq, len(texts)
        )
    assert str(ours.value) == str(expected.value)


def test_forget_stop_words_id_drops_the_cached_address_and_nothing_else():
    vectorizer = TfidfVectorizer(stop_words="english").fit(TEXTS)
    assert isinstance(vectorizer._stop_words_id, int)  # sklearn still caches it under this name
    expected = vectorizer.transform(TEXTS).toarray()
    forget_stop_words_id(vectorizer)
    assert not hasattr(vectorizer, "_stop_words_id")
    np.testing.assert_array_equal(vectorizer.transform(TEXTS).toarray(), expected)
    forget_stop_words_id(None)  # a generator without that vectorizer
