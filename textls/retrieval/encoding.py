"""Embed a corpus batch by batch, in memory or into resumable shards on disk.

``encode_fn`` is any ``list[str] -> (n, d)`` float function, such as
:func:`textls.retrieval.encoder.encode_function` of a dual encoder. A sharded run writes
``shard-0000i.npy`` and ``shard-0000i.ids.json`` per ``shard_size`` texts into a folder;
:func:`load_shards` reads them back for :func:`textls.retrieval.index.build_index`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from textls.io import atomic_write
from textls.retrieval.index import _check_embeddings, _check_ids

__all__ = ["encode_corpus", "load_shards"]


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


def encode_corpus(
    encode_fn: Callable[[list[str]], np.ndarray],
    texts: Sequence[str],
    ids: Sequence[str],
    batch_size: int = 64,
    shard_size: int | None = None,
    out_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> np.ndarray | list[Path]:
    """Embed ``texts`` with ``encode_fn`` (``list[str] -> (n, d)`` float array), batch by batch.

    Without ``shard_size`` returns the ``(len(texts), d)`` float32 embeddings. With
    ``shard_size`` and ``out_dir``, texts ``[i*shard_size, (i+1)*shard_size)`` go to
    ``shard-0000i.npy`` with their ids in ``shard-0000i.ids.json`` (each written under a temporary
    name, then renamed; the ids file last, so it marks a complete shard). A shard already complete
    with the same ids is skipped, so an interrupted run resumes where it stopped; a shard whose
    ids differ raises (the folder belongs to another corpus or shard size). Returns the shard
    paths; :func:`load_shards` reads them back.
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
    bar = tqdm(total=len(texts), desc="encoding", unit="text", disable=not progress)
    try:
        if shard_size is None:
            return _encode_batches(encode_fn, texts, batch_size, bar, None)
        if shard_size < 1:
            raise ValueError(f"shard_size must be >= 1, got {shard_size}")
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
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
                done_ids = json.loads(ids_file.read_text(encoding="utf-8"))
                if done_ids != ids[part]:
                    raise ValueError(
                        f"{ids_file} lists other ids than shard {i} of this corpus (another "
                        "corpus or shard_size?); use an empty folder"
                    )
                emb = np.load(npy, mmap_mode="r")
                if emb.ndim != 2 or emb.shape[0] != len(done_ids):
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
    finally:
        bar.close()


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
        emb = np.load(npy)
        shard_ids = json.loads(ids_file.read_text(encoding="utf-8"))
        if emb.ndim != 2 or emb.shape[0] != len(shard_ids):
            raise ValueError(
                f"{npy} has shape {emb.shape} but {ids_file.name} lists {len(shard_ids)} ids"
            )
        if arrays and emb.shape[1] != arrays[0].shape[1]:
            raise ValueError(
                f"{npy} has dimension {emb.shape[1]}, {shards[0].name} {arrays[0].shape[1]}"
            )
        arrays.append(emb)
        ids.extend(shard_ids)
    return np.concatenate(arrays, axis=0), ids
