"""DDP with two CPU processes (gloo) gives the same step as one process on the same global batch."""

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


def _run(args: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(HERE), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.mark.slow
def test_two_process_gloo_step_equals_one_process_big_batch(tmp_path):
    single, ddp = tmp_path / "single.pt", tmp_path / "ddp.pt"
    worker = str(HERE / "ddp_worker.py")
    _run([sys.executable, worker, str(single), "8", str(tmp_path / "a")], tmp_path)
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
            str(ddp),
            "4",
            str(tmp_path / "b"),
        ],
        tmp_path,
    )
    one, two = torch.load(single), torch.load(ddp)
    assert one["world_size"] == 1 and two["world_size"] == 2
    assert one["steps"] == two["steps"] == 1
    torch.testing.assert_close(two["params"], one["params"], rtol=1e-4, atol=1e-6)
