"""The files of a cache's shards: the transform task, each shard's table and record, the manifest.

A shard is an Arrow IPC stream, ``shards/shard-I-of-N.arrow``, written under a temporary name
and renamed when whole, with a record ``.json`` (file, first row, rows, bytes, sha256, build key);
a shard whose file matches its record is complete and is not written again.  The manifest lists
the records once every shard is complete.  The fitted state and the statistics the tasks read and
write are data on disk, never a pickle (:mod:`textls.cache.state_io`).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

from textls.cache import source
from textls.cache.manifest import (
    FIT_FILE,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    TARGETS_VERSION,
    CacheError,
    ensure_folder,
    publish_file,
    read_json,
    write_json,
    write_manifest,
)
from textls.cache.plan import Work
from textls.cache.state_io import UnsafeStateError, dump_state, load_state
from textls.cache.statistics import (
    FittedState,
    mergeable,
    remap_counts,
    training_targets,
    vocabulary_terms,
)
from textls.io import sha256_file

logger = logging.getLogger(__name__)


def transform_shard(work: Work, shard: int) -> dict:
    """Task: write shard ``shard`` of the cache, unless it is already complete and verified."""
    record = complete_record(work, shard)
    if record is not None:
        return {**record, "shard": shard, "skipped": True}
    state = read_fitted_state(work.fit_path())
    table = source.open_rows(work.path("_work", "input.arrow"))
    texts, labels, ids = source.rows(table, work.bounds[shard], work.bounds[shard + 1])
    counts = kept_counts(work, shard, state)
    soft = training_targets(state, texts, labels, counts, work.bounds[shard])
    record = store_shard(work, shard, soft, labels, ids, state.smoother.classes_)
    return {**record, "shard": shard, "skipped": False}


def kept_counts(work: Work, shard: int, state: FittedState):
    """The shard's counts over the fitted vocabulary, from the counts pass; ``None`` if not kept."""
    vocabulary = vocabulary_terms(state)
    stats_path, matrix_path = work.stats_path("counts", shard), work.matrix_path(shard)
    if vocabulary is None or not (stats_path.exists() and matrix_path.exists()):
        return None
    return remap_counts(read_state(matrix_path), read_state(stats_path).terms, vocabulary)


def complete_record(work: Work, shard: int) -> dict | None:
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


def store_shard(work: Work, shard: int, soft: np.ndarray, labels, ids, classes) -> dict:
    """Write shard ``shard`` (soft labels, gold labels, ids) and its record; return the record."""
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


def write_cache_manifest(work: Work, plan: dict) -> None:
    """Write ``manifest.json``, listing every shard's record; refuse while a shard is missing."""
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
    state = read_fitted_state(work.fit_path())
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


def write_state(path: Path, obj) -> None:
    """Write ``obj`` (:func:`textls.cache.state_io.dump_state`) to ``path``, whole or not at all."""
    publish_file(path, lambda tmp: dump_state(obj, tmp))


def read_state(path: Path):
    """What :func:`write_state` wrote; a file that would run code is a :class:`CacheError`."""
    try:
        return load_state(path)
    except UnsafeStateError as exc:
        raise CacheError(str(exc)) from exc


def read_fitted_state(path: Path) -> FittedState:
    """A fitted state (:func:`textls.cache.state_io.load_state`), read once per process."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _STATE_CACHE:
        _STATE_CACHE.clear()
        _STATE_CACHE[key] = read_state(path)
    return _STATE_CACHE[key]
