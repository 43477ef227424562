"""The plan of a cache build (``build.json``): its key, its shards, and the ``Work`` of every task.

The first run of a build reads the input once into ``_work/input.arrow`` and writes the plan:
method, parameters, the data's fingerprint, the number of shards and the layout, and the key
hashed from them.  Every later run re-checks the input against it and refuses other data or
settings.  :class:`Work` is the plan as a shard task receives it, with the paths of the files the
task reads and writes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from textls.cache import source
from textls.cache.manifest import (
    FIT_FILE,
    MANIFEST,
    TARGETS_VERSION,
    CacheError,
    ensure_folder,
    read_json,
    settings_params,
    storage_error,
    write_json,
)
from textls.cache.source import InputSpec
from textls.cache.statistics import passes, shard_bounds

ROWS_PER_SHARD = 100_000


def shard_name(shard: int, num_shards: int) -> str:
    """The file stem of shard ``shard`` of ``num_shards``: ``shard-00003-of-00064``."""
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


def prepare_build(spec: InputSpec, root: Path, method, params, num_shards, layout, top_k):
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


def plan_of(root: str | os.PathLike) -> dict:
    """The ``build.json`` of a (possibly unfinished) cache."""
    return read_json(Path(root) / "build.json")
