"""Build a soft-label cache: fit from merged shard statistics, then transform shard by shard.

The build is a sequence of idempotent steps on files in the cache folder, so any step can run in
any process, on any machine that sees the folder, and a re-run does only what is missing:

1. **input**: the labelled data, checked, fingerprinted and written once to ``_work/input.arrow``
   (memory-mapped by every task); the plan (method, parameters, fingerprint, shard boundaries) goes
   to ``build.json``.  A re-run with other data or parameters is refused.
2. **fit**: for each statistics pass of the method (its ``cache_passes``), one
   task per shard writes its statistics; the merge adds them and fits the generator; with
   ``temperature="auto"`` the driver then fits ``T`` on the fixed sample of rows ``fit`` uses.
   The result is ``fit/state.zip`` (:mod:`textls.cache.state_io`: data, never a pickle).
3. **transform**: one task per shard writes ``shards/shard-I-of-N.arrow`` (temporary name, then
   renamed) and its record ``.json`` (rows, bytes, sha256).  A shard whose file and record exist
   and whose checksum matches is skipped.
4. **manifest**: written last, atomically, when every shard is complete.

One build writes a folder at a time: a whole-folder run holds ``build.lock`` (shard tasks, which
run many at once by design, only check that no such run holds it).  ``overwrite`` removes only the
files a build writes and refuses a folder holding anything else; a folder that is, holds or lies in
the input is refused.

Tasks run in this process (``num_proc=1``), in a pool of processes, or on Ray Data
(``engine="ray"``); they compute the same things from the same shard boundaries, so the result is
byte-identical whichever runs them.

The plan and its ``Work`` live in :mod:`textls.cache.plan`, the output folder's handling in
:mod:`textls.cache.folder`, and the shard files, the manifest and the fitted state on disk in
:mod:`textls.cache.shards`; this module runs the steps.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from textls._sklearn_compat import forget_stop_words_id
from textls.cache import folder, source
from textls.cache.manifest import MANIFEST, CacheError, ensure_folder
from textls.cache.plan import Work, prepare_build
from textls.cache.shards import (
    complete_record,
    kept_counts,
    read_fitted_state,
    read_state,
    store_shard,
    transform_shard,
    write_cache_manifest,
    write_state,
)
from textls.cache.source import InputSpec
from textls.cache.statistics import (
    FittedState,
    counter_for,
    fit_from_counts,
    fit_state_temperature,
    merge_counts,
    merge_pass,
    mergeable,
    pass_statistics,
    passes,
    shard_counts,
    temperature_rows,
)

logger = logging.getLogger(__name__)

STAGES = ("all", "fit", "merge", "transform")
ENGINES = ("local", "ray")
LAYOUTS = ("dense", "topk")


@dataclass
class BuildResult:
    """What a call to :func:`build_cache` did."""

    path: Path
    complete: bool
    stage: str
    shards_written: list[int] = field(default_factory=list)
    shards_skipped: list[int] = field(default_factory=list)
    seconds: float = 0.0
    message: str = ""

    def __str__(self) -> str:
        return self.message


def build_cache(
    input: str | os.PathLike,
    output: str | os.PathLike,
    *,
    method: str = "kwls",
    params: dict | None = None,
    text_column: str = "text",
    label_column: str = "label",
    id_column: str | None = None,
    split: str | None = None,
    num_shards: int | None = None,
    shard: int | None = None,
    stage: str = "all",
    num_proc: int = 1,
    engine: str = "local",
    ray_address: str | None = None,
    layout: str = "dense",
    top_k: int | None = None,
    overwrite: bool = False,
    keep_work: bool = False,
) -> BuildResult:
    """Build (or resume) the soft-label cache of a labelled corpus in the folder ``output``.

    Parameters
    ----------
    input : path
        CSV, TSV, JSONL, JSON or Parquet file, or a folder saved by ``datasets`` (``save_to_disk``;
        a ``DatasetDict`` needs ``split``).
    output : path
        The cache folder (created).  It must be shared by all workers of a distributed build.
    method, params
        The generator, as for :func:`textls.get_smoother` (``params`` go to its constructor).
    num_shards : int, optional
        Contiguous shards of about equal size; default ``ceil(rows / 100,000)``.  Fixed by the
        first run (``build.json``); the result does not depend on it for ``kwls`` and
        ``ls-classic``, and only in float rounding for ``ls-tfidf``.
    shard : int, optional
        Run only this shard's task of ``stage`` ("fit" or "transform"), for an external scheduler.
    stage : {"all", "fit", "merge", "transform"}
        ``all`` does everything missing.  ``fit`` computes the fit statistics (all shards, or
        ``shard``) and, without ``shard``, merges them.  ``merge`` merges statistics that shard
        tasks wrote (and says which are missing).  ``transform`` writes shards (all missing, or
        ``shard``) and, without ``shard``, the manifest.
    num_proc : int
        Processes for the shard tasks (local engine), or CPUs for a local Ray instance.
    engine : {"local", "ray"}
        ``ray`` runs the shard tasks on Ray Data (``pip install "ray[data]"``), on the cluster at
        ``ray_address`` or a local instance.
    layout, top_k
        ``dense``: every class's probability (float32).  ``topk``: the ``top_k`` largest
        probabilities of each row with their class indices, for many classes or for retrieval.
    overwrite : bool
        Replace a cache of other data or parameters in ``output`` instead of refusing.  Only the
        files a build wrote are removed; a folder that holds any other file is refused.

    Returns
    -------
    BuildResult
        What this run did; open a complete cache with :func:`textls.load_cache`.

    Raises
    ------
    CacheError
        While another build writes to ``output``, and for an input that cannot be read (leaving
        no ``_work/`` behind).
    """
    started = time.perf_counter()
    params = dict(params or {})
    _check_options(method, params, stage, shard, engine, layout, top_k, num_proc, num_shards)
    if overwrite and shard is not None:  # one shard task must not clear its siblings' files
        raise ValueError(
            "--overwrite clears the whole folder, so it cannot go with --shard (other shard tasks "
            "may be writing there); clear it with one whole-folder run first"
        )
    root = Path(output)
    spec = InputSpec(str(input), text_column, label_column, id_column, split)
    with folder.writing(root, spec, whole_folder=shard is None, overwrite=overwrite):
        work, plan = prepare_build(spec, root, method, params, num_shards, layout, top_k)
        if shard is not None and not 0 <= shard < work.num_shards:
            raise ValueError(f"shard must be in [0, {work.num_shards}), got {shard}")
        result = BuildResult(root, False, stage)
        if (root / MANIFEST).exists():
            damage = folder.damage(root)
            if damage is None:
                result.complete = True
                result.message = f"{root}: complete ({plan['num_rows']} rows, {work.num_shards} shards); nothing to do"
                return result
            # a shard (or the fit) was damaged after the build: repair it, keeping what is intact
            logger.warning("%s; rebuilding what is damaged", damage)
            (root / MANIFEST).unlink()
            ensure_folder(work.path("_work"))
            source.write_input(spec, work.path("_work", "input.arrow"))
        if not mergeable(method, params):
            _fit_whole(work, result)
            _complete(work, plan, result, keep_work)
            return _finish(result, started)
        with _engine(engine, num_proc, ray_address) as runner:
            if stage in ("fit", "merge") or (stage == "all" and shard is None):
                if shard is not None:
                    _fit_shard(work, shard, result)
                    return _finish(result, started)
                _fit(work, runner, result, compute=stage != "merge")
                if stage != "all":
                    return _finish(result, started)
            if not work.fit_path().exists():
                raise CacheError(
                    f"{root}: the fit is not finished; run `--stage fit` (or `--stage merge` "
                    "after the shard fit tasks) before transforming"
                )
            todo = [shard] if shard is not None else list(range(work.num_shards))
            for record in runner(transform_shard, work, todo):
                done = result.shards_skipped if record["skipped"] else result.shards_written
                done.append(record["shard"])
        if shard is None:
            _complete(work, plan, result, keep_work)
        return _finish(result, started)


def _complete(work: Work, plan: dict, result: BuildResult, keep_work: bool) -> None:
    write_cache_manifest(work, plan)
    result.complete = True
    if not keep_work:
        shutil.rmtree(work.path("_work"), ignore_errors=True)


def _finish(result: BuildResult, started: float) -> BuildResult:
    result.seconds = time.perf_counter() - started
    if not result.message:
        parts = []
        if result.shards_written:
            parts.append(f"wrote {len(result.shards_written)} shard(s)")
        if result.shards_skipped:
            parts.append(f"kept {len(result.shards_skipped)} complete shard(s)")
        parts.append("cache complete" if result.complete else f"stage {result.stage} done")
        if not result.complete and result.stage == "transform":
            parts.append(
                "when every shard is done, run --stage transform without --shard to "
                "write the manifest"
            )
        result.message = f"{result.path}: " + ", ".join(parts) + f" in {result.seconds:.1f} s"
    return result


def _check_options(method, params, stage, shard, engine, layout, top_k, num_proc, num_shards):
    from textls.smoothers import SMOOTHERS, get_smoother

    if method not in SMOOTHERS:
        raise ValueError(f"unknown smoothing method {method!r}; choose one of {sorted(SMOOTHERS)}")
    get_smoother(method, **params).check_params()
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    if shard is not None and stage not in ("fit", "transform"):
        raise ValueError(
            "--shard runs one shard's task: use it with --stage fit or --stage transform"
        )
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if layout == "topk" and (top_k is None or top_k < 1):
        raise ValueError("layout 'topk' needs a positive top_k")
    if layout == "dense" and top_k is not None:
        raise ValueError("top_k is for layout 'topk'; a dense cache keeps every class")
    if num_proc < 1:
        raise ValueError(f"num_proc must be at least 1, got {num_proc}")
    if num_shards is not None and num_shards < 1:
        raise ValueError(f"num_shards must be at least 1, got {num_shards}")
    if not mergeable(method, params) and (stage != "all" or shard is not None or engine != "local"):
        raise ValueError(
            f"{method}{' with these parameters' if passes(method, params) else ''} is fitted on "
            "the whole corpus at once (LS-Distill is cross-fitted, KWLS with an extractor reads "
            "the texts), so it cannot be fitted shard by shard: build it in one process (--stage "
            "all, no --shard, --engine local)"
        )


# -- engines -------------------------------------------------------------------------------------


@contextlib.contextmanager
def _engine(engine: str, num_proc: int, ray_address: str | None):
    """``runner(fn, work, shards) -> [fn(work, shard), ...]`` on the chosen engine."""
    if engine == "ray":
        from textls.cache.ray_engine import ray_session, run_tasks

        with ray_session(ray_address, num_proc):
            yield run_tasks
    else:
        yield lambda fn, work, shards: _local_tasks(fn, work, shards, num_proc)


def _local_tasks(fn, work: Work, shards: list[int], num_proc: int) -> list:
    if num_proc == 1 or len(shards) < 2:
        return [fn(work, s) for s in shards]
    # fork: workers inherit the imported modules, so a task starts in milliseconds.
    method = "fork" if sys.platform == "linux" else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(min(num_proc, len(shards)), mp_context=context) as pool:
        return list(pool.map(fn, [work] * len(shards), shards))


# -- fit -----------------------------------------------------------------------------------------


def _pending_pass(work: Work) -> int | None:
    """Index of the first statistics pass not merged yet, or ``None`` when the fit is complete."""
    if work.fit_path().exists():
        return None
    for index, name in enumerate(work.passes):
        if not work.merged_path(name).exists():
            return index
    return len(work.passes)  # all merged; the state is being finished


def fit_shard_statistics(work: Work, shard: int, pass_index: int | None = None) -> dict:
    """Task: write one shard's statistics for the pending pass (kept if already there)."""
    index = _pending_pass(work) if pass_index is None else pass_index
    name = work.passes[index]
    path = work.stats_path(name, shard)
    if path.exists():
        return {"shard": shard, "pass": name, "skipped": True}
    table = source.open_rows(work.path("_work", "input.arrow"))
    texts, labels, _ = source.rows(table, work.bounds[shard], work.bounds[shard + 1])
    ensure_folder(path.parent)
    if name == "counts":
        counter, class_terms, n_splits = counter_for(work.method, work.params)
        folds = n_splits and (work.bounds[shard], work.bounds[-1], n_splits)
        stats, matrix = shard_counts(texts, labels, counter, class_terms, folds)
        if matrix is not None:  # kept, so the later passes need not tokenise again
            write_state(work.matrix_path(shard), matrix)
    else:
        state = read_fitted_state(work.merged_path(work.passes[index - 1]))
        stats = pass_statistics(state, name, texts, labels, kept_counts(work, shard, state))
    write_state(path, stats)
    return {"shard": shard, "pass": name, "skipped": False}


def _fit_shard(work: Work, shard: int, result: BuildResult) -> None:
    index = _pending_pass(work)
    if index is None or index == len(work.passes):
        result.message = f"{work.root}: the fit is complete; run --stage transform"
        return
    record = fit_shard_statistics(work, shard, index)
    name = record["pass"]
    missing = [s for s in range(work.num_shards) if not work.stats_path(name, s).exists()]
    result.message = (
        f"{work.root}: shard {shard} {name} statistics "
        f"{'already there' if record['skipped'] else 'written'}; "
        + (
            f"{len(missing)} shard(s) still missing"
            if missing
            else "all shards done: run --stage merge"
        )
    )


def _fit(work: Work, runner, result: BuildResult, compute: bool) -> None:
    """Run (or only merge) every statistics pass, then finish the fitted state."""
    while (index := _pending_pass(work)) is not None:
        if index == len(work.passes):
            _finish_state(work)
            break
        name = work.passes[index]
        missing = [s for s in range(work.num_shards) if not work.stats_path(name, s).exists()]
        if missing and not compute:
            raise CacheError(
                f"{work.root}: {name} statistics of shard(s) {missing[:10]} are missing; run "
                f"`--stage fit --shard I` for them first"
            )
        if missing:
            runner(_fit_task(index), work, missing)
        parts = [read_state(work.stats_path(name, s)) for s in range(work.num_shards)]
        if name == "counts":
            counts = merge_counts(parts)
            state = fit_from_counts(work.method, work.params, counts)
            state.counts = counts
        else:
            state = read_fitted_state(work.merged_path(work.passes[index - 1]))
            merge_pass(state, name, parts)
        write_state(work.merged_path(name), state)
        if not compute:  # --stage merge merges one pass; the scheduler runs the next pass's tasks
            if index + 1 < len(work.passes):
                result.message = (
                    f"{work.root}: {name} statistics merged; now run --stage fit --shard I for "
                    f"{work.passes[index + 1]}, then --stage merge"
                )
                return
    if not work.fit_path().exists():
        _finish_state(work)


def _fit_task(index: int):
    return _PassTask(index)


class _PassTask:
    """A picklable ``fn(work, shard)`` bound to one statistics pass."""

    def __init__(self, index: int):
        self.index = index

    def __call__(self, work: Work, shard: int) -> dict:
        return fit_shard_statistics(work, shard, self.index)


def _finish_state(work: Work) -> None:
    """Fit the temperature (on the rows ``fit`` would use) and save ``fit/state.zip``."""
    state = read_fitted_state(work.merged_path(work.passes[-1]))
    if state.temperature_pending:
        table = source.open_rows(work.path("_work", "input.arrow"))
        rows = temperature_rows(work.bounds[-1])
        texts, labels = source.take_rows(table, rows)
        fit_state_temperature(state, texts, labels, rows)
    forget_stop_words_id(state.smoother.fitted_vectorizer())  # so the state file is reproducible
    ensure_folder(work.path("fit"))
    write_state(work.fit_path(), state)


def _fit_whole(work: Work, result: BuildResult) -> None:
    """Methods that are not mergeable: fit_transform on all rows here, then write the shards."""
    from textls.smoothers import get_smoother

    table = source.open_rows(work.path("_work", "input.arrow"))
    texts, labels, _ = source.rows(table, 0, work.bounds[-1])
    smoother = get_smoother(work.method, **work.params)
    soft = smoother.fit_transform(texts, labels)
    ensure_folder(work.path("fit"))
    write_state(work.fit_path(), FittedState(work.method, smoother))
    for shard in range(work.num_shards):
        a, b = work.bounds[shard], work.bounds[shard + 1]
        if complete_record(work, shard) is not None:
            result.shards_skipped.append(shard)
            continue
        _, part_labels, ids = source.rows(table, a, b)
        store_shard(work, shard, soft[a:b], part_labels, ids, smoother.classes_)
        result.shards_written.append(shard)


__all__ = ["BuildResult", "build_cache"]
