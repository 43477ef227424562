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


def test_fasttext_pools_the_masked_mean_of_token_embeddings():
    torch.manual_seed(0)
    model = FastTextForSequenceClassification(
        FastTextConfig(vocab_size=50, num_labels=3, embedding_dim=8)
    ).eval()
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0], [11, 0, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]])
    table = model.embeddings.weight
    expected = (table[ids] * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
    logits = model(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(logits, model.classifier(expected))


def test_fasttext_padded_batch_matches_each_row_alone():
    torch.manual_seed(0)
    model = FastTextForSequenceClassification(
        FastTextConfig(vocab_size=50, num_labels=3, embedding_dim=8)
    ).eval()
    rows = [[5, 6, 7], [8], [9, 10, 11, 12, 13]]
    width = max(map(len, rows))
    ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
    mask = ids.ne(0).long()
    batched = model(input_ids=ids, attention_mask=mask).logits
    alone = torch.cat([model(input_ids=torch.tensor([r])).logits for r in rows])
    torch.testing.assert_close(batched, alone)


def test_fasttext_padding_row_stays_zero_and_gets_no_gradient():
    torch.manual_seed(0)
    model = FastTextForSequenceClassification(
        FastTextConfig(vocab_size=50, num_labels=3, embedding_dim=8)
    )
    ids = torch.tensor([[5, 6, 0], [7, 0, 0]])
    out = model(input_ids=ids, labels=torch.tensor([0, 2]))
    out.loss.backward()
    assert not model.embeddings.weight[0].any()
    assert not model.embeddings.weight.grad[0].any()
    assert model.embeddings.weight.grad[5].any()
    assert not model.embeddings.weight.grad.is_sparse  # torch's AdamW takes dense gradients only
