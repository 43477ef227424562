"""DDP with two CPU processes (gloo) gives the same step as one process on the same global batch."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from one_step import one_process_and_two


@pytest.mark.slow
def test_two_process_gloo_step_equals_one_process_big_batch(tmp_path):
    one, two = one_process_and_two(Path(__file__).parent / "ddp_worker.py", tmp_path, batch=8)
    assert one["world_size"] == 1 and two["world_size"] == 2
    assert one["steps"] == two["steps"] == 1
    torch.testing.assert_close(two["params"], one["params"], rtol=1e-4, atol=1e-6)
