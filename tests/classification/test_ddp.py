"""DDP with two CPU processes (gloo) gives the same step as one process on the same global batch."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from one_step import one_process_and_two, two_processes

WORKER = Path(__file__).parent / "ddp_worker.py"


@pytest.mark.slow
@pytest.mark.parametrize("regularizer", [None, "confidence-penalty", "bootstrap-hard"])
def test_two_process_gloo_step_equals_one_process_big_batch(tmp_path, regularizer):
    extra = [regularizer] if regularizer else []
    one, two = one_process_and_two(WORKER, tmp_path, 8, *extra)
    assert one["world_size"] == 1 and two["world_size"] == 2
    assert one["steps"] == two["steps"] == 1
    torch.testing.assert_close(two["params"], one["params"], rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_mixup_under_two_process_gloo_keeps_the_replicas_equal(tmp_path):
    """Mixup mixes each rank's own rows (its own permutation), so the step differs from one
    process's; DDP must still average the gradients: both replicas end the step equal."""
    two = two_processes(WORKER, tmp_path, 4, "mixup")
    assert two["world_size"] == 2 and two["steps"] == 1 and math.isfinite(two["loss"])
    first, second = two["replicas"]
    torch.testing.assert_close(first, second)
