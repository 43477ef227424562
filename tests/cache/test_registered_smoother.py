"""A new mergeable soft-label generator is one class and one registration line: ``get_smoother``,
the sharded fit and a cache build then take it by name, with no edit to ``textls.cache``."""

from __future__ import annotations

import numpy as np
import pytest

from textls import get_smoother
from textls.cache import build_cache, load_cache
from textls.cache.statistics import fit_in_shards, mergeable, training_targets
from textls.smoothers import SMOOTHERS, BaseSmoother


class PriorSmoother(BaseSmoother):
    """Relevance is the training class prior, whatever the text: a fit needs only the rows per
    label, so the counts pass is all it asks of a sharded fit."""

    informative = False  # no row's target depends on its own text
    cache_passes = ("counts",)

    def __init__(self, *, epsilon: float = 0.1, chunk_size: int = 8192):
        self.epsilon = epsilon
        self.chunk_size = chunk_size

    def _fit(self, texts, y) -> None:
        pass  # classes_ and class_prior_ are set by the input checks

    def fit_from_counts(self, counts) -> None:
        self._check_fit_counts(counts)

    def _relevance(self, texts) -> np.ndarray:
        return np.tile(self.class_prior_, (len(texts), 1))


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(SMOOTHERS, "ls-prior", PriorSmoother)  # the one line


def test_get_smoother_builds_a_registered_smoother(registered, corpus):
    texts, labels = corpus
    smoother = get_smoother("LS-Prior", epsilon=0.3)
    assert type(smoother) is PriorSmoother and smoother.epsilon == 0.3
    soft = smoother.fit_transform(texts, labels)
    assert soft.shape == (len(texts), 3)
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-6)
    with pytest.raises(TypeError, match="its parameters are"):
        get_smoother("ls-prior", top_k=3)


def test_a_registered_smoother_fits_in_shards_and_builds_a_cache(
    registered, tmp_path, corpus, data_csv
):
    texts, labels = corpus
    expected = PriorSmoother(epsilon=0.2).fit_transform(texts, labels)
    assert mergeable("ls-prior", {"epsilon": 0.2})
    state = fit_in_shards("ls-prior", texts, labels, 4, epsilon=0.2)
    np.testing.assert_array_equal(training_targets(state, texts, labels), expected)
    result = build_cache(
        data_csv, tmp_path / "cache", method="ls-prior", params={"epsilon": 0.2}, num_shards=3
    )
    assert result.complete
    cache = load_cache(tmp_path / "cache")
    np.testing.assert_array_equal(np.asarray(cache.soft_labels), expected)
    assert cache.manifest["method"] == "ls-prior"


def test_the_registration_does_not_leak():
    assert "ls-prior" not in SMOOTHERS
    with pytest.raises(ValueError, match="unknown smoothing method 'ls-prior'"):
        get_smoother("ls-prior")
