from __future__ import annotations

import pytest
import torch

from textls.classification.models import (
    FastTextConfig,
    FastTextForSequenceClassification,
    TextCNNConfig,
    TextCNNForSequenceClassification,
)

MODELS = [
    (FastTextConfig, FastTextForSequenceClassification),
    (TextCNNConfig, TextCNNForSequenceClassification),
]


@pytest.mark.parametrize(("config_cls", "model_cls"), MODELS)
def test_padding_does_not_change_logits(config_cls, model_cls):
    torch.manual_seed(0)
    model = model_cls(config_cls(vocab_size=50, num_labels=4, embedding_dim=8)).eval()
    ids = torch.tensor([[5, 6, 7, 8]])
    padded = torch.tensor([[5, 6, 7, 8, 0, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 0, 0, 0]])
    torch.testing.assert_close(
        model(input_ids=ids).logits, model(input_ids=padded, attention_mask=mask).logits
    )


@pytest.mark.parametrize(("config_cls", "model_cls"), MODELS)
def test_trains_and_round_trips_through_save_pretrained(tmp_path, config_cls, model_cls):
    torch.manual_seed(0)
    model = model_cls(config_cls(vocab_size=50, num_labels=3, embedding_dim=8))
    ids = torch.randint(1, 50, (6, 5))
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    out = model(input_ids=ids, labels=labels)
    assert out.logits.shape == (6, 3)
    out.loss.backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.save_pretrained(tmp_path)
    loaded = model_cls.from_pretrained(tmp_path).eval()
    model.eval()
    torch.testing.assert_close(loaded(input_ids=ids).logits, model(input_ids=ids).logits)
