"""A regularizer is one class and one registration line: ``SoftLabelTrainer`` and ``compare``
then take it by name, with no edit to either."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from one_step import sgd_step_args
from tiny_models import CORPUS, make_model

from textls import get_smoother
from textls.classification import SoftLabelCollator, SoftLabelTrainer
from textls.classification.data import build_dataset
from textls.classification.regularizers import REGULARIZERS, Regularizer, register_regularizer
from textls.experiments.classification.arguments import CompareArguments
from textls.experiments.classification.checks import check_arguments
from textls.experiments.methods import parse_method
from textls.losses import prediction_entropy, soft_target_cross_entropy


class ZeroEntropy(Regularizer):
    """The cross-entropy plus ``0 * beta * H(q)``: the smallest regularizer, changing nothing."""

    name = "zero-entropy"
    default_weight = 0.5
    weight_range = (0.0, 1.0)

    def loss(self, logits, target):
        return super().loss(logits, target) + 0.0 * self.weight * prediction_entropy(logits)


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(REGULARIZERS, ZeroEntropy.name, ZeroEntropy)  # the one line


def _trainer(tmp_path, tokenizer, corpus, **kwargs):
    texts, labels = corpus
    soft = get_smoother("ls-classic", epsilon=0.2).fit_transform(texts, labels)
    y = np.searchsorted(sorted(set(labels)), labels)
    dataset = build_dataset(tokenizer, texts, y, soft, max_length=16)
    trainer = SoftLabelTrainer(
        model=make_model(),
        args=sgd_step_args(tmp_path / "out", 8, max_steps=1),
        train_dataset=dataset,
        data_collator=SoftLabelCollator(tokenizer),
        loss_mode="soft",
        **kwargs,
    )
    batch = SoftLabelCollator(tokenizer)([dataset[i] for i in range(len(dataset))])
    return trainer, batch, torch.from_numpy(soft)


def test_a_registered_regularizer_trains_a_step_of_soft_label_trainer(
    registered, tmp_path, tokenizer, corpus
):
    trainer, batch, soft = _trainer(tmp_path, tokenizer, corpus, regularizer="zero-entropy")
    assert trainer.beta == ZeroEntropy.default_weight
    model = trainer.model.train()
    loss = trainer.compute_loss(model, dict(batch))
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    torch.testing.assert_close(loss, soft_target_cross_entropy(logits, soft))
    assert np.isfinite(trainer.train().training_loss)


def test_a_registered_regularizers_weight_is_checked_against_its_range(
    registered, tmp_path, tokenizer, corpus
):
    with pytest.raises(ValueError, match=r"zero-entropy's beta must be in \[0, 1\], got 2"):
        _trainer(tmp_path, tokenizer, corpus, regularizer="zero-entropy", beta=2)


def test_compare_parses_a_registered_regularizer_and_checks_its_weight(registered, tmp_path):
    spec = parse_method("kwls+zero-entropy")
    assert (spec.soft, spec.smoother, spec.regularizer) == ("kwls", "kwls", "zero-entropy")
    spec = parse_method("zero-entropy")
    assert (spec.soft, spec.smoother, spec.regularizer) == ("none", None, "zero-entropy")
    path = tmp_path / "train.csv"
    pd.DataFrame(CORPUS, columns=["text", "label"]).to_csv(path, index=False)

    def arguments(weights: dict) -> CompareArguments:
        return CompareArguments(
            train=str(path),
            test=str(path),
            output_dir=str(tmp_path / "out"),
            methods="none,kwls+zero-entropy",
            regularizer_weights=json.dumps(weights),
        )

    args = arguments({"zero-entropy": 0.25})
    assert check_arguments(args).weights == {"zero-entropy": 0.25}
    assert "kwls+zero-entropy" in [spec.name for spec in args.specs]
    with pytest.raises(ValueError, match=r"\['zero-entropy'\]: zero-entropy's beta"):
        check_arguments(arguments({"zero-entropy": 1.5}))


def test_an_unregistered_name_is_refused_and_the_registry_is_left_as_it_was():
    assert "zero-entropy" not in REGULARIZERS  # the fixture's registration did not leak
    assert list(REGULARIZERS) == ["mixup", "confidence-penalty", "bootstrap-soft", "bootstrap-hard"]
    with pytest.raises(ValueError, match="'zero-entropy' is not one of mixup"):
        parse_method("kwls+zero-entropy")
    with pytest.raises(ValueError, match="taken or holding a"):
        register_regularizer(type("Mixup2", (ZeroEntropy,), {"name": "mixup"}))
    with pytest.raises(ValueError, match="taken or holding a"):
        register_regularizer(type("Plus", (ZeroEntropy,), {"name": "a+b"}))
