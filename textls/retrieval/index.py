r"""Dense retrieval with FAISS: build, save, load and search an index of embeddings.

The embeddings come from :func:`textls.retrieval.encoding.encode_corpus` (in memory or in
resumable shards) or from anywhere else.

Scores are inner products (``metric="ip"``, larger is better; cosines when the vectors are
L2-normalised) or squared L2 distances (``metric="l2"``, smaller is better). Index kinds, each
built from a ``faiss.index_factory`` string:

- ``flat`` (``"Flat"``): exact search.
- ``ivf`` (``"IVF{nlist},Flat"``): ``IndexIVFFlat`` with ``nlist`` k-means cells (default
  :math:`\lceil 4\sqrt n\rceil`), searching ``nprobe`` of them (default
  :math:`\lceil\sqrt{\mathrm{nlist}}\rceil`).
- ``hnsw`` (``"HNSW{hnsw_m}"``): ``IndexHNSWFlat`` with ``hnsw_m`` links per node, searched with
  ``ef_search`` (128).
- ``ivfpq`` (``"IVF{nlist},PQ{m}x{nbits}np"``): ``IndexIVFPQ``, ``m`` sub-quantisers of ``nbits``
  bits over IVF cells; ``m`` must divide the dimension (default: the largest divisor of ``d``
  that is at most ``d / 8``).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> docs = rng.normal(size=(100, 8)).astype("float32")
>>> ids = [f"d{i}" for i in range(100)]
>>> index = DenseIndex.build(docs, ids, encoder="random", normalize=True)
>>> scores, found = index.search(docs[:2], k=1)
>>> found.tolist()
[['d0'], ['d1']]
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import faiss
import numpy as np

from textls.retrieval.index_files import (
    FORMAT_VERSION,
    IDS_NAME,
    INDEX_NAME,
    META_NAME,
    check_replaceable,
    exchange_paths,
    json_name,
    read_faiss,
    read_json,
    read_meta,
)

__all__ = [
    "INDEX_KINDS",
    "DenseIndex",
    "build_index",
    "set_search_params",
]

INDEX_KINDS = ("flat", "ivf", "hnsw", "ivfpq")


def _textls_version() -> str:
    try:
        return version("textls")
    except PackageNotFoundError:  # pragma: no cover - source tree never installed
        return "0.0.0+unknown"


def _num_gpus() -> int:
    get = getattr(faiss, "get_num_gpus", None)  # absent from some faiss-cpu builds
    return int(get()) if get is not None else 0


def _check_embeddings(x, name: str, dim: int | None = None) -> np.ndarray:
    """Return ``x`` as a C-contiguous float32 ``(n, d)`` array; raise on shape, NaN or inf."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-dimensional (n, d), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{name} must be floating point, got dtype {x.dtype}")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{name} have dimension {x.shape[1]}, the index holds dimension {dim}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        raise ValueError(f"{name} row {int(np.flatnonzero(bad)[0])} has NaN or inf")
    return x


def _check_ids(ids, name: str) -> list[str]:
    ids = list(ids)
    for i, value in enumerate(ids):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name}[{i}] is {value!r}; ids must be non-empty strings")
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(v for v in ids if v in seen or seen.add(v))
        raise ValueError(f"{name} repeats the id {dup!r}")
    return ids


# --------------------------------------------------------------------------- building


def _default_nlist(n: int) -> int:
    return max(1, min(n, math.ceil(4 * math.sqrt(n))))


def _default_nprobe(nlist: int) -> int:
    return min(nlist, math.ceil(math.sqrt(nlist)))


def _default_m(dim: int) -> int:
    return max(m for m in range(1, max(1, dim // 8) + 1) if dim % m == 0)


def build_index(
    embeddings: np.ndarray,
    kind: str = "flat",
    metric: str = "ip",
    nlist: int | None = None,
    m: int | None = None,
    hnsw_m: int = 32,
    use_gpu: bool | str = "auto",
    *,
    nbits: int = 8,
    nprobe: int | None = None,
    ef_search: int = 128,
) -> faiss.Index:
    """A FAISS index of ``kind`` over ``embeddings`` (``(n, d)`` float), trained where needed.

    The index comes from ``faiss.index_factory``: ``"Flat"``, ``"HNSW{hnsw_m}"``,
    ``"IVF{nlist},Flat"`` or ``"IVF{nlist},PQ{m}x{nbits}np"`` (IVF cells over an exact
    quantizer; ``np``: without polysemous training).

    ``use_gpu="auto"`` moves the index to every GPU (``faiss.index_cpu_to_all_gpus``) when FAISS
    sees one and the kind runs there (not ``hnsw``); ``True`` insists, ``False`` stays on CPU.
    """
    x = _check_embeddings(embeddings, "embeddings")
    n, d = x.shape
    if n == 0:
        raise ValueError("embeddings are empty")
    if kind not in INDEX_KINDS:
        raise ValueError(f"kind must be one of {INDEX_KINDS}, got {kind!r}")
    if metric not in ("ip", "l2"):
        raise ValueError(f"metric must be 'ip' or 'l2', got {metric!r}")
    faiss_metric = faiss.METRIC_INNER_PRODUCT if metric == "ip" else faiss.METRIC_L2
    gpu = _want_gpu(use_gpu, kind)
    if kind in ("ivf", "ivfpq"):
        nlist = nlist or _default_nlist(n)
        if not 1 <= nlist <= n:
            raise ValueError(f"nlist = {nlist} needs 1 <= nlist <= n = {n} training vectors")
    if kind == "ivfpq":
        m = m or _default_m(d)
        if d % m:
            raise ValueError(f"m = {m} must divide the dimension {d}")
        if n < 2**nbits:
            raise ValueError(
                f"ivfpq with nbits = {nbits} needs at least {2**nbits} vectors to train, got {n}"
            )
    spec = {
        "flat": "Flat",
        "hnsw": f"HNSW{hnsw_m}",
        "ivf": f"IVF{nlist},Flat",
        # "np": no polysemous training, which the factory adds by default (a slow reordering of
        # the codes that this search never uses), so the index is IndexIVFPQ's own.
        "ivfpq": f"IVF{nlist},PQ{m}x{nbits}np",
    }[kind]
    index = faiss.index_factory(d, spec, faiss_metric)
    if gpu:
        index = faiss.index_cpu_to_all_gpus(index)
    if not index.is_trained:
        index.train(x)
    index.add(x)
    if kind in ("ivf", "ivfpq"):
        set_search_params(index, nprobe=nprobe or _default_nprobe(nlist))
    elif kind == "hnsw":
        set_search_params(index, ef_search=ef_search)
    return index


def _want_gpu(use_gpu: bool | str, kind: str) -> bool:
    if use_gpu not in ("auto", True, False):
        raise ValueError(f"use_gpu must be 'auto', True or False, got {use_gpu!r}")
    if use_gpu is False:
        return False
    available = _num_gpus() > 0 and kind != "hnsw"
    if use_gpu is True and not available:
        why = "FAISS's HNSW has no GPU version" if kind == "hnsw" else "FAISS sees no GPU"
        raise ValueError(f"use_gpu=True but {why} (install faiss-gpu for GPU search)")
    return available


def _on_gpu(index: faiss.Index) -> bool:
    return "Gpu" in type(index).__name__ or "IndexReplicas" in type(index).__name__


def set_search_params(
    index: faiss.Index, *, nprobe: int | None = None, ef_search: int | None = None
) -> None:
    """Set IVF ``nprobe`` / HNSW ``efSearch`` on a CPU or GPU FAISS index."""
    space = faiss.GpuParameterSpace() if _on_gpu(index) else faiss.ParameterSpace()
    if nprobe is not None:
        space.set_index_parameter(index, "nprobe", int(nprobe))
    if ef_search is not None:
        space.set_index_parameter(index, "efSearch", int(ef_search))


# --------------------------------------------------------------------------- the index

_KIND_OF_CLASS = {
    "IndexFlat": "flat",
    "IndexFlatIP": "flat",
    "IndexFlatL2": "flat",
    "GpuIndexFlat": "flat",
    "GpuIndexFlatIP": "flat",
    "GpuIndexFlatL2": "flat",
    "IndexIVFFlat": "ivf",
    "GpuIndexIVFFlat": "ivf",
    "IndexHNSWFlat": "hnsw",
    "IndexIVFPQ": "ivfpq",
    "GpuIndexIVFPQ": "ivfpq",
}


def _search_params(index: faiss.Index) -> dict[str, int | None]:
    """``nlist``/``nprobe`` of an IVF index, ``ef_search`` of an HNSW one (``None`` otherwise)."""
    out = {"nlist": None, "nprobe": None, "ef_search": None}
    try:
        ivf = faiss.extract_index_ivf(index)
    except (RuntimeError, TypeError):  # not an IVF index (or a GPU one FAISS cannot unwrap)
        ivf = index if hasattr(index, "nprobe") else None
    if ivf is not None:
        out.update(nlist=int(ivf.nlist), nprobe=int(ivf.nprobe))
    if hasattr(index, "hnsw"):
        out["ef_search"] = int(index.hnsw.efSearch)
    return out


class DenseIndex:
    """A FAISS index with the doc ids of its rows and what produced the vectors.

    Parameters
    ----------
    index : faiss.Index
        A trained, filled FAISS index (CPU or GPU); row ``i`` is ``doc_ids[i]``.
    doc_ids : sequence of str
        Unique string ids, one per row.
    encoder : str
        Identifier of the model that made the vectors (a path or hub id, plus anything that
        changes the vectors); :meth:`load` compares it.
    normalize : bool, default False
        L2-normalise query embeddings before search (and, in :meth:`build`, the rows). Set it
        when the rows are unit vectors, so scores are cosines whatever the query scale.
    kind : {"flat", "ivf", "hnsw", "ivfpq"}, optional
        Read from ``index`` when omitted.

    Attributes
    ----------
    meta : dict
        Records ``encoder``, ``dim``, ``kind``, ``metric``, ``normalize``, ``count``, the search
        parameters (``nlist``, ``nprobe``, ``ef_search``) and the textls/FAISS versions.
    """

    def __init__(
        self,
        index: faiss.Index,
        doc_ids: Sequence[str],
        *,
        encoder: str,
        normalize: bool = False,
        kind: str | None = None,
        corpus_fingerprint: str | None = None,
    ):
        self.index = index
        self.doc_ids = _check_ids(doc_ids, "doc_ids")
        if index.ntotal != len(self.doc_ids):
            raise ValueError(
                f"the index holds {index.ntotal} vectors but {len(self.doc_ids)} doc ids"
            )
        inferred = _KIND_OF_CLASS.get(type(index).__name__)
        if kind is None and inferred is None:
            raise ValueError(f"cannot tell the kind of a {type(index).__name__}; pass kind=")
        if kind is not None and inferred is not None and kind != inferred:
            raise ValueError(
                f"kind={kind!r} but the index is a {type(index).__name__} ({inferred})"
            )
        if index.metric_type not in (faiss.METRIC_INNER_PRODUCT, faiss.METRIC_L2):
            raise ValueError(f"unsupported FAISS metric type {index.metric_type}")
        self.meta = {
            "format": FORMAT_VERSION,
            "encoder": str(encoder),
            "dim": int(index.d),
            "kind": kind or inferred,
            "metric": "ip" if index.metric_type == faiss.METRIC_INNER_PRODUCT else "l2",
            "normalize": bool(normalize),
            "count": len(self.doc_ids),
            **_search_params(index),
            "textls_version": _textls_version(),
            "faiss_version": faiss.__version__,
            # the passages the vectors were computed from (ids and texts, in order), so a search
            # can refuse an index of another corpus (:func:`check_corpus`)
            "corpus_fingerprint": corpus_fingerprint,
        }

    @classmethod
    def build(
        cls,
        embeddings: np.ndarray,
        doc_ids: Sequence[str],
        *,
        encoder: str,
        normalize: bool = False,
        kind: str = "flat",
        metric: str = "ip",
        **kwargs,
    ) -> DenseIndex:
        """Build over ``embeddings`` (row ``i`` is ``doc_ids[i]``); ``kwargs`` go to :func:`build_index`."""
        x = _check_embeddings(embeddings, "embeddings")
        doc_ids = _check_ids(doc_ids, "doc_ids")
        if len(doc_ids) != len(x):
            raise ValueError(f"{len(x)} embeddings but {len(doc_ids)} doc ids")
        if normalize:
            x = x.copy()
            faiss.normalize_L2(x)
        index = build_index(x, kind=kind, metric=metric, **kwargs)
        return cls(index, doc_ids, encoder=encoder, normalize=normalize, kind=kind)

    @property
    def dim(self) -> int:
        return int(self.meta["dim"])

    def __len__(self) -> int:
        return len(self.doc_ids)

    def __repr__(self) -> str:
        m = self.meta
        return f"DenseIndex(kind={m['kind']!r}, count={m['count']}, dim={m['dim']}, encoder={m['encoder']!r})"

    def set_search_params(self, *, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """Change IVF ``nprobe`` or HNSW ``efSearch``; saved with the index."""
        kind = self.meta["kind"]
        if nprobe is not None and kind not in ("ivf", "ivfpq"):
            raise ValueError(f"nprobe applies to ivf/ivfpq indexes, this one is {kind!r}")
        if ef_search is not None and kind != "hnsw":
            raise ValueError(f"ef_search applies to hnsw indexes, this one is {kind!r}")
        set_search_params(self.index, nprobe=nprobe, ef_search=ef_search)
        if nprobe is not None:
            self.meta["nprobe"] = int(nprobe)
        if ef_search is not None:
            self.meta["ef_search"] = int(ef_search)

    # ------------------------------------------------------------------ persistence

    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``index.faiss``, ``doc_ids.json`` and ``meta.json`` into ``directory``.

        Everything is written into a temporary sibling folder that then takes the place of
        ``directory``, so a reader never sees half an index: an existing index is swapped with it
        in one atomic step (:func:`~textls.retrieval.index_files.exchange_paths`, Linux's
        ``RENAME_EXCHANGE``), so an interruption leaves the old index or the new one at
        ``directory``, never neither (where the file system cannot swap, two renames with the old
        index kept aside between them). An existing ``directory`` is replaced only if it is empty
        or a saved index and nothing else (a ``meta.json`` and no file but
        :data:`~textls.retrieval.index_files.INDEX_FILES`): a folder holding any other file is
        refused naming it (``ValueError``), as the swap would delete it; a link, a file, or index
        files without a ``meta.json`` are refused too (``FileExistsError``).
        """
        directory = Path(directory)
        check_replaceable(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            cpu = faiss.index_gpu_to_cpu(self.index) if _on_gpu(self.index) else self.index
            faiss.write_index(cpu, str(tmp / INDEX_NAME))
            (tmp / IDS_NAME).write_text(
                json.dumps(self.doc_ids, ensure_ascii=False), encoding="utf-8"
            )
            (tmp / META_NAME).write_text(json.dumps(self.meta, indent=2) + "\n", encoding="utf-8")
            if not directory.exists():
                os.replace(tmp, directory)
            elif exchange_paths(tmp, directory):  # one atomic step: old or new, never neither
                shutil.rmtree(tmp, ignore_errors=True)  # tmp holds the old index now
            else:  # no RENAME_EXCHANGE here: two renames, the old index kept aside between them
                old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
                os.replace(directory, old)
                os.replace(tmp, directory)
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return directory

    def check_corpus(self, fingerprint: str, where: str, source: str) -> None:
        """Refuse to search this index (loaded from ``where``) for the corpus of ``source``,
        whose fingerprint is ``fingerprint``, unless the index was built from that corpus: the
        same passages (ids and texts) in the same order; an index that does not say (built
        from bare embeddings, or by an older textls) is refused too."""
        built = self.meta.get("corpus_fingerprint")
        if built is None:
            raise ValueError(
                f"{where} does not record which corpus it was built from (an older textls, or "
                f"embeddings without a record); rebuild it from {source} (`textls retrieval "
                "index`)"
            )
        if built != fingerprint:
            raise ValueError(
                f"{where} was built from another corpus ({self.meta['count']} passages, "
                f"fingerprint {built[:19]}...) than {source} ({fingerprint[:19]}...): its ids "
                "would be searched for passages they do not hold; rebuild it (`textls retrieval "
                "index`)"
            )

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike,
        expected_dim: int | None = None,
        expected_encoder: str | None = None,
        use_gpu: bool | str = False,
    ) -> DenseIndex:
        """Read an index :meth:`save` wrote, refusing one built for another dimension or encoder.

        A file that is missing, damaged or not what :meth:`save` writes (a ``meta.json`` that is
        not an index record, an ``index.faiss`` FAISS cannot read, ``doc_ids.json`` that are not
        unique strings, counts that disagree) is an error naming it."""
        directory = Path(directory)
        meta_path = directory / META_NAME
        if not meta_path.is_file():
            raise FileNotFoundError(f"{directory}: no {META_NAME}; not a saved textls index")
        meta = read_meta(meta_path, INDEX_KINDS)
        if expected_dim is not None and int(expected_dim) != meta["dim"]:
            raise ValueError(
                f"{directory} holds {meta['dim']}-dimensional embeddings (encoder "
                f"{meta['encoder']!r}) but {expected_dim}-dimensional ones were expected; "
                "re-index the corpus with this encoder"
            )
        if expected_encoder is not None and str(expected_encoder) != meta["encoder"]:
            raise ValueError(
                f"{directory} was built with encoder {meta['encoder']!r}, not "
                f"{str(expected_encoder)!r}; queries from another encoder would be compared with "
                "incompatible vectors, re-index the corpus"
            )
        index = read_faiss(directory / INDEX_NAME)
        ids_path = directory / IDS_NAME
        doc_ids = read_json(ids_path)
        if not isinstance(doc_ids, list):
            raise ValueError(
                f"{ids_path} holds a JSON {json_name(doc_ids)}, not the list of doc ids; "
                "rebuild the index"
            )
        doc_ids = _check_ids(doc_ids, f"{ids_path}: doc_ids")
        if index.d != meta["dim"] or index.ntotal != meta["count"] or len(doc_ids) != index.ntotal:
            raise ValueError(
                f"{directory}: {INDEX_NAME} holds {index.ntotal} x {index.d} but {META_NAME} "
                f"says {meta['count']} x {meta['dim']} and {IDS_NAME} lists {len(doc_ids)} ids"
            )
        on_gpu = _want_gpu(use_gpu, meta["kind"])
        if on_gpu:
            index = faiss.index_cpu_to_all_gpus(index)
        try:
            out = cls(
                index,
                doc_ids,
                encoder=meta["encoder"],
                normalize=meta["normalize"],
                kind=meta["kind"],
            )
        except ValueError as exc:  # e.g. meta.json's kind is not the kind of index.faiss
            raise ValueError(f"{directory}: {exc}") from None
        # Versions record what built the index, not what reads it.
        out.meta.update(
            textls_version=meta["textls_version"],
            faiss_version=meta["faiss_version"],
            corpus_fingerprint=meta.get("corpus_fingerprint"),
        )
        if on_gpu:
            out.set_search_params(nprobe=meta.get("nprobe"), ef_search=meta.get("ef_search"))
        return out

    # ------------------------------------------------------------------ search

    def search_rows(self, query_embeddings: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` ``(scores, rows)``, each ``(n_queries, k)``, best first.

        ``rows`` index ``doc_ids``; where fewer than ``k`` documents are found the row is ``-1``
        and the score ``-inf`` (``+inf`` for ``metric="l2"``).
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        q = _check_embeddings(query_embeddings, "query embeddings", self.dim)
        if self.meta["normalize"]:
            q = q.copy()
            faiss.normalize_L2(q)
        scores, rows = self.index.search(q, int(k))
        rows = rows.astype(np.int64, copy=False)
        scores[rows < 0] = -np.inf if self.meta["metric"] == "ip" else np.inf
        return scores, rows

    def search(self, query_embeddings: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` ``(scores, ids)``: float32 and object arrays ``(n_queries, k)``; ``None`` pads."""
        scores, rows = self.search_rows(query_embeddings, k)
        lookup = np.array([*self.doc_ids, None], dtype=object)
        return scores, lookup[rows]  # row -1 picks the trailing None

    def search_run(
        self, query_ids: Sequence[str], query_embeddings: np.ndarray, k: int
    ) -> dict[str, dict[str, float]]:
        """``{query_id: {doc_id: score}}`` of the top ``k`` (a run for ``evaluate_run``/``write_run``)."""
        query_ids = _check_ids(query_ids, "query_ids")
        if len(query_ids) != len(query_embeddings):
            raise ValueError(
                f"{len(query_ids)} query ids but {len(query_embeddings)} query embeddings"
            )
        scores, rows = self.search_rows(query_embeddings, k)
        return {
            qid: {self.doc_ids[r]: float(s) for s, r in zip(srow, rrow, strict=True) if r >= 0}
            for qid, srow, rrow in zip(query_ids, scores, rows, strict=True)
        }
