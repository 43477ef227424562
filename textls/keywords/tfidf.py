"""Keywords of a text: its terms ranked by TF-IDF weight (the default extractor)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.utils.validation import check_is_fitted

from textls._sklearn_compat import (
    fit_idf_from_counts,
    fit_vectorizer_from_counts,
    vocabulary_errors,
)
from textls._utils import check_texts, l2_normalize_rows, top_k_per_row
from textls.keywords._base import KeywordExtractor, rows_to_keywords

#: The options that decide a TF-IDF vocabulary and its weights.  KWLS, LS-TFIDF and
#: :class:`TfidfKeywordExtractor` take them under these names and build their vectorizers from
#: :func:`tfidf_options`, so the three tokenise and prune alike.
TFIDF_OPTIONS = ("ngram_range", "min_df", "max_df", "max_features", "stop_words", "sublinear_tf")


def tfidf_options(estimator) -> dict:
    """``{name: estimator.name}`` for the names in :data:`TFIDF_OPTIONS`."""
    return {name: getattr(estimator, name) for name in TFIDF_OPTIONS}


#: What a fit that found no term says (``{exc}``: scikit-learn's reason).
NO_USABLE_TERMS = "no usable terms in the training texts ({exc})"


class TfidfKeywordExtractor(KeywordExtractor):
    r"""Top-``k`` terms of each text by TF-IDF weight.

    With raw count :math:`c_{it}` of term ``t`` in text ``i``, ``n`` training texts and document
    frequency :math:`df_t`, the weight is scikit-learn's

    .. math:: w_{it} = \mathrm{tf}(c_{it}) \cdot \bigl(\ln\tfrac{1 + n}{1 + df_t} + 1\bigr),
              \qquad \mathrm{tf}(c) = 1 + \ln c \ \text{(sublinear, default) or } c,

    the ``top_k`` largest weights of each text are kept and the kept vector is scaled to unit L2 norm.

    Parameters
    ----------
    ngram_range : tuple, default (1, 1)
    min_df : int or float, default 1
    max_df : int or float, default 1.0
    max_features : int or None, default None
    stop_words : "english", list or None, default "english"
        Function words are never keywords; the list is scikit-learn's.
    sublinear_tf : bool, default True
    token_pattern : str, default r"(?u)\b\w\w+\b"
    lowercase : bool, default True

    Attributes
    ----------
    vectorizer_ : CountVectorizer
    tfidf_ : TfidfTransformer
    terms_ : ndarray of shape (V,)

    Examples
    --------
    >>> ext = TfidfKeywordExtractor().fit(["the cat sat", "the dog ran", "a cat and a dog"])
    >>> [term for term, _ in ext.extract(["the cat sat on the cat"], top_k=2)[0]]
    ['cat', 'sat']
    """

    def __init__(
        self,
        *,
        ngram_range: tuple[int, int] = (1, 1),
        min_df: int | float = 1,
        max_df: int | float = 1.0,
        max_features: int | None = None,
        stop_words: str | list[str] | None = "english",
        sublinear_tf: bool = True,
        token_pattern: str = r"(?u)\b\w\w+\b",
        lowercase: bool = True,
    ):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.stop_words = stop_words
        self.sublinear_tf = sublinear_tf
        self.token_pattern = token_pattern
        self.lowercase = lowercase

    def fit(self, texts) -> TfidfKeywordExtractor:
        self.fit_counts(texts)
        return self

    def fit_counts(self, texts) -> sp.csr_matrix:
        """Fit and return the ``(n, V)`` count matrix, so callers tokenise the corpus only once."""
        texts = check_texts(texts)
        self.vectorizer_ = self.count_vectorizer()
        with vocabulary_errors(NO_USABLE_TERMS):
            counts = self.vectorizer_.fit_transform(texts)
        self.tfidf_ = self._tfidf_transformer().fit(counts)
        self.terms_ = self.vectorizer_.get_feature_names_out()
        return counts

    def fit_from_counts(
        self, terms: np.ndarray, doc_freq: np.ndarray, term_freq: np.ndarray, n_docs: int
    ) -> TfidfKeywordExtractor:
        """The fit on texts, from their counts over the raw vocabulary (sharded fits merge these).

        ``terms`` is the sorted raw vocabulary that :meth:`count_vectorizer` without pruning finds
        in the texts, ``doc_freq`` and ``term_freq`` each term's document frequency and total
        count, ``n_docs`` the number of texts; ``min_df``, ``max_df`` and ``max_features`` prune
        them here.  The fitted state equals ``fit(texts)``'s bit for bit.
        """
        self.vectorizer_ = self.count_vectorizer()
        with vocabulary_errors(NO_USABLE_TERMS):  # worded as fit words it
            kept = fit_vectorizer_from_counts(self.vectorizer_, terms, doc_freq, term_freq, n_docs)
        self.tfidf_ = fit_idf_from_counts(self._tfidf_transformer(), doc_freq[kept], n_docs)
        self.terms_ = self.vectorizer_.get_feature_names_out()
        return self

    def count_vectorizer(self) -> CountVectorizer:
        """The unfitted ``CountVectorizer`` that tokenises the texts and prunes the vocabulary."""
        return CountVectorizer(
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            stop_words=self.stop_words,
            token_pattern=self.token_pattern,
            lowercase=self.lowercase,
            dtype=np.float64,
        )

    def _tfidf_transformer(self) -> TfidfTransformer:
        return TfidfTransformer(sublinear_tf=self.sublinear_tf, norm=None)

    @property
    def vocabulary_(self) -> dict[str, int]:
        check_is_fitted(self, "vectorizer_")
        return self.vectorizer_.vocabulary_

    def counts(self, texts) -> sp.csr_matrix:
        check_is_fitted(self, "vectorizer_")
        return self.vectorizer_.transform(check_texts(texts))

    def weigh(self, counts: sp.csr_matrix, top_k: int | None) -> sp.csr_matrix:
        """Top-``k`` TF-IDF weights of each row of a count matrix (all for ``None``), unit L2 rows."""
        return l2_normalize_rows(top_k_per_row(self.tfidf_.transform(counts), top_k))

    def transform(self, texts, top_k: int | None = 10) -> sp.csr_matrix:
        return self.weigh(self.counts(texts), top_k)

    def extract(self, texts, top_k: int | None = 10) -> list[list[tuple[str, float]]]:
        return rows_to_keywords(self.transform(texts, top_k), self.terms_)

    def extract_matrix(self, texts, top_k: int | None, vocabulary: dict[str, int]) -> sp.csr_matrix:
        if vocabulary is self.vocabulary_:
            return self.transform(texts, top_k)
        return super().extract_matrix(texts, top_k, vocabulary)
