r"""Temperature scaling: one scalar that rescales logits to calibrate a trained classifier.

Guo et al. (2017) divide the logits :math:`z_i \in \mathbb{R}^C` of a trained network by a single
temperature :math:`T > 0` learned on a held-out validation split,

.. math::
    \hat p_i = \operatorname{softmax}(z_i / T), \qquad
    T^\star = \arg\min_{T > 0} \; \frac1n \sum_{i=1}^n
    \Bigl[\log \sum_{c=1}^{C} e^{z_{ic}/T} - z_{i,y_i}/T\Bigr],

i.e. the :math:`T` that minimises the validation negative log-likelihood. Dividing every logit
by the same positive number never changes the arg-max, so accuracy and F1 are untouched; only
the confidence moves (``T > 1`` softens over-confident models, ``T < 1`` sharpens
under-confident ones, which label-smoothed models often are).

Stored probabilities can be calibrated too: with :math:`z_i = \log p_i` (:func:`probs_to_logits`)
temperature scaling becomes :math:`\hat p_{ic} \propto p_{ic}^{1/T}`.

References
----------
Chuan Guo, Geoff Pleiss, Yu Sun, Kilian Q. Weinberger. "On Calibration of Modern Neural
Networks", ICML 2017. https://arxiv.org/abs/1706.04599

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> true_logits = rng.normal(size=(2000, 4))
>>> labels = np.array([rng.choice(4, p=np.exp(z) / np.exp(z).sum()) for z in true_logits])
>>> scaler = TemperatureScaler().fit(3.0 * true_logits, labels)
>>> 2.5 < scaler.temperature_ < 3.5
True
>>> probs = scaler.transform(3.0 * true_logits)  # (2000, 4), rows sum to one
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import softmax
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from textls.metrics._validation import check_labels, check_probs, check_scores

__all__ = ["TemperatureScaler", "probs_to_logits"]


def probs_to_logits(probs: Any, *, eps: float = 1e-12) -> np.ndarray:
    r"""Turn stored probabilities into logits, :math:`z_{ic} = \log \max(p_{ic}, \epsilon)`.

    ``softmax(probs_to_logits(p)) == p`` up to the clipping, so the result can be fed to
    :class:`TemperatureScaler` to calibrate probabilities whose logits were not kept. ``eps``
    (default ``1e-12``) keeps zero probabilities finite.

    Parameters
    ----------
    probs : array-like of shape (n, C)
        Array (numpy or torch) whose rows are probability distributions.
    eps : float, default 1e-12
        Lower clip for the probabilities before the log.

    Returns
    -------
    ndarray of shape (n, C)
        float64 array of log-probabilities.
    """
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    return np.log(np.clip(check_probs(probs), eps, 1.0))


def temperature_nll(
    logits: np.ndarray, labels: np.ndarray, temperature: float, offset: np.ndarray | None = None
) -> float:
    r"""Mean negative log-likelihood of ``labels`` under :math:`\operatorname{softmax}(z / T + b)`.

    :math:`\frac1n \sum_i \bigl[m_i + \log \sum_c e^{s_{ic} - m_i} - s_{i,y_i}\bigr]` with
    :math:`s_i = z_i / T + b` and :math:`m_i = \max_c s_{ic}`, so no exponential overflows.
    ``logits`` is a float64 ``(n, C)`` array and ``labels`` ``(n,)`` column indices, both already
    checked; ``offset`` :math:`b` is ``(C,)`` or ``None`` (zero).
    """
    scaled = logits / temperature
    if offset is not None:
        scaled = scaled + offset[None, :]
    top = scaled.max(axis=1)
    log_norm = top + np.log(np.exp(scaled - top[:, None]).sum(axis=1))
    return float(np.mean(log_norm - scaled[np.arange(len(labels)), labels]))


def search_temperature(
    logits: np.ndarray,
    labels: np.ndarray,
    bounds: tuple[float, float],
    *,
    xatol: float = 1e-5,
    max_iter: int = 500,
    offset: np.ndarray | None = None,
) -> tuple[float, int]:
    r"""The :math:`T` in ``bounds`` that minimises :func:`temperature_nll`, and the evaluations used.

    Bounded Brent search (``minimize_scalar(method="bounded")``) over :math:`\log T`, to an
    absolute tolerance ``xatol``: the NLL is convex in :math:`1/T`, hence unimodal in
    :math:`\log T`.  :class:`TemperatureScaler` and the generators' ``temperature="auto"``
    (:func:`textls.smoothers._base.fit_temperature`) both fit their temperature with it.
    """
    result = minimize_scalar(
        lambda log_t: temperature_nll(logits, labels, np.exp(log_t), offset),
        bounds=(np.log(bounds[0]), np.log(bounds[1])),
        method="bounded",
        options={"xatol": xatol, "maxiter": max_iter},
    )
    return float(np.exp(result.x)), int(result.nfev)


class TemperatureScaler(BaseEstimator):
    r"""Post-hoc calibration by a single softmax temperature (Guo et al., 2017).

    ``fit`` finds :math:`T^\star = \arg\min_T \mathrm{NLL}(\operatorname{softmax}(z / T), y)` on
    validation logits; ``transform`` returns :math:`\operatorname{softmax}(z / T^\star)`.

    The search runs over :math:`\log T` inside ``bounds`` with scipy's bounded Brent method
    (``minimize_scalar(method="bounded")``) rather than torch's LBFGS as in the paper's code.
    The NLL is convex in :math:`1/T`, hence unimodal in :math:`\log T`, and on a unimodal
    one-dimensional function bracketed Brent always converges to the minimum: there is no
    learning rate to tune, no line search that can diverge or leave ``T`` negative, and it runs
    in float64 on the CPU. As a last guard the fitted temperature is reset to 1 if ``T = 1``
    (which is inside the default bounds) gives a validation NLL at least as low, so fitting
    never makes the validation NLL worse.

    Parameters
    ----------
    bounds : tuple of float, default (1e-2, 1e2)
        ``(T_min, T_max)``, the range searched for ``T``; ``0 < T_min < T_max``. A warning is
        raised when the optimum lands on a bound.
    max_iter : int, default 500
        Maximum number of Brent iterations.
    xatol : float, default 1e-6
        Absolute tolerance on :math:`\log T` at convergence.

    Attributes
    ----------
    temperature_ : float
        The fitted temperature :math:`T^\star > 0`.
    n_classes_ : int
        Number of classes ``C`` seen in ``fit``.
    nll_before_ : float
        Validation NLL of ``softmax(logits)`` (``T = 1``).
    nll_after_ : float
        Validation NLL of ``softmax(logits / temperature_)``; ``<= nll_before_`` whenever ``1``
        lies within ``bounds``.
    n_iter_ : int
        Number of objective evaluations the optimiser used.

    Examples
    --------
    >>> scaler = TemperatureScaler().fit(val_logits, val_labels)  # doctest: +SKIP
    >>> test_probs = scaler.transform(test_logits)  # doctest: +SKIP
    >>> scaler = TemperatureScaler().fit(probs_to_logits(val_probs), val_labels)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        bounds: tuple[float, float] = (1e-2, 1e2),
        max_iter: int = 500,
        xatol: float = 1e-6,
    ) -> None:
        self.bounds = bounds
        self.max_iter = max_iter
        self.xatol = xatol

    def _check_params(self) -> tuple[float, float]:
        try:
            t_min, t_max = (float(b) for b in self.bounds)
        except (TypeError, ValueError) as err:
            raise ValueError(f"bounds must be a pair (T_min, T_max), got {self.bounds!r}") from err
        if not (0 < t_min < t_max < math.inf):
            raise ValueError(f"bounds must satisfy 0 < T_min < T_max < inf, got {self.bounds!r}")
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, int | np.integer):
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        if not self.xatol > 0:
            raise ValueError(f"xatol must be positive, got {self.xatol!r}")
        return t_min, t_max

    def fit(self, logits: Any, labels: Any, *, offset: Any = None) -> TemperatureScaler:
        r"""Learn ``temperature_`` from validation ``logits`` ``(n, C)`` and ``labels`` ``(n,)``.

        ``logits`` may be a numpy array or a torch tensor (any device, with or without grad).
        ``offset``: a ``(C,)`` shift :math:`b` added after scaling, :math:`\operatorname{softmax}(z
        / T + b)`, e.g. the log prior ratio of :func:`textls.calibration.prior_shift` when the
        validation rows follow another class prior than the model's training targets.
        Returns ``self``.
        """
        t_min, t_max = self._check_params()
        logits = check_scores(logits, name="logits")
        labels = check_labels(labels, n=logits.shape[0], n_classes=logits.shape[1])
        offset = _check_offset(offset, logits.shape[1])

        temperature, n_iter = search_temperature(
            logits,
            labels,
            (t_min, t_max),
            xatol=self.xatol,
            max_iter=int(self.max_iter),
            offset=offset,
        )
        nll_before = temperature_nll(logits, labels, 1.0, offset)
        nll_after = temperature_nll(logits, labels, temperature, offset)
        # `<=` also keeps T = 1 when the NLL is flat in T (e.g. constant logits).
        if t_min <= 1.0 <= t_max and nll_before <= nll_after:
            temperature, nll_after = 1.0, nll_before

        # Brent stops within ~xatol of a bound when the optimum lies outside the bracket.
        edge = 10 * self.xatol + 1e-9
        if abs(math.log(temperature / t_min)) < edge or abs(math.log(t_max / temperature)) < edge:
            warnings.warn(
                f"the fitted temperature {temperature:.4g} lies on the search bounds "
                f"{self.bounds}; the optimum may be outside them (e.g. separable validation data)",
                UserWarning,
                stacklevel=2,
            )

        self.temperature_ = temperature
        self.n_classes_ = int(logits.shape[1])
        self.nll_before_ = nll_before
        self.nll_after_ = nll_after
        self.n_iter_ = n_iter
        return self

    def transform(self, logits: Any, *, offset: Any = None) -> np.ndarray:
        """Return calibrated probabilities ``softmax(logits / temperature_ + offset)``, shape
        ``(n, C)`` (``offset`` as in :meth:`fit`, ``None`` for none).

        ``logits`` may be a numpy array or a torch tensor; the result is a float64 numpy array.
        """
        check_is_fitted(self, "temperature_")
        logits = check_scores(logits, name="logits")
        if logits.shape[1] != self.n_classes_:
            raise ValueError(
                f"logits have {logits.shape[1]} classes but the scaler was fitted on "
                f"{self.n_classes_}"
            )
        offset = _check_offset(offset, self.n_classes_)
        scaled = logits / self.temperature_
        return softmax(scaled if offset is None else scaled + offset[None, :], axis=1)

    def fit_transform(self, logits: Any, labels: Any, *, offset: Any = None) -> np.ndarray:
        """Fit on ``logits`` and ``labels``, then return ``transform(logits)``."""
        return self.fit(logits, labels, offset=offset).transform(logits, offset=offset)


def _check_offset(offset: Any, n_classes: int) -> np.ndarray | None:
    """``offset`` as a finite float64 ``(C,)`` array, or ``None``; a ``ValueError`` otherwise."""
    if offset is None:
        return None
    offset = np.asarray(offset, dtype=np.float64)
    if offset.shape != (n_classes,) or not np.isfinite(offset).all():
        raise ValueError(
            f"offset must be {n_classes} finite numbers (one per class), got shape {offset.shape}"
        )
    return offset
