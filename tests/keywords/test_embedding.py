from __future__ import annotations

import zlib

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer

from textls import EmbeddingKeywordExtractor, KeywordSmoother

DIM = 8


class FakeEncoder:
    """A deterministic stand-in for a SentenceTransformer: a text is the sum of its word vectors."""

    def __init__(self):
        self.calls = []

    @staticmethod
    def word_vector(word: str) -> np.ndarray:
        rng = np.random.default_rng(zlib.crc32(word.encode()))
        return rng.normal(size=DIM)

    def encode(self, texts, batch_size=32, normalize_embeddings=False, convert_to_numpy=True):
        self.calls.append((len(texts), batch_size, normalize_embeddings, convert_to_numpy))
        out = np.zeros((len(texts), DIM))
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i] += self.word_vector(word)
        if normalize_embeddings:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
        return out


TEXTS = [
    "the striker scored a goal in the match",
    "voters backed the party in the election",
    "bake the bread in a hot oven",
    "the party celebrated the goal",
]
NEW = ["a goal for the party", "hot bread and a late goal in the match", "", "unknown words"]


def unit(v):
    return v / np.linalg.norm(v)


def expected_weights(texts, top_k, vocabulary):
    """w_it = max(0, E(text_i) . E(t)) over the text's own candidate terms, top_k kept."""
    terms = sorted(vocabulary, key=vocabulary.get)
    rows = []
    for text in texts:
        doc = FakeEncoder().encode([text], normalize_embeddings=True)[0]
        present = set(
            CountVectorizer(stop_words="english", vocabulary=vocabulary).build_analyzer()(text)
        )
        scores = {
            t: max(0.0, float(doc @ unit(FakeEncoder.word_vector(t))))
            for t in terms
            if t in present
        }
        kept = sorted(
            (t for t in scores if scores[t] > 0), key=lambda t: (-scores[t], vocabulary[t])
        )[:top_k]
        rows.append({t: scores[t] for t in kept})
    return rows


@pytest.mark.parametrize("top_k", [1, 2, 10])
def test_weights_are_clipped_cosine_to_the_text_top_k(top_k):
    encoder = FakeEncoder()
    extractor = EmbeddingKeywordExtractor(model=encoder, batch_size=3).fit(TEXTS)
    assert extractor.encoder_ is encoder
    vocabulary = extractor.vectorizer_.vocabulary_
    matrix = extractor.transform(NEW, top_k)
    assert matrix.shape == (len(NEW), len(vocabulary))
    for i, expected in enumerate(expected_weights(NEW, top_k, vocabulary)):
        row = matrix.getrow(i)
        got = {extractor.terms_[j]: v for j, v in zip(row.indices, row.data, strict=True)}
        assert got.keys() == expected.keys()
        for term, value in expected.items():
            assert got[term] == pytest.approx(value, abs=1e-6)
    # The encoder was asked for unit vectors as numpy, with the configured batch size.
    assert all(call[1:] == (3, True, True) for call in encoder.calls)


def test_extract_lists_candidates_best_first_and_only_the_texts_own_terms():
    extractor = EmbeddingKeywordExtractor(model=FakeEncoder()).fit(TEXTS)
    keywords = extractor.extract(NEW, top_k=10)
    for text, row in zip(NEW, keywords, strict=True):
        weights = [w for _, w in row]
        assert weights == sorted(weights, reverse=True)
        assert all(w > 0 for w in weights)
        assert {t for t, _ in row} <= set(text.lower().split())
    assert keywords[2] == [] and keywords[3] == []
    assert "the" not in {t for row in keywords for t, _ in row}  # a stop word


def test_clone_keeps_the_fake_model_and_refits():
    extractor = EmbeddingKeywordExtractor(model=FakeEncoder(), min_df=1)
    copy = clone(extractor)
    assert isinstance(copy.model, FakeEncoder)
    copy.fit(TEXTS)
    assert not hasattr(extractor, "terms_")
    assert len(copy.terms_) == len(copy.term_embeddings_)


def test_kwls_with_an_embedding_extractor_gives_distributions():
    texts = [*TEXTS, "the striker missed the match", "the election party vote"]
    labels = ["sport", "politics", "food", "sport", "sport", "politics"]
    smoother = KeywordSmoother(
        extractor=EmbeddingKeywordExtractor(model=FakeEncoder()), min_df=1, temperature=0.5
    )
    soft = smoother.fit_transform(texts, labels)
    assert soft.shape == (6, 3)
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-5)
    relevance = smoother.relevance(NEW)
    np.testing.assert_allclose(relevance[2], 1 / 3)
    np.testing.assert_allclose(relevance.sum(axis=1), 1.0, atol=1e-9)


def test_transform_before_fit_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        EmbeddingKeywordExtractor(model=FakeEncoder()).transform(["text"])
