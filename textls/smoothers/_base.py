"""The estimator contract every soft-label generator follows.

A generator learns, at ``fit``, how relevant an instance is to each class.  ``relevance(texts)`` is
that label-free distribution ``r_i`` (rows sum to one).  ``transform(texts, labels)`` turns it into
the training target: every method moves the same mass off the gold class, the mass LS-Classic (torch's
``label_smoothing``) moves, ``m = eps (C - 1) / C``, and the relevance decides only where it goes:

    y_ig = 1 - m,    y_ik = m * r_ik / sum_{j != g} r_ij   (k != g)

so uniform ``r_i = 1/C`` is classic label smoothing, and at a fixed ``eps`` an informative method is
never a weaker dose of smoothing than LS-Classic (KWLS's ``adaptive_epsilon`` varies it per row).
With ``balanced=True`` (the informative methods' default) the share goes by ``r_ik / pi_k``, ``pi``
the training class frequencies: the relevance is a posterior learnt from the training data, so it
favours the frequent classes; dividing by the prior leaves how much the text resembles each class,
and every class then receives about the same total smoothing mass over the training set, as under
LS-Classic (``sum_i r_ik / pi_k ~ n``).  On balanced data it changes nothing.
Empty or whitespace-only texts carry no evidence and get uniform relevance in every method.

``fit_relevance`` / ``fit_transform`` give *training* rows out-of-sample relevance (cross-fitting or
leave-one-out, by method), so a row's soft label never comes from class statistics that saw it
(the vocabulary and idf are unsupervised and fitted on all rows).
``score(texts, labels)`` is the mean log-likelihood of the gold labels under ``relevance`` (higher is
better), so ``GridSearchCV`` and ``cross_val_score`` choose a method's parameters on your corpus.

**Fitting from shard statistics.**  LS-Classic, LS-TFIDF and KWLS read the corpus only through
sums over rows, so a fit can run shard by shard and merge (:mod:`textls.cache.statistics`, which
never asks which method it fits).  They share a small public protocol for it, each in its own
file, with defaults here that say "not mergeable"; a sharded fit calls nothing else of theirs:

* ``cache_passes``: the statistics passes, in order; ``("counts", ...)`` or ``()`` for a method
  fitted on the whole corpus at once.  ``fits_from_counts()`` says whether the parameters allow it
  (KWLS with a custom extractor reads the texts).
* ``count_vectorizer()`` (LS-TFIDF, KWLS): the unfitted vectorizer whose tokenisation and
  ``min_df`` / ``max_df`` / ``max_features`` the fit uses; without its pruning it counts a shard
  (``None``: the counts pass counts labels only).  ``class_term_folds()`` (KWLS): keep the
  class-by-term counts, and those of each of this many cross-fitting folds.
* ``fit_from_counts(counts)``: the fitted state ``fit`` gives, from the merged counts (rows per
  label, the raw vocabulary's document and total counts, KWLS's class-by-term counts); it returns
  the held-out statistics that score the training rows out of sample (KWLS: the match matrix
  fitted without each cross-fitting fold), or ``None``.
* ``pass_statistics(name, texts, y, counts)`` and ``fit_from_pass(name, parts)``: the passes after
  ``counts`` (LS-TFIDF's ``"class-sums"``, :math:`S_k`): one shard's statistics, then the fit from
  all shards' (in shard order), returning the held-out statistics.
* ``fitted_vectorizer()``: the fitted vectorizer whose vocabulary the rows' counts are remapped
  to, or ``None``.
* ``training_scores(texts, y, held_out, rows=..., n_rows=..., counts=...)``: the out-of-sample
  scores of training rows, as ``fit_relevance`` computes them; ``counts`` (the rows' counts over
  the fitted vocabulary) spare tokenising again.
* ``targets_from_scores(scores, texts, y)`` and ``fit_temperature_from_scores(scores, y)``
  (:class:`ScoredSmoother`): ``fit_transform``'s rows and ``temperature_`` from those scores.
  A method that is not ``informative`` (LS-Classic) needs neither: ``transform`` is its targets.
"""

from __future__ import annotations

import numbers
import warnings
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import log_loss
from sklearn.utils import ClassifierTags
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from textls._utils import (
    check_labels,
    check_positive_finite,
    check_texts,
    chunks,
    encode_labels,
    is_blank,
    mix_with_gold,
    seen_labels,
    softmax,
    unique_classes,
)
from textls.calibration.temperature_scaling import search_temperature


class UnseenClassWarning(UserWarning):
    """``score`` left out rows of a class that ``fit`` never saw."""


class BaseSmoother(BaseEstimator):
    """Base class: input checks, label encoding, chunked transform, mixing with the gold label.

    Subclasses implement ``_fit(texts, y)`` and ``_relevance(texts) -> (n, C) float64``.  They
    override ``_fit_relevance`` to give training instances out-of-sample relevance (cross-fitting or
    leave-one-out); ``fit_relevance``, ``fit_transform`` and ``fit_targets`` all go through it.
    """

    #: Whether the targets depend on the training data (every method but LS-Classic): such a
    #: smoother's ``transform`` of its own training rows is in-sample, so training rows take
    #: ``fit_transform``'s out-of-sample targets instead.
    informative: ClassVar[bool] = True

    def __sklearn_tags__(self):
        # A smoother predicts a distribution over classes and scores it by the gold label's
        # likelihood: to model selection it is a classifier, so an integer ``cv`` stratifies.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        return tags

    def fit(self, texts, labels) -> BaseSmoother:
        texts, y = self._check_fit_input(texts, labels)
        self._fit(texts, y)
        return self

    def fit_relevance(self, texts, labels) -> np.ndarray:
        """Fit, then return the training rows' *out-of-sample* relevance, shape ``(n, C)``.

        Each row's relevance comes from statistics fitted without it (how: see the method's
        docstring).  This is what ``fit_transform`` mixes with the gold label.
        """
        return self._fit_relevance(texts, labels)[0]

    def fit_transform(self, texts, labels) -> np.ndarray:
        """Fit and return the soft training targets of ``texts``, from out-of-sample relevance."""
        return self.fit_targets(texts, labels)[0]

    def fit_targets(self, texts, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fit; return ``(soft_targets, relevance, y)`` of the training rows in one pass: what
        ``fit_transform`` and ``fit_relevance`` return, and the labels as column indices."""
        relevance, y = self._fit_relevance(texts, labels)
        return self.mix(relevance, y), relevance, y

    def _fit_relevance(self, texts, labels) -> tuple[np.ndarray, np.ndarray]:
        """``(out-of-sample relevance, encoded labels)`` of the training rows; methods override it."""
        texts, y = self._check_fit_input(texts, labels)
        self._fit(texts, y)
        return self.relevance(texts), y

    def score(self, texts, labels) -> float:
        """Mean log-likelihood of the gold labels under ``relevance(texts)``; higher is better.

        ``-sklearn.metrics.log_loss`` (probabilities clipped as it clips them), the scikit-learn
        convention for a score, so ``GridSearchCV(KeywordSmoother(), {...})`` and
        ``cross_val_score`` select parameters by how well the relevance predicts held-out labels.

        Rows whose label ``fit`` never saw are left out, with a warning naming their classes: on
        long-tailed data a class of one or two rows is often missing from a cross-validation
        fold's training part, and every parameter setting gives such a row probability zero, so
        it says nothing about the parameters (counting it would make every candidate's score
        infinite).  If no row's label was seen, ``ValueError``.
        """
        check_is_fitted(self, "classes_")
        texts = check_texts(texts)
        labels = check_labels(labels, len(texts))
        seen = seen_labels(labels, self.classes_)
        if not seen.any():
            encode_labels(labels, self.classes_)  # raises, naming the unseen labels
        if not seen.all():
            unseen = sorted({str(label) for label in labels[~seen]})
            warnings.warn(
                f"score: {int((~seen).sum())} of {len(labels)} rows are of a class fit never "
                f"saw ({', '.join(unseen[:5])}{' ...' if len(unseen) > 5 else ''}) and are left "
                "out of the score",
                UnseenClassWarning,
                stacklevel=2,
            )
            texts = [text for text, keep in zip(texts, seen, strict=True) if keep]
        relevance = self.relevance(texts)
        y = encode_labels(labels[seen], self.classes_)
        return -log_loss(y, relevance, labels=np.arange(len(self.classes_)))

    def relevance(self, texts) -> np.ndarray:
        """Label-free relevance of each text to each class, shape ``(n, C)``, rows sum to one."""
        check_is_fitted(self, "classes_")
        texts = check_texts(texts)
        out = np.empty((len(texts), len(self.classes_)), dtype=np.float64)
        parts = list(chunks(len(texts), self.chunk_size))
        for part in tqdm(
            parts,
            desc=f"{type(self).__name__}",
            disable=True if len(parts) < 2 else None,
            leave=False,
        ):
            out[part] = self._relevance(texts[part])
        return self._finish_relevance(out, texts)

    def transform(self, texts, labels) -> np.ndarray:
        """Soft training targets, shape ``(n, C)``, float32, rows sum to one."""
        check_is_fitted(self, "classes_")
        texts = check_texts(texts)
        y = encode_labels(check_labels(labels, len(texts)), self.classes_)
        return self.mix(self.relevance(texts), y)

    # -- fitting from shard statistics (textls.cache.statistics; see the module docstring) ------

    #: The statistics passes of a sharded fit, in order (``"counts"`` first); empty: the method
    #: is fitted on the whole corpus at once.
    cache_passes: ClassVar[tuple[str, ...]] = ()

    def fits_from_counts(self) -> bool:
        """Whether a fit with these parameters can run shard by shard and merge."""
        return bool(self.cache_passes)

    def count_vectorizer(self):
        """The unfitted vectorizer that counts a shard's terms; ``None``: labels only."""
        return None

    def class_term_folds(self) -> int | None:
        """Keep the class-by-term counts, and those of this many cross-fitting folds (``None``:
        no class-by-term counts)."""
        return None

    def fit_from_counts(self, counts):
        """Fit from merged :class:`~textls.cache.statistics.CountStatistics`; return the held-out
        statistics of :meth:`training_scores` or ``None``."""
        raise ValueError(f"{type(self).__name__} cannot be fitted from shard statistics")

    def pass_statistics(self, name: str, texts: list[str], y: np.ndarray, counts=None):
        """One shard's statistics of the pass ``name`` after ``"counts"`` (``counts``: its rows'
        counts over :meth:`fitted_vectorizer`'s vocabulary, if kept)."""
        raise ValueError(f"{type(self).__name__} has no statistics pass {name!r}")

    def fit_from_pass(self, name: str, parts: list):
        """Finish the pass ``name`` from every shard's statistics, in shard order; return the
        held-out statistics of :meth:`training_scores` or ``None``."""
        raise ValueError(f"{type(self).__name__} has no statistics pass {name!r}")

    def fitted_vectorizer(self):
        """The fitted vectorizer of the method's vocabulary (what shard counts are remapped to,
        and whose size a cache manifest records), or ``None``."""
        return None

    def check_params(self) -> BaseSmoother:
        """Raise the ``ValueError`` that ``fit`` would raise for a bad parameter; return ``self``."""
        self._check_params()
        return self

    # -- shared pieces -------------------------------------------------------------------------

    def _check_fit_input(self, texts, labels) -> tuple[list[str], np.ndarray]:
        texts = check_texts(texts)
        if not texts:
            raise ValueError("cannot fit on an empty list of texts")
        labels = check_labels(labels, len(texts))
        classes = unique_classes(labels)
        if len(classes) < 2:
            raise ValueError(f"need at least 2 classes to smooth labels, got only {list(classes)}")
        self._check_params()
        self.classes_ = classes
        y = encode_labels(labels, classes)
        self.class_prior_ = np.bincount(y, minlength=len(classes)) / len(y)
        return texts, y

    def _check_fit_counts(self, counts) -> None:
        """``_check_fit_input`` for a fit from counts (``counts.num_rows``, ``counts.label_counts``)."""
        if counts.num_rows == 0:
            raise ValueError("cannot fit on an empty list of texts")
        classes = unique_classes(np.array(list(counts.label_counts), dtype=object))
        if len(classes) < 2:
            raise ValueError(f"need at least 2 classes to smooth labels, got only {list(classes)}")
        self._check_params()
        self.classes_ = classes
        frequency = np.array([counts.label_counts[c] for c in classes.tolist()], dtype=np.float64)
        self.class_prior_ = frequency / counts.num_rows

    def _check_params(self) -> None:
        eps = self.epsilon
        if not isinstance(eps, numbers.Real) or not 0.0 <= eps <= 1.0:
            raise ValueError(f"epsilon must be a number in [0, 1], got {eps!r}")
        if not isinstance(self.chunk_size, numbers.Integral) or self.chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int, got {self.chunk_size!r}")
        # true/false is only for the switches (a bool default): elsewhere it would be read as
        # 1/0 (JSON's true for class_top_k: one keyword a class)
        defaults = type(self)().get_params(deep=False)
        for name, value in self.get_params(deep=False).items():
            if isinstance(value, bool) and not isinstance(defaults.get(name), bool):
                raise ValueError(f"{name} takes no true/false, got {value!r}")
        ngram_range = getattr(self, "ngram_range", None)
        if ngram_range is not None and not _is_ngram_range(ngram_range):
            raise ValueError(
                f"ngram_range must be two whole numbers (min_n, max_n) with 1 <= min_n <= max_n, "
                f"got {ngram_range!r}"
            )

    def _finish_relevance(self, relevance: np.ndarray, texts: list[str]) -> np.ndarray:
        relevance[is_blank(texts)] = 1.0 / relevance.shape[1]
        if not np.isfinite(relevance).all():  # a bug, never a user's error: fail loudly
            row = int(np.flatnonzero(~np.isfinite(relevance).all(axis=1))[0])
            raise FloatingPointError(
                f"{type(self).__name__} produced a non-finite relevance in row {row}"
            )
        return relevance

    def _epsilon(self, relevance: np.ndarray, y: np.ndarray):
        return self.epsilon

    def mix(self, relevance: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The soft targets of rows with this ``relevance`` and gold columns ``y`` at the current
        ``epsilon`` (:func:`textls._utils.mix_with_gold`, with the training class prior when
        ``balanced``), as ``fit_transform`` makes them: so ``set_params(epsilon=e)`` then
        ``mix(relevance, y)`` gives the targets at another epsilon without fitting again."""
        # informative methods take ``balanced``; LS-Classic has none and stays torch's smoothing
        prior = self.class_prior_ if getattr(self, "balanced", False) else None
        return mix_with_gold(relevance, y, self._epsilon(relevance, y), prior)


class ScoredSmoother(BaseSmoother):
    r"""Base of the generators whose relevance is a softmax of scores, :math:`r_{ik} = \mathrm{softmax}_k(s_{ik} / T)`.

    KWLS and LS-TFIDF: subclasses implement ``_text_scores(texts) -> (n, C)`` and
    ``_fit_and_score(texts, labels, training_scores) -> (texts, y, scores)``, which fits and, with
    ``training_scores``, returns the training rows' out-of-sample scores (``None`` otherwise) and
    sets ``temperature_`` (fitted on those scores when ``temperature="auto"``).
    """

    def fit(self, texts, labels) -> ScoredSmoother:
        # the training rows' out-of-sample scores are needed only to fit the temperature
        self._fit_and_score(texts, labels, training_scores=self.temperature == "auto")
        return self

    def _fit_relevance(self, texts, labels) -> tuple[np.ndarray, np.ndarray]:
        """The training rows' out-of-sample relevance and labels, tokenising the corpus once."""
        texts, y, scores = self._fit_and_score(texts, labels, training_scores=True)
        return self.relevance_from_scores(scores, texts), y

    def _check_params(self) -> None:
        super()._check_params()
        check_temperature(self.temperature)

    def _relevance(self, texts) -> np.ndarray:
        return softmax(self._text_scores(texts), self.temperature_)

    def relevance_from_scores(self, scores: np.ndarray, texts: list[str]) -> np.ndarray:
        r""":math:`\mathrm{softmax}_k(s_{ik} / T)` with ``temperature_``, blank texts uniform."""
        return self._finish_relevance(softmax(scores, self.temperature_), texts)

    def targets_from_scores(
        self, scores: np.ndarray, texts: list[str], y: np.ndarray
    ) -> np.ndarray:
        """Soft targets of rows whose scores are ``scores`` and labels (column indices) ``y``:
        ``fit_transform``'s rows, given the training rows' out-of-sample scores."""
        return self.mix(self.relevance_from_scores(scores, texts), y)

    def fit_temperature_from_scores(
        self, scores: np.ndarray | None, y: np.ndarray
    ) -> ScoredSmoother:
        """Set ``temperature_``: :func:`fit_temperature` on the training rows' out-of-sample
        ``scores`` when ``temperature="auto"``, else ``float(temperature)`` (``scores`` unused)."""
        self.temperature_ = fitted_temperature(self.temperature, scores, y)
        return self


def _is_ngram_range(value) -> bool:
    if not isinstance(value, tuple | list) or len(value) != 2:
        return False
    low, high = value
    whole = all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
    return whole and 1 <= low <= high


def check_temperature(temperature) -> None:
    if temperature == "auto":
        return
    try:
        check_positive_finite(temperature, "temperature")
    except ValueError:
        raise ValueError(
            f"temperature must be a finite number > 0 or 'auto', got {temperature!r}"
        ) from None


def fitted_temperature(temperature, scores: np.ndarray, y: np.ndarray) -> float:
    """``temperature`` as a float, fitted by :func:`fit_temperature` when it is ``"auto"``."""
    return fit_temperature(scores, y) if temperature == "auto" else float(temperature)


def fit_temperature(
    scores: np.ndarray, y: np.ndarray, max_rows: int = 20_000, seed: int = 0
) -> float:
    """Temperature ``T`` that maximises the likelihood of the gold labels under ``softmax(s / T)``.

    This is temperature scaling (Guo et al., 2017) applied to the lexical scores: the relevance then
    puts on the gold class the probability it deserves on the training data, and the rest is spread
    over the other classes in proportion to the evidence.  The NLL is convex in ``1 / T``; we search
    ``log T`` in ``[log 1e-3, log 1e3]`` on at most ``max_rows`` rows, with the search
    :class:`~textls.calibration.TemperatureScaler` uses
    (:func:`~textls.calibration.temperature_scaling.search_temperature`).  Rows whose scores are
    all equal carry no information about ``T`` and are left out; with none left, ``T = 1``.
    """
    keep = temperature_sample(len(y), max_rows, seed)
    if keep is not None:
        scores, y = scores[keep], y[keep]
    scores = np.asarray(scores, dtype=np.float64)
    informative = scores.max(axis=1) > scores.min(axis=1)
    if not informative.any():
        return 1.0
    return search_temperature(scores[informative], y[informative], (1e-3, 1e3))[0]


def temperature_sample(n: int, max_rows: int = 20_000, seed: int = 0) -> np.ndarray | None:
    """Rows (in this order) that :func:`fit_temperature` fits on, or ``None`` for all ``n`` rows.

    A function of ``n`` alone, so a sharded fit can gather exactly these rows' scores.
    """
    if n <= max_rows:
        return None
    return np.random.default_rng(seed).choice(n, max_rows, replace=False)


def cross_fit_folds(rows: np.ndarray, n_rows: int, n_splits: int) -> np.ndarray:
    """The cross-fitting fold of training rows (``rows``: their indices among all ``n_rows``).

    A fixed random permutation of the row indices, dealt out ``% n_splits``, so the folds have
    equal sizes whatever the order of the data (``i % n_splits`` alone would put every row of a
    class in one fold when the labels cycle through the classes).  A function of the row index
    and ``n_rows`` alone, so a sharded fit assigns the same folds as one process.
    """
    return np.random.default_rng(0).permutation(n_rows)[np.asarray(rows)] % n_splits
