"""Every ``textls compare`` option checked before any data is read or any model trained."""

from __future__ import annotations

import json
import logging
import math
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from transformers import TrainingArguments

from textls.calibration import TEST_DISTRIBUTIONS
from textls.classification.modeling import check_model
from textls.classification.regularizers import REGULARIZERS
from textls.experiments.classification.arguments import CompareArguments
from textls.experiments.classification.runs import run_training_arguments
from textls.io import check_text_and_label_columns
from textls.smoothers import get_smoother
from textls.training_args import check_finite

logger = logging.getLogger(__name__)


class Checked(NamedTuple):
    """The JSON options of a compare, parsed and checked."""

    #: ``--smoother_params``: ``{method: {param: value}}``.
    params: dict
    #: ``--soft_label_files``: ``{method: path}``.
    files: dict
    #: ``--regularizer_weights``: ``{regularizer: weight}``.
    weights: dict


def check_arguments(args: CompareArguments) -> Checked:
    """Every option checked before any data is read or model trained (the methods were parsed
    and checked when ``args`` was built: :attr:`CompareArguments.specs`); a bad one is a
    ``ValueError`` naming it.  Returns the JSON options, parsed."""
    for spec in args.specs:
        if spec.teacher is not None and args.epsilon == "auto":
            raise ValueError(f"{spec.name!r}: --epsilon auto does not choose for a trained teacher")
    bases = {spec.smoother or "none" for spec in args.specs}
    fitted = {spec.soft for spec in args.specs if spec.teacher is None}
    checks = {
        "--seeds": (args.seeds, args.seeds >= 1, "an integer >= 1"),
        # numpy's seeds stop below 2**32, the last run's too
        "--seed": (
            args.seed,
            0 <= args.seed and args.seed + args.seeds <= 2**32,
            "an integer >= 0 with --seed + --seeds <= 2**32",
        ),
        # numpy and scikit-learn seeds: 0 to 2**32 - 1
        "--data_seed": (args.data_seed, 0 <= args.data_seed < 2**32, "an integer in [0, 2**32)"),
        "--max_epochs": (
            args.max_epochs,
            math.isfinite(args.max_epochs) and args.max_epochs > 0,
            "a finite number > 0",
        ),
        "--early_stopping_patience": (
            args.early_stopping_patience,
            isinstance(args.early_stopping_patience, int) and args.early_stopping_patience >= 1,
            "an integer >= 1",
        ),
        "--lam": (args.lam, 0.0 <= args.lam <= 1.0, "a number in [0, 1]"),
        "--label_noise": (args.label_noise, 0.0 <= args.label_noise < 1.0, "in [0, 1)"),
        "--validation_fraction": (
            args.validation_fraction,
            0.0 < args.validation_fraction < 1.0,
            "in (0, 1)",
        ),
        "--max_length": (args.max_length, args.max_length >= 1, "an integer >= 1"),
        "--gradient_accumulation_steps": (
            args.gradient_accumulation_steps,
            args.gradient_accumulation_steps >= 1,
            "an integer >= 1",
        ),
    }
    for option in (
        "per_device_train_batch_size",
        "per_device_eval_batch_size",
        "max_train_samples",
        "max_test_samples",
    ):
        value = getattr(args, option)
        if value is not None:
            checks[f"--{option}"] = (value, value >= 1, "an integer >= 1")
    for option in ("num_train_epochs", "learning_rate", "imbalance_ratio"):
        value = getattr(args, option)
        if value is not None:
            bound = 1.0 if option == "imbalance_ratio" else 0.0
            checks[f"--{option}"] = (
                value,
                math.isfinite(value) and value > bound,
                f"a finite number > {bound:g}",
            )
    for option, (value, ok, expected) in checks.items():
        if not ok:
            raise ValueError(f"{option} must be {expected}, got {value!r}")
    check_text_and_label_columns(args.text_column, args.label_column)
    if args.test_distribution not in TEST_DISTRIBUTIONS:
        raise ValueError(
            f"--test_distribution must be one of {', '.join(TEST_DISTRIBUTIONS)}, got "
            f"{args.test_distribution!r}"
        )
    if args.loss_mode not in ("soft", "auxiliary"):
        raise ValueError(f"--loss_mode must be soft or auxiliary, got {args.loss_mode!r}")
    check_model(args.model)
    params = json_option("--smoother_params", args.smoother_params)
    files = json_option("--soft_label_files", args.soft_label_files)
    stray = sorted(set(files) - fitted - {"none"}) or (["none"] if "none" in files else [])
    if stray:  # soft labels given for a method that is not run would be ignored: say so
        raise ValueError(
            f"--soft_label_files has an entry for {stray}, which this run does not smooth "
            f"(--methods {args.methods})"
        )
    unused = sorted(set(params) - bases)
    if unused:
        logger.warning("--smoother_params for %s: not in --methods, not used", unused)
    for method, value in params.items():
        if not isinstance(value, dict) or "epsilon" in value:
            raise ValueError(
                f"--smoother_params[{method!r}] must be an object of parameters other than "
                f"epsilon (set it with --epsilon), got {value!r}"
            )
        get_smoother(method, **value)  # names an unknown parameter
    if files and args.epsilon == "auto":
        raise ValueError(
            "--soft_label_files hold soft labels at one epsilon and --epsilon auto chooses it: "
            "drop one of the two"
        )
    if files and args.label_noise:
        raise ValueError(
            "--soft_label_files hold soft labels of the clean --train labels; with "
            "--label_noise they would contradict the flipped labels: drop one of the two"
        )
    for method, path in files.items():
        if not isinstance(path, str) or not Path(path).exists():
            raise ValueError(f"--soft_label_files[{method!r}]: no such file or folder {path!r}")
    used = {spec.regularizer for spec in args.specs}
    weights = json_option("--regularizer_weights", args.regularizer_weights)
    for name, weight in weights.items():
        if name not in REGULARIZERS:
            raise ValueError(f"--regularizer_weights: {name!r} is not one of {tuple(REGULARIZERS)}")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValueError(f"--regularizer_weights[{name!r}] must be a number, got {weight!r}")
        try:
            REGULARIZERS[name].check_weight(float(weight))
        except ValueError as exc:
            raise ValueError(f"--regularizer_weights[{name!r}]: {exc}") from None
        if name not in used:
            logger.warning("--regularizer_weights for %r: not in --methods, not used", name)
    return Checked(params, files, weights)


def json_option(option: str, text: str | None) -> dict:
    """The JSON object ``text`` of ``option`` (``{}`` when not given); anything else is a
    ``ValueError`` naming the option."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{option} is not valid JSON ({exc}): {text!r}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{option} must be a JSON object {{method: ...}}, got {text!r}")
    return value


def one_accumulation(args: CompareArguments, training_args: TrainingArguments):
    """``args`` with the Trainer options' ``gradient_accumulation_steps`` when only they set it
    (``run_compare(args, training_args=...)`` from Python); both set and different is a
    ``ValueError``: the value is never silently replaced."""
    given = training_args.gradient_accumulation_steps
    if given in (1, args.gradient_accumulation_steps):
        return args
    if args.gradient_accumulation_steps != 1:
        raise ValueError(
            f"--gradient_accumulation_steps is {args.gradient_accumulation_steps} but the Trainer "
            f"options say {given}: give it once"
        )
    return replace(args, gradient_accumulation_steps=given)


def check_trainer_options(args: CompareArguments, training_args: TrainingArguments) -> None:
    """Refuse, before any work, Trainer options compare cannot honour (checkpoints of runs that
    train in temporary folders; the Trainer's own best-checkpoint reloading, which compare does in
    memory; a stopping metric other than the validation loss) and combinations
    ``TrainingArguments`` rejects (e.g. ``--fp16`` with ``--bf16``), naming them."""
    if str(getattr(training_args.save_strategy, "value", training_args.save_strategy)) != "no":
        raise ValueError(
            "--save_strategy: compare trains each run in a temporary folder and keeps its test "
            "predictions, not checkpoints; train one model with `textls smooth` soft labels and "
            "SoftLabelTrainer to keep checkpoints"
        )
    check_finite(training_args)
    if training_args.load_best_model_at_end:
        raise ValueError(
            "--load_best_model_at_end: compare keeps each run's best weights itself, in memory "
            "(without --num_train_epochs, the weights of the lowest validation loss)"
        )
    if training_args.metric_for_best_model not in (None, "loss", "eval_loss"):
        raise ValueError(
            f"--metric_for_best_model {training_args.metric_for_best_model}: compare stops "
            "runs on the validation loss (the NLL of the validation split)"
        )
    try:  # one run's arguments, as train_model builds them
        with tempfile.TemporaryDirectory() as tmp:
            run_training_arguments(args, training_args, tmp, args.seed)
    except ValueError as exc:
        raise ValueError(f"Trainer options: {exc}") from None
