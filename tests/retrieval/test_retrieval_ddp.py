"""Gathered negatives and soft targets under DDP (2 gloo processes) equal one process, same global batch."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from one_step import one_process, one_process_and_two, two_processes

WORKER = Path(__file__).parent / "ddp_retrieval_worker.py"


@pytest.mark.slow
def test_two_process_step_with_gathered_candidates_equals_one_process(tmp_path):
    one, two = one_process_and_two(
        Path(__file__).parent / "ddp_retrieval_worker.py", tmp_path, batch=8
    )
    assert (one["world"], two["world"]) == (1, 2) and one["steps"] == two["steps"] == 1
    torch.testing.assert_close(two["params"], one["params"], rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_two_process_gradcache_step_equals_one_process_uncached(tmp_path):
    """GradCache (mini-batches of 2) under 2 gloo processes: the same step as one process with
    the whole global batch and no cache."""
    pytest.importorskip("sentence_transformers.base.losses.gradcache")
    one = one_process(WORKER, tmp_path, 8)
    cached = two_processes(WORKER, tmp_path, 4, "2")
    assert cached["world"] == 2 and cached["steps"] == one["steps"] == 1
    torch.testing.assert_close(cached["params"], one["params"], rtol=1e-4, atol=1e-6)
