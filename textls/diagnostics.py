"""What a method's training targets say, before any model trains on them.

A generator's out-of-sample relevance of the training rows (``fit_targets``) is scored against
their gold labels: how often the most relevant class is the gold one, the gold class's
log-likelihood, and how much of the target lies off the gold class.  ``textls smooth --diagnose``
prints :func:`format_diagnosis` of :func:`diagnose_methods`; ``textls compare`` stores
:func:`diagnose` of each method it trains.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.metrics import log_loss


def diagnose(relevance: np.ndarray, y: np.ndarray, soft: np.ndarray) -> dict:
    r"""What a method's training targets say, from the rows' out-of-sample ``relevance``.

    With ``r_i`` the relevance of row ``i``, ``g_i`` its gold class and ``s_i`` its target:

    * ``top1_agreement``: mean of :func:`top1_hits` (a tie for first among ``t`` classes counts
      ``1/t``, so uniform relevance scores ``1/C``, like guessing);
    * ``log_likelihood``: mean :math:`\ln r_{i g_i}` (``-sklearn.metrics.log_loss``; higher is
      better, ``ln(1/C)`` is uniform);
    * ``off_gold_mass``: mean :math:`1 - s_{i g_i}`, the share of the target off the gold class;
    * ``rare_to_frequent_mass``: the smoothing mass the rarest training class receives from the
      other classes' rows, :math:`M_k = \sum_{i: g_i \ne k} s_{ik}`, over the mass the most
      frequent class receives (LS-Classic gives every class :math:`\epsilon / C` of each other
      row, so its ratio is :math:`(n - n_{rare}) / (n - n_{frequent})`, about 1).

    Parameters
    ----------
    relevance : ndarray of shape (n, C)
        Out-of-sample relevance of the training rows; rows sum to one.
    y : ndarray of shape (n,)
        Gold labels as column indices.
    soft : ndarray of shape (n, C)
        The training targets (soft labels).

    Returns
    -------
    dict
        ``{"top1_agreement", "log_likelihood", "off_gold_mass", "rare_to_frequent_mass"}``,
        each a float.
    """
    rows = np.arange(len(y))
    received = soft.astype(np.float64).sum(axis=0) - np.bincount(
        y, weights=soft[rows, y].astype(np.float64), minlength=soft.shape[1]
    )
    counts = np.bincount(y, minlength=soft.shape[1])
    rare, frequent = int(counts.argmin()), int(counts.argmax())
    return {
        "top1_agreement": float(top1_hits(relevance, y).mean()),
        "log_likelihood": -float(log_loss(y, relevance, labels=np.arange(relevance.shape[1]))),
        "off_gold_mass": float(1.0 - soft[rows, y].astype(np.float64).mean()),
        "rare_to_frequent_mass": float(received[rare] / received[frequent])
        if received[frequent] > 0
        else None,
    }


def top1_hits(relevance: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Top-1 with fair ties: per row ``[gold is a maximum of the row] / (number of maxima)``.

    Parameters
    ----------
    relevance : ndarray of shape (n, C)
        Scores per class; equal maxima (to a relative ``1e-12``) tie.
    y : ndarray of shape (n,)
        Gold labels as column indices.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> top1_hits(np.array([[0.7, 0.3], [0.5, 0.5], [0.2, 0.8]]), np.array([0, 0, 0]))
    array([1. , 0.5, 0. ])
    """
    best = relevance.max(axis=1, keepdims=True)
    at_max = np.isclose(relevance, best, rtol=1e-12, atol=0.0)
    return at_max[np.arange(len(y)), y] / at_max.sum(axis=1)


def diagnose_methods(
    texts: list[str], labels: list, methods, epsilon: float, params: dict | None = None
) -> dict:
    """:func:`diagnose` of each method fitted on the same rows, with its fit time.

    Parameters
    ----------
    texts : list of str
        The training texts.
    labels : list
        Their gold labels.
    methods : iterable of str
        Generator names (:func:`textls.smoothers.get_smoother`).
    epsilon : float
        The smoothing every method is fitted with.
    params : dict, optional
        ``{method: {parameter: value}}``: a method's own parameters (``epsilon`` aside).

    Returns
    -------
    dict
        ``{method: diagnose(...) plus "seconds"}``.
    """
    from textls.smoothers import get_smoother

    out = {}
    for method in methods:
        start = time.perf_counter()
        smoother = get_smoother(method, **{"epsilon": epsilon, **(params or {}).get(method, {})})
        soft, relevance, y = smoother.fit_targets(texts, labels)
        out[method] = {**diagnose(relevance, y, soft), "seconds": time.perf_counter() - start}
    return out


def format_diagnosis(diagnosis: dict, n_classes: int) -> str:
    """The table ``textls smooth --diagnose`` prints.

    Parameters
    ----------
    diagnosis : dict
        :func:`diagnose_methods`'s result.
    n_classes : int
        ``C``: the first line shows uniform relevance's top-1 agreement and log-likelihood.

    Returns
    -------
    str
    """
    lines = [
        f"{'method':<12} {'top-1 agreement':>16} {'log-likelihood':>15} {'off-gold mass':>14} "
        f"{'seconds':>8}",
        f"{'(uniform)':<12} {1 / n_classes:>16.3f} {np.log(1 / n_classes):>15.3f}",
    ]
    for method, d in diagnosis.items():
        lines.append(
            f"{method:<12} {d['top1_agreement']:>16.3f} {d['log_likelihood']:>15.3f} "
            f"{d['off_gold_mass']:>14.3f} {d['seconds']:>8.2f}"
        )
    return "\n".join(lines)
