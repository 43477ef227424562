"""One SGD step of RetrievalTrainer with KWLS soft targets; run alone or under torchrun.

python ddp_retrieval_worker.py OUT.pt BATCH_PER_DEVICE TMPDIR [MINI_BATCH_SIZE]
(with MINI_BATCH_SIZE, the step uses GradCache)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import torch
from datasets import Dataset
from one_step import sgd_step_args
from tiny_retrieval import PASSAGES, QUERIES, make_encoder, make_tokenizer
from transformers import set_seed

from textls.retrieval.collator import RetrievalCollator
from textls.retrieval.soft_targets import CandidateSoftTargets
from textls.retrieval.trainer import RetrievalTrainer


def main(out: str, batch: int, tmp: str, mini_batch_size: int | None = None) -> None:
    # One vocabulary folder per rank: two ranks writing one file can read it half-written.
    folder = Path(tmp) / f"rank{os.environ.get('RANK', '0')}"
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = make_tokenizer(folder)
    soft = CandidateSoftTargets(method="kwls", epsilon=0.5, temperature=0.1).fit(QUERIES, PASSAGES)
    n = len(QUERIES)
    negatives = [[(i + 3) % n] for i in range(n)]
    dataset = Dataset.from_dict(
        {"query_row": list(range(n)), "positive_row": list(range(n)), "negative_rows": negatives}
    )
    set_seed(0)
    encoder = make_encoder()
    args = sgd_step_args(Path(tmp) / "out", batch, remove_unused_columns=False)
    trainer = RetrievalTrainer(
        model=encoder,
        args=args,
        train_dataset=dataset,
        data_collator=RetrievalCollator(tokenizer, QUERIES, PASSAGES, negatives_per_query=1),
        soft_targets=soft,
        temperature=0.1,
        mini_batch_size=mini_batch_size,
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
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], *map(int, sys.argv[4:5]))
    # The step is done and rank 0's result saved: leave without the interpreter's teardown, in
    # which gloo's threads dying aborted rank 0 under load ("terminate called without an active
    # exception") after a successful step, as tests/classification/ddp_worker.py does.
    sys.stdout.flush()
    os._exit(0)
