"""Gathered negatives and soft targets under DDP (2 gloo processes) equal one process, same global batch."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

HERE = Path(__file__).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], cwd: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(HERE), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.mark.slow
def test_two_process_step_with_gathered_candidates_equals_one_process(tmp_path):
    worker = str(HERE / "ddp_retrieval_worker.py")
    _run([sys.executable, worker, str(tmp_path / "one.pt"), "8", str(tmp_path / "a")], tmp_path)
    _run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "--master_addr",
            "127.0.0.1",
            "--master_port",
            str(_free_port()),
            worker,
            str(tmp_path / "two.pt"),
            "4",
            str(tmp_path / "b"),
        ],
        tmp_path,
    )
    one, two = torch.load(tmp_path / "one.pt"), torch.load(tmp_path / "two.pt")
    assert (one["world"], two["world"]) == (1, 2) and one["steps"] == two["steps"] == 1
    torch.testing.assert_close(two["params"], one["params"], rtol=1e-4, atol=1e-6)
