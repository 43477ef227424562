from __future__ import annotations

import pytest

from textls.classification.modeling import default_batch_size, default_learning_rate


def test_fasttext_defaults_go_together():
    assert default_batch_size("fasttext") == 128
    assert default_learning_rate("fasttext") == default_learning_rate("fasttext", 128)


@pytest.mark.parametrize(
    ("batch_size", "lr"), [(16, 5e-3), (64, 5e-3), (100, 5e-3), (128, 7e-3), (4096, 2e-2)]
)
def test_fasttext_learning_rate_follows_the_batch_size(batch_size, lr):
    assert default_learning_rate("fasttext", batch_size) == lr


def test_other_models_ignore_the_batch_size():
    assert default_batch_size("minilm") == 32
    assert default_learning_rate("minilm", 512) == default_learning_rate("minilm") == 5e-5
    assert default_learning_rate("textcnn", 8) == 1e-3
