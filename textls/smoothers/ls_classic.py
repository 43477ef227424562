"""LS-Classic: uniform label smoothing (Szegedy et al., 2016)."""

from __future__ import annotations

import numpy as np

from textls.smoothers._base import BaseSmoother


class ClassicSmoother(BaseSmoother):
    r"""Uniform label smoothing, the baseline every informative method is compared against.

    For ``C`` classes and smoothing ``epsilon`` (``e``) the target of instance ``i`` with gold class
    ``g_i`` is

    .. math:: y_{ik} = (1 - e)\,[k = g_i] + e / C

    which is exactly PyTorch's convention: the soft-target cross-entropy on these targets equals
    ``torch.nn.CrossEntropyLoss(label_smoothing=e)``.  The text is not used; ``relevance`` is the
    uniform distribution ``1 / C``.

    Parameters
    ----------
    epsilon : float, default 0.1
        ``e``: the gold class keeps ``1 - e (C - 1) / C``; every method of textls moves this same
        mass off the gold class at the same ``epsilon``.
    chunk_size : int, default 8192
        Rows processed at a time by ``transform``.

    Attributes
    ----------
    classes_ : ndarray of shape (C,)
        Sorted class labels seen at ``fit``; column ``k`` of every output is ``classes_[k]``.

    References
    ----------
    Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR 2016.

    Examples
    --------
    >>> from textls import ClassicSmoother
    >>> ClassicSmoother(epsilon=0.1).fit(["a", "b", "c"], [0, 1, 1]).transform(["a"], [0])
    array([[0.95, 0.05]], dtype=float32)
    """

    informative = False  # the targets do not depend on the data: transform is safe on any row
    cache_passes = ("counts",)

    def __init__(self, *, epsilon: float = 0.1, chunk_size: int = 8192):
        self.epsilon = epsilon
        self.chunk_size = chunk_size

    def _fit(self, texts, y) -> None:
        pass

    def fit_from_counts(self, counts) -> None:
        """Fit from the corpus's rows per label (``counts.num_rows``, ``counts.label_counts``), as
        a sharded fit merges them: the classes and their frequencies are all LS-Classic learns.
        Returns ``None``: its training targets need no held-out statistics."""
        self._check_fit_counts(counts)

    def _relevance(self, texts) -> np.ndarray:
        return np.full((len(texts), len(self.classes_)), 1.0 / len(self.classes_))
