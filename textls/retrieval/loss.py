"""Contrastive loss of a dual encoder against soft targets over each query's candidates."""

from __future__ import annotations

import torch

from textls._utils import check_positive_finite
from textls.losses import soft_target_cross_entropy


def candidate_scores(
    queries: torch.Tensor, passages: torch.Tensor, temperature: float
) -> torch.Tensor:
    """``(Q, P)`` scores ``q_i . p_j / tau`` of every query against every candidate passage."""
    if queries.dim() != 2 or passages.dim() != 2 or queries.shape[1] != passages.shape[1]:
        raise ValueError(
            f"queries {tuple(queries.shape)} and passages {tuple(passages.shape)} must be (Q, d) and (P, d)"
        )
    temperature = check_positive_finite(temperature, "temperature")
    return queries @ passages.T / temperature


def contrastive_soft_target_loss(
    queries: torch.Tensor,
    passages: torch.Tensor,
    targets: torch.Tensor,
    temperature: float = 0.05,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""In-batch contrastive loss with a soft target over the candidates.

    For query ``i`` and candidates ``j`` (its positive, the other queries' positives, every hard
    negative in the batch), with embeddings :math:`q_i, p_j` and temperature :math:`\tau`:

    .. math::
        \mathcal{L}_i = -\sum_j y_{ij} \log \frac{\exp(q_i \cdot p_j / \tau)}{\sum_k \exp(q_i \cdot p_k / \tau)}

    One-hot :math:`y_i` on the positive is the usual InfoNCE / MultipleNegativesRankingLoss; a soft
    :math:`y_i = (1 - e)\,\mathrm{onehot}(pos_i) + e\, r_i` lets candidates that are in fact relevant
    keep some mass instead of being pushed away as hard as random negatives.

    Parameters
    ----------
    queries : Tensor of shape (Q, d)
        Query embeddings.
    passages : Tensor of shape (P, d)
        Candidate embeddings.
    targets : Tensor of shape (Q, P)
        Rows summing to one.
    temperature : float, default 0.05
        :math:`\tau` (0.05 as in sentence-transformers' scale 20).
    reduction : {"mean", "sum", "none"}, default "mean"
        How the per-query losses are combined.

    Returns
    -------
    Tensor
        The loss: a scalar, or ``(Q,)`` with ``reduction="none"``.
    """
    scores = candidate_scores(queries, passages, temperature)
    return candidate_cross_entropy(scores.float(), targets, reduction=reduction)


#: The score an ignored candidate gets: ``exp`` of it (and of it plus any cosine score) is 0 in
#: float32, so it leaves the softmax, and unlike ``-inf`` a 0 target times its log-probability
#: stays 0.
IGNORED_SCORE = -1e4


def candidate_cross_entropy(scores: torch.Tensor, targets: torch.Tensor, **options) -> torch.Tensor:
    """:func:`~textls.losses.soft_target_cross_entropy` (``options``: its ``reduction``,
    ``validate``) of every candidate loss of textls, with the candidates a target marks as ignored
    (NaN, see :func:`textls.retrieval.soft_targets.suspected_positive_targets`) taken out of the
    softmax: their score becomes :data:`IGNORED_SCORE` and their target 0.  GISTEmbed's treatment
    of a suspected false negative: neither a positive nor a negative."""
    ignored = torch.isnan(targets)
    if bool(ignored.any()):
        scores, targets = (
            scores.masked_fill(ignored, IGNORED_SCORE),
            targets.masked_fill(ignored, 0.0),
        )
    return soft_target_cross_entropy(scores, targets, **options)
