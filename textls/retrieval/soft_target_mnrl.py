r"""textls soft targets in a sentence-transformers training script: MNRL with a soft target.

``SoftTargetMNRLoss`` is ``MultipleNegativesRankingLoss`` (in-batch negatives, scale 20, cosine
similarity) whose one-hot target on each anchor's positive becomes a soft target over the batch's
candidates (:class:`~textls.retrieval.soft_targets.CandidateSoftTargets`: LS-Classic, LS-TFIDF,
KWLS or LS-Distill).  ``CachedSoftTargetMNRLoss`` is the same loss with GradCache (Gao et al.,
2021), as ``CachedMultipleNegativesRankingLoss`` is MNRL's: large batches in the memory of a
mini-batch.

How the lexical vectors reach the loss: a sentence-transformers loss receives token ids, not
texts.  :func:`with_row_ids` adds each example's dataset row as its ``label`` column, which the
sentence-transformers collator hands to the loss untouched; the loss looks the row up in
:class:`DatasetSoftTargets`, fitted once on the dataset's texts.  That is exact (the vectors of
the texts themselves, whatever the tokenizer, prompt or truncation), needs no decoding, and costs
one sparse product of the batch's rows per step (``scripts/benchmark_st_losses.py`` records
its share of the training time).

Three lines turn an existing script's MNRL into KWLS soft targets::

    from textls.retrieval import SoftTargetMNRLoss, with_row_ids
    train_dataset = with_row_ids(train_dataset)  # (anchor, positive[, negative...]) + label = row
    loss = SoftTargetMNRLoss(model, train_dataset, method="kwls", epsilon=0.1)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from textls._utils import check_positive_finite
from textls.retrieval.dataset_targets import DatasetSoftTargets, with_row_ids
from textls.retrieval.gradcache import GradCacheBase, chunked_loss, require_gradcache
from textls.retrieval.loss import candidate_cross_entropy

__all__ = ["CachedSoftTargetMNRLoss", "SoftTargetMNRLoss", "with_row_ids"]


def _check_rows(labels) -> np.ndarray:
    if labels is None or (isinstance(labels, torch.Tensor) and labels.dim() != 1):
        raise ValueError(
            "SoftTargetMNRLoss needs each example's dataset row as its label: train on "
            "textls.retrieval.with_row_ids(train_dataset)"
        )
    return labels.detach().cpu().numpy()


class SoftTargetMNRLoss(nn.Module):
    r"""MultipleNegativesRankingLoss against textls soft targets over the batch's candidates.

    With anchors :math:`a_i`, candidates :math:`c_j` (every positive of the batch, then its hard
    negatives), similarity ``sim`` (cosine) and ``scale`` :math:`s`:

    .. math::
        \mathcal{L} = -\frac{1}{B} \sum_i \sum_j y_{ij}
            \log \frac{\exp(s\,\mathrm{sim}(a_i, c_j))}{\sum_k \exp(s\,\mathrm{sim}(a_i, c_k))}

    with :math:`y_{ij}` from :class:`DatasetSoftTargets`.  With ``epsilon=0`` and no repeated
    texts in the batch, :math:`y_i` is one-hot on :math:`a_i`'s own positive and this is exactly
    ``MultipleNegativesRankingLoss`` (loss and gradients, tested).  Unlike MNRL, a candidate with
    the same text as the anchor's positive, or another positive of the same anchor in the
    dataset, is a positive, not a negative.

    Parameters
    ----------
    model : SentenceTransformer
    train_dataset : datasets.Dataset
        The training dataset after :func:`with_row_ids`: (anchor, positive[, negative...]) texts
        and a ``label`` column of row ids.
    scale : float, default 20.0
        :math:`s`, sentence-transformers' default (temperature 0.05); a finite number > 0.
    similarity_fct : callable, default ``sentence_transformers.util.cos_sim``
    soft_targets : DatasetSoftTargets, optional
        Already fitted soft targets, used instead of fitting new ones on ``train_dataset``.
    guide : SentenceTransformer, optional
        The guide of ``method="guided"`` targets, which embeds the dataset's texts once when the
        loss is made; by default ``model`` itself, as it is before training.
    **options
        The soft targets' parameters, :class:`DatasetSoftTargets`'s (``method="guided"``,
        ``epsilon``, ``margin``, ``positive_margin``, ``suspect_quantile``, ``suspects``,
        ``temperature``, ``top_k``, ``passage_top_k``); ``temperature`` is that of their
        relevance softmax, not of this loss.  With none set, the guided targets: a hard negative
        mined for the anchor's query (a negative column of the dataset) that ``guide`` scores
        above the anchor's labelled positive (GISTEmbed's suspect) *and* at least as high as
        the median of its scores on the dataset's labelled pairs is left out of the softmax, as
        GISTEmbedLoss leaves it, and the anchor's own positive gets MNRL's one-hot target.
        (``positive_margin`` keeps suspects as partial positives instead;
        ``suspect_quantile=0`` drops the median floor; ``suspects="all"`` lets any in-batch
        candidate be a suspect, GISTEmbed's rule.)  On (anchor, positive) pairs there is no
        mined negative, and the default trains as ``MultipleNegativesRankingLoss`` does
        (but for a candidate that is another known positive of the anchor).

    Notes
    -----
    Inputs: (anchor, positive) pairs or (anchor, positive, negative_1, ..., negative_n) tuples,
    with the ``label`` column of :func:`with_row_ids`.

    The default is for incomplete labels with mined hard negatives, where a mined negative the
    guide ranks above the labelled positive is often an unlabelled positive.  Another query's
    passage is relevant about as rarely as any passage, so it is never a suspect
    (``suspects="mined"``): on (anchor, positive) pairs the default has no suspect, and on a
    FAQ set it trained exactly as ``MultipleNegativesRankingLoss`` did (32 seeds).  The default
    until December 8, 2026 (``suspects="all"``) was 0.47 MRR@10 below MNRL there (p = 0.014),
    and GISTEmbedLoss 4.5 below (the Results page, docs/results.md).  With complete labels
    and mined negatives a suspect is a true hard negative, and leaving it out costs: when you
    know every relevant passage is labelled, MNRL is the plain choice.

    Examples
    --------
    ::

        from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
        from textls.retrieval import SoftTargetMNRLoss, with_row_ids

        model = SentenceTransformer("all-MiniLM-L6-v2")
        train_dataset = with_row_ids(train_dataset)
        loss = SoftTargetMNRLoss(model, train_dataset)  # guided targets, the model as guide
        SentenceTransformerTrainer(model=model, train_dataset=train_dataset, loss=loss).train()

    References
    ----------
    Henderson et al. 2017 (in-batch negatives, MNRL); Liu et al., COLING 2022 (KWLS).
    """

    def __init__(
        self,
        model,
        train_dataset=None,
        *,
        scale: float = 20.0,
        similarity_fct=None,
        soft_targets: DatasetSoftTargets | None = None,
        guide=None,
        **options,
    ):
        super().__init__()
        from sentence_transformers.util import cos_sim

        check_positive_finite(scale, "scale")
        if soft_targets is None:
            if train_dataset is None:
                raise ValueError("give the training dataset (after with_row_ids) or soft_targets")
            # the guide of ``guided`` targets: the model itself, as it is before training
            soft_targets = DatasetSoftTargets(**options).fit(train_dataset, guide=guide or model)
        elif not isinstance(soft_targets, DatasetSoftTargets):
            raise TypeError(
                f"soft_targets must be a fitted textls.retrieval.DatasetSoftTargets, got "
                f"{type(soft_targets).__name__}"
            )
        elif options or guide is not None:
            given = sorted(options) + (["guide"] if guide is not None else [])
            raise ValueError(f"{given} would be ignored: soft_targets is already fitted")
        self.model = model
        self.soft_targets = soft_targets
        self.scale = scale
        self.similarity_fct = similarity_fct or cos_sim

    def forward(self, sentence_features, labels: torch.Tensor) -> torch.Tensor:
        embeddings = [self.model(features)["sentence_embedding"] for features in sentence_features]
        return self.compute_loss_from_embeddings(embeddings, labels)

    def targets(self, batch: int, n_candidate_columns: int, labels, device) -> torch.Tensor:
        """The batch's ``(B, B * n_candidate_columns)`` targets as a tensor on ``device``.

        In training (gradients on), the soft targets of the examples whose row ids are
        ``labels``.  In evaluation (``SentenceTransformerTrainer`` computes the eval loss under
        ``no_grad``, on another dataset whose row ids mean other examples) MNRL's one-hot target
        on each anchor's own positive, so the eval loss is MNRL's.
        """
        if not torch.is_grad_enabled():
            targets = torch.zeros(batch, batch * n_candidate_columns, device=device)
            targets[torch.arange(batch), torch.arange(batch)] = 1.0
            return targets
        targets = self.soft_targets.batch_targets(_check_rows(labels), n_candidate_columns)
        return torch.from_numpy(targets).to(device)

    def scores(self, anchors: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """``scale * sim(anchor_i, candidate_j)`` in fp32."""
        return self.similarity_fct(anchors, candidates).float() * self.scale

    def compute_loss_from_embeddings(self, embeddings: list[torch.Tensor], labels) -> torch.Tensor:
        if len(embeddings) < 2:
            raise ValueError(f"expected (anchor, positive[, negative...]), got {len(embeddings)}")
        anchors, candidates = embeddings[0], torch.cat(embeddings[1:])
        targets = self.targets(len(anchors), len(embeddings) - 1, labels, anchors.device)
        return candidate_cross_entropy(self.scores(anchors, candidates), targets, validate=False)

    def get_config_dict(self) -> dict[str, Any]:
        """What sentence-transformers writes to the model card."""
        targets = self.soft_targets
        return {
            "scale": self.scale,
            "method": targets.method,
            "epsilon": targets.soft_targets_.epsilon_,
            "temperature": targets.temperature,
            "margin": targets.margin,
            "positive_margin": targets.soft_targets_.positive_margin_,
            "suspect_quantile": targets.soft_targets_.suspect_quantile_,
            "suspects": targets.soft_targets_.suspects_,
        }

    @property
    def citation(self) -> str:
        return """@inproceedings{liu-etal-2022-label,
    title = "Label Smoothing for Text Mining",
    author = "Liu, Peiyang and Xi, Xiangyu and Ye, Wei and Zhang, Shikun",
    booktitle = "Proceedings of the 29th International Conference on Computational Linguistics",
    year = "2022",
}"""


class CachedSoftTargetMNRLoss(GradCacheBase, SoftTargetMNRLoss):
    r""":class:`SoftTargetMNRLoss` with GradCache, as ``CachedMultipleNegativesRankingLoss`` is MNRL.

    The three GradCache steps are sentence-transformers' own (``CachedLossMixin``): embed every
    mini-batch without a graph; compute the loss on those embeddings and back-propagate it to
    them, ``mini_batch_size`` anchors at a time; re-embed each mini-batch with a graph and feed it
    the cached gradients (with each mini-batch's random state replayed, so dropout matches).
    Loss and gradients equal :class:`SoftTargetMNRLoss`'s on the same batch (tested); memory is
    that of one mini-batch of activations plus the ``B x B(1+n)`` score matrix's rows of one
    mini-batch.  Needs sentence-transformers 6.0 or later.

    Parameters
    ----------
    mini_batch_size : int, default 32
        Texts per forward pass, and anchors per chunk of the loss.
    show_progress_bar : bool, default False
    **kwargs
        As :class:`SoftTargetMNRLoss`.
    """

    def __init__(
        self,
        model,
        train_dataset=None,
        *,
        mini_batch_size: int = 32,
        show_progress_bar: bool = False,
        **kwargs,
    ):
        require_gradcache("CachedSoftTargetMNRLoss")
        if mini_batch_size < 1:
            raise ValueError(f"mini_batch_size must be >= 1, got {mini_batch_size!r}")
        SoftTargetMNRLoss.__init__(self, model, train_dataset, **kwargs)
        self.mini_batch_size = mini_batch_size
        self.show_progress_bar = show_progress_bar

    def forward(self, sentence_features, labels: torch.Tensor) -> torch.Tensor:
        sentence_features = list(sentence_features)
        if len(sentence_features) < 2:
            raise ValueError(
                f"expected (anchor, positive[, negative...]), got {len(sentence_features)}"
            )
        return self.forward_cached(sentence_features, labels)

    def calculate_loss(self, reps, labels=None, *, with_backward: bool = False) -> torch.Tensor:
        """The loss from the mini-batches' embeddings ``reps`` (one list per column), chunked
        over ``mini_batch_size`` anchors; with ``with_backward``, each chunk is back-propagated
        at once and the detached total returned."""
        anchors = torch.cat(reps[0])
        candidates = torch.cat([torch.cat(column) for column in reps[1:]])
        targets = self.targets(len(anchors), len(reps) - 1, labels, anchors.device)
        return chunked_loss(
            anchors, candidates, targets, self.scores, self.mini_batch_size, with_backward
        )

    def get_config_dict(self) -> dict[str, Any]:
        return {**super().get_config_dict(), "mini_batch_size": self.mini_batch_size}
