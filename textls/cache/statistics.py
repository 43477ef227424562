r"""Fit statistics that merge across shards, and the fitted generator they give.

A generator's fit reads the corpus through a few sums over rows, so it can run shard by shard and
be merged by addition:

* **counts** (``kwls``, ``ls-tfidf``, ``ls-classic``): rows per class; and, over the *raw*
  vocabulary (no ``min_df``/``max_df``/``max_features`` yet), each term's document frequency
  :math:`df_t`, total count :math:`tf_t` and, for KWLS, the class-by-term counts :math:`y_{kt}`.
  All are integers, so the merge is exact in any order.  ``min_df``, ``max_df`` and
  ``max_features`` are applied once to the merged counts, exactly as scikit-learn's
  ``CountVectorizer`` applies them, and the idf is :math:`\ln\frac{1 + n}{1 + df_t} + 1`
  (:mod:`textls._sklearn_compat`, the one place that repeats scikit-learn's ``fit``).
* **class sums** (``ls-tfidf`` only, after the counts): :math:`S_k = \sum_{i: g_i = k} x_i` of the
  L2-normalised TF-IDF rows.  These are floating-point sums, so their last bits depend on how the
  rows are split into shards (not on which engine or how many processes run them).
* **temperature** (``temperature="auto"``): :func:`~textls.smoothers._base.fit_temperature` fits on a
  fixed random sample of at most 20,000 rows (a function of ``n`` alone); the driver gathers exactly
  those rows' scores, so the fitted :math:`T` is the one a plain ``fit`` finds.

KWLS's training targets are cross-fitted (each row is scored against class keywords fitted without
its fold), so the counts pass also keeps the class-by-term counts of each fold; a row's fold is a
function of its index in the whole input and the number of rows, which a shard knows.

This module only counts and merges, and never asks which method it fits: the generators say
which passes they need and fit themselves from the merged statistics through their own small
public protocol (``cache_passes``, ``count_vectorizer``, ``class_term_folds``,
``fit_from_counts``, ``pass_statistics``, ``fit_from_pass``, ``training_scores``,
``targets_from_scores``: see :mod:`textls.smoothers._base`), so a new mergeable generator needs no
edit here.

With these, a KWLS fitted from merged shard statistics equals ``KeywordSmoother().fit`` on all the
texts bit for bit (vocabulary, idf, class keywords, temperature, soft labels), and so does
LS-Classic; LS-TFIDF agrees to float rounding (about 1e-12).  LS-Distill is cross-fitted on the whole
corpus and is not mergeable: it is fitted in one process (:func:`mergeable` says which are).

Example (the same passes a cache build runs, in memory)::

    >>> state = fit_in_shards("kwls", texts, labels, num_shards=4, min_df=1)  # doctest: +SKIP
    >>> state.smoother.transform(texts, labels)  # == KeywordSmoother(min_df=1).fit_transform(...)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from textls._utils import check_labels, check_texts, encode_labels, unique_classes
from textls._utils import class_sums as sum_by_class
from textls.smoothers import SMOOTHERS, get_smoother
from textls.smoothers._base import BaseSmoother, cross_fit_folds, temperature_sample


def mergeable(method: str, params: dict) -> bool:
    """Whether ``method`` with ``params`` can be fitted from merged shard statistics."""
    return method in SMOOTHERS and get_smoother(method, **params).fits_from_counts()


def passes(method: str, params: dict) -> tuple[str, ...]:
    """The statistics passes of a sharded fit of ``method``, in order (its ``cache_passes``)."""
    return get_smoother(method, **params).cache_passes


# -- pass 1: counts ------------------------------------------------------------------------------


@dataclass
class CountStatistics:
    """Counts over some rows; ``merge_counts`` of the parts equals the counts of the whole."""

    num_rows: int
    label_counts: dict  # label -> number of rows
    terms: np.ndarray  # (V,) object, sorted: the raw vocabulary of these rows
    doc_freq: np.ndarray  # (V,) int64
    term_freq: np.ndarray  # (V,) int64, total count (CountVectorizer's max_features ranks by it)
    class_labels: list = field(default_factory=list)  # the rows of class_term
    class_term: sp.csr_matrix | None = None  # (len(class_labels), V) float64, KWLS only
    fold_class_term: list = field(default_factory=list)  # class_term of each cross-fitting fold


def count_statistics(
    texts: list[str],
    labels: list,
    counter: CountVectorizer | None,
    class_terms: bool,
    folds: tuple[int, int, int] | None = None,
) -> CountStatistics:
    """Counts of one shard; ``counter`` is the raw counting vectorizer (``None``: labels only)."""
    return shard_counts(texts, labels, counter, class_terms, folds)[0]


def shard_counts(
    texts: list[str],
    labels: list,
    counter: CountVectorizer | None,
    class_terms: bool,
    folds: tuple[int, int, int] | None = None,
) -> tuple[CountStatistics, sp.csr_matrix | None]:
    """The shard's :class:`CountStatistics` and its raw ``(n, V_shard)`` count matrix.

    The matrix lets later passes skip tokenising again: :func:`remap_counts` turns it into the
    counts over the fitted vocabulary that the fitted vectorizer's ``transform`` would give.
    With ``folds = (first_row, n_rows, n_splits)`` (KWLS), the class-by-term counts of each
    cross-fitting fold are kept too: the shard's rows are rows ``first_row, ...`` of ``n_rows``,
    which decides their folds (:func:`~textls.smoothers._base.cross_fit_folds`).
    """
    labels = check_labels(labels, len(texts))
    classes = unique_classes(labels) if len(labels) else np.array([], dtype=object)
    y = encode_labels(labels, classes)
    label_counts = dict(
        zip(classes.tolist(), np.bincount(y, minlength=len(classes)).tolist(), strict=True)
    )
    empty = CountStatistics(
        len(texts),
        label_counts,
        np.array([], dtype=object),
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        classes.tolist() if class_terms else [],
        sp.csr_matrix((len(classes), 0)) if class_terms else None,
        [sp.csr_matrix((len(classes), 0))] * (folds[2] if folds else 0) if class_terms else [],
    )
    if counter is None or not texts:
        return empty, None
    try:
        counts = counter.fit_transform(texts)
    except ValueError as exc:
        if "empty vocabulary" not in str(exc):
            raise
        # this shard holds only stop words; other shards may not
        return empty, sp.csr_matrix((len(texts), 0), dtype=np.float64)
    counts = sp.csr_matrix(counts)
    class_term, fold_class_term = None, []
    if class_terms:
        class_term = sum_by_class(counts, y, len(classes))
        if folds is not None:
            first_row, n_rows, n_splits = folds
            fold = cross_fit_folds(first_row + np.arange(len(y)), n_rows, n_splits)
            fold_class_term = [
                sum_by_class(counts[fold == f], y[fold == f], len(classes)) for f in range(n_splits)
            ]
    stats = CountStatistics(
        num_rows=len(texts),
        label_counts=label_counts,
        terms=counter.get_feature_names_out().astype(object),
        doc_freq=np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.int64),
        term_freq=np.asarray(counts.sum(axis=0)).ravel().astype(np.int64),
        class_labels=classes.tolist() if class_terms else [],
        class_term=class_term,
        fold_class_term=fold_class_term,
    )
    return stats, counts


def remap_counts(counts: sp.csr_matrix, terms: np.ndarray, vocabulary: np.ndarray) -> sp.csr_matrix:
    """Raw counts over a shard's ``terms`` -> counts over the fitted, sorted ``vocabulary``.

    Equal, entry for entry and in storage order (sorted indices), to the fitted vectorizer's
    ``transform`` of the same texts: the same integers, without tokenising again.
    """
    size = len(vocabulary)
    position = np.searchsorted(vocabulary, terms) if len(terms) else np.zeros(0, np.int64)
    inside = position < size
    found = np.zeros(len(terms), dtype=bool)
    found[inside] = vocabulary[position[inside]] == terms[inside]
    column = np.where(found, position, -1)
    counts = sp.csr_matrix(counts)
    new = column[counts.indices]
    keep = new >= 0
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))[keep]
    out = sp.csr_matrix(
        (counts.data[keep], (rows, new[keep])), shape=(counts.shape[0], size), dtype=np.float64
    )
    out.sort_indices()
    return out


def merge_counts(parts: list[CountStatistics]) -> CountStatistics:
    """Add the counts of the parts, over the union of their vocabularies (sorted)."""
    labels = {}
    for part in parts:
        for label, n in part.label_counts.items():
            labels[label] = labels.get(label, 0) + n
    classes = (
        unique_classes(np.array(list(labels), dtype=object)) if labels else np.array([], object)
    )
    all_terms = np.concatenate([p.terms for p in parts]) if parts else np.array([], dtype=object)
    terms, inverse = np.unique(all_terms, return_inverse=True)
    inverse = inverse.ravel()
    size = len(terms)
    doc_freq = np.zeros(size, np.int64)
    term_freq = np.zeros(size, np.int64)
    np.add.at(doc_freq, inverse, np.concatenate([p.doc_freq for p in parts]))
    np.add.at(term_freq, inverse, np.concatenate([p.term_freq for p in parts]))
    class_term, fold_class_term = None, []
    if parts and parts[0].class_term is not None:
        index = {c: k for k, c in enumerate(classes.tolist())}

        def merged(matrices: list[sp.csr_matrix]) -> sp.csr_matrix:
            rows, cols, vals, offset = [], [], [], 0
            for part, matrix in zip(parts, matrices, strict=True):
                coo = matrix.tocoo()
                local = np.array([index[c] for c in part.class_labels], dtype=np.int64)
                rows.append(local[coo.row] if len(local) else coo.row)
                cols.append(inverse[offset + coo.col])
                vals.append(coo.data)
                offset += len(part.terms)
            out = sp.csr_matrix(
                (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                shape=(len(classes), size),
            )
            out.sum_duplicates()
            return out

        class_term = merged([p.class_term for p in parts])
        fold_class_term = [
            merged([p.fold_class_term[f] for p in parts])
            for f in range(len(parts[0].fold_class_term))
        ]
    return CountStatistics(
        num_rows=sum(p.num_rows for p in parts),
        label_counts={c: labels[c] for c in classes.tolist()},
        terms=terms.astype(object),
        doc_freq=doc_freq,
        term_freq=term_freq,
        class_labels=classes.tolist() if class_term is not None else [],
        class_term=class_term,
        fold_class_term=fold_class_term,
    )


def raw_counter(vectorizer: CountVectorizer) -> CountVectorizer:
    """The vectorizer with the same tokenisation but no pruning: it counts a shard's raw vocabulary."""
    names = CountVectorizer().get_params()
    params = {k: v for k, v in vectorizer.get_params().items() if k in names}
    params.update(min_df=1, max_df=1.0, max_features=None, vocabulary=None, dtype=np.float64)
    return CountVectorizer(**params)


# -- the fitted state ----------------------------------------------------------------------------


@dataclass
class FittedState:
    """A fitted generator plus what its training targets need beyond ``transform``.

    The held-out statistics that score training rows out of sample (:attr:`held_out`) are kept
    where the first methods put them, so state files stay as they were: ``fold_matches`` holds
    what ``fit_from_counts`` returned (KWLS's match matrices fitted without each cross-fitting
    fold, as in ``KeywordSmoother.fit_transform``), ``class_sums`` what the last later pass's
    ``fit_from_pass`` returned (LS-TFIDF's :math:`S_k`, which score training rows against
    leave-one-out profiles, as in ``TfidfSmoother.fit_transform``).
    """

    method: str
    smoother: BaseSmoother
    class_sums: np.ndarray | None = None
    fold_matches: list = field(default_factory=list)
    num_rows: int = 0
    temperature_pending: bool = False
    counts: CountStatistics | None = None

    @property
    def classes(self) -> list:
        return self.smoother.classes_.tolist()

    @property
    def held_out(self):
        """What ``training_scores`` scores the training rows with (see the class docstring)."""
        return self.class_sums if self.class_sums is not None else self.fold_matches


def counter_for(method: str, params: dict) -> tuple[CountVectorizer | None, bool, int | None]:
    """The raw counting vectorizer of a method, whether it needs class-by-term counts, and the
    number of cross-fitting folds they are kept for."""
    smoother = get_smoother(method, **params)
    vectorizer = smoother.count_vectorizer()
    if vectorizer is None:
        return None, False, None
    n_splits = smoother.class_term_folds()
    return raw_counter(vectorizer), n_splits is not None, n_splits


def fit_from_counts(method: str, params: dict, counts: CountStatistics) -> FittedState:
    """The generator fitted from merged counts: complete, or waiting for later passes / temperature."""
    smoother = get_smoother(method, **params)
    if not smoother.cache_passes:
        raise ValueError(f"{method} cannot be fitted from shard statistics; fit it in one process")
    held_out = smoother.fit_from_counts(counts)
    state = FittedState(method, smoother, num_rows=counts.num_rows)
    if held_out is not None:
        state.fold_matches = held_out
    state.temperature_pending = getattr(smoother, "temperature", None) == "auto"
    return state


# -- later passes (LS-TFIDF's class sums) --------------------------------------------------------


def pass_statistics(
    state: FittedState,
    name: str,
    texts: list[str],
    labels: list,
    counts: sp.csr_matrix | None = None,
):
    """One shard's statistics of the pass ``name``; ``counts`` from :func:`remap_counts`."""
    smoother = state.smoother
    y = encode_labels(check_labels(labels, len(texts)), smoother.classes_)
    return smoother.pass_statistics(name, texts, y, counts)


def merge_pass(state: FittedState, name: str, parts: list) -> None:
    """Finish the pass ``name`` from every shard's statistics, in shard order."""
    held_out = state.smoother.fit_from_pass(name, parts)
    if held_out is not None:
        state.class_sums = held_out


# -- temperature ---------------------------------------------------------------------------------


def temperature_rows(num_rows: int) -> np.ndarray:
    """The rows, in order, whose scores ``temperature="auto"`` is fitted on."""
    keep = temperature_sample(num_rows)
    return np.arange(num_rows) if keep is None else keep


def fit_state_temperature(
    state: FittedState, texts: list[str], labels: list, rows: np.ndarray
) -> None:
    """Fit ``T`` on the rows of :func:`temperature_rows` (passed in that order, ``rows`` their
    indices in the whole input)."""
    smoother = state.smoother
    y = encode_labels(check_labels(labels, len(texts)), smoother.classes_)
    smoother.fit_temperature_from_scores(_training_scores(state, texts, y, rows), y)
    state.temperature_pending = False


def _training_scores(
    state: FittedState, texts: list[str], y: np.ndarray, rows: np.ndarray, counts=None
) -> np.ndarray:
    """Out-of-sample scores of training rows; ``rows`` are their indices in the whole input."""
    if not state.smoother.informative:
        raise ValueError(f"{state.method} has no fitted temperature")
    return state.smoother.training_scores(
        texts, y, state.held_out, rows=rows, n_rows=state.num_rows, counts=counts
    )


def vocabulary_terms(state: FittedState) -> np.ndarray | None:
    """The fitted, sorted vocabulary (object array) that counts are remapped to, if any."""
    vectorizer = state.smoother.fitted_vectorizer()
    return None if vectorizer is None else vectorizer.get_feature_names_out()


# -- training targets ----------------------------------------------------------------------------


def training_targets(
    state: FittedState,
    texts: list[str],
    labels: list,
    counts: sp.csr_matrix | None = None,
    first_row: int = 0,
) -> np.ndarray:
    """Rows of ``fit_transform``'s output for these training rows, ``(n, C)`` float32.

    ``first_row`` is the first row's index in the whole input (it decides KWLS's folds).
    ``counts`` (from :func:`remap_counts`) spare tokenising the texts again; the result is the same.
    """
    smoother = state.smoother
    texts = check_texts(texts)
    if not smoother.informative:  # its targets do not depend on the data (LS-Classic)
        return smoother.transform(texts, labels)
    y = encode_labels(check_labels(labels, len(texts)), smoother.classes_)
    out = np.empty((len(texts), len(smoother.classes_)), dtype=np.float32)
    for start in range(0, len(texts), smoother.chunk_size):
        part = slice(start, start + smoother.chunk_size)
        rows = np.arange(len(texts))[part] + first_row
        part_counts = None if counts is None else counts[part]
        scores = _training_scores(state, texts[part], y[part], rows, part_counts)
        out[part] = smoother.targets_from_scores(scores, texts[part], y[part])
    return out


# -- the whole fit, in memory --------------------------------------------------------------------


def fit_in_shards(method: str, texts, labels, num_shards: int, **params) -> FittedState:
    """Fit shard by shard and merge, in memory: the passes a cache build runs, for reference and tests."""
    texts = check_texts(texts)
    labels = list(check_labels(labels, len(texts)))
    bounds = shard_bounds(len(texts), num_shards)
    counter, class_terms, n_splits = counter_for(method, params)
    parts = [
        count_statistics(
            texts[a:b], labels[a:b], counter, class_terms, n_splits and (a, len(texts), n_splits)
        )
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    state = fit_from_counts(method, params, merge_counts(parts))
    for name in state.smoother.cache_passes[1:]:
        stats = [
            pass_statistics(state, name, texts[a:b], labels[a:b])
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        merge_pass(state, name, stats)
    if state.temperature_pending:
        rows = temperature_rows(len(texts))
        fit_state_temperature(state, [texts[i] for i in rows], [labels[i] for i in rows], rows)
    return state


def shard_bounds(num_rows: int, num_shards: int) -> list[int]:
    """Row boundaries of ``num_shards`` contiguous shards whose sizes differ by at most one."""
    return [(i * num_rows) // num_shards for i in range(num_shards + 1)]
