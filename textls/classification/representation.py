r"""Müller, Kornblith & Hinton's (NeurIPS 2019) picture of what smoothing does to the penultimate layer.

"When does label smoothing help?", section 2: pick three classes, take the *templates* of those
classes (their rows :math:`w_a, w_b, w_c` of the final linear layer, the classification head),
find an orthonormal basis of the plane through the three templates, and project the penultimate
activations :math:`x` (the head's input) of training and test examples of those classes onto it:

.. math::
    Q = \mathrm{orth}\,[\,w_b - w_a,\; w_c - w_a\,] \in \mathbb{R}^{D \times 2}, \qquad
    p(x) = Q^\top (x - w_a).

With hard labels the clusters are broad; label smoothing pulls each class's examples toward an
equal distance from the other templates, into tight, evenly spaced clusters (and erases the
information of how alike examples of two classes are, which is why smoothed teachers distil
worse).  ``textls compare`` draws one panel per method (training rows above, test rows below)
from its seed-0 model, for the three most frequent training classes.

The activations are captured with a forward hook on the head (:func:`head_inputs`), so any model
with a ``classifier`` / ``score`` linear head works (BERT-style models, textls's fastText and
TextCNN); a head that is not one ``nn.Linear`` (RoBERTa's two-layer head) has no templates, and no
figure is drawn.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from textls.classification.heads import check_head_input, classification_head
from textls.io import atomic_path

logger = logging.getLogger(__name__)

#: Examples of each of the three classes drawn per split (a random subset when there are more).
MAX_POINTS_PER_CLASS = 300


@dataclass
class Projection:
    """The rows a projection figure draws: three class indices and, per split, the row indices
    (into the split) of their examples."""

    classes: list[int]
    train_rows: np.ndarray
    test_rows: np.ndarray


def choose_projection(
    y_train: np.ndarray, y_test: np.ndarray, seed: int = 0, per_class: int = MAX_POINTS_PER_CLASS
) -> Projection | None:
    """The three most frequent training classes (ties: the lower index) and up to ``per_class``
    rows of each per split (a seeded random subset); ``None`` with fewer than three classes."""
    counts = np.bincount(y_train)
    if np.count_nonzero(counts) < 3:
        return None
    classes = sorted(int(c) for c in np.argsort(-counts, kind="stable")[:3])
    rng = np.random.default_rng(seed)

    def rows(y: np.ndarray) -> np.ndarray:
        picked = []
        for c in classes:
            members = np.flatnonzero(y == c)
            if len(members) > per_class:
                members = np.sort(rng.choice(members, per_class, replace=False))
            picked.append(members)
        return np.concatenate(picked)

    return Projection(classes, rows(y_train), rows(y_test))


def head_inputs(trainer, dataset) -> np.ndarray:
    """The classification head's input for every row of ``dataset`` (one ``trainer.predict``
    with a forward pre-hook on :func:`~textls.classification.heads.classification_head`)."""
    head = classification_head(trainer.model)
    captured = []

    def keep(module, args):
        check_head_input(trainer.model, args[0])
        captured.append(args[0].detach().float().cpu())

    handle = head.register_forward_pre_hook(keep)
    try:
        trainer.predict(dataset)
    finally:
        handle.remove()
    return torch.cat(captured).numpy().astype(np.float64)


def templates(model, classes: list[int]) -> np.ndarray | None:
    """The rows of the head's weight for ``classes``, shape ``(3, D)``; ``None`` unless the head
    is one ``nn.Linear`` named ``classifier`` fed the pooled vector (a decoder's ``score`` runs
    on every token and the model pools afterwards: its input is not the penultimate layer)."""
    head = getattr(model, "classifier", None)
    if not isinstance(head, torch.nn.Linear):
        return None
    return head.weight.detach().float().cpu().numpy().astype(np.float64)[classes]


def project_onto_templates(activations: np.ndarray, template_rows: np.ndarray) -> np.ndarray:
    r"""Coordinates in the plane through the three templates: :math:`Q^\top (x - w_a)` with
    :math:`Q` the orthonormal basis (QR) of :math:`[w_b - w_a, w_c - w_a]`; shape ``(n, 2)``."""
    a, b, c = template_rows
    basis, _ = np.linalg.qr(np.stack([b - a, c - a], axis=1))
    return (activations - a) @ basis


def plot_template_projections(
    panels: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]],
    class_names: list[str],
    path: str | os.PathLike,
) -> Path:
    """One column per method: its training rows' projection above, its test rows' below, the
    three classes in three colours.  ``panels``: ``{method: {"train" | "test": (coords (n, 2),
    class position 0-2 per row)}}``.  Written atomically; returns the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    methods = list(panels)
    fig = Figure(figsize=(3.2 * len(methods), 6.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, len(methods), squeeze=False)
    colours = ("tab:blue", "tab:orange", "tab:green")
    for column, method in enumerate(methods):
        for row, split in enumerate(("train", "test")):
            ax = axes[row, column]
            coords, which = panels[method][split]
            for k, colour in enumerate(colours):
                points = coords[which == k]
                ax.scatter(points[:, 0], points[:, 1], s=4, alpha=0.5, color=colour,
                           label=class_names[k])  # fmt: skip
            ax.set_title(f"{method} ({split})", fontsize=9)
            ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, markerscale=3)
    fig.suptitle(
        "Penultimate activations projected on the plane of three class templates "
        "(Müller et al. 2019)",
        fontsize=10,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=path.suffix) as tmp:
        fig.savefig(tmp, dpi=110)
    return path
