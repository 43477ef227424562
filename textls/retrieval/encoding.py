"""Embed a corpus batch by batch, in memory or into resumable shards on disk.

``encode_fn`` is any ``list[str] -> (n, d)`` float function, such as
:func:`textls.retrieval.encoder.encode_function` of a dual encoder. A sharded run writes
``shard-0000i.npy`` and ``shard-0000i.ids.json`` per ``shard_size`` texts into a folder, and
``encoder.json`` before the first of them: what made the vectors (the caller's ``record`` of the
encoder and its settings, and the fingerprint of the texts), so a resumed run reuses shards only
of the same corpus, encoder and settings. :func:`load_shards` reads the shards back for
:func:`textls.retrieval.index.build_index`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from textls.io import atomic_write
from textls.locking import folder_lock
from textls.retrieval.index import _check_embeddings, _check_ids
from textls.retrieval.index_files import read_json

__all__ = ["RECORD_NAME", "encode_corpus", "load_shards"]

#: The file of a shards folder saying what made its vectors (:func:`encode_corpus`).
RECORD_NAME = "encoder.json"
#: The lock a sharded run holds in its folder, so two runs never write shards into it at once.
LOCK_NAME = "encode.lock"


def _encode_batches(
    encode_fn: Callable[[list[str]], np.ndarray],
    texts: Sequence[str],
    batch_size: int,
    bar,
    dim: int | None,
) -> np.ndarray:
    parts = []
    for start in range(0, len(texts), batch_size):
        batch = list(texts[start : start + batch_size])
        emb = _check_embeddings(encode_fn(batch), "encode_fn output", dim)
        if emb.shape[0] != len(batch):
            raise ValueError(f"encode_fn returned {emb.shape[0]} rows for {len(batch)} texts")
        dim = emb.shape[1]
        parts.append(emb)
        bar.update(len(batch))
    return np.concatenate(parts, axis=0)


_SHARD_GLOB = "shard-[0-9][0-9][0-9][0-9][0-9].npy"


def _shard_paths(out_dir: Path, i: int) -> tuple[Path, Path]:
    return out_dir / f"shard-{i:05d}.npy", out_dir / f"shard-{i:05d}.ids.json"


def _fingerprint(texts: list[str], ids: list[str]) -> str:
    from textls.cache.fingerprint import data_fingerprint

    return data_fingerprint(texts, ids)


#: What a key of a run record stands for, where its name does not say.
_MEANING = {
    "corpus_fingerprint": "the passages, ids and texts",
    "weights": "the encoder's weights",
}


def _shown(value) -> str:
    if isinstance(value, str) and len(value) > 24:  # a fingerprint: its start tells them apart
        value = value[:19] + "..."
    return repr(value)


def _differences(recorded: dict, run: dict) -> list[str]:
    """How ``run`` differs from ``recorded``, one phrase per key either side has."""
    out = []
    for key in [*run, *(k for k in recorded if k not in run)]:
        name = f"{key} ({_MEANING[key]})" if key in _MEANING else key
        if key not in recorded:
            out.append(
                f"{name} is not recorded (an older textls?), this run has {_shown(run[key])}"
            )
        elif key not in run:
            out.append(f"{name} was {_shown(recorded[key])}, this run has none")
        elif recorded[key] != run[key]:
            out.append(f"{name} was {_shown(recorded[key])}, now {_shown(run[key])}")
    return out


def read_json_record(path: Path, what: str, hint: str = "") -> dict:
    """The JSON object in ``path``; a ``ValueError`` naming the file (and ``what`` it should
    hold, then ``hint``) when it is not valid JSON or not an object."""
    suffix = f"; {hint}" if hint else ""
    try:
        record = read_json(path)  # not UTF-8 or not JSON: a ValueError naming the file
    except ValueError as exc:
        raise ValueError(f"{exc}{suffix}") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path} holds a JSON {type(record).__name__}, not {what}{suffix}")
    return record


def _claim_folder(out_dir: Path, run: dict) -> None:
    """Write ``run`` as ``out_dir``'s record unless the shards there were made by another run.

    The record is written before the first shard and replaced only while the folder holds no
    shard, so every shard in the folder was made by the run its record describes."""
    run = json.loads(json.dumps(run))  # as it reads back: tuples are lists
    path = out_dir / RECORD_NAME
    shards = sorted(p.name for p in out_dir.glob("shard-*"))
    restart = (
        f"encode into an empty folder, or remove {RECORD_NAME} and the shard-* files of "
        f"{out_dir} to start afresh"
    )
    if path.exists():
        recorded = read_json_record(path, "a record of an encoding run", restart)
        differences = _differences(recorded, run)
        if not differences:
            return
        if shards:
            raise ValueError(
                f"{out_dir} holds the shards of another encoding run ({RECORD_NAME}): "
                f"{'; '.join(differences)}. Resuming would mix the vectors of both runs; "
                f"{restart}"
            )
    elif shards:
        raise ValueError(
            f"{out_dir} holds {shards[0]} but no {RECORD_NAME} saying which corpus, encoder and "
            f"settings made it, so its vectors cannot be reused; {restart}"
        )
    atomic_write(path, lambda f: f.write(json.dumps(run, indent=2) + "\n"), mode="w")


def encode_corpus(
    encode_fn: Callable[[list[str]], np.ndarray],
    texts: Sequence[str],
    ids: Sequence[str],
    batch_size: int = 64,
    shard_size: int | None = None,
    out_dir: str | os.PathLike | None = None,
    progress: bool = True,
    *,
    record: Mapping[str, object] | None = None,
) -> np.ndarray | list[Path]:
    """Embed ``texts`` with ``encode_fn`` (``list[str] -> (n, d)`` float array), batch by batch.

    Without ``shard_size`` returns the ``(len(texts), d)`` float32 embeddings. With
    ``shard_size`` and ``out_dir``, texts ``[i*shard_size, (i+1)*shard_size)`` go to
    ``shard-0000i.npy`` with their ids in ``shard-0000i.ids.json`` (each written under a temporary
    name, then renamed; the ids file last, so it marks a complete shard). Returns the shard
    paths; :func:`load_shards` reads them back.

    Before the first shard, ``out_dir/encoder.json`` records what makes these vectors: ``record``
    (JSON values naming the encoder and its settings, e.g. its weights and max length) and
    ``corpus_fingerprint``, the fingerprint of ``texts`` and ``ids`` in order (what
    :func:`textls.retrieval.data.corpus_fingerprint` gives a BEIR corpus). A complete shard is
    reused, so an interrupted run resumes where it stopped, only when the folder's record equals
    this run's in every key; a folder holding shards of another corpus, encoder or setting, or
    shards without a record, is refused naming what differs (nothing is mixed: use an empty
    folder). A shard whose ids differ from this run's (another ``shard_size``) raises too, and a
    second run writing into the folder at the same time is refused (``encode.lock``).
    """
    texts = list(texts)
    ids = _check_ids(ids, "ids")
    if len(texts) != len(ids):
        raise ValueError(f"len(texts) = {len(texts)} but len(ids) = {len(ids)}; they must match")
    if not texts:
        raise ValueError("no texts to encode")
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"texts[{i}] (id {ids[i]!r}) is {text!r}; expected non-blank text")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if (shard_size is None) != (out_dir is None):
        raise ValueError("shard_size and out_dir go together: give both or neither")
    if record is not None and out_dir is None:
        raise ValueError("record describes the shards of out_dir; give shard_size and out_dir too")
    bar = tqdm(total=len(texts), desc="encoding", unit="text", disable=not progress)
    try:
        if shard_size is None:
            return _encode_batches(encode_fn, texts, batch_size, bar, None)
        if shard_size < 1:
            raise ValueError(f"shard_size must be >= 1, got {shard_size}")
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        with folder_lock(out_dir, LOCK_NAME, writer="encode"):
            _claim_folder(
                out_dir, {**(record or {}), "corpus_fingerprint": _fingerprint(texts, ids)}
            )
            return _encode_shards(encode_fn, texts, ids, batch_size, shard_size, out_dir, bar)
    finally:
        bar.close()


def _encode_shards(encode_fn, texts, ids, batch_size, shard_size, out_dir, bar) -> list[Path]:
    n_shards = math.ceil(len(texts) / shard_size)
    stale = [p.name for p in out_dir.glob(_SHARD_GLOB) if int(p.name[6:11]) >= n_shards]
    if stale:
        raise ValueError(
            f"{out_dir} holds {sorted(stale)[0]} beyond the {n_shards} shard(s) of this corpus; "
            "use an empty folder"
        )
    paths, dim = [], None
    for i in range(n_shards):
        part = slice(i * shard_size, min((i + 1) * shard_size, len(texts)))
        npy, ids_file = _shard_paths(out_dir, i)
        if ids_file.exists() and npy.exists():
            done_ids = _read_shard_ids(ids_file)
            if done_ids != ids[part]:
                raise ValueError(
                    f"{ids_file} lists other ids than shard {i} of this run (written with "
                    "another shard_size?); use the same shard_size, or an empty folder"
                )
            emb = _read_shard(npy, mmap_mode="r")
            if emb.shape[0] != len(done_ids):
                raise ValueError(f"{npy} has shape {emb.shape}, expected {len(done_ids)} rows")
            if dim is not None and emb.shape[1] != dim:
                raise ValueError(f"{npy} has dimension {emb.shape[1]}, other shards {dim}")
            dim = emb.shape[1]
            bar.update(part.stop - part.start)
        else:
            emb = _encode_batches(encode_fn, texts[part], batch_size, bar, dim)
            dim = emb.shape[1]
            atomic_write(npy, lambda f, emb=emb: np.save(f, emb))
            atomic_write(ids_file, lambda f, p=part: json.dump(ids[p], f), mode="w")
        paths.append(npy)
    return paths


def load_shards(out_dir: str | os.PathLike) -> tuple[np.ndarray, list[str]]:
    """Concatenate the shards :func:`encode_corpus` wrote: ``(embeddings, ids)`` in shard order."""
    out_dir = Path(out_dir)
    shards = sorted(out_dir.glob(_SHARD_GLOB))
    if not shards:
        raise FileNotFoundError(f"{out_dir}: no shard-*.npy files")
    arrays, ids = [], []
    for i, npy in enumerate(shards):
        expected, ids_file = _shard_paths(out_dir, i)
        if npy != expected:
            raise ValueError(f"{out_dir}: shard {expected.name} is missing (found {npy.name})")
        if not ids_file.exists():
            raise ValueError(f"{npy} is incomplete: {ids_file.name} is missing; encode again")
        emb = _read_shard(npy)
        shard_ids = _read_shard_ids(ids_file)
        if emb.shape[0] != len(shard_ids):
            raise ValueError(
                f"{npy} has shape {emb.shape} but {ids_file.name} lists {len(shard_ids)} ids"
            )
        emb = _check_embeddings(emb, str(npy))  # float32; a NaN or inf row named
        if arrays and emb.shape[1] != arrays[0].shape[1]:
            raise ValueError(
                f"{npy} has dimension {emb.shape[1]}, {shards[0].name} {arrays[0].shape[1]}"
            )
        arrays.append(emb)
        ids.extend(shard_ids)
    return np.concatenate(arrays, axis=0), _check_ids(ids, f"the shards of {out_dir}")


def _read_shard(npy: Path, mmap_mode: str | None = None) -> np.ndarray:
    """The ``(n, d)`` float array of a shard file, or a ``ValueError`` naming the file (a pickled
    object array is refused, never unpickled)."""
    again = "delete it and its ids file, and encode again"
    try:
        emb = np.load(npy, mmap_mode=mmap_mode, allow_pickle=False)
    except (ValueError, EOFError) as exc:
        raise ValueError(
            f"{npy} cannot be read as a shard of embeddings ({exc}); {again}"
        ) from None
    if not isinstance(emb, np.ndarray):  # an .npz archive under the shard's name
        emb.close()
        raise ValueError(f"{npy} is an .npz archive, not the .npy array of a shard; {again}")
    if emb.ndim != 2 or not np.issubdtype(emb.dtype, np.floating):
        raise ValueError(
            f"{npy} holds a {emb.dtype} array of shape {emb.shape}, not (n, d) float "
            f"embeddings; {again}"
        )
    return emb


def _read_shard_ids(ids_file: Path) -> list[str]:
    """The ids a shard's ids file lists, or a ``ValueError`` naming the file."""
    try:
        shard_ids = json.loads(ids_file.read_text(encoding="utf-8"))
    except ValueError as exc:  # not JSON, or not UTF-8
        raise ValueError(f"{ids_file}: not a JSON list of ids ({exc})") from None
    if not isinstance(shard_ids, list):
        raise ValueError(
            f"{ids_file} holds a JSON {type(shard_ids).__name__}, not the list of its shard's ids"
        )
    return _check_ids(shard_ids, str(ids_file))
