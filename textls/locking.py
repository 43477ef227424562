"""One writer per folder: a lock file created with ``O_EXCL`` that names its owner.

``textls cache build`` holds ``build.lock`` in the cache folder and ``textls compare`` holds
``compare.lock`` in its output folder, so a second process writing into the same folder fails at
once, naming the first, instead of leaving a mix of both runs' files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

logger = logging.getLogger(__name__)


class FolderLockedError(ValueError):
    """Another live process holds the folder's lock."""


@contextlib.contextmanager
def folder_lock(
    root: Path,
    name: str,
    error: type[Exception] = FolderLockedError,
    writer: str = "writer",
    os_error: Callable[[OSError, Path], Exception] | None = None,
) -> Iterator[None]:
    """Hold ``root/name`` while writing in ``root``; released on any exit.

    The lock file is created with ``O_CREAT | O_EXCL`` (one process wins) and holds the owner's
    pid and host.  A lock of a live process, or of another host (whose processes cannot be
    checked), refuses the second writer with ``error`` naming its owner (``writer`` says what it
    is: "build", "compare"); a lock whose process is gone (same host, ``kill(pid, 0)`` finds none)
    is taken over with a warning.  ``os_error`` words a storage error creating the lock (the
    error itself by default).
    """
    path = root / name
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "token": os.urandom(8).hex()}
    for _ in range(3):  # a stale lock is taken over, then the create is tried again
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)  # umask applies
        except FileExistsError:
            holder = _lock_holder(path)
            if holder is not None and not _is_stale(holder):
                raise error(_held(path, holder, writer)) from None
            if holder is not None:
                _take_over(path, holder)
            continue
        except OSError as exc:
            if os_error is None:
                raise
            raise os_error(exc, path) from exc
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(owner, f)
        break
    else:
        raise error(f"{path}: other {writer}s keep taking the lock of {root}; retry later")
    try:
        yield
    finally:
        if _lock_holder(path) == owner:  # never remove a lock that is not this build's
            path.unlink(missing_ok=True)


def check_unlocked(
    root: Path, name: str, error: type[Exception] = FolderLockedError, writer: str = "writer"
) -> None:
    """Refuse with ``error`` (naming the owner) while a live ``writer`` holds ``root/name``."""
    path = root / name
    holder = _lock_holder(path)
    if holder is None:
        return
    if not _is_stale(holder):
        raise error(_held(path, holder, writer))
    logger.warning("%s: ignoring a stale lock of pid %s (no longer running)", path, holder["pid"])


def _lock_holder(path: Path) -> dict | None:
    """The lock's owner (``{}`` if the file does not say), or ``None`` if there is no lock."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # being written by its owner this instant, or damaged: either way not ours
    return holder if isinstance(holder, dict) else {}


def _is_stale(holder: dict) -> bool:
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int) or pid <= 0:
        return False  # another machine's process, or an unreadable lock: cannot tell, so held
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False


def _held(path: Path, holder: dict, writer: str) -> str:
    if "pid" not in holder:
        return (
            f"{path} exists but does not say which {writer} holds it (one may be starting); if "
            f"no {writer} is writing to this folder, delete it and re-run"
        )
    return (
        f"another {writer} (pid {holder['pid']} on {holder.get('host')}) is writing to "
        f"{path.parent}; wait for it to finish, or, if that process is gone, delete {path}"
    )


def _take_over(path: Path, holder: dict) -> None:
    # rename, then check: between reading the stale lock and removing it another process may
    # have taken it over and written its own, which must not be deleted
    aside = path.with_name(f".{path.name}.stale-{os.getpid()}")
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return  # another process took it over first; the next create tells who holds it
    if _lock_holder(aside) != holder:
        with contextlib.suppress(OSError):
            os.link(aside, path)  # a live owner's lock: put it back
    else:
        logger.warning(
            "%s: took over the lock of pid %s on %s, which is no longer running",
            path,
            holder["pid"],
            holder["host"],
        )
    aside.unlink(missing_ok=True)
