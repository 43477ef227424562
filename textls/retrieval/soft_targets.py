"""Soft targets over a batch's candidate passages, from sparse vectors computed once per corpus.

Each method gives a sparse vector per query and per passage such that the query-candidate
relevance score is their dot product; a batch's scores are then one small sparse product,
``Q[batch_queries] @ P[batch_candidates].T``.  With ``K_i`` the batch candidates that are known
positives of query ``i`` (its own positive and any other its qrels mark relevant), the target over
the batch's ``P`` candidates ``j`` is

    y_ij = (1 - e) [j in K_i] / |K_i| + e * softmax_{j not in K_i}(s_ij / T)

(the softmax is 0 on ``K_i``, and runs over all candidates when every one is in ``K_i``); for
``ls-classic`` the second term is ``e / P`` on every candidate, positives included.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from textls._utils import check_fraction, check_positive_finite, softmax
from textls.keywords.tfidf import TfidfKeywordExtractor
from textls.retrieval.arguments import METHODS, SUSPECTS

#: Methods whose relevance is a guide model's embeddings, given to ``fit`` (no lexical vectors).
GUIDED = ("guided",)
#: ``epsilon=None`` means: 0.1 of smoothing mass, or for ``guided`` no cap on the suspects' share
DEFAULT_EPSILON = {"smoothing": 0.1, "guided": 1.0}
#: ``positive_margin=None`` for ``guided``: every suspect is ignored (left out of the softmax),
#: GISTEmbed's rule; measured against keeping suspects as positives on three corpora (Results).
DEFAULT_POSITIVE_MARGIN = float("inf")
#: ``suspect_quantile=None`` for ``guided``: a suspect must score at least the median of the
#: guide's scores on the labelled pairs (it looks as relevant as a typical labelled positive).
DEFAULT_SUSPECT_QUANTILE = 0.5
#: ``suspects=None``: only mined negatives.  A mined negative was picked for its closeness to the
#: query without a relevance check, so it is where unlabelled positives gather (RocketQA); in
#: random batches another query's passage is relevant to this one about as rarely as any
#: passage is.  In the benchmark's training batches 11% and 68% of the suspects among the
#: anchor's own mined negatives were unlabelled positives (scripts/benchmark_suspects.py; its
#: corpora relate each passage to one query, so they cannot show one among other queries'
#: passages).  It trained better than ``"all"`` in three of the five settings measured, as well
#: in one, and worse in topic-clustered batches of 32 (Results).
DEFAULT_SUSPECTS = "mined"


def bm25_vectors(
    query_texts: list[str], passage_texts: list[str], k1: float = 0.9, b: float = 0.4
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    r"""Sparse vectors whose dot product is Okapi BM25 (Robertson et al.; Lucene's defaults ``k1=0.9, b=0.4``).

    .. math::
        \mathrm{BM25}(q, p) = \sum_{t \in q} \mathrm{idf}_t \frac{f_{pt} (k_1 + 1)}{f_{pt} + k_1 (1 - b + b\,|p| / \mathrm{avgdl})},
        \quad \mathrm{idf}_t = \ln\Bigl(1 + \frac{N - n_t + 0.5}{n_t + 0.5}\Bigr)

    The query side holds the (binary) term indicator, the passage side the saturated, idf-weighted
    term frequency; terms come from scikit-learn's tokeniser with English stop words removed.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(stop_words="english")
    counts = vectorizer.fit_transform(passage_texts).tocsr().astype(np.float64)
    n_docs = counts.shape[0]
    doc_freq = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1e-9))
    rows = np.repeat(np.arange(n_docs), np.diff(counts.indptr))
    tf = counts.data
    counts.data = idf[counts.indices] * tf * (k1 + 1) / (tf + norm[rows])
    queries = vectorizer.transform(query_texts).tocsr()
    queries.data[:] = 1.0
    return queries, counts


class SoftTargetSettings:
    """The settings :class:`CandidateSoftTargets` and
    :class:`~textls.retrieval.dataset_targets.DatasetSoftTargets` share (documented
    on :class:`CandidateSoftTargets`), stored as given, scikit-learn's way."""

    def __init__(
        self,
        *,
        method: str = "kwls",
        epsilon: float | None = None,
        temperature: float = 0.05,
        top_k: int = 10,
        passage_top_k: int = 10,
        margin: float = 0.0,
        positive_margin: float | None = None,
        suspect_quantile: float | None = None,
        suspects: str | None = None,
    ):
        self.method = method
        self.epsilon = epsilon
        self.temperature = temperature
        self.top_k = top_k
        self.passage_top_k = passage_top_k
        self.margin = margin
        self.positive_margin = positive_margin
        self.suspect_quantile = suspect_quantile
        self.suspects = suspects

    def get_params(self) -> dict:
        """The settings as given, by name."""
        names = (
            "method",
            "epsilon",
            "temperature",
            "top_k",
            "passage_top_k",
            "margin",
            "positive_margin",
            "suspect_quantile",
            "suspects",
        )
        return {name: getattr(self, name) for name in names}


class CandidateSoftTargets(SoftTargetSettings):
    """Per-batch soft targets for retrieval training (the formula is in the module docstring).

    Parameters
    ----------
    method : {"ls-classic", "ls-tfidf", "kwls", "ls-distill", "guided"}, default "kwls"
        ``ls-classic``: uniform, no scores.  ``ls-tfidf``: cosine of the query's and the passage's
        TF-IDF vectors (sublinear tf, English stop words, idf from the passages).  ``kwls``: cosine
        of the query's top ``top_k`` TF-IDF keywords and the passage's top ``passage_top_k``
        keywords (KWLS with passages as labels).  ``ls-distill``: a teacher's scores, BM25 when
        ``fit`` gets no ``teacher_scores``.  ``guided``: no smoothing; the cosine of a guide
        model's embeddings (``fit``'s ``guide_embeddings``) finds the suspected unlabelled
        positives (``margin``, ``positive_margin``, ``suspect_quantile``).
    epsilon : float or None, default None
        ``e``: the mass the relevance spreads; ``1 - e`` stays on the known positives.  For
        ``guided``, the cap on the suspected false negatives' share.  ``None``: the method's
        default (:data:`DEFAULT_EPSILON`): 0.1 for the smoothing methods; for ``guided`` 1, no
        cap, so a candidate the guide ranks at or above the labelled positive counts as much as
        it (the guide's evidence decides, not a constant).
    temperature : float, default 0.05
        ``T`` of the softmax over a query's non-positive candidates (unused by ``ls-classic``);
        lexical cosines lie in [0, 1], so 0.05 turns a 0.15 lead into a factor of ``e^3``.
        ``ls-distill`` scores (BM25 or a teacher's, unbounded) are first divided by the query's
        largest score among its non-positive candidates in the batch; when that score is not
        positive, every score becomes 0 and the relevance is uniform over those candidates.
    margin : float, default 0.0
        ``guided``: a candidate that is no known positive is a suspect when the guide scores it
        above the best known positive minus ``margin`` (GISTEmbed's rule and default), and at
        least at the floor (``suspect_quantile``).
    positive_margin : float or None, default None
        ``guided``: a suspect counts as a partial positive only when the guide scores it at least
        this much above the labelled positive; a suspect closer than that is ignored (left out of
        the softmax, as GISTEmbed leaves every suspect; :func:`suspected_positive_targets`).
        ``None``: :data:`DEFAULT_POSITIVE_MARGIN`, infinity: every suspect is ignored
        (GISTEmbed's masking at this loss's temperature), the default because it trained better
        than keeping suspects as positives on every corpus measured; ``-inf``: no suspect is
        ignored, every one is a partial positive (the default until December 2026).
    suspect_quantile : float or None, default None
        ``guided``: a candidate is a suspect only when the guide also scores it at least this
        quantile of its scores on the labelled (query, positive) pairs given to ``fit``: it must
        look as relevant as a labelled positive does, not merely beat a positive the guide
        scores low (there the guide does not understand the query, and its "suspects" are
        true negatives).  ``None``: :data:`DEFAULT_SUSPECT_QUANTILE`, the median; ``0``: no
        such floor (GISTEmbed's rule).  The floor in use is ``suspect_floor_``.
    suspects : {"mined", "all"} or None, default None
        ``guided``: which candidates can be suspects.  ``"mined"``: only the hard negatives
        mined for the anchor's query (``targets``'s ``mined_mask``); a batch without them has
        no suspect, and the targets are MNRL's.  ``"all"``: every candidate that is no known
        positive, other queries' positives included (GISTEmbed's rule).  ``None``:
        :data:`DEFAULT_SUSPECTS`, ``"mined"``.  In use: ``suspects_``.
    top_k, passage_top_k : int, default 10 and 10
        KWLS keyword counts.  KWLS is the cosine of the two *keyword* vectors; with counts as large
        as the texts it would be exactly LS-TFIDF's cosine (an identity we measured on data/faq
        with ``passage_top_k=50``), so a passage is represented by its few key terms.
    """

    def fit(
        self,
        query_texts: list[str],
        passage_texts: list[str],
        teacher_scores: sp.spmatrix | None = None,
        guide_embeddings: tuple[np.ndarray, np.ndarray] | None = None,
        positive_pairs: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> CandidateSoftTargets:
        """Vectorise every query and passage once (rows follow the given orders).

        ``teacher_scores`` (``ls-distill`` only; the other methods ignore it): a sparse
        ``(n_queries, n_passages)`` matrix of a teacher's scores (see
        :func:`textls.retrieval.side_files.load_teacher_scores`); a pair it lacks scores 0.
        Without it the teacher is BM25.

        ``guide_embeddings`` (``guided`` only, required there): the guide model's embeddings of
        the queries and of the passages, ``(n_queries, d)`` and ``(n_passages, d)``, in the
        given orders; they are L2-normalised here, so scores are cosines.

        ``positive_pairs`` (``guided`` only): the labelled pairs as ``(query_rows,
        passage_rows)``, whose guide scores set the suspects' floor (``suspect_quantile``);
        without them there is no floor.
        """
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        epsilon = self.epsilon
        if epsilon is None:
            epsilon = DEFAULT_EPSILON.get(self.method, DEFAULT_EPSILON["smoothing"])
        if not isinstance(epsilon, numbers.Real) or not 0 <= epsilon <= 1:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon!r}")
        self.epsilon_ = float(epsilon)  # the mass in use (``epsilon=None``: the method's own)
        check_positive_finite(self.temperature, "temperature")
        if not (isinstance(self.margin, numbers.Real) and np.isfinite(self.margin)):
            raise ValueError(f"margin must be a finite number, got {self.margin!r}")
        if self.positive_margin is not None and not (
            isinstance(self.positive_margin, numbers.Real) and not np.isnan(self.positive_margin)
        ):
            raise ValueError(
                f"positive_margin must be a number (inf: ignore every suspect) or None, got "
                f"{self.positive_margin!r}"
            )
        #: the margin in use (``positive_margin=None``: :data:`DEFAULT_POSITIVE_MARGIN`)
        self.positive_margin_ = (
            DEFAULT_POSITIVE_MARGIN if self.positive_margin is None else float(self.positive_margin)
        )
        quantile = self.suspect_quantile
        if quantile is None:
            quantile = DEFAULT_SUSPECT_QUANTILE
        self.suspect_quantile_ = check_fraction(quantile, "suspect_quantile")  # in use
        suspects = DEFAULT_SUSPECTS if self.suspects is None else self.suspects
        if suspects not in SUSPECTS:
            raise ValueError(f"suspects must be one of {SUSPECTS} or None, got {suspects!r}")
        self.suspects_ = suspects
        if self.method in GUIDED:
            self._fit_guide(guide_embeddings, len(query_texts), len(passage_texts))
            self.suspect_floor_ = self._suspect_floor(positive_pairs)
            return self
        if self.method == "ls-classic":
            self.query_vectors_ = sp.csr_matrix((len(query_texts), 1))
            self.passage_vectors_ = sp.csr_matrix((len(passage_texts), 1))
        elif self.method == "ls-tfidf":
            vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit(passage_texts)
            self.query_vectors_ = vectorizer.transform(query_texts)
            self.passage_vectors_ = vectorizer.transform(passage_texts)
        elif self.method == "kwls":
            extractor = TfidfKeywordExtractor()
            counts = extractor.fit_counts(passage_texts)
            self.passage_vectors_ = extractor.weigh(counts, self.passage_top_k)
            self.query_vectors_ = extractor.transform(query_texts, self.top_k)
        elif teacher_scores is not None:
            if teacher_scores.shape != (len(query_texts), len(passage_texts)):
                raise ValueError(
                    f"teacher_scores has shape {teacher_scores.shape}, expected {(len(query_texts), len(passage_texts))}"
                )
            self.query_vectors_ = sp.csr_matrix(teacher_scores, dtype=np.float64)
            self.passage_vectors_ = sp.identity(len(passage_texts), format="csr")
        else:
            self.query_vectors_, self.passage_vectors_ = bm25_vectors(query_texts, passage_texts)
        self.query_vectors_ = sp.csr_matrix(self.query_vectors_)
        self.passage_vectors_ = sp.csr_matrix(
            normalize(self.passage_vectors_) if self.method == "ls-tfidf" else self.passage_vectors_
        )
        self.passage_vectors_t_ = self.passage_vectors_.T.tocsc()
        return self

    def _fit_guide(self, embeddings, n_queries: int, n_passages: int) -> CandidateSoftTargets:
        if embeddings is None:
            raise ValueError(
                f"method {self.method!r} needs the guide model's embeddings of the queries and "
                "passages (guide_embeddings=(queries, passages))"
            )
        queries, passages = (np.asarray(e, dtype=np.float32) for e in embeddings)
        for name, array, n in (("query", queries, n_queries), ("passage", passages, n_passages)):
            if array.ndim != 2 or len(array) != n:
                raise ValueError(
                    f"the guide's {name} embeddings have shape {array.shape}, expected ({n}, d)"
                )
            if not np.isfinite(array).all():
                raise ValueError(f"the guide's {name} embeddings hold NaN or infinite values")
        if queries.shape[1] != passages.shape[1]:
            raise ValueError(
                f"the guide's query and passage embeddings differ in width ({queries.shape[1]} "
                f"and {passages.shape[1]})"
            )
        self.query_vectors_ = normalize(queries)
        self.passage_vectors_ = normalize(passages)
        return self

    def _suspect_floor(self, positive_pairs) -> float:
        """The guide's ``suspect_quantile_`` quantile over the labelled pairs (``-inf``: none)."""
        if positive_pairs is None or self.suspect_quantile_ == 0:
            return float("-inf")
        query_rows, passage_rows = (np.asarray(rows) for rows in positive_pairs)
        if query_rows.shape != passage_rows.shape or query_rows.ndim != 1 or not len(query_rows):
            raise ValueError(
                "positive_pairs must be two 1-d arrays of equal, non-zero length (query rows, "
                f"passage rows), got shapes {query_rows.shape} and {passage_rows.shape}"
            )
        for name, rows, n in (
            ("query", query_rows, len(self.query_vectors_)),
            ("passage", passage_rows, len(self.passage_vectors_)),
        ):
            if not np.issubdtype(rows.dtype, np.integer):
                raise ValueError(
                    f"positive_pairs holds {name} rows of dtype {rows.dtype}: row indices must "
                    "be integers"
                )
            if rows.min() < 0 or rows.max() >= n:
                raise ValueError(f"positive_pairs holds {name} rows outside 0..{n - 1}")
        scores = np.einsum(
            "ij,ij->i",
            self.query_vectors_[query_rows].astype(np.float64),
            self.passage_vectors_[passage_rows].astype(np.float64),
        )
        return float(np.quantile(scores, self.suspect_quantile_))

    def scores(self, query_rows: np.ndarray, passage_rows: np.ndarray) -> np.ndarray:
        """``(Q, P)`` relevance of the given query rows to the given passage rows: lexical, or
        the guide's cosine for ``guided``."""
        if self.method in GUIDED:
            queries = self.query_vectors_[query_rows].astype(np.float64)
            return queries @ self.passage_vectors_[passage_rows].astype(np.float64).T
        block = self.query_vectors_[query_rows] @ self.passage_vectors_t_[:, passage_rows]
        return np.asarray(block.toarray(), dtype=np.float64)

    def targets(
        self,
        query_rows: np.ndarray,
        passage_rows: np.ndarray,
        positive_mask: np.ndarray,
        mined_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """``(Q, P)`` float32 targets: ``(1 - e)`` spread over the known positives, ``e`` by relevance.

        ``positive_mask[i, j]`` says candidate ``j`` is a known positive of query ``i`` (its own
        positive, and any other batch candidate that its qrels mark relevant, e.g. a shared answer).
        ``mined_mask[i, j]`` (``guided`` with ``suspects="mined"``; the others ignore it) says
        candidate ``j`` is a hard negative mined for query ``i`` (:func:`membership_mask`);
        ``None``: no candidate is, so there is no suspect.

        For the informative methods the relevance softmax runs over the *negatives* only: the
        positive already holds ``1 - e``, and as the lexically closest candidate it would otherwise
        take most of ``e`` back, leaving a near one-hot target (measured on data/faq: ls-tfidf and
        kwls then trained to the same rankings as ``none``).  LS-Classic stays uniform over all
        candidates, PyTorch's convention.
        """
        positive_mask = np.asarray(positive_mask, dtype=bool)
        if self.method == "ls-classic":
            relevance = np.full(positive_mask.shape, 1.0 / positive_mask.shape[1])
            return mix_with_positives(relevance, positive_mask, self.epsilon_)
        scores = self.scores(query_rows, passage_rows)
        if self.method in GUIDED:
            candidates = None
            if self.suspects_ == "mined":
                candidates = np.zeros(positive_mask.shape, dtype=bool)
                if mined_mask is not None:
                    candidates = np.asarray(mined_mask, dtype=bool)
                    if candidates.shape != positive_mask.shape:
                        raise ValueError(
                            f"mined_mask has shape {candidates.shape}, expected "
                            f"{positive_mask.shape} (queries, candidates)"
                        )
            return suspected_positive_targets(
                scores,
                positive_mask,
                self.temperature,
                self.margin,
                self.epsilon_,
                self.positive_margin_,
                self.suspect_floor_,
                candidates,
            )
        negatives = ~positive_mask
        if self.method == "ls-distill":  # unbounded teacher scores: scale by the best negative
            top = np.where(negatives, scores, -np.inf).max(axis=1, keepdims=True)
            scores = np.divide(
                scores, top, out=np.zeros_like(scores), where=np.isfinite(top) & (top > 0)
            )
        no_negative = ~negatives.any(axis=1)
        scores = np.where(negatives | no_negative[:, None], scores, -np.inf)
        return mix_with_positives(softmax(scores, self.temperature), positive_mask, self.epsilon_)


def suspected_positive_targets(
    scores: np.ndarray,
    positive_mask: np.ndarray,
    temperature: float,
    margin: float,
    epsilon: float,
    positive_margin: float | None = None,
    floor: float = float("-inf"),
    candidates: np.ndarray | None = None,
) -> np.ndarray:
    r"""Targets that keep a guide's suspected false negatives as partial positives.

    With ``g_ij`` the guide's cosine of query ``i`` and candidate ``j`` and ``r_i`` its best
    score on a known positive of ``i`` in the batch, a candidate that is no known positive is
    *suspected* when ``g_ij > r_i - margin`` (GISTEmbed's rule, which drops it from the softmax)
    and weighs ``w_ij = min(1, exp((g_ij - r_i) / T))``: a candidate the guide ranks at or above
    the labelled positive counts as much as it, one just below less.  Known positives weigh 1;
    the target is the weights normalised, the suspects' share capped at ``epsilon``:

    .. math::
        y_{ij} = (1 - m_i)\,[j \in K_i] / |K_i| + m_i\, w_{ij} / \textstyle\sum_k w_{ik},
        \quad m_i = \min\bigl(\epsilon, \sum_k w_{ik} / (|K_i| + \sum_k w_{ik})\bigr)

    A query with no suspect keeps a one-hot target (MNRL's): no mass goes to a candidate the guide
    does not think relevant.

    With ``positive_margin`` (``d``), only a suspect the guide ranks clearly above the labelled
    positive (``g_ij >= r_i + d``) is a partial positive; one in between (``r_i - margin < g_ij <
    r_i + d``), where the guide cannot tell, is *ignored* as GISTEmbed ignores every suspect: its
    target is NaN, which the losses read as "leave this candidate out of the softmax"
    (:func:`textls.retrieval.loss.candidate_cross_entropy`).

    A candidate the guide scores below ``floor`` is never a suspect, whatever the positive's
    score (``CandidateSoftTargets``'s ``suspect_quantile``), and with ``candidates`` (a ``(Q,
    P)`` bool mask) one outside it is never a suspect either (``suspects="mined"``).
    """
    positive_mask = np.asarray(positive_mask, dtype=bool)
    reference = np.where(positive_mask, scores, -np.inf).max(axis=1, keepdims=True)
    suspect = ~positive_mask & (scores > reference - margin) & (scores >= floor)
    if candidates is not None:
        suspect &= candidates
    ignored = np.zeros_like(suspect)
    if positive_margin is not None:
        ignored = suspect & (scores < reference + positive_margin)
        suspect &= ~ignored
    weights = np.where(suspect, np.exp(np.minimum(scores - reference, 0.0) / temperature), 0.0)
    total = weights.sum(axis=1, keepdims=True)
    known = positive_mask.sum(axis=1, keepdims=True)
    share = np.minimum(epsilon, total / (known + total))
    relevance = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
    targets = (1.0 - share) * positive_mask / known + share * relevance
    return np.where(ignored, np.nan, targets).astype(np.float32)


def mix_with_positives(
    relevance: np.ndarray, positive_mask: np.ndarray, epsilon: float
) -> np.ndarray:
    """``(1 - e) * positives / |positives| + e * relevance`` per row, float32."""
    positive_mask = np.asarray(positive_mask, dtype=np.float64)
    counts = positive_mask.sum(axis=1, keepdims=True)
    if (counts == 0).any():
        raise ValueError(
            f"query row {int(np.flatnonzero(counts[:, 0] == 0)[0])} has no positive among its candidates"
        )
    return ((1.0 - epsilon) * positive_mask / counts + epsilon * relevance).astype(np.float32)


def positive_mask(
    query_rows: np.ndarray,
    passage_rows: np.ndarray,
    own_columns: np.ndarray,
    positives: dict | None = None,
) -> np.ndarray:
    """``(Q, P)`` bool: candidate ``j`` is a known positive of query ``i``.

    Query ``i``'s own column ``own_columns[i]`` (its paired positive), and every candidate whose
    corpus row ``positives[query_rows[i]]`` lists (other passages its qrels mark relevant, or the
    same passage met again elsewhere in the batch).
    """
    mask = membership_mask(query_rows, passage_rows, positives)
    mask[np.arange(len(query_rows)), own_columns] = True
    return mask


def membership_mask(
    query_rows: np.ndarray, passage_rows: np.ndarray, rows: dict | None
) -> np.ndarray:
    """``(Q, P)`` bool: candidate ``j``'s corpus row is one ``rows[query_rows[i]]`` lists (e.g.
    the hard negatives mined for the query: ``targets``'s ``mined_mask``)."""
    mask = np.zeros((len(query_rows), len(passage_rows)), dtype=bool)
    for i, q in enumerate(query_rows):
        listed = (rows or {}).get(int(q))
        if listed:
            mask[i] = np.isin(passage_rows, list(listed))
    return mask
