"""Shared by the trainer tests: one-step SGD arguments, and running a worker alone and under torchrun.

A single plain SGD step (constant rate, no weight decay, no clipping) makes parameters after the step
a direct function of the gradient, so two set-ups that should compute the same gradient can be
compared by their parameters.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch
from transformers import TrainingArguments

HERE = Path(__file__).parent


def sgd_step_args(output_dir, batch: int, **overrides) -> TrainingArguments:
    """TrainingArguments for plain SGD on the CPU; gloo DDP when launched by torchrun."""
    base = dict(
        output_dir=str(output_dir),
        per_device_train_batch_size=batch,
        per_device_eval_batch_size=batch,
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
        seed=0,
        data_seed=0,
        use_cpu=True,
        ddp_backend="gloo" if int(os.environ.get("WORLD_SIZE", "1")) > 1 else None,
    )
    base.update(overrides)
    return TrainingArguments(**base)


def _run(args: list[str], cwd: Path, pythonpath: list[Path]) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath),
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def one_process_and_two(worker: Path, tmp_path: Path, batch: int, *extra: str) -> tuple[dict, dict]:
    """Run ``worker OUT BATCH TMP [EXTRA...]`` once with ``batch`` and under 2-process torchrun with
    ``batch // 2`` per process (the same global batch); return what each saved."""
    return one_process(worker, tmp_path, batch, *extra), two_processes(
        worker, tmp_path, batch // 2, *extra
    )


def one_process(worker: Path, tmp_path: Path, batch: int, *extra: str) -> dict:
    """Run ``worker OUT BATCH TMP [EXTRA...]`` in one process; return what it saved."""
    one = tmp_path / "one.pt"
    command = [sys.executable, str(worker), str(one), str(batch), str(tmp_path / "a"), *extra]
    _run(command, tmp_path, [worker.parent, HERE])
    return torch.load(one)


def two_processes(worker: Path, tmp_path: Path, batch: int, *extra: str) -> dict:
    """Run ``worker OUT BATCH TMP [EXTRA...]`` under 2-process torchrun (gloo); return what it saved."""
    two = tmp_path / "two.pt"
    # --standalone: the rendezvous binds a port the system picks, so no other process can take
    # a port chosen beforehand (a race a loaded CI machine running other tests can lose)
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
    ]
    command = [*torchrun, str(worker), str(two), str(batch), str(tmp_path / "b"), *extra]
    _run(command, tmp_path, [worker.parent, HERE])
    return torch.load(two)
