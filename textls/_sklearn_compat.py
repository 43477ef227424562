r"""The one place textls relies on scikit-learn's internals: fitting its vectorizers from counts.

A sharded fit (:mod:`textls.cache.statistics`) never sees the whole corpus at once; it merges
each shard's raw document frequencies :math:`df_t` and total counts :math:`tf_t`, and must then
leave a ``CountVectorizer`` / ``TfidfVectorizer`` / ``TfidfTransformer`` in exactly the state their
``fit`` on all the texts leaves them.  scikit-learn has no public way to do that, so this module
repeats, on merged counts, what ``fit`` does:

* the vocabulary pruning of ``CountVectorizer.fit`` (its private ``_limit_features``): keep the
  terms with ``min_df <= df_t <= max_df`` (a float is a share of the :math:`n` documents), then
  the ``max_features`` most frequent by :math:`tf_t`;
* ``TfidfTransformer.fit``'s idf, :math:`\mathrm{idf}_t = \ln\frac{1 + n}{1 + df_t} + 1`
  (``smooth_idf=True``; :math:`\ln\frac{n}{df_t} + 1` without), the same operations in the
  same order, so the result agrees bit for bit;
* the fitted attributes: ``fixed_vocabulary_`` (set by the private ``_validate_vocabulary``),
  ``vocabulary_``, and a ``TfidfVectorizer``'s private ``_tfidf`` transformer;
* the private ``_stop_words_id`` a vectorizer caches, dropped so its saved state is reproducible.

``tests/test_sklearn_compat.py`` fits each vectorizer both ways on small corpora and compares
every fitted attribute and output, so a scikit-learn release that changes any of this fails
there, loudly, rather than making sharded caches drift from the in-memory fit.
"""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.utils._param_validation import InvalidParameterError


def fit_vectorizer_from_counts(
    vectorizer: CountVectorizer,
    terms: np.ndarray,
    doc_freq: np.ndarray,
    term_freq: np.ndarray,
    n_docs: int,
) -> np.ndarray:
    """Give an unfitted ``vectorizer`` the state ``vectorizer.fit(texts)`` gives it, from counts.

    Parameters
    ----------
    vectorizer : CountVectorizer or TfidfVectorizer
        Unfitted; its ``min_df``, ``max_df`` and ``max_features`` prune ``terms``.
    terms : ndarray of shape (V,)
        The raw (unpruned) vocabulary of the texts, sorted.
    doc_freq, term_freq : ndarray of shape (V,)
        Each term's document frequency and total count over the texts.
    n_docs : int
        Number of texts.

    Returns
    -------
    mask : ndarray of bool, shape (V,)
        The terms kept (the fitted vocabulary is ``terms[mask]``, in that order).

    Raises ``ValueError`` with scikit-learn's own message where its ``fit`` would.
    """
    mask = _limit_features(vectorizer, doc_freq, term_freq, n_docs, len(terms))
    vectorizer._validate_vocabulary()  # fixed_vocabulary_ = False, as fit sets it
    vectorizer.vocabulary_ = {str(t): i for i, t in enumerate(terms[mask])}
    if isinstance(vectorizer, TfidfVectorizer):
        vectorizer._check_params()
        vectorizer._tfidf = TfidfTransformer(
            norm=vectorizer.norm,
            use_idf=vectorizer.use_idf,
            smooth_idf=vectorizer.smooth_idf,
            sublinear_tf=vectorizer.sublinear_tf,
        )
        fit_idf_from_counts(vectorizer._tfidf, doc_freq[mask], n_docs)
    return mask


def fit_idf_from_counts(
    transformer: TfidfTransformer, doc_freq: np.ndarray, n_docs: int
) -> TfidfTransformer:
    """``transformer.fit(counts)`` from the counts' document frequencies and number of rows."""
    transformer.n_features_in_ = len(doc_freq)
    if transformer.use_idf:
        df = doc_freq.astype(np.float64)
        df += float(transformer.smooth_idf)
        n_samples = n_docs + int(transformer.smooth_idf)
        idf = np.full_like(df, fill_value=n_samples, dtype=np.float64)
        idf /= df
        np.log(idf, out=idf)
        idf += 1.0
        transformer.idf_ = idf
    return transformer


def tfidf_from_counts(vectorizer: TfidfVectorizer, counts: sp.spmatrix) -> sp.csr_matrix:
    """A fitted ``TfidfVectorizer``'s ``transform`` of the texts whose counts (over its
    vocabulary, as its ``CountVectorizer`` part counts them) are ``counts``, without the texts."""
    return vectorizer._tfidf.transform(counts, copy=True)


def forget_stop_words_id(vectorizer: CountVectorizer | None) -> None:
    """Drop the ``id(stop_words)`` a vectorizer caches when it first builds its analyzer.

    A memory address, different in every process: without it a saved vectorizer is the same
    bytes wherever it was fitted (a cache's ``fit/state.zip``).  scikit-learn sets it again when
    it next needs it.
    """
    if vectorizer is not None and hasattr(vectorizer, "_stop_words_id"):
        del vectorizer._stop_words_id


def _limit_features(
    vectorizer: CountVectorizer,
    doc_freq: np.ndarray,
    term_freq: np.ndarray,
    n_docs: int,
    n_terms: int,
) -> np.ndarray:
    """``CountVectorizer.fit``'s ``min_df`` / ``max_df`` / ``max_features`` mask, on counts."""
    max_df, min_df, limit = vectorizer.max_df, vectorizer.min_df, vectorizer.max_features
    high = max_df if isinstance(max_df, numbers.Integral) else max_df * n_docs
    low = min_df if isinstance(min_df, numbers.Integral) else min_df * n_docs
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    if n_terms == 0:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    mask = (doc_freq <= high) & (doc_freq >= low)
    if limit is not None and mask.sum() > limit:
        tfs = term_freq.astype(np.float64)
        mask_inds = (-tfs[mask]).argsort()[:limit]
        new_mask = np.zeros(len(doc_freq), dtype=bool)
        new_mask[np.where(mask)[0][mask_inds]] = True
        mask = new_mask
    if not mask.any():
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    return mask


@contextlib.contextmanager
def vocabulary_errors(message: str):
    """Re-raise scikit-learn's ``ValueError`` of a vectorizer fit that found no usable terms
    ("empty vocabulary; perhaps the documents only contain stop words", or every term pruned by
    ``min_df``) as ``message.format(exc=exc)``; an invalid parameter (scikit-learn's private
    ``InvalidParameterError``, a ``ValueError`` too) stays as scikit-learn words it, naming the
    parameter."""
    try:
        yield
    except InvalidParameterError:
        raise
    except ValueError as exc:
        raise ValueError(message.format(exc=exc)) from exc
