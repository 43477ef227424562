"""Fitted state on disk as data that cannot run code: JSON plus NumPy arrays, in one zip file.

A cache keeps its fitted generator (``fit/state.zip``) and, while it is built, the statistics of
each pass (``_work/``).  They used to be pickles, and loading a pickle runs whatever it says: a
cache someone hands you could run code on your machine, and a checksum proves only that the file
is whole, not who wrote it.  This format holds only

* JSON values (str, int, float, bool, None, lists, dicts with string keys);
* tagged values: tuples, sets, dicts with other keys, NumPy scalars and dtypes, NumPy arrays
  (stored as ``.npy`` members of the zip, never with ``allow_pickle``) and SciPy sparse matrices
  (their arrays);
* objects of the classes in :data:`ALLOWED` (textls's generators, keyword extractors and fit
  statistics; scikit-learn's vectorizers, logistic regression and pipeline) or registered in
  :data:`~textls.smoothers.SMOOTHERS` (code the process already runs), stored as their
  class name and attributes and rebuilt with ``cls.__new__`` and the attributes: no constructor,
  ``__setstate__`` or ``__reduce__`` of the file's choosing runs.

:func:`load_state` refuses any other class, naming it.  The bytes are reproducible (arrays named
in traversal order, zip entries with a fixed timestamp), so two builds of the same cache, on any
engine, write the same file.
"""

from __future__ import annotations

import importlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

#: The classes a state file may hold, by ``module.qualname``.
ALLOWED = frozenset(
    {
        "textls.smoothers.ls_classic.ClassicSmoother",
        "textls.smoothers.ls_tfidf.TfidfSmoother",
        "textls.smoothers.kwls.KeywordSmoother",
        "textls.smoothers.ls_distill.DistillSmoother",
        "textls.keywords.tfidf.TfidfKeywordExtractor",
        "textls.keywords.embedding.EmbeddingKeywordExtractor",
        "textls.cache.statistics.FittedState",
        "textls.cache.statistics.CountStatistics",
        "sklearn.feature_extraction.text.CountVectorizer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.pipeline.Pipeline",
    }
)
_SPARSE = {"csr_matrix": sp.csr_matrix, "csc_matrix": sp.csc_matrix, "csr_array": sp.csr_array}
_STATE = "state.json"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FORMAT = "textls-state/1"


class UnsafeStateError(ValueError):
    """A state file that holds something textls does not load (or is not a state file)."""


def dump_state(obj, path: str | Path) -> None:
    """Write ``obj`` (made of JSON values, arrays and :data:`ALLOWED` objects) to ``path``; a
    ``TypeError`` names anything else."""
    arrays: list[np.ndarray] = []
    tree = {"format": FORMAT, "root": _encode(obj, arrays, "state")}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        _write_member(zf, _STATE, json.dumps(tree, separators=(",", ":")).encode("utf-8"))
        for i, array in enumerate(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            _write_member(zf, f"{i}.npy", buffer.getvalue())


def load_state(path: str | Path):
    """Read what :func:`dump_state` wrote; :class:`UnsafeStateError` for a class outside
    :data:`ALLOWED` or anything that is not such a file (a pickle included)."""
    try:
        with zipfile.ZipFile(path) as zf:
            tree = json.loads(zf.read(_STATE))
            if not isinstance(tree, dict) or tree.get("format") != FORMAT:
                raise UnsafeStateError(f"{path} is not a textls state file")
            names = set(zf.namelist())

            def array(index: int) -> np.ndarray:
                name = f"{index}.npy"
                if name not in names:
                    raise UnsafeStateError(f"{path}: array {name} is missing")
                return np.lib.format.read_array(io.BytesIO(zf.read(name)), allow_pickle=False)

            return _decode(tree["root"], array, str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        if isinstance(exc, UnsafeStateError):
            raise
        raise UnsafeStateError(
            f"{path} is not a textls state file ({exc}); textls never loads pickles: rebuild "
            "the cache with this version"
        ) from exc


def _write_member(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def _encode(value, arrays: list, where: str):
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float) and type(value) in (int, float):
        return (
            value if not isinstance(value, float) or np.isfinite(value) else {"float": repr(value)}
        )
    if isinstance(value, np.generic):
        return {"scalar": value.dtype.str, "value": _encode(value.item(), arrays, where)}
    if isinstance(value, np.ndarray):
        if value.dtype == object:  # e.g. class labels: every element must be a plain value
            return {"objects": [_encode(v, arrays, where) for v in value.tolist()]}
        arrays.append(np.ascontiguousarray(value))
        return {"array": len(arrays) - 1}
    if sp.issparse(value):
        kind = type(value).__name__
        if kind not in _SPARSE:
            value, kind = sp.csr_matrix(value), "csr_matrix"
        parts = (value.data, value.indices, value.indptr)
        return {
            "sparse": kind,
            "shape": list(value.shape),
            "parts": [_encode(p, arrays, where) for p in parts],
        }
    if isinstance(value, type) and issubclass(value, np.generic):
        return {"dtype_class": np.dtype(value).str}
    if isinstance(value, np.dtype):
        return {"dtype": value.str}
    if isinstance(value, list):
        return [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, set | frozenset):
        return {"set": [_encode(v, arrays, where) for v in sorted(value, key=repr)]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"dict": {k: _encode(v, arrays, f"{where}.{k}") for k, v in value.items()}}
        return {
            "pairs": [
                [_encode(k, arrays, where), _encode(v, arrays, f"{where}[{k!r}]")]
                for k, v in value.items()
            ]
        }
    name = _class_name(type(value))
    if _allowed(name):
        return {"object": name, "attributes": _encode(vars(value), arrays, where)}
    raise TypeError(
        f"{where} is a {name}, which a textls state file does not hold (it stores only data: "
        "JSON values, arrays and textls's and scikit-learn's own fitted objects)"
    )


def _decode(node, array, path: str):
    if node is None or isinstance(node, bool | str | int | float):
        return node
    if isinstance(node, list):
        return [_decode(v, array, path) for v in node]
    if not isinstance(node, dict) or len(node) == 0:
        raise UnsafeStateError(f"{path}: unexpected value {node!r}")
    if "float" in node:
        return float(node["float"])
    if "scalar" in node:
        return np.dtype(node["scalar"]).type(_decode(node["value"], array, path))
    if "array" in node:
        return array(int(node["array"]))
    if "objects" in node:
        out = np.empty(len(node["objects"]), dtype=object)
        out[:] = [_decode(v, array, path) for v in node["objects"]]
        return out
    if "sparse" in node:
        if node["sparse"] not in _SPARSE:
            raise UnsafeStateError(f"{path}: unknown sparse matrix kind {node['sparse']!r}")
        data, indices, indptr = (_decode(p, array, path) for p in node["parts"])
        return _SPARSE[node["sparse"]]((data, indices, indptr), shape=tuple(node["shape"]))
    if "dtype_class" in node:
        return np.dtype(node["dtype_class"]).type
    if "dtype" in node:
        return np.dtype(node["dtype"])
    if "tuple" in node:
        return tuple(_decode(v, array, path) for v in node["tuple"])
    if "set" in node:
        return {_decode(v, array, path) for v in node["set"]}
    if "dict" in node:
        return {k: _decode(v, array, path) for k, v in node["dict"].items()}
    if "pairs" in node:
        return {_decode(k, array, path): _decode(v, array, path) for k, v in node["pairs"]}
    if "object" in node:
        name = node["object"]
        if not _allowed(name):
            raise UnsafeStateError(
                f"{path} asks for an object of class {name!r}, which textls does not load: a "
                "state file is data, not code"
            )
        module, _, qualname = name.rpartition(".")
        cls = getattr(importlib.import_module(module), qualname)
        obj = cls.__new__(cls)
        attributes = _decode(node["attributes"], array, path)
        if not isinstance(attributes, dict):
            raise UnsafeStateError(f"{path}: the attributes of {name} are not a mapping")
        obj.__dict__.update(attributes)
        return obj
    raise UnsafeStateError(f"{path}: unexpected value {node!r}")


def _class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _allowed(name: str) -> bool:
    """Whether a state file may hold an object of class ``name``: one of :data:`ALLOWED`, or a
    generator registered in :data:`~textls.smoothers.SMOOTHERS` (so a new one needs no edit here)."""
    if name in ALLOWED:
        return True
    from textls.smoothers import SMOOTHERS

    return name in {_class_name(cls) for cls in SMOOTHERS.values()}
