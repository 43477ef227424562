"""A compare's output folder holds one complete run, or says plainly that it does not.

The policy of ``textls compare`` and ``textls retrieval compare`` alike (:mod:`.runner`):

* A folder is a compare's when it holds :data:`RECORD` (``compare-outputs.json``), the list of the
  files a run writes, each added before it is written (or of the folders it writes, ending in
  ``/``: a saved encoder or index is a folder of files the compare does not name one by one).  Before anything is removed the folder is
  checked: every file in it must be listed there (or lie in a listed folder, or be the record, the
  lock, or a crashed writer's temporary file of a listed one), and a folder with no record must be
  empty but for the lock.  Anything else, even a file named as compare names its own (a user's
  ``predictions/x-seed0.npz``, a ``results.json`` of other numbers), is refused, naming it; only
  listed files are ever removed, and only names of the kind the compare writes (its
  ``own_names``) count as listed.
* When the run starts (its lock held), the previous run's ``results.json`` and ``report.md`` go
  first, so the folder no longer claims a complete run, then the rest of its files; a warning
  says how many files of a previous (finished or unfinished) run were replaced.
* The record says whether the run finished; ``results.json`` is written last.  A killed,
  interrupted or disk-full run leaves no ``results.json`` and a record that says
  ``"complete": false``: never the previous run's results beside this run's partial predictions.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

from textls.io import TEMPORARY_NAME, atomic_write_json

logger = logging.getLogger(__name__)

#: The record of what the run in a folder wrote, and whether it finished.
RECORD = "compare-outputs.json"
#: The lock a running compare holds in its output folder (:func:`textls.locking.folder_lock`).
LOCK = "compare.lock"
#: Names of the files ``textls compare`` writes (relative to the folder, ``/``-separated).
CLASSIFICATION_NAMES = re.compile(
    r"results\.json|report\.md|predictions/[^/]+-seed\d+\.npz"
    r"|figures/(reliability|representations)\.png"
)
#: ... and ``textls retrieval compare``: each run's folder (its encoder, index, run file, metrics).
RETRIEVAL_NAMES = re.compile(r"results\.json|report\.md|(pretrained|[^/]+-seed\d+)/")


def check_output_dir(out: Path, own_names: re.Pattern, writer: str = "textls compare") -> None:
    """Refuse ``out`` unless it is new, empty, or holds only files a compare listed in its record
    (see the module docstring); nothing is removed here.  ``writer`` names the command."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"--output_dir {out} is a file")
    listed = _listed(out, own_names)
    for name in _files(out):
        if not _is_listed(name, listed):
            raise ValueError(
                f"--output_dir {out} holds {name}, which {writer} did not write; choose a new or "
                "empty folder (a compare replaces only the files its record lists)"
            )


def _listed(out: Path, own_names: re.Pattern) -> set[str]:
    """The names a previous compare's record lists (of the kind ``own_names`` matches), the
    record and the lock; the lock alone when there is no readable record."""
    names = {LOCK}
    try:
        record = json.loads((out / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no record, or not JSON: not a compare's folder
        return names
    files = record.get("files") if isinstance(record, dict) else None
    if isinstance(files, list):
        names |= {f for f in files if isinstance(f, str) and own_names.fullmatch(f)}
        names.add(RECORD)
    return names


def _is_listed(name: str, listed: set[str]) -> bool:
    """``name`` is listed itself, is a crashed writer's temporary file of a listed name, or lies
    in a listed folder (an entry ending in ``/``)."""
    if name in listed or _written_name(name) in listed:
        return True
    parts = name.split("/")[:-1]
    return any("/".join(parts[: i + 1]) + "/" in listed for i in range(len(parts)))


class OutputRecord:
    """The files this run has written into its folder (:data:`RECORD`), kept on disk as they are
    written, and whether the run finished."""

    def __init__(self, out: Path):
        self.out, self.files, self.complete = out, [], False

    def add(self, path: Path, folder: bool = False) -> Path:
        """Record ``path`` (a file in the folder; with ``folder``, a folder whose every file the
        run writes) before it is written; returns it.  A run killed between the two leaves a
        listed name with no file, never a file the record does not list."""
        name = Path(path).relative_to(self.out).as_posix() + ("/" if folder else "")
        if name not in self.files:
            self.files.append(name)
            self._save()
        return path

    def finish(self) -> None:
        """The run is complete: every file is written, ``results.json`` last."""
        self.complete = True
        self._save()

    def _save(self) -> None:
        atomic_write_json(self.out / RECORD, {"files": self.files, "complete": self.complete})


def start_run(out: Path, own_names: re.Pattern) -> OutputRecord:
    """Remove the previous run's files (checked by :func:`check_output_dir`, now under this
    run's lock; ``results.json`` and ``report.md`` first, so the folder stops claiming a complete
    run; a warning says so) and return a fresh record.  Only files the previous record lists are
    removed, and the folders they leave empty."""
    listed = _listed(out, own_names) - {LOCK}
    previous = [out / n for n in _files(out) if n != RECORD and _is_listed(n, listed)]
    if previous:
        logger.warning(
            "--output_dir %s holds a previous %s run: its %d file(s) are replaced",
            out,
            "finished" if (out / "results.json") in previous else "unfinished",
            len(previous),
        )
    first = [p for p in previous if p.name in ("results.json", "report.md")]
    for path in [*first, *(p for p in previous if p not in first)]:
        path.unlink(missing_ok=True)
    for path in sorted({p.parent for p in previous}, key=lambda p: -len(p.parts)):
        while path != out and path.is_dir() and not any(path.iterdir()):
            path.rmdir()
            path = path.parent
    record = OutputRecord(out)
    record._save()
    return record


def _written_name(name: str) -> str:
    """The file a crashed writer's temporary file (:func:`textls.io.atomic_path`) was for, or
    ``name`` itself."""
    parent, _, base = name.rpartition("/")
    temporary = re.fullmatch(TEMPORARY_NAME, base)
    if not temporary:
        return name
    return f"{parent}/{temporary[1]}" if parent else temporary[1]


def _files(out: Path) -> list[str]:
    """Every file under ``out`` as a ``/``-separated relative name, sorted; a link to a folder
    counts as a file (it is never descended into, so nothing outside ``out`` is reached)."""
    names = []
    for folder, dirs, files in os.walk(out):
        here = Path(folder).relative_to(out)
        links = [d for d in dirs if Path(folder, d).is_symlink()]
        dirs[:] = [d for d in dirs if d not in links]
        names += [(here / n).as_posix() for n in files + links]
    return sorted(names)
