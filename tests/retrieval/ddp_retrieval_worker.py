"""One SGD step of RetrievalTrainer with KWLS soft targets; run alone or under torchrun."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import torch
from datasets import Dataset
from tiny_retrieval import PASSAGES, QUERIES, make_encoder, make_tokenizer
from transformers import TrainingArguments, set_seed

from textls.retrieval.collator import RetrievalCollator
from textls.retrieval.soft_targets import CandidateSoftTargets
from textls.retrieval.trainer import RetrievalTrainer


def main(out: str, batch: int, tmp: str) -> None:
    tokenizer = make_tokenizer(Path(tmp))
    soft = CandidateSoftTargets(method="kwls", epsilon=0.5, temperature=0.1).fit(QUERIES, PASSAGES)
    n = len(QUERIES)
    negatives = [[(i + 3) % n] for i in range(n)]
    dataset = Dataset.from_dict(
        {"query_row": list(range(n)), "positive_row": list(range(n)), "negative_rows": negatives}
    )
    set_seed(0)
    encoder = make_encoder()
    args = TrainingArguments(
        output_dir=str(Path(tmp) / "out"),
        per_device_train_batch_size=batch,
        num_train_epochs=1,
        learning_rate=0.5,
        optim="sgd",
        lr_scheduler_type="constant",
        weight_decay=0.0,
        max_grad_norm=0.0,
        report_to=[],
        save_strategy="no",
        logging_strategy="no",
        disable_tqdm=True,
        use_cpu=True,
        remove_unused_columns=False,
        ddp_backend="gloo" if int(os.environ.get("WORLD_SIZE", "1")) > 1 else None,
        seed=0,
    )
    trainer = RetrievalTrainer(
        model=encoder,
        args=args,
        train_dataset=dataset,
        data_collator=RetrievalCollator(tokenizer, QUERIES, PASSAGES, negatives_per_query=1),
        soft_targets=soft,
        temperature=0.1,
    )
    trainer.train()
    if trainer.is_world_process_zero():
        params = torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
        torch.save(
            {
                "params": params,
                "world": trainer.accelerator.num_processes,
                "steps": trainer.state.global_step,
            },
            out,
        )


if __name__ == "__main__":
    np.seterr(all="raise")
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
