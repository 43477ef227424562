"""``RetrievalTrainer``: a ``Trainer`` for dual encoders with in-batch and hard negatives."""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist
from transformers import Trainer

from textls._utils import check_positive_finite
from textls.retrieval.distributed import gather, gather_with_grad
from textls.retrieval.loss import contrastive_soft_target_loss
from textls.retrieval.soft_targets import (
    CandidateSoftTargets,
    membership_mask,
    mix_with_positives,
    positive_mask,
)


class RetrievalTrainer(Trainer):
    r"""Train a :class:`~textls.retrieval.encoder.DualEncoder` on soft targets over batch candidates.

    Each query is scored against every passage in the (global) batch: its positive, the other
    queries' positives and all hard negatives; the loss is
    :func:`~textls.retrieval.loss.contrastive_soft_target_loss` with targets from
    ``soft_targets`` (or one-hot on the known positives when ``None``).

    Under DDP the passage embeddings of all processes are gathered (with gradients) so every query
    sees the global batch's candidates, and the candidates' corpus rows are gathered in the same
    rank order, so each soft target lines up with the embedding it scores; each process's loss is
    the mean over its own queries, and DDP's gradient averaging then gives the gradient of the
    global mean (tested against one process with the same global batch).

    Parameters
    ----------
    soft_targets : CandidateSoftTargets, optional
        Fitted soft targets, or ``None`` (hard targets).
    positives : dict, optional
        ``{query_row: set(passage_rows)}`` known relevant passages (from qrels).
    negatives : dict, optional
        ``{query_row: passage_rows}`` hard negatives mined for each query: where the guided
        targets look for suspects (``suspects="mined"``, their default).
    temperature : float, default 0.05
        :math:`\tau` of the contrastive softmax.
    mini_batch_size : int, optional
        GradCache (:mod:`textls.retrieval.gradcache`): embed and back-propagate the batch this
        many texts at a time, so memory is that of a mini-batch whatever the batch size; the
        loss and gradients are the uncached step's.  Needs sentence-transformers 6.0 or later.
    *args, **kwargs
        Passed to ``transformers.Trainer``.
    """

    def __init__(
        self,
        *args,
        soft_targets: CandidateSoftTargets | None = None,
        positives: dict | None = None,
        negatives: dict | None = None,
        temperature: float = 0.05,
        mini_batch_size: int | None = None,
        **kwargs,
    ):
        if mini_batch_size is not None and mini_batch_size < 1:
            raise ValueError(f"mini_batch_size must be >= 1, got {mini_batch_size!r}")
        check_positive_finite(temperature, "temperature")  # before the Trainer is set up
        super().__init__(*args, **kwargs)
        self.soft_targets = soft_targets
        self.positives = positives or {}
        self.negatives = negatives or {}
        self.temperature = temperature
        self.mini_batch_size = mini_batch_size

    def _set_signature_columns_if_needed(self) -> None:
        if self._signature_columns is None:
            self._signature_columns = ["query_row", "positive_row", "negative_rows"]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.mini_batch_size and model.training:
            from textls.retrieval.gradcache import CachedCandidateLoss

            loss = CachedCandidateLoss(model, self, self.mini_batch_size)(inputs)
            return (loss, {}) if return_outputs else loss
        outputs = model(query=inputs["query"], passage=inputs["passage"])
        queries, passages = outputs["query"], outputs["passage"]
        targets = self.targets_of(inputs, passages.shape[0])
        loss = contrastive_soft_target_loss(
            queries,
            gather_with_grad(passages),
            torch.from_numpy(targets).to(queries.device),
            temperature=self.temperature,
        )
        return (loss, outputs) if return_outputs else loss

    def targets_of(self, inputs: dict, n_local_passages: int) -> np.ndarray:
        """``(Q, P_global)`` targets of a collated batch whose process holds ``n_local_passages``
        candidates (the candidates' corpus rows are gathered from every process, in rank order)."""
        passage_rows = gather(inputs["passage_rows"]).cpu().numpy()
        query_rows = inputs["query_rows"].cpu().numpy()
        return self.batch_targets(
            query_rows,
            passage_rows,
            own_columns=self._own_columns(len(query_rows), n_local_passages),
        )

    def _own_columns(self, n_queries: int, n_local_passages: int) -> np.ndarray:
        rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
        return rank * n_local_passages + np.arange(n_queries)

    def batch_targets(
        self, query_rows: np.ndarray, passage_rows: np.ndarray, own_columns: np.ndarray
    ) -> np.ndarray:
        """``(Q, P)`` targets: positives are each query's own column plus any candidate its qrels mark."""
        mask = positive_mask(query_rows, passage_rows, own_columns, self.positives)
        if self.soft_targets is None:
            return mix_with_positives(np.zeros(mask.shape), mask, 0.0)
        mined = membership_mask(query_rows, passage_rows, self.negatives)
        return self.soft_targets.targets(query_rows, passage_rows, mask, mined)

    def _save(self, output_dir: str | None = None, state_dict=None) -> None:
        self.accelerator.unwrap_model(self.model).save(
            output_dir or self.args.output_dir, tokenizer=self.processing_class
        )
