"""The keyword-extractor interface: ``fit(texts)``, then ``extract(texts, top_k)``."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator


class KeywordExtractor(BaseEstimator, ABC):
    """Base class of keyword extractors.

    An extractor returns, for each text, its ``top_k`` keywords with non-negative weights, best first
    (``top_k=None``: every keyword it finds).
    ``extract_matrix`` gives the same as a sparse ``(n, V)`` matrix over a caller's vocabulary, which is
    how KWLS consumes it; the default maps the terms of ``extract`` and drops terms outside the
    vocabulary, and extractors that work in a vocabulary natively override it with a vectorised path.
    """

    @abstractmethod
    def fit(self, texts) -> KeywordExtractor: ...

    @abstractmethod
    def extract(self, texts, top_k: int | None = 10) -> list[list[tuple[str, float]]]: ...

    def extract_matrix(self, texts, top_k: int | None, vocabulary: dict[str, int]) -> sp.csr_matrix:
        rows, cols, vals = [], [], []
        for i, keywords in enumerate(self.extract(texts, top_k)):
            for term, weight in keywords:
                j = vocabulary.get(term)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
                    vals.append(weight)
        return sp.csr_matrix(
            (np.asarray(vals, dtype=np.float64), (rows, cols)), shape=(len(texts), len(vocabulary))
        )


def rows_to_keywords(matrix: sp.csr_matrix, terms: np.ndarray) -> list[list[tuple[str, float]]]:
    """Turn each row of a sparse weight matrix into ``[(term, weight), ...]`` sorted best first."""
    out = []
    for i in range(matrix.shape[0]):
        lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
        idx, val = matrix.indices[lo:hi], matrix.data[lo:hi]
        order = np.lexsort((idx, -val))
        out.append([(str(terms[idx[j]]), float(val[j])) for j in order])
    return out
