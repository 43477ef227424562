"""The output folder of a cache build: kept off the input, locked, cleared, checked for damage.

A whole-folder build holds ``build.lock`` while it writes; a shard task only checks that no such
build holds it.  ``overwrite`` removes the files a build wrote, and only those: a folder holding
anything else is refused.  A complete cache whose shards or fit were damaged since is found here,
so that the build rewrites only what is damaged.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

from textls.cache.manifest import (
    FIT_FILE,
    LOCK,
    MANIFEST,
    CacheError,
    check_unlocked,
    ensure_folder,
    folder_lock,
    read_json,
    read_manifest,
)
from textls.cache.plan import shard_name
from textls.cache.source import InputSpec
from textls.io import TEMPORARY_NAME, sha256_file


@contextlib.contextmanager
def writing(root: Path, spec: InputSpec, whole_folder: bool, overwrite: bool):
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


def damage(root: Path) -> str | None:
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
