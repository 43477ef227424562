from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from textls import TfidfKeywordExtractor
from textls._utils import top_k_per_row

TEXTS = [
    "the cat sat on the mat",
    "the dog ran after the cat",
    "a cat and a dog played in the garden",
    "the garden was full of flowers and flowers",
    "dogs and cats and more dogs",
]
NEW = ["the cat sat on the cat", "flowers in the garden of the dog", "", "unseen words only"]


@pytest.mark.parametrize("top_k", [1, 2, 3, 50])
@pytest.mark.parametrize("sublinear_tf", [True, False])
@pytest.mark.parametrize("stop_words", ["english", None])
def test_weights_match_sklearn_top_k_then_l2(top_k, sublinear_tf, stop_words):
    extractor = TfidfKeywordExtractor(sublinear_tf=sublinear_tf, stop_words=stop_words).fit(TEXTS)
    peer = TfidfVectorizer(sublinear_tf=sublinear_tf, norm=None, stop_words=stop_words).fit(TEXTS)
    assert extractor.terms_.tolist() == peer.get_feature_names_out().tolist()
    expected = normalize(top_k_per_row(peer.transform(NEW), top_k)).toarray()
    got = extractor.transform(NEW, top_k)
    np.testing.assert_allclose(got.toarray(), expected, atol=1e-12)
    assert np.diff(got.indptr).max() <= top_k


def test_weights_follow_the_docstring_formula():
    # Hand-computed: n = 5 training texts, sublinear tf, smoothed idf, no stop words.
    extractor = TfidfKeywordExtractor(stop_words=None).fit(TEXTS)
    vocab = extractor.vocabulary_
    df = {"cat": 3, "sat": 1, "on": 1, "the": 4}
    raw = {
        t: (1 + np.log(c)) * (np.log(6 / (1 + df[t])) + 1)
        for t, c in [("cat", 2), ("sat", 1), ("on", 1), ("the", 2)]
    }
    norm = np.sqrt(sum(v**2 for v in raw.values()))
    row = extractor.transform(["the cat sat on the cat"], top_k=10).toarray()[0]
    for term, value in raw.items():
        assert row[vocab[term]] == pytest.approx(value / norm)
    assert row.sum() == pytest.approx(sum(raw.values()) / norm)


def test_extract_lists_keywords_best_first():
    extractor = TfidfKeywordExtractor().fit(TEXTS)
    (keywords,) = extractor.extract(["the cat sat on the cat"], top_k=2)
    assert [t for t, _ in keywords] == ["cat", "sat"]
    assert keywords[0][1] >= keywords[1][1] > 0
    assert extractor.extract(["", "zzz"], top_k=3) == [[], []]


def test_extract_matrix_with_a_foreign_vocabulary_maps_terms():
    extractor = TfidfKeywordExtractor().fit(TEXTS)
    vocabulary = {"garden": 0, "flowers": 1, "unicorn": 2}
    matrix = extractor.extract_matrix(["flowers in the garden of the dog"], 5, vocabulary)
    assert matrix.shape == (1, 3)
    own = dict(extractor.extract(["flowers in the garden of the dog"], 5)[0])
    np.testing.assert_allclose(matrix.toarray()[0], [own["garden"], own["flowers"], 0.0])
    # Its own vocabulary takes the vectorised path and gives the transform.
    same = extractor.extract_matrix(NEW, 2, extractor.vocabulary_)
    np.testing.assert_allclose(same.toarray(), extractor.transform(NEW, 2).toarray())


def test_fit_counts_returns_the_count_matrix():
    extractor = TfidfKeywordExtractor(stop_words=None)
    counts = extractor.fit_counts(TEXTS)
    assert counts.shape == (5, len(extractor.terms_))
    assert counts[4, extractor.vocabulary_["dogs"]] == 2
    np.testing.assert_array_equal(extractor.counts(TEXTS).toarray(), counts.toarray())


def test_ngrams_and_min_df():
    extractor = TfidfKeywordExtractor(ngram_range=(1, 2), min_df=2, stop_words=None).fit(TEXTS)
    assert "the cat" in extractor.vocabulary_
    assert "mat" not in extractor.vocabulary_


def test_empty_vocabulary_and_bad_texts_raise():
    with pytest.raises(ValueError, match="no usable terms"):
        TfidfKeywordExtractor().fit(["the and of", "a an the"])
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        TfidfKeywordExtractor().fit(["fine", None])
