"""Labelled input for a cache build: CSV/TSV/JSONL/Parquet files or a ``datasets`` folder.

Every input is read once, checked at the edge (missing texts or labels, labels that are neither
class names nor integers) and streamed into canonical batches with columns ``text``, ``label`` and,
if asked for, ``id``.  A build writes those batches to one uncompressed Arrow file that every shard
task memory-maps, so CSV is parsed once however many tasks there are.  Parquet and ``datasets``
folders are streamed batch by batch; CSV and JSON are read whole (through :func:`textls.io.read_table`,
so they mean the same as for ``textls smooth``): convert very large CSVs to Parquet first.

A file that cannot be read (a truncated ``.gz``, a damaged Parquet page, a JSON Lines file with a
broken line) is a :class:`~textls.cache.CacheError` naming the file, and the line where it can.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from textls.cache.fingerprint import Fingerprinter
from textls.cache.manifest import CacheError
from textls.errors import InputTypeError, MissingKeyError
from textls.io import atomic_path

BATCH_ROWS = 65_536


@dataclass(frozen=True)
class InputSpec:
    """Where the labelled data is and which columns to read."""

    path: str
    text_column: str = "text"
    label_column: str = "label"
    id_column: str | None = None
    split: str | None = None

    def __post_init__(self):
        from textls.io import check_text_and_label_columns

        check_text_and_label_columns(self.text_column, self.label_column)


@dataclass(frozen=True)
class InputInfo:
    num_rows: int
    fingerprint: str
    label_kind: str  # "int" or "str"


def iter_batches(spec: InputSpec) -> Iterator[pa.Table]:
    """Canonical, checked batches (``text``, ``label`` [, ``id``]) of the input, in row order."""
    path = Path(spec.path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_dir():
        batches = _dataset_batches(spec)
    elif _is_parquet(path):
        batches = _parquet_batches(spec)
    else:
        batches = _table_batches(spec)
    checker = _Checker(spec)
    for batch in batches:
        yield checker(batch)
    if checker.rows == 0:
        raise ValueError(f"{spec.path} has no rows")


def fingerprint_input(spec: InputSpec) -> InputInfo:
    """Fingerprint and row count of the input, streaming (for ``verify`` and the trainers)."""
    fp = Fingerprinter()
    kind = None
    for batch in iter_batches(spec):
        fp.update(batch.column("text"), batch.column("label"))
        kind = "int" if pa.types.is_integer(batch.schema.field("label").type) else "str"
    return InputInfo(fp.num_rows, fp.hexdigest(), kind)


def write_input(spec: InputSpec, destination: Path) -> InputInfo:
    """Stream the input into one uncompressed Arrow file (temporary name, then renamed)."""
    fp = Fingerprinter()
    writer = schema = None
    try:
        with atomic_path(destination) as tmp:
            for batch in iter_batches(spec):
                if writer is None:
                    schema = batch.schema
                    writer = pa.ipc.new_file(tmp, schema)
                elif batch.schema != schema:  # pragma: no cover - _Checker keeps one schema
                    raise ValueError(f"{spec.path}: column types change between rows")
                fp.update(batch.column("text"), batch.column("label"))
                writer.write_table(batch)
            writer.close()
            writer = None
            kind = "int" if pa.types.is_integer(schema.field("label").type) else "str"
    finally:
        if writer is not None:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - already failing; keep the first error
                pass
    return InputInfo(fp.num_rows, fp.hexdigest(), kind)


def open_rows(path: str | os.PathLike) -> pa.Table:
    """The canonical Arrow file written by :func:`write_input`, memory-mapped (no copy)."""
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def rows(table: pa.Table, start: int, stop: int) -> tuple[list[str], list, list | None]:
    """Texts, labels and ids (``None`` without an id column) of rows ``start`` to ``stop``."""
    part = table.slice(start, stop - start)
    ids = part.column("id").to_pylist() if "id" in part.column_names else None
    return part.column("text").to_pylist(), part.column("label").to_pylist(), ids


def take_rows(table: pa.Table, indices: np.ndarray) -> tuple[list[str], list]:
    part = table.take(pa.array(indices, type=pa.int64()))
    return part.column("text").to_pylist(), part.column("label").to_pylist()


# -- readers -------------------------------------------------------------------------------------


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _columns(spec: InputSpec) -> list[str]:
    return [c for c in (spec.text_column, spec.label_column, spec.id_column) if c is not None]


def _missing_columns(spec: InputSpec, names: list[str]) -> None:
    for column in _columns(spec):
        if column not in names:
            raise MissingKeyError(f"{spec.path}: no column {column!r}; columns are {list(names)}")


def _rename(table: pa.Table, spec: InputSpec) -> pa.Table:
    names = {spec.text_column: "text", spec.label_column: "label"}
    if spec.id_column is not None:
        names[spec.id_column] = "id"
    columns = [table.column(c) for c in _columns(spec)]
    return pa.table(columns, names=[names[c] for c in _columns(spec)])


def _parquet_batches(spec: InputSpec) -> Iterator[pa.Table]:
    try:
        reader = pq.ParquetFile(spec.path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise CacheError(f"{spec.path}: could not be read as Parquet: {exc}") from exc
    _missing_columns(spec, reader.schema_arrow.names)
    try:  # a damaged page surfaces only when its batch is read
        for batch in reader.iter_batches(batch_size=BATCH_ROWS, columns=_columns(spec)):
            yield _rename(pa.Table.from_batches([batch]), spec)
    except (pa.ArrowInvalid, OSError) as exc:
        raise CacheError(f"{spec.path}: could not be read as Parquet: {exc}") from exc


def _dataset_batches(spec: InputSpec) -> Iterator[pa.Table]:
    import datasets

    try:
        data = datasets.load_from_disk(spec.path)
    except FileNotFoundError as exc:
        raise ValueError(
            f"{spec.path} is a folder but not one saved by datasets' save_to_disk ({exc})"
        ) from exc
    if isinstance(data, datasets.DatasetDict):
        if spec.split is None:
            raise ValueError(f"{spec.path} holds the splits {list(data)}; choose one with --split")
        if spec.split not in data:
            raise MissingKeyError(f"{spec.path}: no split {spec.split!r}; splits are {list(data)}")
        data = data[spec.split]
    elif spec.split is not None:
        raise ValueError(f"{spec.path} is a single dataset; it has no split {spec.split!r}")
    _missing_columns(spec, data.column_names)
    data = data.select_columns(_columns(spec)).with_format("arrow")
    for start in range(0, len(data), BATCH_ROWS):
        yield _rename(data[start : start + BATCH_ROWS], spec)


def _table_batches(spec: InputSpec) -> Iterator[pa.Table]:
    from textls.io import read_table, texts_and_labels

    try:
        frame = read_table(spec.path)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (ValueError, EOFError, zlib.error, OSError) as exc:
        raise CacheError(_unreadable(spec.path, exc)) from exc
    texts, labels = texts_and_labels(frame, spec.text_column, spec.label_column, source=spec.path)
    if spec.id_column is not None and spec.id_column not in frame.columns:
        raise MissingKeyError(
            f"{spec.path}: no column {spec.id_column!r}; columns are {list(frame.columns)}"
        )
    kinds = {type(v) for v in labels}
    if all(isinstance(v, str) for v in labels):
        label_array = pa.array(labels, type=pa.large_string())
    elif all(isinstance(v, int) and not isinstance(v, bool) for v in labels):
        label_array = pa.array(labels, type=pa.int64())
    else:
        names = sorted(k.__name__ for k in kinds)
        raise InputTypeError(
            f"{spec.path}: labels must be all strings or all integers, found types {names}"
        )
    columns = {"text": pa.array(texts, type=pa.large_string()), "label": label_array}
    if spec.id_column is not None:
        columns["id"] = pa.array(frame[spec.id_column].tolist())
    table = pa.table(columns)
    for start in range(0, len(table), BATCH_ROWS):
        yield table.slice(start, BATCH_ROWS)


def _unreadable(path: str, exc: BaseException) -> str:
    """Why ``path`` could not be read: the first broken line of a JSON Lines file, else ``exc``."""
    if not path.lower().endswith((".jsonl", ".jsonl.gz")):
        message = str(exc)
        if isinstance(exc, (EOFError, zlib.error, OSError)):
            message = f"truncated or corrupt compressed file ({exc})"
        return message if path in message else f"{path}: {message}"
    opener = gzip.open if path.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        json.loads(line)
                    except ValueError as error:
                        return f"{path}, line {number}: not a JSON object ({error})"
    except (EOFError, zlib.error, OSError, UnicodeDecodeError) as error:
        return f"{path}: truncated or corrupt file ({error})"
    return f"{path}: could not be read as JSON Lines ({exc})"


class _Checker:
    """Check a batch where it enters and give it one schema for the whole input."""

    def __init__(self, spec: InputSpec):
        self.spec = spec
        self.rows = 0
        self.label_type = None
        self.id_type = None

    def __call__(self, batch: pa.Table) -> pa.Table:
        spec, first = self.spec, self.rows
        text = batch.column("text")
        if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
            raise InputTypeError(
                f"{spec.path}: column {spec.text_column!r} holds {text.type}, not text"
            )
        self._no_nulls(text, spec.text_column)
        label = self._label(batch.column("label"))
        columns = {"text": text.cast(pa.large_string()), "label": label}
        if "id" in batch.column_names:
            ids = batch.column("id")
            self._no_nulls(ids, spec.id_column)
            if pa.types.is_string(ids.type):
                ids = ids.cast(pa.large_string())
            if self.id_type is None:
                self.id_type = ids.type
            elif ids.type != self.id_type:
                ids = ids.cast(self.id_type)
            columns["id"] = ids
        self.rows = first + len(batch)
        return pa.table(columns)

    def _no_nulls(self, column, name: str) -> None:
        if column.null_count:
            mask = pc.is_null(column).to_numpy(zero_copy_only=False)
            rows = (np.flatnonzero(mask)[:5] + self.rows).tolist()
            raise ValueError(
                f"{self.spec.path}: column {name!r} is empty in {int(mask.sum())} row(s) of this part, "
                f"first {rows}"
            )

    def _label(self, label) -> pa.ChunkedArray:
        spec = self.spec
        self._no_nulls(label, spec.label_column)
        if pa.types.is_dictionary(label.type):
            label = label.cast(label.type.value_type)
        if pa.types.is_floating(label.type):
            values = label.to_numpy()
            bad = np.flatnonzero(values != np.round(values))
            if bad.size:
                row = int(bad[0])
                raise ValueError(
                    f"{spec.path}: label {float(values[row])!r} in row {row + self.rows} is not a "
                    "class name or integer"
                )
            label = label.cast(pa.int64())
        if pa.types.is_integer(label.type):
            label, kind = label.cast(pa.int64()), "int"
        elif pa.types.is_string(label.type) or pa.types.is_large_string(label.type):
            label, kind = label.cast(pa.large_string()), "str"
        else:
            raise InputTypeError(
                f"{spec.path}: column {spec.label_column!r} holds {label.type}; labels must be "
                "class names (strings) or integers"
            )
        if self.label_type is None:
            self.label_type = kind
        elif kind != self.label_type:
            raise InputTypeError(
                f"{spec.path}: labels must be all strings or all integers, found both "
                f"(integers and strings by row {self.rows})"
            )
        return label
