"""The loop every compare shares: methods x seeds in one output folder.

:func:`run_experiment` does for ``textls compare`` and ``textls retrieval compare`` alike what
is not about the task: the output folder's policy (:mod:`.output_folder`: refused before any
work unless it is new, empty or a compare's own; locked against a second compare; the previous
run's files replaced only once every check passed), the plan of runs, a "run k of n ... about
m:ss left" line after each, each run's seconds, and a folder that says plainly whether the run
finished.  A task supplies the rest (:class:`Task`).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from textls.experiments.output_folder import LOCK, OutputRecord, check_output_dir, start_run
from textls.locking import folder_lock

logger = logging.getLogger(__name__)


def seeds_field(default: int):
    """A compare's ``--seeds``: how many runs per method."""
    return field(
        default=default,
        metadata={"help": "Runs per method, with seeds --seed .. --seed + seeds - 1."},
    )


def first_seed_field(seeded: str):
    """A compare's ``--seed``: the first run's seed; ``seeded`` says what it sets."""
    return field(
        default=0,
        metadata={
            "help": f"The first run's seed ({seeded}): the runs of every method use --seeds "
            "seeds from it."
        },
    )


@dataclass
class RunOutcome:
    """What one run gave the runner.

    Attributes
    ----------
    metrics : dict
        The run's metrics (its entry in ``results.json``'s runs).
    shown : dict or None
        The metrics its progress line shows (default: all of ``metrics``).
    detail : str
        What the progress line says after them (how long the model trained, ...).
    result : object
        The task's own record of the run, handed back to :meth:`Task.finish`.
    warnings : list of str
        What makes it not a finished model, each logged as a warning.
    """

    metrics: dict[str, float]
    shown: dict[str, float] | None = None
    detail: str = ""
    result: Any = None
    warnings: list[str] = field(default_factory=list)


class Task(Protocol):
    """One kind of compare, as :func:`run_experiment` drives it."""

    #: The command, for messages ("textls compare").
    writer: str
    #: The names of what its runs write (:mod:`.output_folder`).
    own_names: re.Pattern

    def prepare(self) -> list[tuple[str, int]]:
        """Read the data and do every check and every piece of work that can fail before a
        model trains (nothing is written: the previous run's files are still there); return the
        plan, the ``(method, seed)`` of each run in order."""

    def run_one(self, method: str, seed: int, run: int, record: OutputRecord) -> RunOutcome:
        """Train and evaluate the ``run``-th seed (``seed``) of ``method``; every file it writes
        in the folder is added to ``record`` first."""

    def finish(self, record: OutputRecord, runs: list[dict], outcomes: dict, seconds: dict) -> dict:
        """Write the results (``results.json`` last, added to ``record`` first) and return
        them; ``outcomes`` and ``seconds`` hold each method's :attr:`RunOutcome.result` and run
        seconds, in seed order."""


def run_experiment(task: Task, out: Path) -> dict:
    """Run ``task``'s plan in ``out`` (see the module docstring); returns its results."""
    out = Path(out)
    check_output_dir(out, task.own_names, task.writer)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        # one compare writes into a folder at a time: a second fails now, naming the first
        with folder_lock(out, LOCK, writer="compare"):
            plan = task.prepare()
            # every check passed: the previous run's files go (its results first)
            record = start_run(out, task.own_names)
            results = _run_plan(task, plan, record)
            record.finish()
            return results
    except BaseException:
        if created and not any(out.iterdir()):  # a compare that failed before writing anything
            out.rmdir()
        raise


def _run_plan(task: Task, plan: list[tuple[str, int]], record: OutputRecord) -> dict:
    progress = Progress(len(plan))
    runs, outcomes, seconds = [], {}, {}
    for method, seed in plan:
        start = time.perf_counter()
        outcome = task.run_one(method, seed, len(outcomes.get(method, [])), record)
        seconds.setdefault(method, []).append(time.perf_counter() - start)
        runs.append({"method": method, "seed": seed, "metrics": outcome.metrics})
        outcomes.setdefault(method, []).append(outcome.result)
        progress.log(
            method,
            seed,
            outcome.metrics if outcome.shown is None else outcome.shown,
            outcome.detail,
        )
        for warning in outcome.warnings:
            logger.warning("%s seed %d is not a finished model: %s", method, seed, warning)
    return task.finish(record, runs, outcomes, seconds)


class Progress:
    """Logs "run k of n: METHOD seed S: metrics; detail (elapsed, about ... left)" after each
    run."""

    def __init__(self, total: int):
        self.total, self.done, self.started = total, 0, time.perf_counter()

    def log(self, method: str, seed: int, metrics: dict[str, float], detail: str = "") -> None:
        self.done += 1
        elapsed = time.perf_counter() - self.started
        logger.info(
            "run %d of %d: %s seed %d: %s%s (%s elapsed, about %s left)",
            self.done,
            self.total,
            method,
            seed,
            ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()),
            f"; {detail}" if detail else "",
            _duration(elapsed),
            _duration(elapsed / self.done * (self.total - self.done)),
        )


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}:{seconds:02d}"
