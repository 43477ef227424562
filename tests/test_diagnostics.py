"""``textls.diagnostics.diagnose``: what a method's out-of-sample relevance says about its targets."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss

from textls._utils import mix_with_gold
from textls.diagnostics import diagnose


def test_diagnose_against_direct_computation():
    relevance = np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]])
    y = np.array([0, 1, 2, 0])
    soft = mix_with_gold(relevance, y, 0.3)
    d = diagnose(relevance, y, soft)
    # fair ties: row 0 a hit, row 1 a miss, uniform row 1/3, a tie of two 1/2
    assert d["top1_agreement"] == pytest.approx((1 + 0 + 1 / 3 + 1 / 2) / 4)
    expected = np.mean(np.log([0.7, 0.3, 1 / 3, 0.5]))
    assert d["log_likelihood"] == pytest.approx(expected)
    assert d["log_likelihood"] == pytest.approx(-log_loss(y, relevance, labels=[0, 1, 2]))
    assert d["off_gold_mass"] == pytest.approx(0.3 * 2 / 3, abs=1e-6)
