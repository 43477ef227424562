"""Reading and writing tables (CSV, TSV, JSONL, Parquet) with errors that name the file and column."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import tempfile
import unicodedata
import warnings
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from textls.errors import MissingKeyError

logger = logging.getLogger(__name__)


def _read_delimited(path: Path, sep: str = ",") -> pd.DataFrame:
    """A CSV/TSV whose every row has the header's fields.  pandas reads a first data row with
    more fields than the header as an index column plus shifted columns (texts read as labels),
    and a later one as a tokenizing error naming its line; ``index_col=False`` turns the first
    case into a warning, raised here as an error naming the line."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return pd.read_csv(
                path, sep=sep, index_col=False, keep_default_na=False, na_values=[""]
            )
        except pd.errors.ParserWarning:
            raise ValueError(
                f"line 2 (the first data row) has more fields than the header; quote fields "
                f"that hold the separator {sep!r}"
            ) from None


_READERS = {
    ".csv": _read_delimited,
    ".tsv": lambda p: _read_delimited(p, sep="\t"),
    # dtype=False: a label written as "1" stays the string "1" and 1 the integer 1, so a file that
    # mixes them is refused instead of merging two classes (and no column becomes a date)
    ".jsonl": lambda p: pd.read_json(p, lines=True, dtype=False),
    ".json": lambda p: pd.read_json(p, dtype=False),
    ".parquet": pd.read_parquet,
}


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".zst", ".xz") and len(suffixes) > 1:
        return suffixes[-2]
    return suffixes[-1] if suffixes else ""


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV, TSV, JSONL, JSON or Parquet file (optionally compressed) into a DataFrame.

    Empty cells of a CSV are read as missing (not as the string ``"NA"``: "NA" is a word).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; expected a CSV, JSONL or Parquet file")
    reader = _READERS.get(_suffix(path))
    if reader is None:
        raise ValueError(
            f"{path}: unsupported format {_suffix(path) or '(none)'}; use one of {sorted(_READERS)}"
        )
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty")
    try:
        frame = reader(path)
    except pd.errors.EmptyDataError as exc:
        raise ValueError(f"{path} is empty") from exc
    except ValueError as exc:
        raise ValueError(f"{path}: could not be read as {_suffix(path)}: {exc}") from exc
    except (EOFError, zlib.error, OSError) as exc:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path}: truncated or corrupt compressed file ({exc})") from exc
    if len(frame) == 0:
        raise ValueError(f"{path} has a header but no rows")
    if _suffix(path) in (".csv", ".tsv"):
        _refuse_duplicate_columns(path, frame)
        frame = _keep_number_spellings(path, frame)
    return frame


def _keep_number_spellings(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """Keep what parsing numbers would lose, from one re-read of the numeric columns as text:

    * an integer column whose cells do not read back as written (``01``, ``+1``, `` 1``) keeps
      its text, since parsing would merge ``01`` and ``1`` into one class;
    * each float column's cells as written go to ``frame.attrs["spellings"]``, so a label column
      that spells one number several ways (``1``, ``1.0``, ``1e0``) is refused by
      :func:`texts_and_labels` rather than merged into one class.
    """
    integers = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])]
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    if not integers and not floats:
        return frame
    sep = "\t" if _suffix(path) == ".tsv" else ","
    raw = pd.read_csv(path, sep=sep, usecols=integers + floats, dtype=str, keep_default_na=False)
    for column in integers:
        if not (raw[column] == frame[column].astype(str)).all():
            frame[column] = raw[column]
    if floats:
        frame.attrs["spellings"] = {c: raw[c] for c in floats}
    return frame


def _refuse_duplicate_columns(path: Path, frame: pd.DataFrame) -> None:
    """pandas renames a repeated header ``label`` to ``label.1``; refuse instead of guessing."""
    if not any("." in str(c) for c in frame.columns):
        return
    sep = "\t" if _suffix(path) == ".tsv" else ","
    header = pd.read_csv(path, sep=sep, nrows=1, header=None, dtype=str, keep_default_na=False)
    names = header.iloc[0].tolist()
    seen, repeated = set(), []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise ValueError(f"{path}: the header repeats column(s) {repeated}; rename them")


def texts_and_labels(
    frame: pd.DataFrame, text_column: str, label_column: str | None, source: str = "input"
) -> tuple[list[str], list | None]:
    """Pull a text column (and a label column) out of a table, refusing missing cells by row."""
    check_text_and_label_columns(text_column, label_column)
    for column in (text_column, label_column):
        if column is not None and column not in frame.columns:
            raise MissingKeyError(
                f"{source}: no column {column!r}; columns are {list(frame.columns)}"
            )
    texts = frame[text_column]
    _refuse_missing(texts, text_column, source)
    not_str = ~texts.map(lambda t: isinstance(t, str)).to_numpy()
    if not_str.any():
        row = int(np.flatnonzero(not_str)[0])
        raise ValueError(
            f"{source}: column {text_column!r} row {row} is {texts.iloc[row]!r}, not text"
        )
    if label_column is None:
        return texts.tolist(), None
    labels = frame[label_column]
    _refuse_missing(labels, label_column, source)
    if labels.dtype == object:
        unhashable = labels.map(lambda v: isinstance(v, list | dict | set | np.ndarray)).to_numpy()
        if unhashable.any():
            row = int(np.flatnonzero(unhashable)[0])
            raise ValueError(
                f"{source}: column {label_column!r} row {row} is {labels.iloc[row]!r}, a "
                f"{type(labels.iloc[row]).__name__}: a label is one class name or integer "
                "(multi-label data is not supported)"
            )
    _warn_near_duplicate_labels(labels, label_column, source)
    if pd.api.types.is_bool_dtype(labels):  # True / False: two classes
        return texts.tolist(), [bool(v) for v in labels]
    if pd.api.types.is_float_dtype(labels):
        _refuse_one_number_spelt_twice(
            labels, frame.attrs.get("spellings", {}).get(label_column), label_column, source
        )
        if not (labels == labels.round()).all():
            row = int(np.flatnonzero((labels != labels.round()).to_numpy())[0])
            raise ValueError(
                f"{source}: label {float(labels.iloc[row])!r} in row {row} is not a class name or integer"
            )
        labels = labels.astype(np.int64)
    return texts.tolist(), [v.item() if isinstance(v, np.generic) else v for v in labels.tolist()]


def check_text_and_label_columns(text_column: str, label_column: str | None) -> None:
    """Refuse one column named as both the texts and the labels."""
    if label_column is not None and text_column == label_column:
        raise ValueError(
            f"--text_column and --label_column are both {text_column!r}: the texts would be "
            "their own labels"
        )


#: Label cells that read as a missing value, kept as a class of that name (with a warning).
MISSING_SPELLINGS = frozenset({"nan", "na", "n/a", "null", "none", "missing", "?", "-"})


def _refuse_one_number_spelt_twice(
    labels: pd.Series, spellings: pd.Series | None, column: str, source: str
) -> None:
    """Raise when cells of ``column`` that read as the same number were written differently
    (``1``, ``1.0``, ``1e0``): they would become one class without anyone having said so."""
    if spellings is None:
        return
    seen: dict[float, str] = {}
    for row, (value, spelt) in enumerate(zip(labels.tolist(), spellings.tolist(), strict=True)):
        first = seen.setdefault(value, spelt)
        if first != spelt:
            raise ValueError(
                f"{source}: column {column!r} writes the label {value:g} both as {first!r} and "
                f"as {spelt!r} (row {row}); write each class one way"
            )


def _refuse_missing(values: pd.Series, column: str, source: str) -> None:
    """Raise naming how many cells of ``column`` are empty, and the first five of their rows."""
    missing = values.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)[:5].tolist()
        raise ValueError(
            f"{source}: column {column!r} is empty in {int(missing.sum())} row(s), first {rows}"
        )


def _warn_near_duplicate_labels(labels: pd.Series, column: str, source: str) -> None:
    """Warn when labels differ only in case, surrounding spaces or Unicode normal form: they are
    distinct classes to textls (it never guesses), but rarely meant to be."""
    names = [v for v in labels.unique() if isinstance(v, str)]
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(unicodedata.normalize("NFKC", name).strip().casefold(), []).append(name)
    looks_missing = [n for n in names if n.strip().casefold() in MISSING_SPELLINGS]
    if looks_missing:
        logger.warning(
            "%s: column %r has the label(s) %s, which read as a missing value; they are kept as "
            "classes of that name: remove those rows if the label is unknown",
            source,
            column,
            ", ".join(repr(n) for n in looks_missing),
        )
    alike = [group for group in groups.values() if len(group) > 1]
    if alike:
        logger.warning(
            "%s: column %r has labels that differ only in case, spaces or Unicode form, and are "
            "kept as distinct classes: %s",
            source,
            column,
            "; ".join(", ".join(repr(n) for n in group) for group in alike[:5]),
        )


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    """``"sha256:<hex>"`` of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write by suffix (.csv, .tsv, .jsonl, .parquet) to a temporary file, then rename: never half a file."""
    return write_table_with_sha256(frame, path, hash_bytes=False)[0]


def write_table_with_sha256(
    frame: pd.DataFrame, path: str | os.PathLike, hash_bytes: bool = True
) -> tuple[Path, str | None]:
    """:func:`write_table`, and the SHA-256 of the bytes it published (:func:`sha256_file` of the
    temporary file before the rename), so a record can vouch for exactly what was written even if
    another writer replaces ``path`` right after."""
    path = Path(path)
    suffix = _suffix(path)
    writers = {
        ".csv": lambda f, p: f.to_csv(p, index=False),
        ".tsv": lambda f, p: f.to_csv(p, sep="\t", index=False),
        ".jsonl": lambda f, p: f.to_json(p, orient="records", lines=True, force_ascii=False),
        ".parquet": lambda f, p: f.to_parquet(p, index=False),
    }
    if suffix not in writers:
        raise ValueError(
            f"{path}: unsupported output format {suffix or '(none)'}; use one of {sorted(writers)}"
        )
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a file name such as {path}/soft.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name ends in the real suffix, so pandas infers the same compression (.csv.gz).
    with atomic_path(path, suffix=path.suffix) as tmp:
        writers[suffix](frame, tmp)
        digest = sha256_file(tmp) if hash_bytes else None
    return path, digest


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[str]:
    """A temporary path beside ``path`` to write a file to, published as ``path`` when the block
    ends: never half a file, under any reader or crash.

    The temporary name is unique (``.NAME.tmp-PID-XXXXXXXX`` + ``suffix``, made by ``mkstemp`` in
    the target folder, so the rename stays on one file system) and gets the mode ``open()`` would
    give (the umask's, not mkstemp's 0600).  When the block ends the file is fsynced, renamed over
    ``path`` (``os.replace``, atomic on POSIX) and the folder fsynced; if the block raises, the
    temporary file is removed and ``path`` is left as it was.  Every file textls publishes goes
    through here.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.tmp-{os.getpid()}-", suffix=suffix, dir=path.parent
    )
    os.close(fd)
    try:
        os.chmod(tmp, user_file_mode())
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink(missing_ok=True)
        raise
    try:  # the rename itself
        _fsync(path.parent)
    except OSError as exc:  # a folder some systems cannot open or sync; a full disk still raises
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF, errno.EACCES, errno.EISDIR):
            raise


#: What :func:`atomic_path` names a temporary file for ``NAME`` (group 1), e.g. to tell a crashed
#: writer's leftovers from someone else's files.
TEMPORARY_NAME = r"\.(.+?)\.tmp-\d+-\w+(?:\..*)?"


def _fsync(path: str | os.PathLike) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[IO], None], mode: str = "wb") -> None:
    """``write(f)`` to an open file that becomes ``path`` only once whole (see :func:`atomic_path`)."""
    with (
        atomic_path(path) as tmp,
        open(tmp, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f,
    ):
        write(f)


def atomic_write_json(path: str | os.PathLike, data, **dumps) -> None:
    """``data`` as indented JSON with a final newline, published atomically (:func:`atomic_path`);
    ``dumps`` go to ``json.dumps`` (e.g. ``allow_nan=False``)."""
    text = json.dumps(data, indent=2, **dumps) + "\n"
    atomic_write(Path(path), lambda f: f.write(text), mode="w")


def user_file_mode() -> int:
    """The mode ``open()`` gives a new file under the process's umask (0644 under umask 022).

    Read from ``/proc/self/status`` where there is one: setting the umask to read it back would
    change it for every thread for a moment.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def refuse_overwriting(output, inputs) -> None:
    """Raise ``ValueError`` if ``output`` resolves to one of ``inputs`` (paths; symlinks followed)."""
    target = Path(output).resolve()
    for path in inputs:
        if Path(path).resolve() == target:
            raise ValueError(f"--output {output} would overwrite the input {path}")
