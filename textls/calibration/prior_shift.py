r"""Predict under the class prior of the data you predict on (label-shift correction).

A classifier trained by cross-entropy on targets :math:`t_i` learns, at its optimum, the
posterior of a world whose class prior is the targets' marginal :math:`q = \frac1n \sum_i t_i`:
the training label frequencies for hard labels, moved toward the other classes by the smoothing
mass for soft labels (every smoothing method adds :math:`\epsilon (C-1)/C` of mass off the gold
class, and how it is spread decides how much each class gains).  Under a class prior :math:`\pi`
and the same class-conditional text distributions, Bayes' rule gives the posterior there
(Saerens, Latinne & Decaestecker 2002; Menon et al. 2021 call the logit form post-hoc logit
adjustment):

.. math::
    p_\pi(y \mid x) \propto p_q(y \mid x)\, \frac{\pi_y}{q_y},
    \qquad\text{i.e.}\qquad z'_{iy} = z_{iy} + \log \pi_y - \log q_y .

So one trained model serves any test distribution: :math:`\pi` = the training label frequencies
for a test split drawn like the training data, uniform for a balanced one.  For a hard-label
model and a test split like its training data the shift is zero; for a smoothed model it takes
back the probability the smoothing moved onto rare classes, which is what makes such models
look under-confident and lose accuracy on data distributed like their training data.

References
----------
Marco Saerens, Patrice Latinne, Christine Decaestecker. "Adjusting the Outputs of a Classifier
to New a Priori Probabilities: A Simple Procedure", Neural Computation 14(1), 2002.
Aditya Krishna Menon, Sadeep Jayasumana, Ankit Singh Rawat, Himanshu Jain, Andreas Veit, Sanjiv
Kumar. "Long-tail learning via logit adjustment", ICLR 2021. https://arxiv.org/abs/2007.07314

Examples
--------
>>> import numpy as np
>>> targets = np.array([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05], [0.05, 0.9, 0.05]])
>>> q = target_prior(targets)                      # what the model was trained to reproduce
>>> shift = prior_shift(q, np.full(3, 1 / 3))      # predict on a balanced test set
>>> logits = np.zeros((1, 3))
>>> np.round(logits + shift, 3)
array([[-0.615,  0.   ,  1.897]])
"""

from __future__ import annotations

import numpy as np

__all__ = ["TEST_DISTRIBUTIONS", "distribution_prior", "prior_shift", "target_prior"]

#: The test distributions ``textls compare --test_distribution`` knows.
TEST_DISTRIBUTIONS = {
    "train": "drawn like the training data: the training label frequencies",
    "balanced": "every class equally likely",
}


def target_prior(targets: np.ndarray, *, floor: float = 1e-12) -> np.ndarray:
    r"""The class marginal :math:`q = \frac1n \sum_i t_i` of training targets: ``(n, C)`` soft
    labels, or one-hot rows.  Classes with no mass get ``floor`` (then renormalised), so
    :func:`prior_shift` stays finite."""
    targets = np.asarray(targets, dtype=np.float64)
    if targets.ndim != 2 or not len(targets):
        raise ValueError(f"targets must be a non-empty (n, C) array, got shape {targets.shape}")
    q = np.maximum(targets.mean(axis=0), floor)
    return q / q.sum()


def distribution_prior(distribution: str, train_frequencies: np.ndarray) -> np.ndarray:
    """The class prior of a test split that follows ``distribution`` (a key of
    :data:`TEST_DISTRIBUTIONS`), given the training label frequencies."""
    train_frequencies = np.asarray(train_frequencies, dtype=np.float64)
    if distribution == "train":
        return train_frequencies / train_frequencies.sum()
    if distribution == "balanced":
        return np.full(len(train_frequencies), 1.0 / len(train_frequencies))
    raise ValueError(
        f"test distribution must be one of {', '.join(TEST_DISTRIBUTIONS)}, got {distribution!r}"
    )


def prior_shift(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    r"""The ``(C,)`` offset :math:`\log \pi - \log q` to add to the logits of a model trained
    under class prior ``source`` (:math:`q`) so that it predicts under ``target`` (:math:`\pi`).
    Both are positive and sum to one; a ``ValueError`` otherwise."""
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    for name, prior in (("source", source), ("target", target)):
        if prior.ndim != 1 or not (prior > 0).all() or not np.isclose(prior.sum(), 1.0):
            raise ValueError(f"the {name} prior must be positive and sum to one, got {prior}")
    if source.shape != target.shape:
        raise ValueError(f"priors of {len(source)} and {len(target)} classes")
    return np.log(target) - np.log(source)
