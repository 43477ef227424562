"""Reliability diagrams: accuracy per confidence bin against the diagonal of perfect calibration.

The figure is drawn on matplotlib's Agg canvas directly (no ``pyplot``), so it never opens a
window, needs no display and leaves the global backend alone.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> probs = rng.dirichlet(np.ones(3), size=200)
>>> labels = rng.integers(0, 3, size=200)
>>> path = plot_reliability_diagram(probs, labels, "/tmp/reliability.png")  # doctest: +SKIP
>>> plot_reliability_diagram({"CE": probs, "LS": probs}, labels, "/tmp/two.png")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from textls.io import atomic_path
from textls.metrics._validation import check_n_bins, check_probs_labels
from textls.metrics.classification import ReliabilityBins, _ece_from_bins, _reliability_bins

__all__ = ["plot_reliability_diagram"]

_MAX_COLUMNS = 4


def _draw(ax: Any, bins: ReliabilityBins, ece: float, title: str | None) -> None:
    width = 1.0 / bins.n_bins
    centers = bins.edges[:-1] + width / 2
    filled = bins.count > 0
    acc = np.where(filled, bins.accuracy, 0.0)
    conf = np.where(filled, bins.confidence, 0.0)
    ax.bar(
        centers,
        acc,
        width=width,
        color="tab:blue",
        edgecolor="black",
        linewidth=0.5,
        label=f"accuracy (ECE = {ece:.4f})",
    )
    # The gap bar spans accuracy -> mean confidence: above the blue bar means over-confident.
    # It is hatched with no fill so it stays readable where it overlaps the accuracy bar.
    ax.bar(
        centers[filled],
        conf[filled] - acc[filled],
        bottom=acc[filled],
        width=width,
        facecolor="none",
        edgecolor="tab:red",
        hatch="//",
        linewidth=0.8,
        label="gap to confidence",
    )
    ax.plot([0, 1], [0, 1], linestyle="--", color="gray", linewidth=1, label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.legend(loc="upper left", fontsize="small")
    if title:
        ax.set_title(title)


def plot_reliability_diagram(
    probs: Any | Mapping[str, Any],
    labels: Any,
    path: str | os.PathLike[str],
    n_bins: int = 15,
    title: str | None = None,
) -> Path:
    """Draw a reliability diagram and write it to ``path``; return ``path`` as a ``Path``.

    Each panel shows, for ``n_bins`` equal-width confidence bins ``(k/M, (k+1)/M]`` (see
    :func:`~textls.metrics.classification.reliability_bins`), the accuracy of the arg-max
    prediction as a bar, the gap to the bin's mean confidence as a hatched bar, and the diagonal
    of perfect calibration; the legend gives the top-label ECE.

    Parameters
    ----------
    probs : array-like of shape (n, C) or mapping
        Predicted probabilities, or a mapping ``name -> (n, C) probs`` to draw several models
        side by side as small multiples (one panel each, titled by name) for the same
        ``labels``.
    labels : array-like of shape (n,)
        Integer labels in ``[0, C)``.
    path : str or PathLike
        Output file; the format follows its suffix (PNG for ``.png`` or no suffix). Missing
        parent directories are created.
    n_bins : int, default 15
        Number of confidence bins ``M``.
    title : str, optional
        Figure title (the suptitle when several models are drawn).

    Raises
    ------
    ValueError
        If a ``probs`` array or ``labels`` is invalid, the mapping is empty, or ``n_bins`` is
        not a positive integer.
    """
    n_bins = check_n_bins(n_bins)
    if isinstance(probs, Mapping):
        if not probs:
            raise ValueError("probs is an empty mapping; give at least one model")
        models = {str(name): p for name, p in probs.items()}
    else:
        models = {"": probs}

    panels = []
    for name, model_probs in models.items():
        try:
            checked_probs, checked_labels = check_probs_labels(model_probs, labels)
        except ValueError as err:
            raise ValueError(f"model {name!r}: {err}" if name else str(err)) from err
        bins = _reliability_bins(checked_probs, checked_labels, n_bins)
        panels.append((name, bins, _ece_from_bins(bins)))

    # Imported here so that `import textls.metrics` in a training job does not load matplotlib.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n_cols = min(len(panels), _MAX_COLUMNS)
    n_rows = math.ceil(len(panels) / n_cols)
    fig = Figure(figsize=(4 * n_cols, 4.3 * n_rows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    single = len(panels) == 1
    for ax, (name, bins, ece) in zip(axes, panels, strict=False):
        _draw(ax, bins, ece, title if single else name)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    if title and not single:
        fig.suptitle(title)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=path.suffix) as tmp:
        fig.savefig(tmp, dpi=120)
    return path
