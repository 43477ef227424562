"""KWLS: keyword-based label smoothing (Liu, Xi, Ye & Zhang, COLING 2022)."""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from textls._utils import (
    check_texts,
    chunks,
    encode_labels,
    l2_normalize_rows,
    load_sentence_transformer,
    mix_with_gold,
    softmax,
    top_k_per_row,
)
from textls.keywords._base import KeywordExtractor, rows_to_keywords
from textls.keywords.class_scores import CLASS_SCORERS
from textls.keywords.tfidf import TfidfKeywordExtractor
from textls.smoothers._base import BaseSmoother, check_temperature, fitted_temperature


class KeywordSmoother(BaseSmoother):
    r"""Keyword-based label smoothing: an instance's keyword match with every class is its soft label.

    1. **Class keywords.**  From the class-by-term counts :math:`y_{kt}` of the training set, score how
       discriminative each term is for each class (``class_scoring``: the log-odds z-score with an
       informative prior, :func:`~textls.keywords.class_scores.log_odds_scores`, or class-based TF-IDF),
       keep the top ``class_top_k`` terms of class ``k`` and scale them to unit L2 norm: weights
       :math:`b_{kt}`.
    2. **Instance keywords.**  The top ``top_k`` terms of text ``i`` by TF-IDF weight (or by any
       ``extractor``), scaled to unit L2 norm: weights :math:`a_{it}`.
    3. **Relevance scores.**  :math:`s_{ik} = \sum_t a_{it} M_{tk}` where the match matrix is
       :math:`M_{tk} = b_{kt}` for ``match="lexical"`` (so :math:`s_{ik}` is the cosine of the two
       keyword vectors), or for ``match="semantic"``

       .. math:: M_{tk} = \max_{u \in K_k} b_{ku}\, \cos(e_t, e_u)\, [\cos(e_t, e_u) \ge \tau]

       with sentence embeddings :math:`e` (the packaged MiniLM by default), so near-synonyms count.
    4. **Distribution.**  :math:`r_{ik} = \mathrm{softmax}_k(s_{ik} / T)`.  ``temperature="auto"`` fits
       ``T`` by maximising the likelihood of the gold labels under ``r`` on the training set
       (temperature scaling), which adapts the sharpness to the corpus instead of to one benchmark.
    5. **Mixing.**  :math:`y_{ik} = (1 - \epsilon_i)[k = g_i] + \epsilon_i r_{ik}` with
       :math:`\epsilon_i = \epsilon`, or, with ``adaptive_epsilon=True``,
       :math:`\epsilon_i = \min\bigl(1, \epsilon \tfrac{C}{C-1} (1 - r_{i g_i})\bigr)`: an instance whose
       keywords point to other classes gets more smoothing, one that is clearly its own class less;
       an uninformative (uniform) ``r`` gives back :math:`\epsilon`.

    The paper uses these soft labels as an auxiliary target next to the hard label, adding no
    parameters to the model (see :func:`textls.losses.auxiliary_soft_target_loss`).  A text with no
    keyword in the vocabulary has :math:`s_{i\cdot} = 0` and so uniform relevance.

    Parameters
    ----------
    epsilon : float, default 0.1
    temperature : float or "auto", default "auto"
    top_k : int, default 10
        Keywords per instance.
    class_top_k : int, default 50
        Keywords per class.
    class_scoring : {"log-odds", "c-tfidf"}, default "log-odds"
    match : {"lexical", "semantic"}, default "lexical"
    semantic_model : str, path, SentenceTransformer or None, default None
        Encoder for ``match="semantic"``; ``None`` is the packaged all-MiniLM-L6-v2.
    semantic_threshold : float, default 0.5
        :math:`\tau`; similarities below it do not count as a match.
    adaptive_epsilon : bool, default False
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
        ``{class: [(term, weight), ...]}``, best first.
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
        top_k: int = 10,
        class_top_k: int = 50,
        class_scoring: str = "log-odds",
        match: str = "lexical",
        semantic_model=None,
        semantic_threshold: float = 0.5,
        adaptive_epsilon: bool = False,
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
        self.class_scoring = class_scoring
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
        self.chunk_size = chunk_size

    # -- fitting -------------------------------------------------------------------------------

    def fit(self, texts, labels) -> KeywordSmoother:
        self._fit_and_score(texts, labels)
        return self

    def fit_transform(self, texts, labels) -> np.ndarray:
        """Fit and return the training targets, tokenising the corpus once."""
        texts, y, scores = self._fit_and_score(texts, labels)
        relevance = self._finish_relevance(softmax(scores, self.temperature_), texts)
        return self._mix(relevance, y)

    def _check_params(self) -> None:
        super()._check_params()
        check_temperature(self.temperature)
        for name in ("top_k", "class_top_k"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.class_scoring not in CLASS_SCORERS:
            raise ValueError(
                f"class_scoring must be one of {sorted(CLASS_SCORERS)}, got {self.class_scoring!r}"
            )
        if self.match not in ("lexical", "semantic"):
            raise ValueError(f"match must be 'lexical' or 'semantic', got {self.match!r}")
        if self.extractor is not None and not isinstance(self.extractor, KeywordExtractor):
            raise TypeError(
                f"extractor must be a textls KeywordExtractor, got {type(self.extractor).__name__}"
            )

    def _fit_and_score(self, texts, labels):
        texts, y = self._check_fit_input(texts, labels)
        self.vocabulary_extractor_ = self._vocabulary_extractor()
        try:
            counts = self.vocabulary_extractor_.fit_counts(texts)
        except ValueError as exc:
            raise ValueError(
                f"KWLS: {exc}; with min_df={self.min_df!r} a term must occur in that many texts"
            ) from exc
        terms = self.vocabulary_extractor_.terms_

        n_classes = len(self.classes_)
        onehot = sp.csr_matrix((np.ones(len(y)), (y, np.arange(len(y)))), shape=(n_classes, len(y)))
        self._fit_keywords(onehot @ counts, terms)

        if self.extractor is None:
            self.extractor_ = None
            weights = self.vocabulary_extractor_.weigh(counts, self.top_k)
        else:
            self.extractor_ = clone(self.extractor).fit(texts)
            weights = self._instance_weights(texts)
        scores = self._scores(weights)
        self.temperature_ = fitted_temperature(self.temperature, scores, y)
        return texts, y, scores

    def _vocabulary_extractor(self) -> TfidfKeywordExtractor:
        return TfidfKeywordExtractor(
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            stop_words=self.stop_words,
            sublinear_tf=self.sublinear_tf,
        )

    def _fit_keywords(self, class_counts: sp.spmatrix, terms: np.ndarray) -> None:
        """Steps 1 and 3 of the fit: class keywords and the match matrix from ``(C, V)`` class-by-term counts.

        Split out of ``fit`` so that counts merged across shards (:mod:`textls.cache.statistics`)
        give exactly the fitted state that ``fit`` on all the texts gives.
        """
        class_scores = CLASS_SCORERS[self.class_scoring](class_counts)
        self.class_weights_ = l2_normalize_rows(top_k_per_row(class_scores, self.class_top_k))
        self.class_keywords_ = dict(
            zip(self.classes_.tolist(), rows_to_keywords(self.class_weights_, terms), strict=True)
        )
        empty = [c for c, kws in self.class_keywords_.items() if not kws]
        if empty:
            warnings.warn(
                f"KWLS: class(es) {empty} have no keywords (no term that is more frequent in them than "
                "elsewhere); every instance scores 0 for them, so they get only the baseline share of "
                "the smoothing mass",
                UserWarning,
                stacklevel=4,
            )
        self.match_matrix_ = (
            self._semantic_match(terms)
            if self.match == "semantic"
            else self.class_weights_.T.tocsr()
        )

    def _semantic_match(self, terms: np.ndarray) -> np.ndarray:
        """Dense ``(V, C)``: for each vocabulary term its best weighted similarity to each class's keywords."""
        self.encoder_ = load_sentence_transformer(self.semantic_model)
        embed = self.encoder_.encode(
            list(terms), batch_size=256, normalize_embeddings=True, convert_to_numpy=True
        ).astype(np.float32)
        weights = self.class_weights_.tocsr()
        keyword_ids = np.unique(weights.indices)
        self.keyword_embeddings_ = dict(zip(keyword_ids.tolist(), embed[keyword_ids], strict=True))
        match = np.zeros((len(terms), len(self.classes_)), dtype=np.float32)
        for part in chunks(len(terms), 4096):
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

    def _scores(self, weights: sp.csr_matrix) -> np.ndarray:
        scores = weights @ self.match_matrix_
        return scores.toarray() if sp.issparse(scores) else np.asarray(scores, dtype=np.float64)

    def _relevance(self, texts) -> np.ndarray:
        return softmax(self._scores(self._instance_weights(texts)), self.temperature_)

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
            soft = mix_with_gold(relevance[None, :], y, self._epsilon(relevance[None, :], y))[0]
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


@dataclass
class Explanation:
    """Why KWLS gave a text its soft label: its keywords and what each contributed to each class."""

    text: str
    keywords: list[tuple[str, float]]
    relevance: dict
    contributions: dict = field(repr=False)
    soft_label: dict | None = None
    label: object = None

    def __str__(self) -> str:
        lines = [f"text: {self.text!r}"]
        lines.append(
            "keywords: "
            + (", ".join(f"{t} ({w:.2f})" for t, w in self.keywords) or "(none in vocabulary)")
        )
        ranked = sorted(self.relevance.items(), key=lambda kv: -kv[1])
        for cls, p in ranked:
            why = ", ".join(
                f"{term}" + (f"~{kw}" if kw != term else "") + f" {c:.3f}"
                for term, kw, c in self.contributions.get(cls, [])
            )
            gold = " (gold)" if cls == self.label else ""
            soft = f"  soft {self.soft_label[cls]:.3f}" if self.soft_label is not None else ""
            lines.append(f"  {cls!s:>20}{gold}: relevance {p:.3f}{soft}  <- {why or '-'}")
        return "\n".join(lines)
