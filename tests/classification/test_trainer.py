from __future__ import annotations

import numpy as np
import pytest
import torch
from one_step import sgd_step_args
from tiny_models import make_model
from transformers import set_seed

from textls import ClassicSmoother, get_smoother
from textls.classification import SoftLabelCollator, SoftLabelTrainer
from textls.classification.data import build_dataset


def _args(tmp_path, **overrides):
    return sgd_step_args(
        tmp_path / "out", overrides.pop("per_device_train_batch_size", 8), **overrides
    )


def _dataset(tokenizer, corpus, method="ls-classic", n=None, epsilon=0.2):
    texts, labels = corpus
    texts, labels = texts[:n], labels[:n]
    smoother = get_smoother(method, epsilon=epsilon) if method else None
    soft = smoother.fit_transform(texts, labels) if smoother else None
    classes = sorted(set(labels))
    y = np.array([classes.index(label) for label in labels])
    return build_dataset(tokenizer, texts, y, soft, max_length=16), y, soft


def _batch(tokenizer, dataset):
    return SoftLabelCollator(tokenizer)([dataset[i] for i in range(len(dataset))])


def _trainer(tmp_path, tokenizer, dataset, model=None, **kwargs):
    args = kwargs.pop("args", None) or _args(tmp_path)
    return SoftLabelTrainer(
        model=model or make_model(),
        args=args,
        train_dataset=dataset,
        data_collator=SoftLabelCollator(tokenizer),
        **kwargs,
    )


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 0.3])
def test_soft_mode_with_ls_classic_equals_torch_label_smoothing(
    tmp_path, tokenizer, corpus, epsilon
):
    dataset, y, _ = _dataset(tokenizer, corpus, "ls-classic", epsilon=epsilon)
    set_seed(0)
    model = make_model()
    trainer = _trainer(tmp_path, tokenizer, dataset, model=model, loss_mode="soft")
    model.train()
    batch = _batch(tokenizer, dataset)
    loss = trainer.compute_loss(model, dict(batch))
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    expected = torch.nn.CrossEntropyLoss(label_smoothing=epsilon)(logits, batch["labels"])
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)


def test_one_hot_soft_labels_reproduce_plain_cross_entropy(tmp_path, tokenizer, corpus):
    dataset, y, _ = _dataset(tokenizer, corpus, "ls-classic", epsilon=0.0)
    model = make_model()
    model.train()
    for mode in ("soft", "auxiliary"):
        trainer = _trainer(tmp_path, tokenizer, dataset, model=model, loss_mode=mode)
        batch = _batch(tokenizer, dataset)
        loss = trainer.compute_loss(model, dict(batch))
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        torch.testing.assert_close(loss, torch.nn.functional.cross_entropy(logits, batch["labels"]))


def test_auxiliary_mode_is_the_paper_mixture(tmp_path, tokenizer, corpus):
    dataset, y, soft = _dataset(tokenizer, corpus, "kwls", epsilon=0.3)
    model = make_model()
    model.train()
    trainer = _trainer(tmp_path, tokenizer, dataset, model=model, loss_mode="auxiliary", lam=0.25)
    batch = _batch(tokenizer, dataset)
    loss = trainer.compute_loss(model, dict(batch))
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    log_p = torch.log_softmax(logits, -1)
    hard = torch.nn.functional.cross_entropy(logits, batch["labels"])
    soft_ce = -(torch.from_numpy(soft) * log_p).sum(-1).mean()
    torch.testing.assert_close(loss, 0.75 * hard + 0.25 * soft_ce)


def test_eval_loss_is_hard_label_nll_and_soft_labels_survive_column_removal(
    tmp_path, tokenizer, corpus
):
    dataset, y, _ = _dataset(tokenizer, corpus, "ls-classic", epsilon=0.3)
    model = make_model()
    trainer = _trainer(
        tmp_path, tokenizer, dataset, model=model, loss_mode="soft", eval_dataset=dataset
    )
    # remove_unused_columns is on by default: soft_labels must still reach compute_loss.
    batch = next(iter(trainer.get_train_dataloader()))
    assert "soft_labels" in batch and batch["soft_labels"].shape == (8, 3)
    metrics = trainer.evaluate()
    model.eval()
    full = _batch(tokenizer, dataset)
    with torch.no_grad():
        logits = model(input_ids=full["input_ids"], attention_mask=full["attention_mask"]).logits
    nll = torch.nn.functional.cross_entropy(logits, full["labels"]).item()
    assert metrics["eval_loss"] == pytest.approx(nll, rel=1e-5)


def _train_once(tmp_path, tokenizer, dataset, regularizer=None, **arg_overrides):
    set_seed(0)
    model = make_model()
    trainer = _trainer(
        tmp_path,
        tokenizer,
        dataset,
        model=model,
        args=_args(tmp_path, **arg_overrides),
        loss_mode="soft",
        regularizer=regularizer,
    )
    trainer.train()
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.mark.parametrize(
    "regularizer", [None, "confidence-penalty", "bootstrap-soft", "bootstrap-hard"]
)
def test_gradient_accumulation_matches_one_big_batch_with_unequal_micro_batches(
    tmp_path, tokenizer, corpus, regularizer
):
    # 7 examples: one step of 7, or micro-batches of 4 + 3. Mean-of-means would weigh them unequally.
    # (Mixup is left out: it mixes rows within each micro-batch, so the step differs by design.)
    dataset, _, _ = _dataset(tokenizer, corpus, "kwls", n=None, epsilon=0.3)
    dataset = dataset.select(range(7))
    big = _train_once(tmp_path, tokenizer, dataset, regularizer, per_device_train_batch_size=7)
    accumulated = _train_once(
        tmp_path,
        tokenizer,
        dataset,
        regularizer,
        per_device_train_batch_size=4,
        gradient_accumulation_steps=2,
    )
    start = make_model_params()
    assert not torch.allclose(big, start)  # the step did something
    torch.testing.assert_close(accumulated, big, rtol=1e-4, atol=1e-6)


def make_model_params():
    set_seed(0)
    return torch.cat([p.detach().flatten() for p in make_model().parameters()])


def test_on_the_fly_soft_labels_from_a_fitted_generator(tokenizer, corpus):
    texts, labels = corpus
    smoother = ClassicSmoother(epsilon=0.3).fit(texts, labels)
    y = [list(smoother.classes_).index(label) for label in labels]
    collator = SoftLabelCollator(tokenizer, smoother=smoother)
    batch = collator([{"text": t, "labels": label} for t, label in zip(texts, y, strict=True)])
    expected = smoother.transform(texts, labels)
    np.testing.assert_allclose(batch["soft_labels"].numpy(), expected)
    assert batch["input_ids"].shape[0] == len(texts)


def test_bad_loss_mode_and_lam_are_refused(tmp_path, tokenizer, corpus):
    dataset, _, _ = _dataset(tokenizer, corpus)
    with pytest.raises(ValueError, match="loss_mode"):
        _trainer(tmp_path, tokenizer, dataset, loss_mode="hard")
    with pytest.raises(ValueError, match="lam"):
        _trainer(tmp_path, tokenizer, dataset, lam=1.5)


def test_mixup_mixes_the_head_input_and_the_targets(tmp_path, tokenizer, corpus):
    """Against a direct computation: pooled h -> lam h + (1 - lam) h[perm] -> classifier, targets
    mixed the same way, with lam ~ Beta(alpha, alpha) and perm drawn as the trainer draws them."""
    dataset, y, soft = _dataset(tokenizer, corpus, "kwls", epsilon=0.3)
    model = make_model().train()
    trainer = _trainer(
        tmp_path, tokenizer, dataset, model=model, loss_mode="soft", regularizer="mixup", beta=0.4
    )
    batch = _batch(tokenizer, dataset)
    torch.manual_seed(7)
    loss = trainer.compute_loss(model, dict(batch))
    torch.manual_seed(7)
    lam = float(torch.distributions.Beta(0.4, 0.4).sample())
    order = torch.randperm(len(y))
    pooled = model.bert(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).pooler_output
    logits = model.classifier(lam * pooled + (1 - lam) * pooled[order])
    target = torch.from_numpy(soft).float()
    target = lam * target + (1 - lam) * target[order]
    expected = -(target * torch.log_softmax(logits, -1)).sum(-1).mean()
    torch.testing.assert_close(loss, expected)
    assert 0 < lam < 1 and not torch.equal(order, torch.arange(len(y)))
    # the hook is gone after the step: evaluation sees the model as it is
    model.eval()
    plain = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    again = model.classifier(
        model.bert(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).pooler_output
    )
    torch.testing.assert_close(plain, again)


@pytest.mark.parametrize(
    ("regularizer", "beta"),
    [("confidence-penalty", 0.3), ("bootstrap-soft", 0.9), ("bootstrap-hard", 0.7)],
)
@pytest.mark.parametrize("method", [None, "kwls"])
def test_regularizers_are_their_losses_on_the_rows_target(
    tmp_path, tokenizer, corpus, regularizer, beta, method
):
    from textls.losses import bootstrap_loss, confidence_penalty_loss

    dataset, y, soft = _dataset(tokenizer, corpus, method, epsilon=0.3)
    model = make_model().train()
    trainer = _trainer(
        tmp_path,
        tokenizer,
        dataset,
        model=model,
        loss_mode="soft",
        regularizer=regularizer,
        beta=beta,
    )
    batch = _batch(tokenizer, dataset)
    loss = trainer.compute_loss(model, dict(batch))
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    target = (
        torch.nn.functional.one_hot(batch["labels"], 3).float()
        if soft is None
        else torch.from_numpy(soft).float()
    )
    if regularizer == "confidence-penalty":
        expected = confidence_penalty_loss(logits, target, beta)
    else:
        expected = bootstrap_loss(logits, target, beta, hard=regularizer == "bootstrap-hard")
    torch.testing.assert_close(loss, expected)


@pytest.mark.parametrize("bf16", [False, True])
@pytest.mark.parametrize("regularizer", ["mixup", "confidence-penalty", "bootstrap-soft"])
def test_each_regularizer_trains_end_to_end(tmp_path, tokenizer, corpus, regularizer, bf16):
    """Also under bf16 autocast (mixed precision on the CPU): the loss is taken in fp32 and lies
    within bf16's precision of the fp32 run's."""
    dataset, _, _ = _dataset(tokenizer, corpus, "ls-classic")
    losses = []
    for precision in dict.fromkeys([False, bf16]):
        set_seed(0)
        trainer = _trainer(
            tmp_path,
            tokenizer,
            dataset,
            args=_args(tmp_path, max_steps=3, bf16=precision, learning_rate=0.05),
            loss_mode="soft",
            regularizer=regularizer,
        )
        losses.append(trainer.train().training_loss)
    assert np.all(np.isfinite(losses))
    assert losses[-1] == pytest.approx(losses[0], rel=0.05)
    assert bf16 == (losses[-1] != losses[0])  # autocast did run in bf16


def test_bad_regularizers_are_refused(tmp_path, tokenizer, corpus):
    dataset, _, _ = _dataset(tokenizer, corpus)
    with pytest.raises(ValueError, match="regularizer must be one of"):
        _trainer(tmp_path, tokenizer, dataset, regularizer="dropout")
    with pytest.raises(ValueError, match="mixup's alpha"):
        _trainer(tmp_path, tokenizer, dataset, regularizer="mixup", beta=0.0)
    with pytest.raises(ValueError, match="no module attribute named classifier or score"):
        _trainer(tmp_path, tokenizer, dataset, model=torch.nn.Linear(2, 2), regularizer="mixup")
