"""GradCache for :class:`~textls.retrieval.trainer.RetrievalTrainer`: large batches of in-batch
negatives in the memory of a mini-batch (Gao, Zhang, Han & Callan, "Scaling Deep Contrastive
Learning Batch Size under Memory Limited Setup", RepL4NLP 2021).

The three steps are sentence-transformers' (``CachedLossMixin``, 6.0 and later, the machinery of
its ``CachedMultipleNegativesRankingLoss``): (1) embed every mini-batch of queries and passages
without a graph, keeping each one's random state; (2) compute the batch's loss on those
embeddings and back-propagate it to them, ``mini_batch_size`` queries at a time; (3) during the
outer backward pass, re-embed each mini-batch with a graph (random state replayed, so dropout
matches) and feed it its cached gradient, synchronising DDP once, after the last one.  Loss and
parameter gradients equal the uncached step's (tested, alone and under 2-process DDP).
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
import torch.distributed as dist
from torch import nn

from textls.retrieval.distributed import check_equal_sizes
from textls.retrieval.loss import candidate_cross_entropy, candidate_scores


class _NoGradCache:
    """Stands in for ``CachedLossMixin`` on sentence-transformers < 6.0, where the cached losses
    refuse to be built (:func:`require_gradcache`) but their modules still import."""


def _cached_loss_mixin():
    try:
        from sentence_transformers.base.losses.gradcache import CachedLossMixin
    except ImportError:  # sentence-transformers < 6.0
        return None
    return CachedLossMixin


#: The base of textls's cached losses: sentence-transformers' GradCache machinery.
GradCacheBase = _cached_loss_mixin() or _NoGradCache


def require_gradcache(what: str) -> None:
    """Raise ``ImportError`` naming the fix when sentence-transformers has no GradCache."""
    if GradCacheBase is _NoGradCache:
        raise ImportError(
            f"{what} uses sentence-transformers' GradCache (CachedLossMixin, 6.0 and later): "
            'pip install "sentence-transformers>=6.0"'
        )


def chunked_loss(anchors, candidates, targets, score, chunk: int, with_backward: bool):
    """``mean_i CE(score(anchors_i, candidates), targets_i)``, ``chunk`` anchors at a time; with
    ``with_backward`` each chunk is back-propagated at once (so only one chunk's score rows are
    alive) and the detached total returned."""
    batch = anchors.shape[0]
    total = torch.zeros((), device=anchors.device)
    for begin in range(0, batch, chunk):
        end = min(begin + chunk, batch)
        scores = score(anchors[begin:end], candidates).float()
        part = (
            candidate_cross_entropy(scores, targets[begin:end], reduction="sum", validate=False)
            / batch
        )
        if with_backward:
            part.backward()
            part = part.detach()
        total = total + part
    return total


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


class CachedCandidateLoss(GradCacheBase, nn.Module):
    """One GradCache step of :class:`RetrievalTrainer`: call it with the collator's batch.

    Parameters
    ----------
    model : DualEncoder, possibly wrapped (DDP)
    trainer : RetrievalTrainer
        Supplies the batch's targets (:meth:`RetrievalTrainer.targets_of`) and the temperature.
    mini_batch_size : int
        Texts per forward pass, and queries per chunk of the loss.
    """

    def __init__(self, model, trainer, mini_batch_size: int):
        require_gradcache("--mini_batch_size")
        nn.Module.__init__(self)
        self.model = model
        self.trainer = trainer
        self.mini_batch_size = mini_batch_size
        self._sides = {}
        self._inputs = None

    def forward(self, inputs: dict) -> torch.Tensor:
        self._inputs = inputs
        self._sides = {id(inputs["query"]): "query", id(inputs["passage"]): "passage"}
        return self.forward_cached([inputs["query"], inputs["passage"]])

    def embed_minibatch(
        self, sentence_feature, begin, end, with_grad, copy_random_state, random_state=None
    ):
        """Embed rows ``begin:end`` of one side (the mixin's hook, for a DualEncoder)."""
        from sentence_transformers.base.losses.gradcache import RandContext

        side = self._sides[id(sentence_feature)]
        features = {key: value[begin:end] for key, value in sentence_feature.items()}
        with random_state if random_state is not None else nullcontext():
            with nullcontext() if with_grad else torch.no_grad():
                state = RandContext(*features.values()) if copy_random_state else None
                reps = self.model(**{side: features})[side]
        return reps, state

    def calculate_loss(self, reps, labels=None, *, with_backward: bool = False) -> torch.Tensor:
        """The batch's loss from the embeddings ``reps`` ([query mini-batches, passage
        mini-batches]), chunked over queries.  With ``with_backward``, each chunk is
        back-propagated at once; the gathered passages are a leaf whose gradient is summed over
        processes and handed back to this process's own passages, as ``all_gather``'s backward
        would."""
        queries, passages = torch.cat(reps[0]), torch.cat(reps[1])
        local = passages.shape[0]
        everyone = passages
        if _distributed():
            parts = [torch.empty_like(passages) for _ in range(dist.get_world_size())]
            check_equal_sizes(passages)
            dist.all_gather(parts, passages.detach().contiguous())
            everyone = torch.cat(parts).requires_grad_(passages.requires_grad)
        targets = torch.from_numpy(self.trainer.targets_of(self._inputs, local)).to(queries.device)
        total = chunked_loss(
            queries,
            everyone,
            targets,
            lambda q, p: candidate_scores(q, p, self.trainer.temperature),
            self.mini_batch_size,
            with_backward,
        )
        if with_backward and everyone is not passages and everyone.grad is not None:
            grad = everyone.grad.contiguous()
            dist.all_reduce(grad)
            rank = dist.get_rank()
            passages.backward(grad[rank * local : (rank + 1) * local])
        return total
