"""Dense retrieval with soft labels: dual encoder, soft targets over candidates, FAISS, IR metrics."""

from __future__ import annotations

from textls.retrieval.collator import RetrievalCollator
from textls.retrieval.encoder import DualEncoder
from textls.retrieval.loss import contrastive_soft_target_loss
from textls.retrieval.soft_targets import CandidateSoftTargets
from textls.retrieval.trainer import RetrievalTrainer

__all__ = [
    "CandidateSoftTargets",
    "DualEncoder",
    "RetrievalCollator",
    "RetrievalTrainer",
    "contrastive_soft_target_loss",
]
