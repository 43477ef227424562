"""Dense retrieval with soft labels: dual encoder, soft targets over candidates, FAISS, IR metrics.

The public names are imported on first use (:mod:`textls._lazy`), so ``textls retrieval --help``
loads neither torch nor transformers.
"""

from __future__ import annotations

from textls._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "textls.retrieval.batching": ["clustered_batches"],
        "textls.retrieval.collator": ["RetrievalCollator"],
        "textls.retrieval.dataset_targets": ["DatasetSoftTargets", "with_row_ids"],
        "textls.retrieval.encoder": ["DualEncoder"],
        "textls.retrieval.loss": ["contrastive_soft_target_loss"],
        "textls.retrieval.soft_target_mnrl": ["CachedSoftTargetMNRLoss", "SoftTargetMNRLoss"],
        "textls.retrieval.soft_targets": ["CandidateSoftTargets"],
        "textls.retrieval.trainer": ["RetrievalTrainer"],
    },
)
