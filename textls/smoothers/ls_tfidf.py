"""LS-TFIDF: soft labels from the TF-IDF similarity between an instance and each class."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from textls._sklearn_compat import fit_vectorizer_from_counts, tfidf_from_counts, vocabulary_errors
from textls._utils import class_sums
from textls.keywords.tfidf import tfidf_options
from textls.smoothers._base import ScoredSmoother

#: What a fit that found no term says (``{exc}``: scikit-learn's reason).
NO_USABLE_TERMS = "LS-TFIDF found no usable terms in the training texts: {exc}"


class TfidfSmoother(ScoredSmoother):
    r"""Relevance from the cosine between an instance's TF-IDF vector and each class profile.

    Let :math:`x_i` be the L2-normalised TF-IDF vector of instance ``i`` (scikit-learn's
    ``TfidfVectorizer``: smoothed idf, optional sublinear tf) and :math:`S_k = \sum_{j: g_j = k} x_j`.
    The class profile is the normalised centroid :math:`c_k = S_k / \lVert S_k \rVert`, and

    .. math::
        s_{ik} = x_i \cdot c_k, \qquad r_{ik} = \mathrm{softmax}_k(s_{ik} / T),

    and the target moves LS-Classic's mass :math:`m = e (C - 1) / C` off the gold class, spread by
    relevance over the training prior :math:`\pi` (``balanced=True``; uniform with ``balanced=False``)
    over the other classes:

    .. math::
        y_{ig_i} = 1 - m, \qquad
        y_{ik} = m\, \frac{r_{ik} / \pi_k}{\sum_{j \ne g_i} r_{ij} / \pi_j} \quad (k \ne g_i).

    ``fit_relevance`` / ``fit_transform`` score each training instance against leave-one-out profiles
    (:math:`S_{g_i} - x_i` for its own class), exactly out-of-sample, so its soft label does not reward
    the gold class merely for containing the instance itself; ``transform`` on new texts uses the full
    profiles.

    Parameters
    ----------
    epsilon : float, default 0.1
        ``e``, as in torch's ``label_smoothing``: ``e (C - 1) / C`` leaves the gold class.
    temperature : float or "auto", default "auto"
        ``T``.  ``"auto"`` fits ``T`` by maximising the likelihood of the gold labels under
        ``softmax(s / T)`` on the (leave-one-out) training scores, i.e. temperature scaling, so the
        relevance is calibrated on the corpus at hand instead of tuned to one.
    ngram_range, min_df, max_df, max_features, stop_words, sublinear_tf
        Passed to ``TfidfVectorizer``.  Defaults: ``(1, 1)``, ``1``, ``1.0``, ``None``, ``None``, ``True``.
    balanced : bool, default True
        Place the off-gold mass by :math:`r_{ik} / \pi_k` (:math:`\pi` the training class
        frequencies) rather than :math:`r_{ik}`, so frequent classes do not draw it for being
        frequent; no effect on balanced data.  See :func:`textls._utils.mix_with_gold`.
    chunk_size : int, default 8192
        Rows processed at a time by ``transform``.

    Attributes
    ----------
    classes_ : ndarray of shape (C,)
    vectorizer_ : TfidfVectorizer
    profiles_ : scipy.sparse.csr_matrix of shape (C, V)
        The class profiles :math:`c_k = S_k / \lVert S_k \rVert`, one row per class in
        ``classes_`` order: the direction of the class's TF-IDF centroid, from all training rows
        (the leave-one-out profiles that score the training rows are not kept); an all-zero row
        for a class whose texts have no term in the vocabulary.
    temperature_ : float
        The temperature used (fitted when ``temperature="auto"``).

    Examples
    --------
    >>> from textls import TfidfSmoother
    >>> texts = ["cheap flights to rome", "hotel deals in rome", "football scores", "tennis scores"]
    >>> smoother = TfidfSmoother(temperature=0.1).fit(texts, ["travel", "travel", "sport", "sport"])
    >>> smoother.relevance(["rome football"]).round(2)
    array([[0.59, 0.41]])
    """

    def __init__(
        self,
        *,
        epsilon: float = 0.1,
        temperature: float | str = "auto",
        ngram_range: tuple[int, int] = (1, 1),
        min_df: int | float = 1,
        max_df: int | float = 1.0,
        max_features: int | None = None,
        stop_words: str | list[str] | None = None,
        sublinear_tf: bool = True,
        balanced: bool = True,
        chunk_size: int = 8192,
    ):
        self.epsilon = epsilon
        self.temperature = temperature
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.stop_words = stop_words
        self.sublinear_tf = sublinear_tf
        self.balanced = balanced
        self.chunk_size = chunk_size

    cache_passes = ("counts", "class-sums")

    def _fit_and_score(self, texts, labels, training_scores: bool):
        """Fit; with ``training_scores``, also score every training row against leave-one-out
        profiles and fit the temperature on those scores."""
        texts, y = self._check_fit_input(texts, labels)
        self.vectorizer_ = self.count_vectorizer()
        with vocabulary_errors(NO_USABLE_TERMS):
            x = self.vectorizer_.fit_transform(texts)
        sums = class_sums(x, y, len(self.classes_)).toarray()  # (C, V): S_k
        self.fit_profiles(sums)
        if not training_scores:
            self.fit_temperature_from_scores(None, y)
            return texts, y, None
        loo_scores = _leave_one_out_scores(x, y, sums)
        self.fit_temperature_from_scores(loo_scores, y)
        return texts, y, loo_scores

    def _text_scores(self, texts) -> np.ndarray:
        return (self.vectorizer_.transform(texts) @ self.profiles_.T).toarray()

    # -- fitting from counts (textls.cache.statistics; see textls.smoothers._base) -------------

    def count_vectorizer(self) -> TfidfVectorizer:
        """The unfitted ``TfidfVectorizer`` whose tokenisation and ``min_df`` / ``max_df`` /
        ``max_features`` build the vocabulary."""
        return TfidfVectorizer(**tfidf_options(self))

    def fit_from_counts(self, counts) -> None:
        """Fit the vocabulary and idf from the corpus's counts instead of its texts.

        ``counts`` are the merged counts of :mod:`textls.cache.statistics` (``num_rows``,
        ``label_counts``, and the raw vocabulary ``terms`` with ``doc_freq`` and ``term_freq``).
        ``vectorizer_`` then equals ``fit``'s; ``profiles_`` wait for the class sums
        :math:`S_k` of the TF-IDF rows, the ``"class-sums"`` pass (:meth:`pass_statistics`,
        :meth:`fit_from_pass`), which are also the held-out statistics of
        :meth:`training_scores`.  With ``temperature="auto"`` ``temperature_`` is left unset.
        Returns ``None``: there are no held-out statistics yet.
        """
        self._check_fit_counts(counts)
        vectorizer = self.count_vectorizer()
        with vocabulary_errors(NO_USABLE_TERMS):  # worded as fit words it
            fit_vectorizer_from_counts(
                vectorizer, counts.terms, counts.doc_freq, counts.term_freq, counts.num_rows
            )
        self.vectorizer_ = vectorizer
        if self.temperature != "auto":
            self.fit_temperature_from_scores(None, None)

    def pass_statistics(self, name: str, texts: list[str], y: np.ndarray, counts=None):
        """``"class-sums"``: the shard's :math:`\\sum_{i: g_i = k} x_i`, shape ``(C, V)``."""
        return class_sums(self.tfidf_rows(texts, counts), y, len(self.classes_))

    def fit_from_pass(self, name: str, parts: list) -> np.ndarray:
        """Add the shards' class sums in shard order, set the profiles from them
        (:meth:`fit_profiles`) and return them: :math:`S_k`, the held-out statistics."""
        total = parts[0].copy()
        for part in parts[1:]:
            total = total + part
        total = total.toarray()
        self.fit_profiles(total)
        return total

    def fitted_vectorizer(self) -> TfidfVectorizer:
        return self.vectorizer_

    def fit_profiles(self, class_sums: np.ndarray) -> TfidfSmoother:
        r"""Set ``profiles_`` :math:`c_k = S_k / \lVert S_k \rVert` from the ``(C, V)`` class sums."""
        self.profiles_ = sp.csr_matrix(normalize(class_sums))
        return self

    def tfidf_rows(self, texts: list[str], counts: sp.spmatrix | None = None) -> sp.csr_matrix:
        """:math:`x_i`: ``vectorizer_.transform(texts)``, or the same from the texts' ``counts``
        over the fitted vocabulary (sparing tokenising them again)."""
        if counts is None:
            return self.vectorizer_.transform(texts)
        return tfidf_from_counts(self.vectorizer_, counts)

    def training_scores(
        self,
        texts: list[str],
        y: np.ndarray,
        held_out: np.ndarray,
        *,
        rows: np.ndarray | None = None,
        n_rows: int | None = None,
        counts: sp.spmatrix | None = None,
    ) -> np.ndarray:
        """Leave-one-out scores of training rows, shape ``(n, C)``: each row against the
        profiles of ``held_out``, the ``(C, V)`` class sums :math:`S_k` of all training rows,
        with its own :math:`x_i` taken out of its class's.  ``rows`` and ``n_rows`` are not used."""
        return _leave_one_out_scores(self.tfidf_rows(texts, counts), y, held_out)


def _leave_one_out_scores(x: sp.csr_matrix, y: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """``s_ik = x_i . c_k`` with instance ``i`` removed from its own class sum ``S_{g_i}``.

    ``x_i . (S - x_i) / ||S - x_i||`` with ``||S - x_i||^2 = ||S||^2 - 2 x_i.S + ||x_i||^2``: no loop.
    """
    dots = np.asarray(x @ sums.T)  # (n, C): x_i . S_k
    norms_sq = (sums**2).sum(axis=1)  # ||S_k||^2
    self_sq = np.asarray(x.multiply(x).sum(axis=1)).ravel()  # ||x_i||^2 (1, or 0 if empty)
    rows = np.arange(len(y))
    own_dot = dots[rows, y] - self_sq
    own_norm_sq = norms_sq[y] - 2 * dots[rows, y] + self_sq
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = dots / np.sqrt(norms_sq)[None, :]
        own = own_dot / np.sqrt(np.clip(own_norm_sq, 0, None))
    # A class whose only member is i has an empty leave-one-out profile: no evidence, score 0.
    scores[rows, y] = np.where(own_norm_sq > 1e-12, own, 0.0)
    return np.nan_to_num(scores, nan=0.0, posinf=0.0, neginf=0.0)
