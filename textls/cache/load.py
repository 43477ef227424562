"""Open a soft-label cache memory-mapped, check it, and hand it to ``datasets`` or a trainer.

>>> cache = load_cache("cache/")  # doctest: +SKIP
>>> cache.soft_labels[:2]          # rows of an (n, C) float32 array, read from the mapped files
>>> cache.check_data(texts, labels)  # raises CacheError if the cache was built for other data
>>> cache.check_settings("kwls", {"epsilon": 0.1})  # ... or for other targets
>>> train = cache.add_to_dataset(train)  # a "soft_labels" column, still memory-mapped
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa

from textls.cache.fingerprint import Fingerprinter, data_fingerprint
from textls.cache.manifest import (
    MANIFEST,
    NOT_TARGETS,
    TARGETS_VERSION,
    CacheError,
    read_manifest,
    settings_params,
)
from textls.errors import InputTypeError
from textls.io import sha256_file

#: Parameters that change how targets are computed (batch size), not what they are.


class ShardedArray:
    """An ``(n, ...)`` array stored as one memory-mapped block per shard.

    Indexing (an int, a slice, an array of ints or a boolean mask, optionally followed by a column
    index) reads only the rows asked for; ``np.asarray`` joins the shards into one array (a copy,
    unless there is a single shard).
    """

    def __init__(self, parts: list[np.ndarray]):
        self.parts = parts
        self.offsets = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
        self.shape = (int(self.offsets[-1]),) + parts[0].shape[1:]
        self.dtype = parts[0].dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"ShardedArray(shape={self.shape}, dtype={self.dtype}, shards={len(self.parts)})"

    def __array__(self, dtype=None, copy=None):
        out = self.parts[0] if len(self.parts) == 1 else np.concatenate(self.parts)
        return out if dtype is None else out.astype(dtype, copy=False)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            rows, rest = key[0], key[1:]
            if not rest:
                return self[rows]
            if isinstance(rows, (int, np.integer)):
                return self[rows][rest]
            return self[rows][(slice(None),) + rest]
        n = len(self)
        if isinstance(key, (int, np.integer)):
            i = int(key) + n if key < 0 else int(key)
            if not 0 <= i < n:
                raise IndexError(f"row {key} is out of range for {n} rows")
            s = int(np.searchsorted(self.offsets, i, side="right")) - 1
            return self.parts[s][i - self.offsets[s]]
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step == 1:
                return self._range(start, max(start, stop))
            key = np.arange(start, stop, step)
        index = np.asarray(key)
        if index.dtype == bool:
            if index.shape != (n,):
                raise IndexError(f"boolean index of shape {index.shape} for {n} rows")
            index = np.flatnonzero(index)
        index = np.where(index < 0, index + n, index).astype(np.int64)
        if index.size and (index.min() < 0 or index.max() >= n):
            raise IndexError(f"row index out of range for {n} rows")
        shard = np.searchsorted(self.offsets, index, side="right") - 1
        out = np.empty((len(index),) + self.shape[1:], dtype=self.dtype)
        for s in np.unique(shard):
            mask = shard == s
            out[mask] = self.parts[s][index[mask] - self.offsets[s]]
        return out

    def _range(self, start: int, stop: int) -> np.ndarray:
        first = int(np.searchsorted(self.offsets, start, side="right")) - 1
        pieces = []
        s = first
        while s < len(self.parts) and self.offsets[s] < stop:
            lo = max(start, self.offsets[s]) - self.offsets[s]
            hi = min(stop, self.offsets[s + 1]) - self.offsets[s]
            pieces.append(self.parts[s][lo:hi])
            s += 1
        if not pieces:
            return np.empty((0,) + self.shape[1:], dtype=self.dtype)
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)


class SoftLabelCache:
    """A complete soft-label cache, opened by :func:`load_cache`.

    Attributes
    ----------
    path : Path
    manifest : dict
        Method and parameters, classes, data fingerprint, row count, textls version, shard checksums.
    classes : list
        Column ``k`` of the soft labels is ``classes[k]``.
    table : pyarrow.Table
        All shards, memory-mapped: ``id``, ``label`` (gold class index) and ``soft_labels``
        (dense layout) or ``topk_indices`` / ``topk_values`` (top-k layout).
    soft_labels : ShardedArray or ndarray, shape (n, C), float32
        Dense layout: the mapped rows.  Top-k layout: a dense array built from the stored entries,
        each row renormalised to sum to one (the mass outside the top k is dropped).
    labels : ShardedArray, shape (n,), int32
    topk_indices, topk_values : ShardedArray of shape (n, k) (top-k layout only)
    """

    def __init__(self, path: Path, manifest: dict, tables: list[pa.Table]):
        self.path = path
        self.manifest = manifest
        self.classes = list(manifest["classes"])
        self._tables = tables
        self.table = pa.concat_tables(tables)
        self.layout = manifest["layout"]
        self.labels = ShardedArray([_column(t, "label") for t in tables])
        if self.layout == "dense":
            self.soft_labels = ShardedArray([_column(t, "soft_labels") for t in tables])
        else:
            self.topk_indices = ShardedArray([_column(t, "topk_indices") for t in tables])
            self.topk_values = ShardedArray([_column(t, "topk_values") for t in tables])

    def __len__(self) -> int:
        return int(self.manifest["num_rows"])

    def __repr__(self) -> str:
        m = self.manifest
        return (
            f"SoftLabelCache({str(self.path)!r}, method={m['method']!r}, rows={m['num_rows']}, "
            f"classes={m['num_classes']}, layout={m['layout']!r}, shards={len(m['shards'])})"
        )

    def __getattr__(self, name):
        if name == "soft_labels" and self.__dict__.get("layout") == "topk":
            dense = self.dense()
            self.__dict__["soft_labels"] = dense
            return dense
        raise AttributeError(name)

    @property
    def ids(self) -> np.ndarray:
        return self.table.column("id").to_numpy()

    def dense(self) -> np.ndarray:
        """The soft labels as one ``(n, C)`` array (top-k rows renormalised to sum to one)."""
        if self.layout == "dense":
            return np.asarray(self.soft_labels)
        out = np.zeros((len(self), len(self.classes)), dtype=np.float32)
        values = np.asarray(self.topk_values)
        np.put_along_axis(out, np.asarray(self.topk_indices).astype(np.int64), values, axis=1)
        out /= out.sum(axis=1, keepdims=True)
        return out

    # -- trust -----------------------------------------------------------------------------------

    def check_data(self, texts, labels) -> None:
        """Raise :class:`CacheError` unless ``texts`` and ``labels`` are the data the cache was built from."""
        self._check_fingerprint(data_fingerprint(texts, labels), len(texts))

    def _check_fingerprint(self, fingerprint: str, num_rows: int) -> None:
        data = self.manifest["data"]
        if fingerprint != data["fingerprint"]:
            raise CacheError(
                f"{self.path} was built for other data: its fingerprint is {data['fingerprint'][:23]}... "
                f"over {data['num_rows']} rows, the data given has {fingerprint[:23]}... over "
                f"{num_rows} rows (texts, labels or their order differ); rebuild the cache with "
                "`textls cache build` for this data"
            )

    def check_settings(self, method: str, params: dict | None = None) -> None:
        """Raise :class:`CacheError` unless the cache holds ``method``'s targets with ``params``.

        Both sides are compared with every parameter filled in (``get_params()`` of the generator),
        so ``{}`` and ``{"epsilon": 0.1}`` ask for the same KWLS targets; ``chunk_size`` (rows per
        batch) is not compared.  The error names what differs, e.g. "was built with kwls
        epsilon=0.5, but this run asks for ls-classic epsilon=0.1".
        """
        built_method, built = self.manifest["method"], self.manifest["params"]
        asked = settings_params(method, params)
        method = method.lower()
        version = self.manifest.get("targets_version")
        if version != TARGETS_VERSION:
            raise CacheError(
                f"{self.path} holds targets of version {version}, this textls computes version "
                f"{TARGETS_VERSION}; rebuild the cache (`textls cache build ... --overwrite`)"
            )
        # every parameter either side has: one a build had and this run lacks (or the reverse)
        # is a difference too, not a key to skip
        differ = [
            k
            for k in sorted(set(built) | set(asked))
            if k not in NOT_TARGETS and built.get(k) != asked.get(k)
        ]
        if method == built_method and not differ:
            return
        # another method: its own parameters are not comparable, name the method and epsilon
        shown = (differ if method == built_method else []) or [
            k for k in ("epsilon",) if k in built and k in asked
        ]

        def settings(name: str, values: dict) -> str:
            return " ".join([name] + [f"{k}={json.dumps(values.get(k))}" for k in shown])

        raise CacheError(
            f"{self.path} was built with {settings(built_method, built)}, but this run asks for "
            f"{settings(method, asked)}; rebuild the cache with these settings (`textls cache "
            "build`), or run with the cache's"
        )

    def input_spec(self, input, text_column=None, label_column=None, split=None):
        """How to read ``input`` as this cache's data: its columns and split unless overridden."""
        from textls.cache.source import InputSpec

        data = self.manifest["data"]
        return InputSpec(
            str(input),
            text_column or data["text_column"],
            label_column or data["label_column"],
            None,
            split if split is not None else data.get("split"),
        )

    def verify(
        self,
        input: str | os.PathLike | None = None,
        *,
        text_column: str | None = None,
        label_column: str | None = None,
        split: str | None = None,
    ) -> list[str]:
        """Check every checksum and the row count; given ``input``, its fingerprint too.

        Returns the lines of a report; raises :class:`CacheError` naming what does not match.
        """
        if read_manifest(self.path / MANIFEST) != self.manifest:
            raise CacheError(
                f"{self.path / MANIFEST} changed since the cache was opened; open it again"
            )
        lines = ["manifest: matches its manifest_sha256"]
        lines += _check_shards(self.path, self.manifest, checksums=True)
        fit = self.manifest["fit"]
        fit_path = self.path / fit["file"]
        if not fit_path.exists():
            raise CacheError(f"{self.path}: the fit file {fit['file']} is missing")
        if sha256_file(fit_path) != fit["sha256"]:
            raise CacheError(f"{self.path}: the fit file {fit['file']} does not match its checksum")
        lines.append(f"fit: {fit['file']} matches its checksum")
        if input is not None:
            from textls.cache.source import fingerprint_input

            data = self.manifest["data"]
            info = fingerprint_input(self.input_spec(input, text_column, label_column, split))
            if info.num_rows != data["num_rows"]:
                raise CacheError(
                    f"{self.path} was built for other data: {data['num_rows']} rows, {input} has "
                    f"{info.num_rows}"
                )
            if info.fingerprint != data["fingerprint"]:
                raise CacheError(
                    f"{self.path} was built for other data: {input} has the fingerprint "
                    f"{info.fingerprint[:23]}..., the cache {data['fingerprint'][:23]}... "
                    "(same row count; texts, labels or their order differ)"
                )
            lines.append(f"data: {input} matches the fingerprint ({info.num_rows} rows)")
        return lines

    def smoother(self):
        """The fitted generator the cache was built with (``transform`` new texts with it).

        Read as data (:mod:`textls.cache.state_io`: JSON and arrays, only textls's and
        scikit-learn's own classes), never unpickled: a cache someone hands you cannot run code."""
        from textls.cache.state_io import UnsafeStateError, load_state

        fit = self.manifest["fit"]
        path = self.path / fit["file"]
        if sha256_file(path) != fit["sha256"]:
            raise CacheError(f"{self.path}: the fit file {fit['file']} does not match its checksum")
        try:
            return load_state(path).smoother
        except UnsafeStateError as exc:
            raise CacheError(str(exc)) from exc

    # -- datasets --------------------------------------------------------------------------------

    def to_dataset(self):
        """A ``datasets.Dataset`` over the shard files (memory-mapped, no copy)."""
        from datasets import Dataset, concatenate_datasets

        parts = [Dataset.from_file(str(self.path / s["file"])) for s in self.manifest["shards"]]
        return parts[0] if len(parts) == 1 else concatenate_datasets(parts)

    def add_to_dataset(
        self,
        dataset,
        column: str = "soft_labels",
        *,
        text_column: str | None = None,
        label_column: str | None = None,
    ):
        """``dataset`` with the soft labels as column ``column``, row for row.

        The dataset's texts and labels (columns ``text_column`` and ``label_column``, by default
        those the cache was built from) must be the cache's rows in the same order: their
        fingerprint is checked, and :class:`CacheError` raised otherwise.  ``ClassLabel`` ids
        count as their class names.  A top-k cache adds ``topk_indices`` and ``topk_values``.
        """
        from datasets import concatenate_datasets

        if not hasattr(dataset, "column_names"):
            raise InputTypeError(
                f"add_to_dataset takes a datasets.Dataset, got {type(dataset).__name__}; "
                "convert it first, e.g. datasets.Dataset.from_pandas(frame, preserve_index=False)"
            )
        if len(dataset) != len(self):
            raise CacheError(
                f"{self.path} holds {len(self)} rows but the dataset has {len(dataset)}; "
                "a cache belongs to the rows it was built from"
            )
        self._check_fingerprint(
            self._dataset_fingerprint(dataset, text_column, label_column), len(dataset)
        )
        extra = self.to_dataset()
        if self.layout == "dense":
            extra = extra.select_columns(["soft_labels"])
            if column != "soft_labels":
                extra = extra.rename_column("soft_labels", column)
        else:
            extra = extra.select_columns(["topk_indices", "topk_values"])
        clash = set(extra.column_names) & set(dataset.column_names)
        if clash:
            raise ValueError(f"the dataset already has column(s) {sorted(clash)}")
        return concatenate_datasets([dataset, extra], axis=1)

    def _dataset_fingerprint(self, dataset, text_column, label_column) -> str:
        from datasets import ClassLabel

        data = self.manifest["data"]
        text_column = text_column or data["text_column"]
        label_column = label_column or data["label_column"]
        for name in (text_column, label_column):
            if name not in dataset.column_names:
                raise CacheError(
                    f"the dataset has no column {name!r} (columns {dataset.column_names}); "
                    f"{self.path} checks the rows' texts and labels before adding its soft labels "
                    "(name them with text_column= and label_column=)"
                )
        feature = dataset.features[label_column]
        names = None
        if isinstance(feature, ClassLabel) and all(isinstance(c, str) for c in self.classes):
            names = pa.array(feature.names, type=pa.large_string())
        fp = Fingerprinter()
        # with_format("arrow") reads through any indices mapping (select, shuffle): row order counts
        rows = dataset.select_columns([text_column, label_column]).with_format("arrow")
        for batch in rows.iter(batch_size=65_536):
            labels = batch.column(label_column)
            if names is not None:
                labels = names.take(labels)
            fp.update(batch.column(text_column), labels)
        return fp.hexdigest()


def load_cache(path: str | os.PathLike, *, check_checksums: bool = True) -> SoftLabelCache:
    """Open the cache in folder ``path``, memory-mapped.

    Refuses (:class:`CacheError`, naming the file) a cache without a manifest (an unfinished
    build), a manifest edited since the build (its ``manifest_sha256``), a missing or truncated
    shard, and, with ``check_checksums`` (the default: one SHA-256
    pass over the files, in threads), a shard whose bytes were altered.
    """
    path = Path(path)
    manifest_path = path / MANIFEST
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such cache folder")
    if not manifest_path.exists():
        hint = (
            "the build has not finished; re-run the same `textls cache build` to resume it"
            if (path / "build.json").exists()
            else "it is not a textls soft-label cache"
        )
        raise CacheError(f"{path} has no {MANIFEST}: {hint}")
    manifest = read_manifest(manifest_path)
    _check_shards(path, manifest, checksums=check_checksums)
    tables = [_open_shard(path, record, manifest) for record in manifest["shards"]]
    return SoftLabelCache(path, manifest, tables)


def _check_shards(path: Path, manifest: dict, checksums: bool) -> list[str]:
    records = manifest["shards"]
    for record in records:
        file = path / record["file"]
        if not file.exists():
            raise CacheError(f"{path}: shard {record['file']} is missing")
        size = file.stat().st_size
        if size != record["bytes"]:
            raise CacheError(
                f"{path}: shard {record['file']} is {size} bytes, the manifest says "
                f"{record['bytes']} (truncated or overwritten); rebuild it by re-running the build"
            )
    total = sum(r["rows"] for r in records)
    if total != manifest["num_rows"]:
        raise CacheError(
            f"{path}: the shards hold {total} rows, the manifest says {manifest['num_rows']}"
        )
    lines = [f"shards: {len(records)} present, sizes match, {total} rows"]
    if checksums:
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            digests = list(pool.map(lambda r: sha256_file(path / r["file"]), records))
        for record, digest in zip(records, digests, strict=True):
            if digest != record["sha256"]:
                raise CacheError(
                    f"{path}: shard {record['file']} does not match its checksum (altered or "
                    "corrupt); delete it and re-run the build to rewrite it"
                )
        lines.append("checksums: every shard matches its SHA-256")
    return lines


def _open_shard(path: Path, record: dict, manifest: dict) -> pa.Table:
    file = path / record["file"]
    try:
        table = pa.ipc.open_stream(pa.memory_map(str(file))).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise CacheError(f"{path}: shard {record['file']} cannot be read: {exc}") from exc
    if table.num_rows != record["rows"]:
        raise CacheError(
            f"{path}: shard {record['file']} holds {table.num_rows} rows, the manifest says {record['rows']}"
        )
    expected = ["id", "label"] + (
        ["soft_labels"] if manifest["layout"] == "dense" else ["topk_indices", "topk_values"]
    )
    if table.column_names != expected:
        raise CacheError(
            f"{path}: shard {record['file']} has columns {table.column_names}, expected {expected}"
        )
    width = manifest["num_classes"] if manifest["layout"] == "dense" else manifest["top_k"]
    for name in expected[2:]:
        kind = table.schema.field(name).type
        if not pa.types.is_fixed_size_list(kind) or kind.list_size != width:
            raise CacheError(
                f"{path}: shard {record['file']} column {name} is {kind}, the manifest says "
                f"{width} values a row"
            )
    return table


def _column(table: pa.Table, name: str) -> np.ndarray:
    """A column as a numpy view of the mapped file (one chunk per shard: no copy)."""
    column = table.column(name)
    chunk = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    if isinstance(chunk, pa.FixedSizeListArray):
        width = chunk.type.list_size
        return chunk.flatten().to_numpy(zero_copy_only=True).reshape(-1, width)
    return chunk.to_numpy(zero_copy_only=True)
