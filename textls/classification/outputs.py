"""``textls compare``'s output folder holds one complete run, or says plainly that it does not.

* Before anything is removed, the folder is checked: every file in it must be one compare writes
  (``results.json``, ``report.md``, ``predictions/<method>-seed<k>.npz``,
  ``figures/{reliability,representations}.png``, the record and the lock, or a crashed writer's
  temporary file of one of these), and a folder that holds any file but the lock must be a
  compare's (hold its record or a ``results.json``); a folder holding anything else is refused,
  naming the file, and only such files are ever removed.
* When the run starts (its lock held), the previous run's ``results.json`` and ``report.md`` go
  first, so the folder no longer claims a complete run, then the rest of its files.
* :data:`RECORD` (``compare-outputs.json``) lists every file the run has written so far and
  whether it finished; ``results.json`` is written last.  A killed, interrupted or disk-full run
  leaves no ``results.json`` and a record that says ``"complete": false``: never the previous
  run's results beside this run's partial predictions.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from textls.io import TEMPORARY_NAME, atomic_write_json

#: The record of what the run in a folder wrote, and whether it finished.
RECORD = "compare-outputs.json"
#: The lock a running compare holds in its output folder (:func:`textls.locking.folder_lock`).
LOCK = "compare.lock"
#: Names of the files compare writes (relative to the folder, ``/``-separated).
OWN_NAMES = re.compile(
    r"results\.json|report\.md|predictions/[^/]+-seed\d+\.npz"
    r"|figures/(reliability|representations)\.png|" + re.escape(RECORD) + "|" + re.escape(LOCK)
)


def check_output_dir(out: Path) -> None:
    """Refuse ``out`` unless it is new, empty, or holds only files a compare writes (see the
    module docstring); nothing is removed here."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"--output_dir {out} is a file")
    # files named as compare names its own are compare's only in a compare's folder (it has a
    # record, or a results.json of a textls before the record): a folder of notes with a
    # report.md, or of someone's predictions/x-seed0.npz, is someone else's
    ours = (out / RECORD).is_file() or (out / "results.json").is_file()
    for name in _files(out):
        if not _own(name) or (not ours and name != LOCK):
            raise ValueError(
                f"--output_dir {out} holds {name}, which textls compare did not write; choose a "
                "new or empty folder (compare replaces only its own files)"
            )


class OutputRecord:
    """The files this run has written into its folder (:data:`RECORD`), kept on disk as they are
    written, and whether the run finished."""

    def __init__(self, out: Path):
        self.out, self.files, self.complete = out, [], False

    def add(self, path: Path) -> Path:
        """Record ``path`` (a file in the folder, just written); returns it."""
        name = Path(path).relative_to(self.out).as_posix()
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


def start_run(out: Path) -> OutputRecord:
    """Remove the previous run's files (checked by :func:`check_output_dir`, now under this
    run's lock; ``results.json`` and ``report.md`` first, so the folder stops claiming a complete
    run) and return a fresh record.  Only files compare writes are removed, whatever a record in
    the folder says."""
    previous = [out / name for name in _files(out) if name != LOCK and _own(name)]
    first = [p for p in previous if p.name in ("results.json", "report.md")]
    for path in [*first, *(p for p in previous if p not in first)]:
        path.unlink(missing_ok=True)
    record = OutputRecord(out)
    record._save()
    return record


def _own(name: str) -> bool:
    """A name compare writes, or a temporary file of one (:func:`textls.io.atomic_path`)."""
    parent, _, base = name.rpartition("/")
    temporary = re.fullmatch(TEMPORARY_NAME, base)
    if temporary:
        name = f"{parent}/{temporary[1]}" if parent else temporary[1]
    return OWN_NAMES.fullmatch(name) is not None


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
