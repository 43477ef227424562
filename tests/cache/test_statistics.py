"""Fit statistics merged across shards give the fit on all the data."""

from __future__ import annotations

import numpy as np
import pytest
from corpora import make_corpus

from textls import get_smoother
from textls.cache.statistics import (
    count_statistics,
    counter_for,
    fit_in_shards,
    merge_counts,
    remap_counts,
    shard_bounds,
    shard_counts,
    training_targets,
    vocabulary_terms,
)

KWLS_PARAMS = [
    {},
    {"min_df": 1, "temperature": 0.2},
    {"max_features": 12, "min_df": 1},
    {"max_df": 0.5, "class_scoring": "c-tfidf", "adaptive_epsilon": True},
    {"ngram_range": (1, 2), "class_top_k": 5, "top_k": 3},
]


@pytest.mark.parametrize("params", KWLS_PARAMS)
@pytest.mark.parametrize("num_shards", [1, 2, 7])
def test_kwls_merged_fit_is_the_plain_fit_bit_for_bit(corpus, params, num_shards):
    texts, labels = corpus
    plain = get_smoother("kwls", **params).fit(texts, labels)
    state = fit_in_shards("kwls", texts, labels, num_shards, **params)
    merged = state.smoother
    assert merged.vocabulary_extractor_.vocabulary_ == plain.vocabulary_extractor_.vocabulary_
    np.testing.assert_array_equal(
        merged.vocabulary_extractor_.tfidf_.idf_, plain.vocabulary_extractor_.tfidf_.idf_
    )
    assert merged.class_keywords_ == plain.class_keywords_
    assert merged.temperature_ == plain.temperature_
    expected = get_smoother("kwls", **params).fit_transform(texts, labels)
    np.testing.assert_array_equal(training_targets(state, texts, labels), expected)
    new = ["a striker scored in the derby", "the senate vote", "cloud chip"]
    np.testing.assert_array_equal(merged.relevance(new), plain.relevance(new))


def test_merged_vectorizer_has_the_fitted_attributes_of_a_plain_fit(corpus):
    texts, labels = corpus
    plain = get_smoother("kwls").fit(texts, labels).vocabulary_extractor_
    merged = fit_in_shards("kwls", texts, labels, 3).smoother.vocabulary_extractor_
    assert set(vars(merged.vectorizer_)) == set(vars(plain.vectorizer_))
    assert set(vars(merged.tfidf_)) == set(vars(plain.tfidf_))
    assert merged.vectorizer_.get_params() == plain.vectorizer_.get_params()


@pytest.mark.parametrize("params", [{}, {"temperature": 0.5, "min_df": 2}, {"max_features": 10}])
@pytest.mark.parametrize("num_shards", [1, 4])
def test_ls_tfidf_merged_fit_matches_the_plain_fit(corpus, params, num_shards):
    texts, labels = corpus
    expected = get_smoother("ls-tfidf", **params).fit_transform(texts, labels)
    state = fit_in_shards("ls-tfidf", texts, labels, num_shards, **params)
    # the class sums are float sums: equal up to rounding, not bit for bit
    np.testing.assert_allclose(training_targets(state, texts, labels), expected, rtol=0, atol=1e-7)
    plain = get_smoother("ls-tfidf", **params).fit(texts, labels)
    assert state.smoother.vectorizer_.vocabulary_ == plain.vectorizer_.vocabulary_
    np.testing.assert_allclose(state.smoother.temperature_, plain.temperature_, rtol=1e-6)


def test_ls_classic_merged_fit_is_the_plain_fit(corpus):
    texts, labels = corpus
    state = fit_in_shards("ls-classic", texts, labels, 5, epsilon=0.2)
    expected = get_smoother("ls-classic", epsilon=0.2).fit_transform(texts, labels)
    np.testing.assert_array_equal(training_targets(state, texts, labels), expected)


def test_auto_temperature_uses_the_rows_fit_samples():
    # more rows than fit_temperature's 20,000: the merged fit must gather exactly its sample
    texts, labels = make_corpus(20_300, seed=1)
    plain = get_smoother("kwls", top_k=3).fit(texts, labels)
    state = fit_in_shards("kwls", texts, labels, 3, top_k=3)
    assert state.smoother.temperature_ == plain.temperature_


def test_merge_counts_is_the_count_of_the_whole(corpus):
    texts, labels = corpus
    counter, class_terms, n_splits = counter_for("kwls", {})
    whole = count_statistics(texts, labels, counter, class_terms, (0, len(texts), n_splits))
    bounds = shard_bounds(len(texts), 4)
    parts = [
        count_statistics(texts[a:b], labels[a:b], counter, class_terms, (a, len(texts), n_splits))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    merged = merge_counts(parts)
    np.testing.assert_array_equal(merged.terms, whole.terms)
    np.testing.assert_array_equal(merged.doc_freq, whole.doc_freq)
    np.testing.assert_array_equal(merged.term_freq, whole.term_freq)
    assert (merged.class_term != whole.class_term).nnz == 0
    assert len(merged.fold_class_term) == n_splits == 5
    for fold, expected in zip(merged.fold_class_term, whole.fold_class_term, strict=True):
        assert (fold != expected).nnz == 0
    # the folds partition the rows: their counts add up to the whole
    assert (sum(merged.fold_class_term) != merged.class_term).nnz == 0
    assert merged.label_counts == whole.label_counts


def test_a_shard_of_stop_words_only_merges(corpus):
    texts, labels = corpus
    texts = ["the and of", "it is the"] + texts
    labels = ["sport", "tech"] + labels
    state = fit_in_shards("kwls", texts, labels, len(texts) // 2)
    expected = get_smoother("kwls").fit_transform(texts, labels)
    np.testing.assert_array_equal(training_targets(state, texts, labels), expected)


def test_merged_fit_errors_like_fit(corpus):
    texts, labels = corpus
    with pytest.raises(ValueError, match="need at least 2 classes"):
        fit_in_shards("kwls", texts, ["sport"] * len(texts), 2)
    with pytest.raises(ValueError, match="KWLS: no usable terms"):
        fit_in_shards("kwls", ["the and", "of it"], ["a", "b"], 2)
    with pytest.raises(TypeError, match="all strings or all integers"):
        fit_in_shards("kwls", texts[:4], ["a", "b", 1, 2], 2)


def test_shard_bounds_cover_the_rows():
    assert shard_bounds(10, 3) == [0, 3, 6, 10]
    assert shard_bounds(5, 5) == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("method", ["kwls", "ls-tfidf"])
def test_remapped_counts_give_the_targets_of_tokenising_again(corpus, method):
    texts, labels = corpus
    params = {"ngram_range": (1, 2), "max_features": 40}
    state = fit_in_shards(method, texts, labels, 3, **params)
    counter, class_terms, n_splits = counter_for(method, params)
    expected = training_targets(state, texts, labels)
    bounds = shard_bounds(len(texts), 3)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        folds = n_splits and (a, len(texts), n_splits)
        stats, matrix = shard_counts(texts[a:b], labels[a:b], counter, class_terms, folds)
        counts = remap_counts(matrix, stats.terms, vocabulary_terms(state))
        np.testing.assert_array_equal(
            training_targets(state, texts[a:b], labels[a:b], counts, a), expected[a:b]
        )


@pytest.mark.parametrize("method", ["kwls", "ls-tfidf"])
def test_merged_fit_on_imbalanced_data_keeps_the_class_prior(corpus, method):
    # half the rows of one class only: the balanced placement divides by a non-uniform prior
    texts, labels = corpus
    rare = labels[0]
    keep = [i for i, label in enumerate(labels) if label != rare or i % 2 == 0]
    texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    expected = get_smoother(method).fit_transform(texts, labels)
    state = fit_in_shards(method, texts, labels, 3)
    plain = get_smoother(method).fit(texts, labels)
    np.testing.assert_allclose(state.smoother.class_prior_, plain.class_prior_)
    assert plain.class_prior_.min() < plain.class_prior_.max()
    np.testing.assert_allclose(training_targets(state, texts, labels), expected, rtol=0, atol=1e-7)
