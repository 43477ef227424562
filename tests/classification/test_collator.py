from __future__ import annotations

import pytest
import torch
from transformers import DataCollatorWithPadding

from textls.classification import SoftLabelCollator


def _features(tokenizer, texts, keys):
    encoded = [tokenizer(t) for t in texts]
    return [
        {**{k: e[k] for k in keys}, "labels": i % 2, "soft_labels": [0.25, 0.75]}
        for i, e in enumerate(encoded)
    ]


@pytest.mark.parametrize(
    "keys",
    [
        ("input_ids", "attention_mask", "token_type_ids"),
        ("input_ids", "attention_mask"),
        ("input_ids",),
    ],
)
def test_padding_matches_data_collator_with_padding(tokenizer, keys):
    texts = ["the storm", "a goal in the league match", "rain"]
    features = _features(tokenizer, texts, keys)
    batch = SoftLabelCollator(tokenizer)(features)
    expected = DataCollatorWithPadding(tokenizer)([{k: f[k] for k in keys} for f in features])
    assert set(batch) == set(expected) | {"labels", "soft_labels"}
    for key, value in expected.items():
        assert batch[key].dtype == value.dtype
        torch.testing.assert_close(batch[key], value)
    torch.testing.assert_close(batch["labels"], torch.tensor([0, 1, 0]))
    assert batch["soft_labels"].dtype == torch.float32


def test_left_padding_tokenizer_falls_back_to_data_collator_with_padding(tokenizer):
    tokenizer.padding_side = "left"
    features = _features(tokenizer, ["the storm", "a goal in the league"], ("input_ids",))
    batch = SoftLabelCollator(tokenizer)(features)
    assert batch["input_ids"][0, 0] == tokenizer.pad_token_id
    assert batch["attention_mask"][0].tolist() == [0, 0, 0, 1, 1, 1, 1]
