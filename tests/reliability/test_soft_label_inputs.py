"""Soft labels are checked where they enter training: ``SoftLabelCollator`` and ``SoftLabelTrainer``
refuse, naming ``soft_labels``, a batch whose soft labels are not one distribution over the model's
classes per row, instead of training on it (a NaN once made every parameter NaN and logged a loss
of 0; class indices were broadcast when the batch size equalled the number of classes)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from one_step import sgd_step_args
from tiny_bert import SPECIAL_TOKENS, make_word_tokenizer, tiny_bert_config
from transformers import BertForSequenceClassification

from textls import get_smoother
from textls.classification import SoftLabelCollator, SoftLabelTrainer
from textls.classification.data import build_dataset

WORDS = "goal match vote party rain snow".split()
TEXTS = ["goal match", "vote party", "rain snow"]
GOOD = [[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]]

BAD = {
    "NaN": ([[math.nan, 0.5, 0.5], *GOOD[1:]], "NaN or inf in row 0"),
    "sums to 2": ([[1.0, 0.5, 0.5], *GOOD[1:]], "row 0 of the batch sums to 2.000000"),
    "sums to 0.5": ([GOOD[0], [0.2, 0.2, 0.1], GOOD[2]], "row 1 of the batch sums to 0.500000"),
    "negative": ([GOOD[0], GOOD[1], [1.2, -0.1, -0.1]], "negative value in row 2"),
    "class indices": ([0, 1, 2], "one distribution over the classes per row"),
}


@pytest.fixture
def tokenizer(tmp_path):
    return make_word_tokenizer(tmp_path / "vocab", WORDS)


def _rows(tokenizer, soft):
    encoded = tokenizer(TEXTS)
    return [
        {"input_ids": ids, "labels": label, "soft_labels": row}
        for ids, label, row in zip(encoded["input_ids"], [0, 1, 2], soft, strict=True)
    ]


@pytest.mark.parametrize("case", list(BAD))
def test_the_collator_names_bad_soft_labels(tokenizer, case):
    soft, message = BAD[case]
    with pytest.raises(ValueError, match=f"soft_labels.*{message}|{message}"):
        SoftLabelCollator(tokenizer)(_rows(tokenizer, soft))


def test_the_collator_refuses_rows_of_different_widths(tokenizer):
    soft = [GOOD[0], [0.5, 0.5], GOOD[2]]
    with pytest.raises(ValueError, match="soft_labels rows of the same batch differ in width"):
        SoftLabelCollator(tokenizer)(_rows(tokenizer, soft))


def test_good_soft_labels_pass(tokenizer):
    batch = SoftLabelCollator(tokenizer)(_rows(tokenizer, GOOD))
    assert batch["soft_labels"].dtype == torch.float32
    np.testing.assert_allclose(batch["soft_labels"].numpy(), GOOD, rtol=1e-6)


def _passthrough(features):
    """A collator of the user's own that checks nothing."""
    ids = torch.tensor([f["input_ids"] for f in features])
    return {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "labels": torch.tensor([f["labels"] for f in features]),
        "soft_labels": torch.tensor([f["soft_labels"] for f in features], dtype=torch.float32),
    }


@pytest.mark.parametrize(
    ("soft", "message"),
    [
        # the trainer shuffles: the bad row's place in the batch is not known in advance
        (BAD["NaN"][0], r"soft_labels contain NaN or inf \(row \d\)"),
        (BAD["sums to 2"][0], r"soft_labels row \d sums to 2.000000"),
        (BAD["negative"][0], r"soft_labels contain a negative value \(row \d\)"),
        ([[0.5, 0.5]] * 3, r"soft_labels have shape \(3, 2\) but the logits have \(3, 3\)"),
        ([0.0, 1.0, 2.0], "class indices"),  # batch size == number of classes: used to broadcast
    ],
)
def test_the_trainer_refuses_bad_soft_labels_before_any_step(tmp_path, tokenizer, soft, message):
    texts = ["goal match", "vote party", "rain snow"]
    dataset = build_dataset(tokenizer, texts, np.arange(3), max_length=8).add_column(
        "soft_labels", soft
    )
    model = BertForSequenceClassification(
        tiny_bert_config(len(SPECIAL_TOKENS) + len(WORDS), num_labels=3)
    )
    before = [p.detach().clone() for p in model.parameters()]
    trainer = SoftLabelTrainer(
        model=model,
        args=sgd_step_args(tmp_path / "out", 3, remove_unused_columns=False),
        train_dataset=dataset,
        data_collator=_passthrough,
        loss_mode="soft",
    )
    with pytest.raises(ValueError, match=message):
        trainer.train()
    for old, new in zip(before, model.parameters(), strict=True):  # nothing was trained on it
        assert torch.equal(old, new.detach())


@pytest.mark.parametrize("method", ["kwls", "ls-tfidf", "ls-distill"])
def test_the_collator_refuses_in_sample_soft_labels_of_an_informative_smoother(tokenizer, method):
    texts = ["goal match win", "vote party poll", "rain snow wind"] * 4
    labels = ["sport", "politics", "weather"] * 4
    params = {} if method == "ls-distill" else {"min_df": 1}
    smoother = get_smoother(method, **params).fit(texts, labels)
    with pytest.raises(ValueError, match="in-sample soft labels.*fit_transform"):
        SoftLabelCollator(tokenizer, smoother=smoother)
    SoftLabelCollator(tokenizer, smoother=get_smoother("ls-classic").fit(texts, labels))


def _on_the_fly(tokenizer, labels):
    smoother = get_smoother("ls-classic").fit(TEXTS, ["sport", "politics", "weather"])
    collate = SoftLabelCollator(tokenizer, smoother=smoother)
    return collate([{"text": t, "labels": y} for t, y in zip(TEXTS, labels, strict=True)])


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0, 1, -1], r"labels row 2 of the batch is -1, not a class index in \[0, 3\)"),
        ([0, 7, 1], r"labels row 1 of the batch is 7, not a class index in \[0, 3\)"),
        ([0, "sport", 1], r"labels must be class indices .* row 1 of the batch has 'sport'"),
        ([0, 1.5, 1], r"row 1 of the batch has 1.5"),
    ],
)
def test_labels_that_are_no_class_index_are_refused_naming_the_row(tokenizer, labels, message):
    """-1 once picked the last class silently; 7 was numpy's IndexError, 'sport' int()'s."""
    with pytest.raises(ValueError, match=message):
        _on_the_fly(tokenizer, labels)


def test_whole_numbers_of_other_types_are_class_indices(tokenizer):
    batch = _on_the_fly(tokenizer, [np.int64(0), torch.tensor(1), 2.0])
    assert batch["labels"].tolist() == [0, 1, 2]


def test_a_label_beyond_the_soft_labels_width_is_refused(tokenizer):
    rows = _rows(tokenizer, GOOD)
    rows[1]["labels"] = 3
    with pytest.raises(
        ValueError, match=r"labels row 1 .* is 3, .*\[0, 3\) \(the soft_labels' width\)"
    ):
        SoftLabelCollator(tokenizer)(rows)


def test_strings_as_soft_labels_are_named(tokenizer):
    with pytest.raises(ValueError, match=r"soft_labels row 0 of the batch holds \['a', 'b', 'c'\]"):
        SoftLabelCollator(tokenizer)(_rows(tokenizer, [["a", "b", "c"], *GOOD[1:]]))


def test_an_unfitted_smoother_and_an_empty_batch_are_named(tokenizer):
    from sklearn.exceptions import NotFittedError

    collate = SoftLabelCollator(tokenizer, smoother=get_smoother("ls-classic"))
    with pytest.raises(NotFittedError):
        collate([{"text": "goal match", "labels": 0}])
    with pytest.raises(ValueError, match="empty batch"):
        SoftLabelCollator(tokenizer)([])
