"""PlateauStopping: transformers' early-stopping rule, the best weights kept in memory, a record."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_models import CORPUS, make_model
from transformers import Trainer, TrainingArguments

from textls.classification.collator import SoftLabelCollator
from textls.classification.data import build_dataset
from textls.classification.early_stopping import PlateauStopping

CLASSES = ["politics", "sport", "weather"]


def _datasets(tokenizer):
    texts = [t for t, _ in CORPUS]
    y = np.array([CLASSES.index(label) for _, label in CORPUS])
    train = build_dataset(tokenizer, texts * 2, np.concatenate([y, y]), max_length=16)
    # validation labels shifted by one class: the better the model fits its training data, the
    # worse its validation loss, so the best evaluation is an early one and training must stop
    val = build_dataset(tokenizer, texts, (y + 1) % 3, max_length=16)
    return train, val


def _trainer(tmp_path, tokenizer, stopping, epochs=30):
    train, val = _datasets(tokenizer)
    args = TrainingArguments(
        str(tmp_path),
        num_train_epochs=epochs,
        per_device_train_batch_size=8,
        learning_rate=5e-3,
        eval_strategy="epoch",
        metric_for_best_model="loss",
        greater_is_better=False,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        use_cpu=True,
        seed=0,
    )
    torch.manual_seed(0)
    return Trainer(
        model=make_model(),
        args=args,
        train_dataset=train,
        eval_dataset=val,
        data_collator=SoftLabelCollator(tokenizer, max_length=16),
        callbacks=[stopping],
    )


def test_stops_after_patience_evaluations_without_a_new_best_and_restores_the_best(
    tmp_path, tokenizer
):
    stopping = PlateauStopping(patience=2)
    trainer = _trainer(tmp_path, tokenizer, stopping)
    trainer.train()
    record = stopping.record()
    values = [h["value"] for h in record["validation"]]
    best = int(np.argmin(values))
    assert record["stopped"] == "plateau" and not record["still_improving"]
    # exactly `patience` evaluations after the best one, and one evaluation per epoch
    assert len(values) == best + 1 + 2 < 30
    assert record["epochs"] == pytest.approx(len(values)) and record["steps"] == 3 * len(values)
    assert record["kept_epoch"] == record["best_epoch"] == pytest.approx(best + 1)
    # the model ends with the weights of its best evaluation, not its last
    assert trainer.evaluate()["eval_loss"] == pytest.approx(values[best], rel=1e-5)
    assert values[-1] > values[best]


def test_without_patience_it_records_and_keeps_the_last_weights(tmp_path, tokenizer):
    stopping = PlateauStopping(patience=None)
    trainer = _trainer(tmp_path, tokenizer, stopping, epochs=4)
    trainer.train()
    record = stopping.record()
    values = [h["value"] for h in record["validation"]]
    assert record["stopped"] == "fixed" and record["epochs"] == pytest.approx(4.0)
    assert [h["epoch"] for h in record["validation"]] == pytest.approx([1, 2, 3, 4])
    assert record["kept_epoch"] == pytest.approx(4.0)
    assert trainer.evaluate()["eval_loss"] == pytest.approx(values[-1], rel=1e-5)
    assert record["still_improving"] == (int(np.argmin(values)) == 3)


def test_a_cap_reached_while_improving_is_said(tmp_path, tokenizer):
    stopping = PlateauStopping(patience=50)
    _trainer(tmp_path, tokenizer, stopping, epochs=3).train()
    record = stopping.record()
    assert record["stopped"] == "max_epochs" and record["still_improving"]
    assert record["epochs"] == pytest.approx(3.0)


@pytest.mark.parametrize("patience", [0, -1, 1.5, True, "3"])
def test_patience_must_be_a_positive_integer(patience):
    with pytest.raises(ValueError, match="patience must be an integer >= 1"):
        PlateauStopping(patience=patience)


def test_refuses_a_trainer_that_never_evaluates(tmp_path, tokenizer):
    trainer = _trainer(tmp_path, tokenizer, PlateauStopping(patience=2), epochs=1)
    trainer.args.eval_strategy = "no"
    with pytest.raises(ValueError, match="needs an evaluation strategy"):
        trainer.train()
