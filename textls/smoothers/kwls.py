"""KWLS: keyword-based label smoothing (Liu, Xi, Ye & Zhang, COLING 2022)."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.validation import check_is_fitted

from textls._sklearn_compat import vocabulary_errors
from textls._utils import (
    check_texts,
    chunks,
    class_sums,
    encode_labels,
    l2_normalize_rows,
    load_sentence_transformer,
    top_k_per_row,
)
from textls.errors import InputTypeError
from textls.keywords._base import KeywordExtractor, rows_to_keywords
from textls.keywords.class_scores import CLASS_SCORERS
from textls.keywords.tfidf import TfidfKeywordExtractor, tfidf_options
from textls.smoothers._base import ScoredSmoother, cross_fit_folds
from textls.smoothers.explanation import Explanation


class KeywordSmoother(ScoredSmoother):
    r"""Keyword-based label smoothing: an instance's keyword match with every class is its soft label.

    1. **Class keywords.**  From the class-by-term counts :math:`y_{kt}` of the training set, score how
       discriminative each term is for each class (``class_scoring``: the log-odds z-score with an
       informative prior, :func:`~textls.keywords.class_scores.log_odds_scores`, or class-based TF-IDF).
       Class ``k`` keeps every term that is evidence for it, :math:`z_{kt} > z^*` with
       ``class_min_z`` :math:`z^* = 0` by default, weighted by its z-score, so the keyword set grows
       with what the corpus says about the class instead of being a fixed count, and weak evidence
       weighs little.  ``class_top_k`` caps the count (memory) if given; a higher ``class_min_z``
       (1.96: significant at 5%) keeps fewer.  The kept scores are scaled to unit L2 norm: weights
       :math:`b_{kt}`.  (``"c-tfidf"`` has no z-score: every term of the class is kept, or its top
       ``class_top_k``.)  Measured on corpora of 2 to 16 classes, every stricter threshold predicted
       held-out labels worse (docs/results.md, "Choosing the defaults").
    2. **Instance keywords.**  The terms of text ``i`` weighted by TF-IDF (or by any ``extractor``),
       all of them by default, so a long text brings all its evidence (``top_k`` caps the count),
       scaled to unit L2 norm: weights :math:`a_{it}`.
    3. **Relevance scores.**  :math:`s_{ik} = \sum_t a_{it} M_{tk}` where the match matrix is
       :math:`M_{tk} = b_{kt}` for ``match="lexical"`` (so :math:`s_{ik}` is the cosine of the two
       keyword vectors), or for ``match="semantic"``

       .. math:: M_{tk} = \max_{u \in K_k} b_{ku}\, \cos(e_t, e_u)\, [\cos(e_t, e_u) \ge \tau]

       with sentence embeddings :math:`e` (the packaged MiniLM by default), so near-synonyms count.
    4. **Distribution.**  :math:`r_{ik} = \mathrm{softmax}_k(s_{ik} / T)`.  ``temperature="auto"`` fits
       ``T`` by maximising the likelihood of the gold labels under the out-of-sample ``r`` of the
       training set (temperature scaling), which adapts the sharpness to the corpus.
    5. **Target.**  The mass LS-Classic moves off the gold class, :math:`m_i = \epsilon_i (C-1)/C`,
       goes to the other classes in proportion to their relevance over the training prior
       :math:`\pi` (``balanced=True``; :math:`\pi` uniform with ``balanced=False``):
       :math:`y_{ig_i} = 1 - m_i`,
       :math:`y_{ik} = m_i\, (r_{ik}/\pi_k) / \sum_{j \ne g_i} (r_{ij}/\pi_j)`; a row with uniform
       :math:`r_i` (no evidence) keeps the uniform share.
       :math:`\epsilon_i = \epsilon`, or, with ``adaptive_epsilon=True``,
       :math:`\epsilon_i = \min\bigl(1, \epsilon \tfrac{C}{C-1} (1 - r_{i g_i})\bigr)`: an instance whose
       keywords point to other classes gets more smoothing, one that is clearly its own class less;
       an uninformative (uniform) ``r`` gives back :math:`\epsilon`.

    **Out-of-sample training targets.**  ``fit_relevance`` / ``fit_transform`` cross-fit: training row
    ``i`` falls in fold :math:`\pi(i) \bmod` ``n_splits`` (:math:`\pi` a fixed random permutation,
    :func:`cross_fit_folds`) and is scored against class keywords fitted on the other folds,
    :math:`y_{kt} - y^{(f)}_{kt}` (counts are additive, so each fold's statistics come from one
    subtraction after a single tokenisation).  Otherwise a training row's own words would be its
    class's keywords and its relevance would echo its label.  The vocabulary and idf are unsupervised
    and fitted on all rows.  ``transform`` on new texts uses the keywords fitted on all rows.

    The paper uses these soft labels as an auxiliary target next to the hard label, adding no
    parameters to the model (see :func:`textls.losses.auxiliary_soft_target_loss`).  A text with no
    keyword in the vocabulary has :math:`s_{i\cdot} = 0` and so uniform relevance.

    Parameters
    ----------
    epsilon : float, default 0.1
        As torch's ``label_smoothing``: :math:`\epsilon (C-1)/C` leaves the gold class.
    temperature : float or "auto", default "auto"
    top_k : int or None, default None
        Keywords per instance; ``None`` keeps every in-vocabulary term of the text.
    class_top_k : int or None, default None
        Cap on keywords per class; ``None``: every significant term.
    class_min_z : float, default 0.0
        :math:`z^*`: a class keyword needs a log-odds z-score above it.
    class_scoring : {"log-odds", "c-tfidf"}, default "log-odds"
    n_splits : int, default 5
        Cross-fitting folds for the training rows' relevance (at least 2).
    match : {"lexical", "semantic"}, default "lexical"
    semantic_model : str, path, SentenceTransformer or None, default None
        Encoder for ``match="semantic"``; ``None`` is the packaged all-MiniLM-L6-v2.
    semantic_threshold : float, default 0.5
        :math:`\tau`; similarities below it do not count as a match.
    adaptive_epsilon : bool, default False
    balanced : bool, default True
        Place the off-gold mass by :math:`r_{ik} / \pi_k` (:math:`\pi` the training class
        frequencies) rather than :math:`r_{ik}`, so frequent classes do not draw it for being
        frequent; no effect on balanced data.  See :func:`textls._utils.mix_with_gold`.
    extractor : KeywordExtractor or None, default None
        Instance keyword extractor; ``None`` uses TF-IDF over the class vocabulary (one tokenisation).
    ngram_range, min_df, max_df, max_features, stop_words, sublinear_tf
        Vocabulary and TF-IDF options; defaults ``(1, 1)``, ``2``, ``1.0``, ``None``, ``"english"``,
        ``True``.  ``min_df=2``: a term seen in a single document cannot be evidence about a class.
    chunk_size : int, default 8192

    Attributes
    ----------
    classes_ : ndarray of shape (C,)
    class_keywords_ : dict
        ``{class: [(term, weight), ...]}``, best first (fitted on all rows).
    class_weights_ : scipy.sparse.csr_matrix of shape (C, V)
        :math:`b_{kt}`.
    match_matrix_ : ndarray or sparse matrix of shape (V, C)
        :math:`M_{tk}`.
    temperature_ : float
    vocabulary_extractor_ : TfidfKeywordExtractor

    References
    ----------
    Liu, Xi, Ye & Zhang, "Label Smoothing for Text Mining", COLING 2022, pp. 2210-2219.
    Monroe, Colaresi & Quinn, "Fightin' Words", Political Analysis 16(4), 2008.

    Examples
    --------
    >>> from textls import KeywordSmoother
    >>> texts = ["goal match striker", "striker goal league", "vote election party", "party vote poll"]
    >>> labels = ["sport", "sport", "politics", "politics"]
    >>> kwls = KeywordSmoother(min_df=1, temperature=0.1).fit(texts, labels)
    >>> kwls.relevance(["the striker and the party"]).round(2)
    array([[0.5, 0.5]])
    >>> print(kwls.explain("a goal in the league match"))  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        epsilon: float = 0.1,
        temperature: float | str = "auto",
        top_k: int | None = None,
        class_top_k: int | None = None,
        class_min_z: float = 0.0,
        class_scoring: str = "log-odds",
        n_splits: int = 5,
        match: str = "lexical",
        semantic_model=None,
        semantic_threshold: float = 0.5,
        adaptive_epsilon: bool = False,
        balanced: bool = True,
        extractor: KeywordExtractor | None = None,
        ngram_range: tuple[int, int] = (1, 1),
        min_df: int | float = 2,
        max_df: int | float = 1.0,
        max_features: int | None = None,
        stop_words: str | list[str] | None = "english",
        sublinear_tf: bool = True,
        chunk_size: int = 8192,
    ):
        self.epsilon = epsilon
        self.temperature = temperature
        self.top_k = top_k
        self.class_top_k = class_top_k
        self.class_min_z = class_min_z
        self.class_scoring = class_scoring
        self.n_splits = n_splits
        self.match = match
        self.semantic_model = semantic_model
        self.semantic_threshold = semantic_threshold
        self.adaptive_epsilon = adaptive_epsilon
        self.extractor = extractor
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.stop_words = stop_words
        self.sublinear_tf = sublinear_tf
        self.balanced = balanced
        self.chunk_size = chunk_size

    # -- fitting -------------------------------------------------------------------------------

    def _check_params(self) -> None:
        super()._check_params()
        for name in ("top_k", "class_top_k"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, numbers.Integral) or value < 1):
                raise ValueError(f"{name} must be a positive int or None, got {value!r}")
        if not isinstance(self.n_splits, numbers.Integral) or self.n_splits < 2:
            raise ValueError(f"n_splits must be an int >= 2, got {self.n_splits!r}")
        z = self.class_min_z
        if not isinstance(z, numbers.Real) or not np.isfinite(z) or z < 0:
            # the scorers keep only positive z-scores: a negative threshold would act as 0
            raise ValueError(f"class_min_z must be a finite number >= 0, got {z!r}")
        if self.class_scoring not in CLASS_SCORERS:
            raise ValueError(
                f"class_scoring must be one of {sorted(CLASS_SCORERS)}, got {self.class_scoring!r}"
            )
        if self.match not in ("lexical", "semantic"):
            raise ValueError(f"match must be 'lexical' or 'semantic', got {self.match!r}")
        if self.extractor is not None and not isinstance(self.extractor, KeywordExtractor):
            raise InputTypeError(
                f"extractor must be a textls KeywordExtractor, got {type(self.extractor).__name__}"
            )

    def _fit_and_score(self, texts, labels, training_scores: bool):
        """Fit; with ``training_scores``, also score every training row against the class
        keywords fitted without its fold (cross-fitting) and fit the temperature on those scores."""
        texts, y = self._check_fit_input(texts, labels)
        self.vocabulary_extractor_ = self._vocabulary_extractor()
        with vocabulary_errors(self._no_terms_message()):
            counts = self.vocabulary_extractor_.fit_counts(texts)
        terms = self.vocabulary_extractor_.terms_
        class_counts = class_sums(counts, y, len(self.classes_))
        embeddings = self._term_embeddings(terms)
        self._fit_keywords(class_counts, terms, embeddings)
        if self.extractor is None:
            self.extractor_ = None
        else:
            self.extractor_ = clone(self.extractor).fit(texts)
        if not training_scores:
            self.fit_temperature_from_scores(None, y)
            return texts, y, None
        rows = np.arange(len(texts))
        folds = cross_fit_folds(rows, len(texts), self.n_splits)
        matches = [
            self._held_out_match(
                class_counts - class_sums(counts[folds == f], y[folds == f], len(self.classes_)),
                embeddings,
            )
            for f in range(self.n_splits)
        ]
        counts = counts if self.extractor_ is None else None
        scores = self.training_scores(
            texts, y, matches, rows=rows, n_rows=len(texts), counts=counts
        )
        self.fit_temperature_from_scores(scores, y)
        return texts, y, scores

    # -- fitting from counts (textls.cache.statistics; see textls.smoothers._base) -------------

    cache_passes = ("counts",)

    def fits_from_counts(self) -> bool:
        return self.extractor is None  # a custom extractor reads the texts

    def class_term_folds(self) -> int:
        return self.n_splits

    def fitted_vectorizer(self) -> CountVectorizer:
        return self.vocabulary_extractor_.vectorizer_

    def count_vectorizer(self) -> CountVectorizer:
        """The unfitted ``CountVectorizer`` whose tokenisation and ``min_df`` / ``max_df`` /
        ``max_features`` build the vocabulary (the class keywords' and, by default, the texts')."""
        return self._vocabulary_extractor().count_vectorizer()

    def fit_from_counts(self, counts) -> list:
        """Fit from the corpus's counts instead of its texts: the state ``fit`` gives, bit for bit.

        Parameters
        ----------
        counts : CountStatistics
            The merged counts of :mod:`textls.cache.statistics`: ``num_rows``,
            ``label_counts`` (rows per label), the raw vocabulary ``terms`` (sorted, before
            pruning) with ``doc_freq`` and ``term_freq``, and ``class_term``, the ``(C, V)``
            class-by-term counts :math:`y_{kt}`, rows in the order of ``class_labels``, with
            ``fold_class_term`` the same for each cross-fitting fold's rows.

        Returns
        -------
        held_out : list of ``n_splits`` match matrices
            :math:`M` fitted without each fold, for :meth:`training_scores`.  With
            ``temperature="auto"`` ``temperature_`` is left unset: fit it with
            :meth:`fit_temperature_from_scores` on the training scores.
        """
        if self.extractor is not None:
            raise ValueError("KWLS with an extractor reads the texts: it cannot fit from counts")
        self._check_fit_counts(counts)
        extractor = self._vocabulary_extractor()
        with vocabulary_errors(self._no_terms_message()):  # worded as fit words it
            extractor.fit_from_counts(
                counts.terms, counts.doc_freq, counts.term_freq, counts.num_rows
            )
        self.vocabulary_extractor_ = extractor
        terms = extractor.terms_
        index = {c: k for k, c in enumerate(counts.class_labels)}
        rows = [index[c] for c in self.classes_.tolist()]
        columns = np.searchsorted(counts.terms, terms)  # the kept terms among the raw ones

        def kept(class_term: sp.csr_matrix) -> sp.csr_matrix:
            return class_term[rows][:, columns]

        class_counts = kept(counts.class_term)
        embeddings = self._term_embeddings(terms)
        self._fit_keywords(class_counts, terms, embeddings)
        self.extractor_ = None
        if self.temperature != "auto":
            self.fit_temperature_from_scores(None, None)
        return [
            self._held_out_match(class_counts - kept(fold), embeddings)
            for fold in counts.fold_class_term
        ]

    def training_scores(
        self,
        texts: list[str],
        y: np.ndarray,
        held_out: list,
        *,
        rows: np.ndarray,
        n_rows: int,
        counts: sp.csr_matrix | None = None,
    ) -> np.ndarray:
        """Cross-fitted scores of training rows, shape ``(n, C)``: each row against the match
        matrix fitted without its fold.

        ``held_out`` are those matrices (:meth:`fit_from_counts`), ``rows`` the rows' indices
        among all ``n_rows`` training rows (they decide the folds, :func:`cross_fit_folds`) and
        ``counts`` their counts over the fitted vocabulary, if at hand (default extractor only),
        which spare tokenising ``texts`` again.  ``y`` is not used (the folds hold it out).
        """
        if counts is None:
            weights = self._instance_weights(texts)
        else:
            weights = self.vocabulary_extractor_.weigh(counts, self.top_k)
        folds = cross_fit_folds(rows, n_rows, len(held_out))
        scores = np.empty((len(rows), len(self.classes_)))
        for f, match in enumerate(held_out):
            mine = np.flatnonzero(folds == f)
            if len(mine):
                scores[mine] = self._scores(weights[mine], match)
        return scores

    def _no_terms_message(self) -> str:
        """What a fit that found no term says (``{exc}``: scikit-learn's reason)."""
        return f"KWLS: {{exc}}; with min_df={self.min_df!r} a term must occur in that many texts"

    def _vocabulary_extractor(self) -> TfidfKeywordExtractor:
        return TfidfKeywordExtractor(**tfidf_options(self))

    def _class_weights(self, class_counts: sp.spmatrix) -> sp.csr_matrix:
        """:math:`b_{kt}`: the significant (or top) class-keyword scores, rows at unit L2 norm.

        Indices sorted first, so each row's norm sums in one order, whichever way the counts were
        made (in one process or merged from shards): the weights agree bit for bit."""
        scores = CLASS_SCORERS[self.class_scoring](sp.csr_matrix(class_counts).sorted_indices())
        if self.class_scoring == "log-odds":
            scores.data[scores.data <= self.class_min_z] = 0.0
            scores.eliminate_zeros()
        return l2_normalize_rows(top_k_per_row(scores, self.class_top_k))

    def _fit_keywords(self, class_counts: sp.spmatrix, terms: np.ndarray, embeddings=None) -> None:
        """Steps 1 and 3 of the fit: class keywords and the match matrix from ``(C, V)`` class-by-term counts.

        Split out of ``fit`` so that counts merged across shards (:mod:`textls.cache.statistics`)
        give exactly the fitted state that ``fit`` on all the texts gives.
        """
        self.class_weights_ = self._class_weights(class_counts)
        empty = self.classes_[np.diff(self.class_weights_.indptr) == 0].tolist()
        if empty:
            warnings.warn(
                f"KWLS: class(es) {empty} have no keywords (no term with a log-odds z-score above "
                f"{self.class_min_z} for them); every instance scores 0 for them, so they get only "
                "the baseline share of the smoothing mass",
                UserWarning,
                stacklevel=4,
            )
        if self.match == "semantic" and embeddings is None:
            embeddings = self._term_embeddings(terms)
        self.match_matrix_ = self._match_matrix(self.class_weights_, embeddings)
        if self.match == "semantic":
            keyword_ids = np.unique(self.class_weights_.indices)
            self.keyword_embeddings_ = dict(
                zip(keyword_ids.tolist(), embeddings[keyword_ids], strict=True)
            )

    @property
    def class_keywords_(self) -> dict:
        """``{class: [(term, weight), ...]}``, best first: ``class_weights_`` as lists, built on access."""
        terms = self.vocabulary_extractor_.terms_
        keywords = rows_to_keywords(self.class_weights_, terms)
        return dict(zip(self.classes_.tolist(), keywords, strict=True))

    def _term_embeddings(self, terms: np.ndarray) -> np.ndarray | None:
        """Unit-norm embeddings of the vocabulary for ``match="semantic"`` (``None`` for lexical)."""
        if self.match != "semantic":
            return None
        self.encoder_ = load_sentence_transformer(self.semantic_model)
        return self.encoder_.encode(
            list(terms), batch_size=256, normalize_embeddings=True, convert_to_numpy=True
        ).astype(np.float32)

    def _held_out_match(self, class_counts: sp.spmatrix, embeddings=None):
        """:math:`M` from the class-by-term counts of the rows outside one fold (cross-fitting)."""
        return self._match_matrix(self._class_weights(class_counts), embeddings)

    def _match_matrix(self, class_weights: sp.csr_matrix, embeddings):
        if self.match == "lexical":
            return class_weights.T.tocsr()
        return self._semantic_match(class_weights, embeddings)

    def _semantic_match(self, weights: sp.csr_matrix, embed: np.ndarray) -> np.ndarray:
        """Dense ``(V, C)``: for each vocabulary term its best weighted similarity to each class's keywords."""
        match = np.zeros((embed.shape[0], len(self.classes_)), dtype=np.float32)
        for part in chunks(embed.shape[0], 4096):
            for k in range(len(self.classes_)):
                lo, hi = weights.indptr[k], weights.indptr[k + 1]
                if lo == hi:
                    continue
                sims = embed[part] @ embed[weights.indices[lo:hi]].T
                sims[sims < self.semantic_threshold] = 0.0
                match[part, k] = (sims * weights.data[lo:hi].astype(np.float32)).max(axis=1)
        return match

    # -- scoring -------------------------------------------------------------------------------

    def _instance_weights(self, texts: list[str]) -> sp.csr_matrix:
        vocabulary = self.vocabulary_extractor_.vocabulary_
        if self.extractor_ is None:
            return self.vocabulary_extractor_.transform(texts, self.top_k)
        return l2_normalize_rows(self.extractor_.extract_matrix(texts, self.top_k, vocabulary))

    def _scores(self, weights: sp.csr_matrix, match=None) -> np.ndarray:
        scores = weights @ (self.match_matrix_ if match is None else match)
        return scores.toarray() if sp.issparse(scores) else np.asarray(scores, dtype=np.float64)

    def _text_scores(self, texts) -> np.ndarray:
        return self._scores(self._instance_weights(texts))

    def _epsilon(self, relevance: np.ndarray, y: np.ndarray):
        if not self.adaptive_epsilon:
            return self.epsilon
        n_classes = relevance.shape[1]
        gold = relevance[np.arange(len(y)), y]
        return np.minimum(1.0, self.epsilon * n_classes / (n_classes - 1) * (1.0 - gold))

    # -- explanation ---------------------------------------------------------------------------

    def explain(self, text: str, label=None, top_n: int = 5) -> Explanation:
        """Which keywords of ``text`` drove its relevance to each class (and its soft label, given ``label``)."""
        check_is_fitted(self, "match_matrix_")
        (text,) = check_texts([text])
        weights = self._instance_weights([text])
        terms = self.vocabulary_extractor_.terms_
        keywords = rows_to_keywords(weights, terms)[0]
        relevance = self.relevance([text])[0]
        contributions = {}
        for k, cls in enumerate(self.classes_.tolist()):
            rows = []
            for term, a in keywords:
                t = self.vocabulary_extractor_.vocabulary_[term]
                m = float(self.match_matrix_[t, k])
                if m > 0:
                    rows.append((term, self._matched_keyword(t, k), a * m))
            rows.sort(key=lambda r: -r[2])
            contributions[cls] = rows[:top_n]
        soft = None
        if label is not None:
            y = encode_labels(np.array([label], dtype=object), self.classes_)
            soft = self.mix(relevance[None, :], y)[0]
        classes = self.classes_.tolist()
        return Explanation(
            text=text,
            keywords=keywords,
            relevance=dict(zip(classes, relevance.tolist(), strict=True)),
            contributions=contributions,
            soft_label=None if soft is None else dict(zip(classes, soft.tolist(), strict=True)),
            label=label,
        )

    def _matched_keyword(self, t: int, k: int) -> str:
        terms = self.vocabulary_extractor_.terms_
        if self.match == "lexical":
            return str(terms[t])
        row = self.class_weights_.getrow(k)
        query = self.encoder_.encode([str(terms[t])], normalize_embeddings=True)[0]
        sims = [
            float(query @ self.keyword_embeddings_[u]) * w
            for u, w in zip(row.indices, row.data, strict=True)
        ]
        return str(terms[row.indices[int(np.argmax(sims))]])
