from __future__ import annotations

import numpy as np
import pytest
import torch
from datasets import Dataset
from one_step import sgd_step_args
from transformers import set_seed

from textls import get_smoother
from textls.classification import (
    FastTextConfig,
    FastTextForSequenceClassification,
    SoftLabelCollator,
    SoftLabelTrainer,
)
from textls.classification.data import InMemoryDataset, build_dataset
from textls.classification.modeling import make_model_factory


def _both(tokenizer, corpus, soft=True):
    """The same tokenised rows as a datasets.Dataset and as an InMemoryDataset."""
    texts, labels = corpus
    classes = sorted(set(labels))
    y = np.array([classes.index(label) for label in labels])
    targets = get_smoother("kwls", epsilon=0.2).fit_transform(texts, labels) if soft else None
    arrow = build_dataset(tokenizer, texts, y, targets, max_length=16)
    memory = build_dataset(tokenizer, texts, y, targets, max_length=16, in_memory=True)
    return arrow, memory


def test_in_memory_rows_equal_the_datasets_rows(tokenizer, corpus):
    arrow, memory = _both(tokenizer, corpus)
    assert isinstance(memory, InMemoryDataset)
    assert len(memory) == len(arrow) and set(memory.column_names) == set(arrow.column_names)
    keys = [5, 0, 3, 3]
    for got, expected in zip(memory.__getitems__(keys), arrow.__getitems__(keys), strict=True):
        assert set(got) == set(expected)
        for name, value in expected.items():
            np.testing.assert_allclose(np.asarray(got[name]), np.asarray(value), rtol=1e-7)
    assert [row.tolist() for row in memory["input_ids"]] == arrow["input_ids"][:]
    np.testing.assert_allclose(memory["soft_labels"], np.asarray(arrow["soft_labels"][:]))
    assert memory["soft_labels"].dtype == np.float32
    assert memory[2]["labels"] == arrow[2]["labels"]
    assert memory[-1]["input_ids"].tolist() == arrow[-1]["input_ids"]
    with pytest.raises(IndexError):
        memory[len(arrow)]


def test_in_memory_rows_of_an_empty_dataset_and_a_ragged_float_column():
    empty = InMemoryDataset(Dataset.from_dict({"input_ids": [[1]], "labels": [0]}).select([]))
    assert len(empty) == 0 and empty["input_ids"] == []
    ragged = Dataset.from_dict({"input_ids": [[1], [2]], "soft_labels": [[0.5, 0.5], [1.0]]})
    with pytest.raises(ValueError, match="column 'soft_labels'"):
        InMemoryDataset(ragged)


def test_in_memory_rows_keep_a_sliced_datasets_offsets(tokenizer, corpus):
    arrow, _ = _both(tokenizer, corpus, soft=False)
    part = arrow.select(range(3, 8))  # Arrow list offsets that do not start at 0
    memory = InMemoryDataset(part)
    assert [row.tolist() for row in memory["input_ids"]] == part["input_ids"][:]


@pytest.mark.parametrize("soft", [True, False])
def test_collator_batches_in_memory_rows_as_datasets_rows(tokenizer, corpus, soft):
    arrow, memory = _both(tokenizer, corpus, soft)
    collate = SoftLabelCollator(tokenizer)
    keys = [4, 1, 7, 0, 2]
    got, expected = collate(memory.__getitems__(keys)), collate(arrow.__getitems__(keys))
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert got[name].dtype == value.dtype
        torch.testing.assert_close(got[name], value)


def test_fasttext_kept_tokens_from_in_memory_rows(tokenizer, corpus):
    arrow, memory = _both(tokenizer, corpus, soft=False)
    classes = sorted(set(corpus[1]))
    kept = {
        name: make_model_factory(
            "fasttext", classes, tokenizer, rows["input_ids"]
        )().config.kept_token_ids
        for name, rows in (("arrow", arrow), ("memory", memory))
    }
    assert kept["memory"] == kept["arrow"]
    assert all(type(i) is int for i in kept["memory"])  # saved in the model's config.json


def test_trainer_trains_the_same_model_on_either_rows(tmp_path, tokenizer, corpus):
    """SoftLabelTrainer drops the columns the model does not take (token_type_ids) either way."""
    arrow, memory = _both(tokenizer, corpus)
    classes = len(set(corpus[1]))
    weights = {}
    for name, rows in (("arrow", arrow), ("memory", memory)):
        set_seed(0)
        model = FastTextForSequenceClassification(
            FastTextConfig(vocab_size=len(tokenizer), num_labels=classes, embedding_dim=8)
        )
        trainer = SoftLabelTrainer(
            model=model,
            args=sgd_step_args(tmp_path / name, 4, num_train_epochs=2),
            train_dataset=rows,
            data_collator=SoftLabelCollator(tokenizer),
            loss_mode="soft",
        )
        start = model.classifier.weight.detach().clone()
        trainer.train()
        weights[name] = model.classifier.weight.detach().clone()
        assert not torch.equal(weights[name], start)  # it trained
    torch.testing.assert_close(weights["memory"], weights["arrow"])
