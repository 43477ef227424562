"""How discriminative each term is for each class, from a ``(C, V)`` class-by-term count matrix.

Both scorers work on the stored (non-zero) entries only: a term a class never uses cannot be one of
its keywords, so the work and memory are ``O(nnz)``, not ``O(C * V)``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def log_odds_scores(class_counts: sp.spmatrix) -> sp.csr_matrix:
    r"""Weighted log-odds ratio with an informative Dirichlet prior (Monroe et al., 2008), one class vs rest.

    With :math:`y_{kt}` the count of term ``t`` in class ``k``, :math:`n_k = \sum_t y_{kt}`,
    :math:`y_t = \sum_k y_{kt}`, :math:`N = \sum_t y_t`, the prior is the corpus itself,
    :math:`\alpha_t = y_t` and :math:`\alpha_0 = N`; the rest of the corpus is
    :math:`y_{rt} = y_t - y_{kt}`, :math:`n_r = N - n_k`.  Then

    .. math::
        \delta_{kt} = \ln\frac{y_{kt} + \alpha_t}{n_k + \alpha_0 - y_{kt} - \alpha_t}
                    - \ln\frac{y_{rt} + \alpha_t}{n_r + \alpha_0 - y_{rt} - \alpha_t}, \qquad
        z_{kt} = \delta_{kt} \Big/ \sqrt{\tfrac{1}{y_{kt} + \alpha_t} + \tfrac{1}{y_{rt} + \alpha_t}}

    and the score is :math:`\max(z_{kt}, 0)`.  The z-score discounts terms that are merely frequent
    and, unlike a raw frequency ratio, does not let one rare term dominate a small class.

    Returns a ``(C, V)`` CSR matrix of non-negative scores.
    """
    counts = sp.csr_matrix(class_counts, dtype=np.float64)
    counts.eliminate_zeros()
    n_k = np.asarray(counts.sum(axis=1)).ravel()
    y_t = np.asarray(counts.sum(axis=0)).ravel()
    total = y_t.sum()
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    cols = counts.indices
    y_kt = counts.data
    alpha = y_t[cols]
    y_rt = y_t[cols] - y_kt
    n_r = total - n_k[rows]
    # A corpus of a single term makes both odds 1/0: nothing is discriminative, the score is 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.log((y_kt + alpha) / (n_k[rows] + total - y_kt - alpha)) - np.log(
            (y_rt + alpha) / (n_r + total - y_rt - alpha)
        )
        z = delta / np.sqrt(1.0 / (y_kt + alpha) + 1.0 / (y_rt + alpha))
    return _positive(counts, np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0))


def ctfidf_scores(class_counts: sp.spmatrix) -> sp.csr_matrix:
    r"""Class-based TF-IDF as in BERTopic (Grootendorst, 2022).

    .. math:: w_{kt} = \frac{y_{kt}}{n_k} \cdot \ln\Bigl(1 + \frac{A}{y_t}\Bigr), \qquad A = N / C

    with the symbols of :func:`log_odds_scores`; ``A`` is the average number of tokens per class.
    """
    counts = sp.csr_matrix(class_counts, dtype=np.float64)
    counts.eliminate_zeros()
    n_k = np.asarray(counts.sum(axis=1)).ravel()
    y_t = np.asarray(counts.sum(axis=0)).ravel()
    avg = y_t.sum() / counts.shape[0]
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    w = counts.data / n_k[rows] * np.log1p(avg / y_t[counts.indices])
    return _positive(counts, w)


def _positive(pattern: sp.csr_matrix, values: np.ndarray) -> sp.csr_matrix:
    out = sp.csr_matrix(
        (np.clip(values, 0, None), pattern.indices.copy(), pattern.indptr.copy()),
        shape=pattern.shape,
    )
    out.eliminate_zeros()
    return out


CLASS_SCORERS = {"log-odds": log_odds_scores, "c-tfidf": ctfidf_scores}
