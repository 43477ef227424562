"""Run a cache build's shard tasks on Ray Data (``--engine ray``).

The tasks are the ones the local engine runs (:func:`textls.cache.shards.transform_shard` and the
statistics passes): a Ray Dataset holds one row per shard index and ``Dataset.map`` runs the task
for each, so Ray schedules, retries and spreads the work over the cluster while the shard
boundaries, the merge order and therefore the bytes of the result stay those of a one-process
build.  On a cluster, the cache folder (where the tasks read the converted input and write their
outputs) must be on a file system every node mounts.

Ray is an optional dependency: ``pip install "ray[data]"``.
"""

from __future__ import annotations

import contextlib
import json


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            'the Ray engine needs Ray Data: `pip install "ray[data]"` (or `pip install "textls[ray]"`)'
        ) from exc
    return ray


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None):
    """Connect to the cluster at ``address`` (``"auto"``: the one this process runs in), or start a
    local instance with ``num_cpus`` CPUs, shut down on exit.  An initialised Ray is used as is."""
    ray = _import_ray()
    started = False
    if not ray.is_initialized():
        init = {"include_dashboard": False, "log_to_driver": False}
        if address is not None:
            ray.init(address=address, **init)
        else:
            ray.init(num_cpus=num_cpus, **init)
        started = True
    try:
        yield
    finally:
        if started:
            ray.shutdown()


def run_tasks(fn, work, shards: list[int]) -> list:
    """``[fn(work, shard) for shard in shards]``, each call a task of a Ray Data ``map``.

    Results come back in shard order.  Call inside :func:`ray_session`.
    """
    if not shards:
        return []
    ray = _import_ray()
    ray.data.DataContext.get_current().enable_progress_bars = False
    dataset = ray.data.from_items(
        [{"shard": int(s)} for s in shards], override_num_blocks=len(shards)
    )
    rows = dataset.map(_Task(fn, work), num_cpus=1).take_all()
    results = {row["shard"]: json.loads(row["result"]) for row in rows}
    return [results[int(s)] for s in shards]


class _Task:
    """``row -> {"shard", "result"}`` for Ray Data; the result travels as JSON text."""

    def __init__(self, fn, work):
        self.fn = fn
        self.work = work

    def __call__(self, row: dict) -> dict:
        shard = int(row["shard"])
        return {"shard": shard, "result": json.dumps(self.fn(self.work, shard))}
