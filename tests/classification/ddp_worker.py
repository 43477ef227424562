"""Train one SGD step of SoftLabelTrainer and save the parameters; run alone or under torchrun.

python ddp_worker.py OUT.pt BATCH_PER_DEVICE TMPDIR [REGULARIZER]
torchrun --nproc_per_node 2 ddp_worker.py OUT.pt BATCH_PER_DEVICE TMPDIR [REGULARIZER]

Rank 0 saves the parameters after the step, the step count, the training loss and each rank's
parameters (gathered: DDP must keep the replicas equal, whatever the regularizer does per rank).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import torch
from one_step import sgd_step_args
from tiny_models import CORPUS, make_model, make_tokenizer
from transformers import set_seed

from textls import get_smoother
from textls.classification import SoftLabelCollator, SoftLabelTrainer
from textls.classification.data import build_dataset


def main(out: str, batch: int, tmp: str, regularizer: str | None = None) -> None:
    texts, labels = [t for t, _ in CORPUS][:8], [label for _, label in CORPUS][:8]
    # One vocabulary folder per rank: two ranks writing one file can read it half-written.
    folder = Path(tmp) / f"rank{os.environ.get('RANK', '0')}"
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = make_tokenizer(folder)
    soft = get_smoother("kwls", epsilon=0.3, min_df=1).fit_transform(texts, labels)
    classes = sorted(set(labels))
    dataset = build_dataset(
        tokenizer, texts, np.array([classes.index(x) for x in labels]), soft, max_length=16
    )
    set_seed(0)
    model = make_model(num_labels=len(classes))
    args = sgd_step_args(Path(tmp) / "out", batch)
    trainer = SoftLabelTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        data_collator=SoftLabelCollator(tokenizer),
        loss_mode="soft",
        regularizer=regularizer,
    )
    loss = trainer.train().training_loss
    params = torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
    replicas = trainer.accelerator.gather(params[None])  # (world, P)
    if trainer.is_world_process_zero():
        torch.save(
            {
                "params": params,
                "replicas": replicas,
                "world_size": trainer.accelerator.num_processes,
                "steps": trainer.state.global_step,
                "loss": loss,
            },
            out,
        )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
    # Every collective is done and the result saved: leave without the interpreter's teardown, in
    # which gloo's threads dying once aborted a rank ("terminate called without an active
    # exception") after a successful run.
    sys.stdout.flush()
    os._exit(0)
