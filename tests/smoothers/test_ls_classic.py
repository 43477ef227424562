from __future__ import annotations

import numpy as np
import pytest
import torch

from textls import ClassicSmoother, soft_target_cross_entropy


@pytest.mark.parametrize("n_classes", [2, 3, 7])
@pytest.mark.parametrize("epsilon", [0.0, 0.05, 0.1, 0.3, 1.0])
def test_matches_torch_label_smoothing(n_classes, epsilon):
    rng = np.random.default_rng(n_classes)
    labels = np.r_[np.arange(n_classes), rng.integers(0, n_classes, size=20)]
    texts = [f"text {i}" for i in range(len(labels))]
    targets = ClassicSmoother(epsilon=epsilon).fit_transform(texts, labels.tolist())

    logits = torch.from_numpy(rng.normal(size=(len(labels), n_classes)) * 3)
    expected = torch.nn.CrossEntropyLoss(label_smoothing=epsilon)(logits, torch.from_numpy(labels))
    got = soft_target_cross_entropy(logits, torch.from_numpy(targets).double())
    assert got.item() == pytest.approx(expected.item(), abs=1e-6)


@pytest.mark.parametrize("epsilon", [0.1, 0.2])
def test_targets_follow_the_formula(epsilon):
    smoother = ClassicSmoother(epsilon=epsilon).fit(["a", "b", "c", "d"], ["x", "y", "z", "x"])
    soft = smoother.transform(["anything", "else"], ["y", "z"])
    c = 3
    expected = np.full((2, c), epsilon / c)
    expected[0, 1] += 1 - epsilon
    expected[1, 2] += 1 - epsilon
    np.testing.assert_allclose(soft, expected, atol=1e-7)


def test_relevance_ignores_the_text():
    smoother = ClassicSmoother().fit(["goal", "vote"], ["sport", "politics"])
    relevance = smoother.relevance(["goal goal goal", "vote", ""])
    np.testing.assert_array_equal(relevance, np.full((3, 2), 0.5))


def test_docstring_example():
    soft = ClassicSmoother(epsilon=0.1).fit(["a", "b", "c"], [0, 1, 1]).transform(["a"], [0])
    np.testing.assert_allclose(soft, [[0.95, 0.05]], atol=1e-7)
