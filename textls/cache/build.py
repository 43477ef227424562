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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import multiprocessing
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

from textls._sklearn_compat import forget_stop_words_id
from textls.cache import source
from textls.cache.manifest import (
    FIT_FILE,
    FORMAT,
    FORMAT_VERSION,
    LOCK,
    MANIFEST,
    TARGETS_VERSION,
    CacheError,
    check_unlocked,
    ensure_folder,
    folder_lock,
    publish_file,
    read_json,
    read_manifest,
    settings_params,
    storage_error,
    write_json,
    write_manifest,
)
from textls.cache.source import InputSpec
from textls.cache.state_io import UnsafeStateError, dump_state, load_state
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
    remap_counts,
    shard_bounds,
    shard_counts,
    temperature_rows,
    training_targets,
    vocabulary_terms,
)
from textls.io import TEMPORARY_NAME, sha256_file

logger = logging.getLogger(__name__)

ROWS_PER_SHARD = 100_000
STAGES = ("all", "fit", "merge", "transform")
ENGINES = ("local", "ray")
LAYOUTS = ("dense", "topk")


def shard_name(shard: int, num_shards: int) -> str:
    return f"shard-{shard:05d}-of-{num_shards:05d}"


@dataclass
class Work:
    """Everything a shard task needs, small enough to send to any worker."""

    root: str
    method: str
    params: dict
    bounds: list[int]
    key: str
    layout: str = "dense"
    top_k: int | None = None
    id_column: bool = False

    @property
    def num_shards(self) -> int:
        return len(self.bounds) - 1

    @property
    def passes(self) -> tuple[str, ...]:
        """The method's statistics passes, in order (:func:`~textls.cache.statistics.passes`)."""
        return passes(self.method, self.params)

    def path(self, *parts: str) -> Path:
        return Path(self.root).joinpath(*parts)

    def shard_name(self, shard: int) -> str:
        return shard_name(shard, self.num_shards)

    def stats_path(self, name: str, shard: int) -> Path:
        return self.path("_work", "stats", f"{name}-{self.shard_name(shard)}.zip")

    def matrix_path(self, shard: int) -> Path:
        return self.path("_work", "stats", f"matrix-{self.shard_name(shard)}.zip")

    def fit_path(self) -> Path:
        """The fitted generator's state file (:data:`FIT_FILE`)."""
        return self.path(*FIT_FILE.split("/"))

    def merged_path(self, name: str) -> Path:
        return self.path("_work", f"fit-{name}.zip")


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
    with _writing(root, spec, whole_folder=shard is None, overwrite=overwrite):
        work, plan = _prepare(spec, root, method, params, num_shards, layout, top_k)
        if shard is not None and not 0 <= shard < work.num_shards:
            raise ValueError(f"shard must be in [0, {work.num_shards}), got {shard}")
        result = BuildResult(root, False, stage)
        if (root / MANIFEST).exists():
            damage = _damage(root)
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
    _write_manifest(work, plan)
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


@contextlib.contextmanager
def _writing(root: Path, spec: InputSpec, whole_folder: bool, overwrite: bool):
    """Make ``root`` ready to write: checked against the input, locked (or checked unlocked, for
    a shard task), cleared with ``overwrite``.  A whole-folder build that starts afresh and is
    refused (a ``ValueError``: data it cannot smooth, say) removes what it wrote, its ``_work/``
    copy of the input included, since nothing of it can be resumed; an interrupted one (killed,
    out of space) keeps it for the re-run.  The folder goes too if the build made it."""
    _refuse_output_on_input(spec, root)
    created = not root.exists()
    ensure_folder(root)
    fresh = not (root / "build.json").exists()
    try:
        if not whole_folder:
            check_unlocked(root)
        with folder_lock(root) if whole_folder else contextlib.nullcontext():
            if overwrite:
                _clear(root)
                fresh = True
            try:
                yield
            except ValueError:
                if whole_folder and fresh:
                    _discard(root)
                raise
    except BaseException:
        if created and not any(root.iterdir()):
            root.rmdir()
        raise


def _refuse_output_on_input(spec: InputSpec, root: Path) -> None:
    data, out = Path(spec.path).resolve(), root.resolve()
    if data == out or out in data.parents:
        raise ValueError(
            f"the output {root} is or holds the input {spec.path}; choose a folder of its own "
            "for the cache"
        )
    if data in out.parents:
        raise ValueError(
            f"the output {root} lies inside the input folder {spec.path}; choose a folder "
            "outside it for the cache"
        )


# -- plan ----------------------------------------------------------------------------------------


def _prepare(spec: InputSpec, root: Path, method, params, num_shards, layout, top_k):
    """Read (or re-check) the input and return the build's ``Work`` and plan, refusing a mismatch."""
    from textls import __version__

    plan_path = root / "build.json"
    input_path = root / "_work" / "input.arrow"
    existing = read_json(plan_path) if plan_path.exists() else None
    if existing is not None and (input_path.exists() or (root / MANIFEST).exists()):
        info = source.fingerprint_input(spec)  # a re-run: the data may have changed since
    else:
        fresh = not input_path.parent.exists()
        ensure_folder(input_path.parent)
        try:
            info = source.write_input(spec, input_path)
        except BaseException as exc:
            if fresh:  # an input that cannot be read leaves no half-built cache
                shutil.rmtree(input_path.parent, ignore_errors=True)
            if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
                raise storage_error(exc, input_path) from exc
            raise
    if num_shards is None:
        num_shards = (
            existing["num_shards"]
            if existing is not None
            else max(1, math.ceil(info.num_rows / ROWS_PER_SHARD))
        )
    if num_shards > info.num_rows:
        raise ValueError(
            f"num_shards={num_shards} is more than the {info.num_rows} rows of the data"
        )
    plan = {
        "method": method,
        "params": settings_params(method, params),
        "data": {
            "fingerprint": info.fingerprint,
            "num_rows": info.num_rows,
            "text_column": spec.text_column,
            "label_column": spec.label_column,
            "id_column": spec.id_column,
            "split": spec.split,
            "source": str(spec.path),
        },
        "num_rows": info.num_rows,
        "num_shards": num_shards,
        "layout": layout,
        "top_k": top_k,
        "textls_version": __version__,
        "targets_version": TARGETS_VERSION,
    }
    keyed = {k: v for k, v in plan.items() if k != "data"}
    keyed["fingerprint"] = info.fingerprint
    keyed["id_column"] = spec.id_column
    plan["key"] = (
        "sha256:"
        + hashlib.sha256(json.dumps(keyed, sort_keys=True, default=repr).encode()).hexdigest()
    )
    if existing is not None and existing.get("key") != plan["key"]:
        raise CacheError(
            f"{root} holds a cache of other data or settings ({_difference(existing, plan)}); "
            "choose another --output, or pass --overwrite to replace it"
        )
    if existing is None:
        write_json(plan_path, plan)
    work = Work(
        root=str(root),
        method=method,
        params=params,
        bounds=shard_bounds(info.num_rows, num_shards),
        key=plan["key"],
        layout=layout,
        top_k=top_k,
        id_column=spec.id_column is not None,
    )
    return work, plan


def _damage(root: Path) -> str | None:
    """What is wrong with a complete cache's files, or ``None``."""
    from textls.cache.load import _check_shards

    try:
        manifest = read_manifest(root / MANIFEST)
        _check_shards(root, manifest, checksums=True)
    except CacheError as exc:
        return str(exc)
    fit = root / manifest["fit"]["file"]
    if not fit.exists() or sha256_file(fit) != manifest["fit"]["sha256"]:
        fit.unlink(missing_ok=True)
        return f"{root}: {manifest['fit']['file']} is missing or does not match its checksum"
    return None


def _difference(old: dict, new: dict) -> str:
    if old["data"]["fingerprint"] != new["data"]["fingerprint"]:
        return (
            f"it was built from data with fingerprint {old['data']['fingerprint'][:19]}... "
            f"({old['num_rows']} rows), this data has {new['data']['fingerprint'][:19]}... "
            f"({new['num_rows']} rows)"
        )
    for name in (
        "method",
        "params",
        "num_shards",
        "layout",
        "top_k",
        "textls_version",
        "targets_version",
    ):
        if old.get(name) != new.get(name):
            return f"{name} was {old.get(name)!r}, now {new.get(name)!r}"
    return "its build key differs"


def _clear(root: Path) -> None:
    """Remove a previous build's files, and only those: refuse if ``root`` holds anything else.

    A build's files are those its manifest lists (shards and the fit), the shards ``build.json``
    plans (an unfinished build), their records, the manifest, ``build.json``, the lock, ``_work/``
    and the temporary names of all these.  Nothing is removed unless every file is one of them.
    """
    ours = _build_files(root)
    files = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder).relative_to(root)
        if here == Path("_work"):
            dirs[:] = []
            continue
        # a linked folder is not descended into (nor removed): count it as a file to account for
        files += [here / n for n in names + [d for d in dirs if Path(folder, d).is_symlink()]]
    strangers = [f for f in files if not _is_build_file(f, ours)]
    if strangers:
        raise CacheError(
            f"refusing to --overwrite {root}: {root / strangers[0]} is not a file textls wrote"
            + (f" (nor are {len(strangers) - 1} more)" if len(strangers) > 1 else "")
            + "; move such files elsewhere, or choose another --output"
        )
    for file in files:
        if file != Path(LOCK):  # this build's own lock
            (root / file).unlink()
    shutil.rmtree(root / "_work", ignore_errors=True)
    for name in ("fit", "shards"):
        with contextlib.suppress(OSError):
            (root / name).rmdir()  # empty now, unless something else appeared meanwhile


def _discard(root: Path) -> None:
    """Remove what a refused fresh build wrote (``_work/``, ``build.json``, and any fit or shard
    files of it), leaving every other file in ``root`` alone."""
    ours = _build_files(root)
    shutil.rmtree(root / "_work", ignore_errors=True)
    for file in sorted(ours - {Path(LOCK), Path(MANIFEST)}):  # a fresh build wrote no manifest
        (root / file).unlink(missing_ok=True)
    for name in ("fit", "shards"):
        with contextlib.suppress(OSError):
            (root / name).rmdir()


def _build_files(root: Path) -> set[Path]:
    """The paths (relative to ``root``) of the files a build in ``root`` wrote."""
    # fit/state.pkl: the pickled fit of caches built before FORMAT_VERSION 2, cleared as ours
    ours = {
        Path(MANIFEST),
        Path("build.json"),
        Path(LOCK),
        Path(FIT_FILE),
        Path("fit", "state.pkl"),
    }
    for name in (MANIFEST, "build.json"):
        try:
            written = read_json(root / name)
        except (OSError, ValueError):
            continue  # missing or unreadable: its own name is all it accounts for
        if not isinstance(written, dict):
            continue
        shards = [r.get("file") for r in written.get("shards") or [] if isinstance(r, dict)]
        num_shards = written.get("num_shards")
        if isinstance(num_shards, int):
            shards += [f"shards/{shard_name(s, num_shards)}.arrow" for s in range(num_shards)]
        for file in (f for f in shards if isinstance(f, str) and f):
            ours |= {Path(file), Path(os.path.splitext(file)[0] + ".json")}  # with its record
        fit = written.get("fit")
        if isinstance(fit, dict) and isinstance(fit.get("file"), str):
            ours.add(Path(fit["file"]))
    return ours


def _is_build_file(file: Path, ours: set[Path]) -> bool:
    # atomic_path's temporary names and a lock being taken over (".NAME.stale-PID")
    temporary = re.fullmatch(TEMPORARY_NAME, file.name) or re.fullmatch(
        r"\.(.+)\.stale-\d+", file.name
    )
    return file in ours or (temporary is not None and file.with_name(temporary[1]) in ours)


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
            _dump(work.matrix_path(shard), matrix)
    else:
        state = _load_state(work.merged_path(work.passes[index - 1]))
        stats = pass_statistics(state, name, texts, labels, _shard_counts(work, shard, state))
    _dump(path, stats)
    return {"shard": shard, "pass": name, "skipped": False}


def _shard_counts(work: Work, shard: int, state: FittedState):
    """The shard's counts over the fitted vocabulary, from the counts pass; ``None`` if not kept."""
    vocabulary = vocabulary_terms(state)
    stats_path, matrix_path = work.stats_path("counts", shard), work.matrix_path(shard)
    if vocabulary is None or not (stats_path.exists() and matrix_path.exists()):
        return None
    return remap_counts(_load(matrix_path), _load(stats_path).terms, vocabulary)


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
        parts = [_load(work.stats_path(name, s)) for s in range(work.num_shards)]
        if name == "counts":
            counts = merge_counts(parts)
            state = fit_from_counts(work.method, work.params, counts)
            state.counts = counts
        else:
            state = _load_state(work.merged_path(work.passes[index - 1]))
            merge_pass(state, name, parts)
        _dump(work.merged_path(name), state)
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
    state = _load_state(work.merged_path(work.passes[-1]))
    if state.temperature_pending:
        table = source.open_rows(work.path("_work", "input.arrow"))
        rows = temperature_rows(work.bounds[-1])
        texts, labels = source.take_rows(table, rows)
        fit_state_temperature(state, texts, labels, rows)
    forget_stop_words_id(state.smoother.fitted_vectorizer())  # so the state file is reproducible
    ensure_folder(work.path("fit"))
    _dump(work.fit_path(), state)


def _fit_whole(work: Work, result: BuildResult) -> None:
    """Methods that are not mergeable: fit_transform on all rows here, then write the shards."""
    from textls.smoothers import get_smoother

    table = source.open_rows(work.path("_work", "input.arrow"))
    texts, labels, _ = source.rows(table, 0, work.bounds[-1])
    smoother = get_smoother(work.method, **work.params)
    soft = smoother.fit_transform(texts, labels)
    ensure_folder(work.path("fit"))
    _dump(work.fit_path(), FittedState(work.method, smoother))
    for shard in range(work.num_shards):
        a, b = work.bounds[shard], work.bounds[shard + 1]
        if _complete_record(work, shard) is not None:
            result.shards_skipped.append(shard)
            continue
        _, part_labels, ids = source.rows(table, a, b)
        _store_shard(work, shard, soft[a:b], part_labels, ids, smoother.classes_)
        result.shards_written.append(shard)


# -- transform -----------------------------------------------------------------------------------


def transform_shard(work: Work, shard: int) -> dict:
    """Task: write shard ``shard`` of the cache, unless it is already complete and verified."""
    record = _complete_record(work, shard)
    if record is not None:
        return {**record, "shard": shard, "skipped": True}
    state = _load_state(work.fit_path())
    table = source.open_rows(work.path("_work", "input.arrow"))
    texts, labels, ids = source.rows(table, work.bounds[shard], work.bounds[shard + 1])
    counts = _shard_counts(work, shard, state)
    soft = training_targets(state, texts, labels, counts, work.bounds[shard])
    record = _store_shard(work, shard, soft, labels, ids, state.smoother.classes_)
    return {**record, "shard": shard, "skipped": False}


def _complete_record(work: Work, shard: int) -> dict | None:
    """The shard's record if its file is whole, of this build, and matches its checksum."""
    name = work.shard_name(shard)
    data, meta = work.path("shards", f"{name}.arrow"), work.path("shards", f"{name}.json")
    if not (data.exists() and meta.exists()):
        return None
    try:
        record = read_json(meta)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        logger.warning("shard %s's record is no record; rewriting the shard", name)
        return None
    if record.get("key") != work.key or record.get("bytes") != data.stat().st_size:
        return None
    if not _record_fits_plan(work, shard, record):
        logger.warning("shard %s's record does not match the build's plan; rewriting it", name)
        return None
    if sha256_file(data) != record.get("sha256"):
        logger.warning("shard %s does not match its checksum; rewriting it", name)
        return None
    return record


def _record_fits_plan(work: Work, shard: int, record: dict) -> bool:
    """Whether a shard's record names the file, first row and row count the build planned for
    it (a record is read back from disk, so it is checked, not trusted)."""
    a, b = work.bounds[shard], work.bounds[shard + 1]
    planned = {"file": f"shards/{work.shard_name(shard)}.arrow", "offset": a, "rows": b - a}
    return all(record.get(k) == v for k, v in planned.items())


def _store_shard(work: Work, shard: int, soft: np.ndarray, labels, ids, classes) -> dict:
    from textls._utils import encode_labels

    a, b = work.bounds[shard], work.bounds[shard + 1]
    y = encode_labels(np.asarray(labels, dtype=object), classes).astype(np.int32)
    if ids is None:
        ids = np.arange(a, b, dtype=np.int64)
    table = shard_table(work, shard, ids, y, soft)
    name = work.shard_name(shard)
    path = work.path("shards", f"{name}.arrow")
    ensure_folder(path.parent)
    _write_shard(path, table)
    record = {
        "file": f"shards/{name}.arrow",
        "offset": a,
        "rows": b - a,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        "key": work.key,
    }
    write_json(work.path("shards", f"{name}.json"), record)
    return record


def shard_table(work: Work, shard: int, ids, y: np.ndarray, soft: np.ndarray) -> pa.Table:
    """The Arrow table of one shard: ``id``, ``label`` (gold class index) and the soft labels."""
    soft = np.ascontiguousarray(soft, dtype=np.float32)
    n, c = soft.shape
    columns = {"id": pa.array(ids), "label": pa.array(y, type=pa.int32())}
    if work.layout == "dense":
        columns["soft_labels"] = pa.FixedSizeListArray.from_arrays(pa.array(soft.ravel()), c)
    else:
        k = min(work.top_k, c)
        # stable: among equal probabilities the lower class index comes first
        order = np.argsort(-soft, axis=1, kind="stable")[:, :k].astype(np.int32)
        values = np.take_along_axis(soft, order, axis=1)
        columns["topk_indices"] = pa.FixedSizeListArray.from_arrays(pa.array(order.ravel()), k)
        columns["topk_values"] = pa.FixedSizeListArray.from_arrays(pa.array(values.ravel()), k)
    meta = {
        "shard": shard,
        "num_shards": work.num_shards,
        "offset": work.bounds[shard],
        "key": work.key,
    }
    return pa.table(columns).replace_schema_metadata({"textls.cache": json.dumps(meta)})


def _write_shard(path: Path, table: pa.Table) -> None:
    """Write an Arrow IPC stream under a temporary name and rename it when whole."""

    def write(tmp: str) -> None:
        # one record batch per shard: each column is then one contiguous, mappable buffer
        with pa.OSFile(tmp, "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table.combine_chunks())

    publish_file(path, write)


# -- manifest ------------------------------------------------------------------------------------


def _write_manifest(work: Work, plan: dict) -> None:
    from textls import __version__

    records, missing = [], []
    for shard in range(work.num_shards):
        name = work.shard_name(shard)
        meta = work.path("shards", f"{name}.json")
        if not meta.exists() or not work.path("shards", f"{name}.arrow").exists():
            missing.append(shard)
            continue
        record = read_json(meta)
        if not isinstance(record, dict) or not _record_fits_plan(work, shard, record):
            raise CacheError(
                f"{meta} does not match the build's plan for shard {shard} (file, first row or "
                "row count differ): it was edited; delete it and re-run the build to rewrite "
                "the shard"
            )
        records.append({k: record[k] for k in ("file", "offset", "rows", "bytes", "sha256")})
    if missing:
        raise CacheError(
            f"{work.root}: shard(s) {missing[:10]} are not written yet; run their transform tasks"
        )
    state = _load_state(work.fit_path())
    smoother = state.smoother
    vocabulary = smoother.fitted_vectorizer()
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "textls_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "method": plan["method"],
        "params": plan["params"],
        "classes": state.classes,
        "num_classes": len(state.classes),
        "num_rows": plan["num_rows"],
        "targets_version": TARGETS_VERSION,
        "layout": work.layout,
        "top_k": work.top_k,
        "dtype": "float32",
        "data": plan["data"],
        "fit": {
            "file": FIT_FILE,
            "sha256": sha256_file(work.fit_path()),
            "merged_shards": work.num_shards if mergeable(work.method, work.params) else 1,
            "temperature": getattr(smoother, "temperature_", None),
            "vocabulary_size": len(vocabulary.vocabulary_) if vocabulary is not None else None,
        },
        "build_key": work.key,
        "shards": records,
    }
    write_manifest(work.path(MANIFEST), manifest)


# -- fitted state on disk: JSON and arrays, never a pickle (textls.cache.state_io) ------------

_STATE_CACHE: dict = {}


def _dump(path: Path, obj) -> None:
    publish_file(path, lambda tmp: dump_state(obj, tmp))


def _load(path: Path):
    try:
        return load_state(path)
    except UnsafeStateError as exc:
        raise CacheError(str(exc)) from exc


def _load_state(path: Path) -> FittedState:
    """A fitted state (:func:`textls.cache.state_io.load_state`), read once per process."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _STATE_CACHE:
        _STATE_CACHE.clear()
        _STATE_CACHE[key] = _load(path)
    return _STATE_CACHE[key]


def plan_of(root: str | os.PathLike) -> dict:
    """The ``build.json`` of a (possibly unfinished) cache."""
    return read_json(Path(root) / "build.json")


__all__ = ["BuildResult", "Work", "build_cache", "plan_of", "shard_table", "transform_shard"]
