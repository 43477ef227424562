"""Soft targets for a sentence-transformers training dataset, looked up by each example's row id.

A sentence-transformers loss receives token ids, not texts: :func:`with_row_ids` gives each
example its dataset row as the ``label`` column, which the collator hands to the loss, and
:class:`DatasetSoftTargets` (fitted once on the dataset's texts) turns a batch's row ids into
:class:`~textls.retrieval.soft_targets.CandidateSoftTargets` targets over the batch's candidates.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict

import numpy as np

from textls.retrieval.soft_targets import (
    GUIDED,
    CandidateSoftTargets,
    SoftTargetSettings,
    membership_mask,
    positive_mask,
)

logger = logging.getLogger(__name__)

#: The column :func:`with_row_ids` adds: sentence-transformers passes a ``label`` column to the
#: loss as ``labels`` and tokenises every other column as text.
ROW_COLUMN = "label"
#: Columns sentence-transformers' collator takes as labels (any version since 5.2).
LABEL_COLUMNS = ("label", "labels", "score", "scores")


def embed_texts(guide, texts: list[str]) -> np.ndarray:
    """``texts`` embedded by ``guide``: a ``SentenceTransformer`` (its ``encode``), or a callable
    from a list of texts to their embeddings."""
    if hasattr(guide, "encode"):
        return np.asarray(guide.encode(texts, convert_to_numpy=True, show_progress_bar=False))
    return np.asarray(guide(texts))


#: A row id is ``tag << ROW_BITS | row``: the low bits are the row, the high bits a tag of the
#: dataset :func:`with_row_ids` saw, so rows of another dataset of the same size are not mistaken
#: for this one's.
ROW_BITS = 32
_ROW_MASK = (1 << ROW_BITS) - 1


def dataset_tag(dataset) -> int:
    """A 31-bit tag (never 0) of a dataset's text columns, their order included."""
    digest = hashlib.sha256()
    for column in [c for c in dataset.column_names if c not in LABEL_COLUMNS]:
        digest.update(column.encode())
        for text in dataset[column]:
            digest.update(str(text).encode("utf-8", "surrogatepass") + b"\x00")
    return int.from_bytes(digest.digest()[:4], "big") & 0x7FFFFFFF or 1


def with_row_ids(dataset):
    """``dataset`` with a ``label`` column holding each example's row id, which
    sentence-transformers passes to the loss as ``labels``; it stays with its example through
    shuffling and selection.  The id is the row index (0, 1, ...) tagged with
    :func:`dataset_tag` in its high bits (:data:`ROW_BITS`), so soft targets fitted on one dataset
    refuse the rows of another.

    Raises ``ValueError`` when the dataset already has a label column: MNRL-style losses take no
    label, so such a column would be another loss's data.
    """
    taken = [c for c in dataset.column_names if c in LABEL_COLUMNS]
    if taken:
        raise ValueError(
            f"the dataset already has a label column {taken[0]!r}: SoftTargetMNRLoss takes "
            "(anchor, positive[, negative...]) texts and adds its own row ids; remove it first"
        )
    tag = dataset_tag(dataset) << ROW_BITS
    return dataset.add_column(ROW_COLUMN, [tag | i for i in range(len(dataset))])


class DatasetSoftTargets(SoftTargetSettings):
    r"""Soft targets over a sentence-transformers batch's candidates, for the examples of one
    training dataset, found by their row id (:func:`with_row_ids`).

    The dataset's first text column holds the anchors (queries), the second the positives, any
    further ones hard negatives, as for ``MultipleNegativesRankingLoss``.  Identical texts share
    one row, so a passage met twice is one passage; the known positives ``K`` of an anchor are
    the positives of every example with that anchor text.  For a batch laid out as
    sentence-transformers does (all positives, then each negative column), with ``s_ij`` the
    :class:`CandidateSoftTargets` relevance of anchor ``i`` to candidate ``j`` and ``P``
    candidates, the target is

    .. math::
        y_{ij} = (1 - e)\,[j \in K_i] / |K_i| + e\, \mathrm{softmax}_{j \notin K_i}(s_{ij} / T)

    (``ls-classic``: ``e / P`` on every candidate, positives included); ``K_i`` always holds
    anchor ``i``'s own positive.  The hard negatives mined for an anchor are the negative
    columns of every example with that anchor text: by default (``suspects="mined"``) only
    those can be the guide's suspects.

    Parameters
    ----------
    method : str, default "guided"
        As :class:`CandidateSoftTargets`; by default ``guided``: the guide's suspected false
        negatives are left out of the softmax and the positive keeps MNRL's one-hot target.
        The default was chosen by the benchmark on the Results page, docs/results.md (retrieval with
        incomplete labels); the lexical methods (``kwls``, ...) send mass to lexically close
        candidates whether or not they are relevant.
    **settings
        ``epsilon``, ``temperature``, ``top_k``, ``passage_top_k``, ``margin``,
        ``positive_margin``, ``suspect_quantile`` (over the dataset's examples), ``suspects``: as
        :class:`CandidateSoftTargets` (``epsilon=None``: 0.1, or for ``guided`` no cap); an
        unknown name is a ``TypeError``.
    """

    def __init__(self, *, method: str = "guided", **settings):
        super().__init__(method=method, **settings)

    def fit(self, dataset, guide=None) -> DatasetSoftTargets:
        """Index every anchor and candidate text of ``dataset`` (a ``datasets.Dataset``) under its
        example's row id, the ``label`` column of :func:`with_row_ids` (its position when there
        is none), and fit the soft targets on the texts.

        ``guide`` (``guided`` only): a ``SentenceTransformer``, or a callable from a list of
        texts to their embeddings, that embeds every unique text once, here; a batch's targets
        then cost one small matrix product."""
        columns = [c for c in dataset.column_names if c not in LABEL_COLUMNS]
        if len(columns) < 2:
            raise ValueError(
                f"need (anchor, positive[, negative...]) text columns, found {columns}"
            )
        texts = {c: list(dataset[c]) for c in columns}
        for column, values in texts.items():
            bad = next((i for i, t in enumerate(values) if not isinstance(t, str) or not t), None)
            if bad is not None:
                raise ValueError(f"column {column!r}, row {bad}: {values[bad]!r} is not a text")
        ids = self._row_ids(dataset)
        queries, passages = {}, {}
        query_rows = [queries.setdefault(t, len(queries)) for t in texts[columns[0]]]
        candidate_rows = [
            [passages.setdefault(t, len(passages)) for t in texts[c]] for c in columns[1:]
        ]
        size = int(ids.max()) + 1 if len(ids) else 0
        self.query_rows_ = np.full(size, -1, dtype=np.int64)  # by row id; -1: no such example
        self.query_rows_[ids] = query_rows
        self.candidate_rows_ = np.full((size, len(columns) - 1), -1, dtype=np.int64)
        self.candidate_rows_[ids] = np.asarray(candidate_rows, dtype=np.int64).T
        known, mined = defaultdict(set), defaultdict(set)
        for query, passage, *negatives in zip(query_rows, *candidate_rows, strict=True):
            known[query].add(passage)
            mined[query].update(negatives)
        self.positives_ = dict(known)
        self.negatives_ = {query: rows for query, rows in mined.items() if rows}
        self.columns_ = columns
        self.soft_targets_ = CandidateSoftTargets(**self.get_params()).fit(
            list(queries),
            list(passages),
            guide_embeddings=self._embed(guide, queries, passages),
            positive_pairs=(query_rows, candidate_rows[0]),
        )
        if (
            self.method in GUIDED
            and self.soft_targets_.suspects_ == "mined"
            and not self.negatives_
        ):
            logger.warning(
                "the dataset has no hard negative column %s: with suspects='mined' (the default) "
                "no candidate can be a suspect, and the loss trains as "
                "MultipleNegativesRankingLoss; add mined negatives (e.g. "
                "sentence_transformers.util.mine_hard_negatives) or pass suspects='all'",
                columns,
            )
        return self

    def _embed(self, guide, queries: dict, passages: dict):
        """The guide's embeddings of the unique query and passage texts (``guided`` only)."""
        if self.method not in GUIDED:
            return None
        if guide is None:
            raise ValueError(
                f"method {self.method!r} needs a guide: a SentenceTransformer (fit(dataset, "
                "guide=model)); SoftTargetMNRLoss uses the model it trains, as it is before training"
            )
        return embed_texts(guide, list(queries)), embed_texts(guide, list(passages))

    def _row_ids(self, dataset) -> np.ndarray:
        """The rows' ids without their dataset tag (kept as ``tag_``)."""
        others = [c for c in dataset.column_names if c in LABEL_COLUMNS and c != ROW_COLUMN]
        if others:
            raise ValueError(
                f"the dataset has a {others[0]!r} column, which sentence-transformers would pass "
                "to the loss as its labels in place of row ids: drop it, then "
                "textls.retrieval.with_row_ids(dataset)"
            )
        self.tag_ = 0
        if ROW_COLUMN not in dataset.column_names:
            return np.arange(len(dataset))
        ids = np.asarray(dataset[ROW_COLUMN])
        if ids.dtype.kind not in "iu" or (ids < 0).any() or len(np.unique(ids)) != len(ids):
            raise ValueError(
                f"the {ROW_COLUMN!r} column must hold distinct row ids >= 0 "
                "(textls.retrieval.with_row_ids adds them)"
            )
        ids = ids.astype(np.int64)
        tags = np.unique(ids >> ROW_BITS)
        if len(tags) > 1:
            raise ValueError(
                f"the {ROW_COLUMN!r} column mixes the row ids of {len(tags)} datasets: fit on "
                "the dataset you train on, after textls.retrieval.with_row_ids"
            )
        self.tag_ = int(tags[0]) if len(tags) else 0
        return ids & _ROW_MASK

    def batch_targets(self, rows, n_candidate_columns: int) -> np.ndarray:
        """``(B, B * n_candidate_columns)`` float32 targets of the examples with row ids ``rows``
        (the ``labels`` sentence-transformers passes) over their candidates."""
        query_rows, passage_rows = self.batch_rows(rows, n_candidate_columns)
        mask = positive_mask(query_rows, passage_rows, np.arange(len(query_rows)), self.positives_)
        mined = membership_mask(query_rows, passage_rows, self.negatives_)
        return self.soft_targets_.targets(query_rows, passage_rows, mask, mined)

    def batch_rows(self, rows, n_candidate_columns: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``(B,)`` query rows and ``(B * n_candidate_columns,)`` candidate passage rows (in
        the fitted :class:`CandidateSoftTargets`) of the examples with row ids ``rows``, laid out
        as sentence-transformers lays out a batch's candidates: every positive, then each
        negative column's.  A row id of another dataset, an unknown one or too many candidate
        columns is a ``ValueError``."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        tags = rows >> ROW_BITS
        other = (tags != 0) & (tags != self.tag_)
        if other.any():
            raise ValueError(
                f"label {int(rows[other][0])} is the row id of an example of another dataset "
                "than the one the soft targets were fitted on (its tag differs): fit "
                "SoftTargetMNRLoss on the dataset the trainer trains on"
            )
        rows = rows & _ROW_MASK
        size = len(self.query_rows_)
        unknown = (rows < 0) | (rows >= size)
        unknown[~unknown] = self.query_rows_[rows[~unknown]] < 0
        if unknown.any():
            raise ValueError(
                f"label {int(rows[unknown][0])} is not the row id of an example of the dataset "
                "the soft targets were fitted on: train on with_row_ids(dataset), that dataset"
            )
        if n_candidate_columns > self.candidate_rows_.shape[1]:
            raise ValueError(
                f"the batch has {n_candidate_columns} candidate columns, the dataset the soft "
                f"targets were fitted on {self.candidate_rows_.shape[1]} ({self.columns_[1:]})"
            )
        # sentence-transformers' layout: every positive, then each negative column's candidates
        passage_rows = self.candidate_rows_[rows, :n_candidate_columns].T.reshape(-1)
        return self.query_rows_[rows], passage_rows
