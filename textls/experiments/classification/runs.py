"""One ``textls compare`` run: the Trainer options of a (method, seed), the model trained to its
plateau, and what it scores on the validation and test splits."""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from scipy.special import softmax
from transformers import TrainingArguments, set_seed
from transformers.trainer_utils import IntervalStrategy

from textls.calibration import TemperatureScaler, distribution_prior, prior_shift, target_prior
from textls.classification.collator import SoftLabelCollator
from textls.classification.early_stopping import PlateauStopping
from textls.classification.modeling import (
    default_batch_size,
    default_learning_rate,
    load_tokenizer,
    make_model_factory,
)
from textls.classification.progress import quiet_evaluation
from textls.classification.representation import (
    Projection,
    choose_projection,
    head_inputs,
    templates,
)
from textls.classification.summary import run_warnings
from textls.classification.trainer import SoftLabelTrainer
from textls.experiments.classification.arguments import PLATEAU_WARMUP, CompareArguments
from textls.experiments.classification.data import ComparisonData, tokenised
from textls.metrics import compute_metrics
from textls.training_args import CompareTrainingArguments, changed_options, run_arguments

logger = logging.getLogger(__name__)


@dataclass
class RunSetup:
    """What every (method, seed) run of one compare shares: the model, the Trainer options and
    the evaluation data (:func:`train_and_evaluate`)."""

    args: CompareArguments
    training_args: TrainingArguments
    model_factory: Callable[[], torch.nn.Module]
    tokenizer: Any
    batch_size: int
    learning_rate: float
    val_set: Any
    test_set: Any
    y_val: np.ndarray
    y_test: np.ndarray
    train_prior: np.ndarray
    test_prior: np.ndarray
    epoch_steps: int = 1
    projection: Projection | None = None
    projection_sets: tuple[Any, Any] | None = None


@dataclass
class RunResult:
    """One trained model's test metrics (with the temperature-scaled ``*_ts``) and test
    probabilities, both under ``--test_distribution``'s prior, the temperature fitted on the
    validation split, its validation NLL (under the training prior), what its training did
    (:meth:`PlateauStopping.record`), its test metrics without the prior shift, its raw test
    logits, and what makes it not a finished model (:func:`run_warnings`)."""

    metrics: dict[str, float]
    probs: np.ndarray
    temperature: float
    validation_nll: float
    representation: dict | None = None
    train_probs: np.ndarray | None = None
    training: dict | None = None
    uncorrected: dict[str, float] | None = None
    logits: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)


def make_setup(
    args: CompareArguments, data: ComparisonData, model_factory, tokenizer, training_args
) -> RunSetup:
    """What every run of this compare shares (:class:`RunSetup`): the tokenizer, the model
    factory (the model family's, sized to ``data``), the batch size and learning rate, the
    tokenised validation and test splits, the priors and the rows of Muller's figure."""
    y_train, y_val, y_test = data.encoded()
    tokenizer = tokenizer or load_tokenizer(args.model)
    if model_factory is None:
        train_ids = tokenizer(data.train.texts, truncation=True, max_length=args.max_length)
        model_factory = make_model_factory(
            args.model, data.classes, tokenizer, train_ids["input_ids"]
        )
    batch, learning_rate = batch_and_learning_rate(args)
    steps = math.ceil(len(data.train.texts) / (batch * args.gradient_accumulation_steps))
    epochs = args.num_train_epochs or args.max_epochs
    if steps * epochs < 10:  # 10% warm-up from a learning rate of 0: one step would not train
        logger.warning(
            "only %d optimiser step(s) per run (%d rows, batch %d, %g epochs): the models barely "
            "train; raise --%s or lower --per_device_train_batch_size",
            math.ceil(steps * epochs),
            len(data.train.texts),
            batch * args.gradient_accumulation_steps,
            epochs,
            "num_train_epochs" if args.num_train_epochs else "max_epochs",
        )
    train_prior = np.bincount(y_train, minlength=len(data.classes)) / len(y_train)
    projection = choose_projection(y_train, y_test)
    projection_sets = None
    if projection is not None:  # the rows Muller's figure draws, without soft labels
        projection_sets = tuple(
            tokenised(tokenizer, [texts[i] for i in rows], labels[rows], max_length=args.max_length)
            for texts, labels, rows in (
                (data.train.texts, y_train, projection.train_rows),
                (data.test.texts, y_test, projection.test_rows),
            )
        )
    return RunSetup(
        args=args,
        training_args=training_args or CompareTrainingArguments(),
        model_factory=model_factory,
        tokenizer=tokenizer,
        batch_size=batch,
        learning_rate=learning_rate,
        val_set=tokenised(tokenizer, data.validation.texts, y_val, max_length=args.max_length),
        test_set=tokenised(tokenizer, data.test.texts, y_test, max_length=args.max_length),
        y_val=y_val,
        y_test=y_test,
        train_prior=train_prior,
        test_prior=distribution_prior(args.test_distribution, train_prior),
        epoch_steps=steps,
        projection=projection,
        projection_sets=projection_sets,
    )


def run_seeds(args: CompareArguments) -> range:
    """The seed of each run of a method: ``--seeds`` of them from ``--seed``."""
    return range(args.seed, args.seed + args.seeds)


def batch_and_learning_rate(args: CompareArguments) -> tuple[int, float]:
    """Every run's training batch size and learning rate: the user's, or where they gave none
    the model family's (:func:`default_batch_size`, :func:`default_learning_rate` of that batch)."""
    batch = args.per_device_train_batch_size or default_batch_size(args.model)
    return batch, args.learning_rate or default_learning_rate(args.model, batch)


def run_training_arguments(
    args: CompareArguments,
    base: TrainingArguments | None,
    output_dir: str,
    seed: int,
    epoch_steps: int = 1,
) -> TrainingArguments:
    """The ``TrainingArguments`` of the compare run of ``seed`` (:func:`training_arguments`):
    ``args``'s Trainer fields, with textls's defaults where the user set none
    (:func:`batch_and_learning_rate`; without ``--num_train_epochs``, ``--max_epochs`` as the cap
    of a run that stops at its plateau, ``epoch_steps`` optimiser steps an epoch)."""
    batch, learning_rate = batch_and_learning_rate(args)
    return training_arguments(
        output_dir,
        batch_size=batch,
        eval_batch_size=args.per_device_eval_batch_size,
        learning_rate=learning_rate,
        epochs=args.num_train_epochs or args.max_epochs,
        seed=seed,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        bf16=args.bf16,
        base=base,
        plateau_epoch_steps=None if args.num_train_epochs else epoch_steps,
    )


def training_arguments(
    output_dir: str,
    *,
    batch_size: int,
    learning_rate: float,
    epochs: float,
    seed: int,
    gradient_accumulation_steps: int = 1,
    bf16: bool = False,
    base: TrainingArguments | None = None,
    plateau_epoch_steps: int | None = None,
    eval_batch_size: int | None = None,
    **options,
) -> TrainingArguments:
    """The ``TrainingArguments`` of one compare run: ``base`` (default
    :class:`~textls.training_args.CompareTrainingArguments`: AdamW with linear decay after a 10%
    warm-up, no checkpoints, no logging) with this run's folder, batch sizes (evaluation: default
    ``batch_size``, at least 64), learning rate,
    epochs (the cap, for a run that stops at its plateau) and seed, the validation loss evaluated
    every epoch (unless ``base`` says when), and any other ``options`` (e.g.
    ``disable_tqdm=True``).  The fused AdamW (transformers' default) is several times faster on
    a CPU for a large embedding table (``scripts/benchmark_fasttext_speed.py``).

    A run that stops at its plateau (``plateau_epoch_steps``: the optimiser steps of one epoch)
    keeps its learning rate constant after a warm-up of :data:`PLATEAU_WARMUP` of an epoch,
    where ``base`` sets no schedule or warm-up of its own: a decay over the ``--max_epochs`` cap
    would barely decay before the plateau, and a warm-up of 10% of the cap would last 10
    epochs."""
    base = base or CompareTrainingArguments()
    evaluation = {"metric_for_best_model": "loss", "greater_is_better": False}
    if base.eval_strategy == IntervalStrategy.NO:
        evaluation["eval_strategy"] = IntervalStrategy.EPOCH
    if plateau_epoch_steps is not None:
        own = changed_options(base)
        if "lr_scheduler_type" not in own:
            evaluation["lr_scheduler_type"] = "constant_with_warmup"
        if "warmup_steps" not in own:
            evaluation["warmup_steps"] = math.ceil(PLATEAU_WARMUP * plateau_epoch_steps)
    return run_arguments(
        base,
        output_dir=output_dir,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=eval_batch_size or max(64, batch_size),
        gradient_accumulation_steps=gradient_accumulation_steps,
        num_train_epochs=epochs,
        learning_rate=learning_rate,
        seed=seed,
        data_seed=seed,
        bf16=bf16 or base.bf16,
        **evaluation,
        **options,
    )


def train_model(
    setup: RunSetup,
    train_set,
    seed: int,
    regularizer: str | None = None,
    weight: float | None = None,
) -> tuple[SoftLabelTrainer, dict]:
    """One model trained on ``train_set`` with ``seed`` (and ``regularizer`` of ``weight``, see
    :class:`SoftLabelTrainer`), its validation loss evaluated every epoch: ``--num_train_epochs``
    of them,
    or (by default) until its plateau (:class:`PlateauStopping`, ``--early_stopping_patience``,
    at most ``--max_epochs``), keeping the weights of the lowest validation loss.  Returns its
    trainer (its model, ready to predict) and what the run did (:meth:`PlateauStopping.record`).
    """
    args = setup.args
    set_seed(seed)
    model = setup.model_factory()
    stopping = PlateauStopping(None if args.num_train_epochs else args.early_stopping_patience)
    with tempfile.TemporaryDirectory() as tmp:  # nothing is saved: save_strategy "no"
        trainer = SoftLabelTrainer(
            model=model,
            args=run_training_arguments(args, setup.training_args, tmp, seed, setup.epoch_steps),
            train_dataset=train_set,
            eval_dataset=setup.val_set,
            data_collator=SoftLabelCollator(setup.tokenizer, max_length=args.max_length),
            callbacks=[stopping],
            loss_mode=args.loss_mode,
            lam=args.lam,
            regularizer=regularizer,
            beta=weight,
        )
        quiet_evaluation(trainer)
        trainer.train()
    return trainer, stopping.record()


def train_and_evaluate(
    setup: RunSetup,
    train_set,
    seed: int,
    regularizer: str | None = None,
    weight: float | None = None,
    test: bool = True,
    represent: bool = False,
    predict_train: bool = False,
) -> RunResult:
    """Train one model (:func:`train_model`); its validation NLL and, with ``test``, its test
    metrics, with temperature scaling fitted on the validation split (never the test split).
    Without ``test`` (epsilon selection) the test split is not touched.  With ``represent``, the
    penultimate activations of :attr:`RunSetup.projection`'s rows and the three class templates
    (:mod:`textls.classification.representation`).  With ``predict_train``, its probabilities on
    the training rows (to teach ``ls-distill@method``)."""
    trainer, training = train_model(setup, train_set, seed, regularizer, weight)
    # the model learnt the prior of its training targets: predict under the validation's
    # (the training data's) and the test data's (textls.calibration.prior_shift)
    learnt = setup.train_prior
    if "soft_labels" in train_set.column_names:
        learnt = target_prior(train_set["soft_labels"])
    val_shift = prior_shift(learnt, setup.train_prior)
    test_shift = prior_shift(learnt, setup.test_prior)
    val_logits = predict_logits(trainer, setup.val_set)
    validation_nll = float(
        compute_metrics(softmax(val_logits + val_shift, axis=1), setup.y_val)["nll"]
    )
    if not test:
        return RunResult({}, None, None, validation_nll, training=training)
    test_logits = predict_logits(trainer, setup.test_set)
    probs = softmax(test_logits + test_shift, axis=1)
    metrics = compute_metrics(probs, setup.y_test)
    scaler = TemperatureScaler().fit(val_logits, setup.y_val, offset=val_shift)
    calibrated = compute_metrics(scaler.transform(test_logits, offset=test_shift), setup.y_test)
    for name in ("nll", "brier", "ece"):
        metrics[f"{name}_ts"] = calibrated[name]
    uncorrected = compute_metrics(softmax(test_logits, axis=1), setup.y_test)
    warnings = run_warnings(training, probs, setup.y_test, int(setup.train_prior.argmax()))
    representation = None
    if represent and setup.projection is not None:
        rows = templates(trainer.model, setup.projection.classes)
        if rows is not None:
            train_rows, test_rows = setup.projection_sets
            representation = {
                "train": head_inputs(trainer, train_rows),
                "test": head_inputs(trainer, test_rows),
                "templates": rows,
            }
    train_probs = None
    if predict_train:
        train_probs = softmax(predict_logits(trainer, train_set), axis=1)
    return RunResult(
        {k: float(v) for k, v in metrics.items()},
        probs,
        scaler.temperature_,
        validation_nll,
        representation,
        train_probs,
        training,
        {k: float(v) for k, v in uncorrected.items()},
        test_logits,
        warnings,
    )


def predict_logits(trainer: SoftLabelTrainer, dataset) -> np.ndarray:
    """``trainer``'s model's logits on ``dataset``, as float64."""
    return np.asarray(trainer.predict(dataset).predictions, dtype=np.float64)
