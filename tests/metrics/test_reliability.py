from __future__ import annotations

import numpy as np
import pytest

from textls.metrics import plot_reliability_diagram

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def random_probs(seed: int, n: int = 200, n_classes: int = 3):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(n_classes) * 0.5, size=n), rng.integers(0, n_classes, size=n)


def assert_png(path):
    data = path.read_bytes()
    assert len(data) > 1000
    assert data[:8] == PNG_SIGNATURE


def test_writes_png(tmp_path):
    probs, labels = random_probs(0)
    out = plot_reliability_diagram(probs, labels, tmp_path / "plots" / "rel.png", title="CE")
    assert out == tmp_path / "plots" / "rel.png"
    assert_png(out)


@pytest.mark.parametrize("n_models", [2, 5])
def test_small_multiples(tmp_path, n_models):
    _, labels = random_probs(0)
    models = {f"model {i}": random_probs(i)[0] for i in range(n_models)}
    out = plot_reliability_diagram(models, labels, str(tmp_path / "many.png"), n_bins=10)
    assert_png(out)


def test_does_not_touch_pyplot_state(tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    probs, labels = random_probs(1)
    plot_reliability_diagram(probs, labels, tmp_path / "rel.png")
    assert plt.get_fignums() == before


def test_invalid_inputs(tmp_path):
    probs, labels = random_probs(0)
    with pytest.raises(ValueError, match="empty mapping"):
        plot_reliability_diagram({}, labels, tmp_path / "x.png")
    with pytest.raises(ValueError, match="model 'bad'.*sum to 1"):
        plot_reliability_diagram({"ok": probs, "bad": probs * 0.5}, labels, tmp_path / "x.png")
    with pytest.raises(ValueError, match="n_bins"):
        plot_reliability_diagram(probs, labels, tmp_path / "x.png", n_bins=0)
    assert not (tmp_path / "x.png").exists()
