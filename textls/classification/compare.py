"""``textls compare``: every smoothing method on identical data and seeds, side by side."""

from __future__ import annotations

import functools
import json
import logging
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from scipy.special import softmax
from transformers import TrainingArguments, set_seed
from transformers.trainer_utils import IntervalStrategy

from textls.calibration import (
    TEST_DISTRIBUTIONS,
    TemperatureScaler,
    distribution_prior,
    prior_shift,
    target_prior,
)
from textls.classification.arguments import (
    EPSILON_GRID,
    PLATEAU_WARMUP,
    CompareArguments,
)
from textls.classification.collator import SoftLabelCollator
from textls.classification.data import build_dataset, classes_of, encode_split, load_labelled
from textls.classification.early_stopping import PlateauStopping
from textls.classification.modeling import (
    check_model,
    default_batch_size,
    default_learning_rate,
    load_tokenizer,
    make_model_factory,
)
from textls.classification.outputs import LOCK as COMPARE_LOCK
from textls.classification.outputs import check_output_dir as prepare_output_dir
from textls.classification.outputs import start_run
from textls.classification.progress import Progress, quiet_evaluation
from textls.classification.regularizers import REGULARIZERS
from textls.classification.representation import (
    Projection,
    choose_projection,
    head_inputs,
    plot_template_projections,
    project_onto_templates,
    templates,
)
from textls.classification.splits import (
    flip_labels,
    long_tail,
    stratified_subsample,
    validation_split,
)
from textls.classification.summary import (
    run_warnings,
    training_section,
    verdict_section,
    warnings_section,
)
from textls.classification.trainer import SoftLabelTrainer
from textls.diagnostics import diagnose
from textls.io import atomic_write, check_text_and_label_columns
from textls.locking import folder_lock
from textls.metrics import classification_report, compute_metrics, plot_reliability_diagram
from textls.report import (
    aggregate,
    ensemble_section,
    epsilon_section,
    format_table,
    per_class_sections,
    write_comparison,
)
from textls.smoothers import SMOOTHERS, get_smoother
from textls.soft_labels import read_soft_label_file
from textls.training_args import (
    CompareTrainingArguments,
    changed_options,
    check_finite,
    own_options,
    run_arguments,
)

logger = logging.getLogger(__name__)

# compare trains several short runs on each split: their rows are held in memory
_tokenised = functools.partial(build_dataset, in_memory=True)


class Split(NamedTuple):
    """The texts and labels of one split, in the same order."""

    texts: list[str]
    labels: list


@dataclass
class ComparisonData:
    """One compare's data after every subsample and split (:func:`prepare_data`).

    ``train_rows`` are the training rows' indices in ``--train`` (a soft-label file of
    ``--train`` is restricted to them); ``sources`` the files each split came from, for errors.
    """

    classes: list
    train: Split
    train_rows: np.ndarray
    validation: Split
    test: Split
    sources: tuple[str, str, str]

    def encoded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Train, validation and test labels as indices into ``classes`` (a label the training
        data lacks is a ``ValueError`` naming its file)."""
        splits = (self.train, self.validation, self.test)
        return tuple(
            encode_split(split.labels, self.classes, source)
            for split, source in zip(splits, self.sources, strict=True)
        )


def prepare_data(args: CompareArguments) -> ComparisonData:
    """Train / validation / test texts and labels.  ``train_rows`` are the training rows' indices in
    ``--train``, kept through every subsample and split so a soft-label file of ``--train`` lines up.

    Long-tailed data works (see :mod:`textls.classification.splits`): every class of ``--train``
    keeps at least one training row through ``--imbalance_ratio``, ``--max_train_samples``, the
    validation split and ``--label_noise``; a class too rare for the validation split stays in
    training; ``--max_test_samples`` keeps a test row of every class the test data has. A warning
    names the classes concerned.
    """
    texts, labels = load_labelled(args.train, args.text_column, args.label_column)
    test_texts, test_labels = load_labelled(args.test, args.text_column, args.label_column)
    classes = classes_of(labels, args.train)
    # A test label --train never has fails here, naming it, not after subsampling and training.
    encode_split(test_labels, classes, args.test)
    rows = np.arange(len(texts))
    if args.imbalance_ratio:
        rows = rows[long_tail(labels, args.imbalance_ratio, args.data_seed)]
        counts = np.unique([str(labels[i]) for i in rows], return_counts=True)[1]
        if counts.max() / counts.min() < args.imbalance_ratio / 1.1:  # beyond rounding
            logger.warning(
                "--imbalance_ratio %g: %s can supply at most %.3g:1 (its smallest class keeps "
                "one row); training on that (recorded in results.json as data.imbalance)",
                args.imbalance_ratio,
                args.train,
                counts.max() / counts.min(),
            )
    rows = rows[
        stratified_subsample(
            [labels[i] for i in rows],
            args.max_train_samples,
            args.data_seed,
            name="--max_train_samples",
        )
    ]
    keep = stratified_subsample(
        test_labels, args.max_test_samples, args.data_seed, name="--max_test_samples"
    )
    test_texts, test_labels = [test_texts[i] for i in keep], [test_labels[i] for i in keep]
    if args.validation:
        val_texts, val_labels = load_labelled(args.validation, args.text_column, args.label_column)
        train_rows = rows
    else:
        train_part, val_part = validation_split(
            [labels[i] for i in rows], args.validation_fraction, args.data_seed
        )
        train_rows, val_rows = rows[train_part], rows[val_part]
        val_texts, val_labels = [texts[i] for i in val_rows], [labels[i] for i in val_rows]
    train_labels = [labels[i] for i in train_rows]
    if args.label_noise:
        train_labels = flip_labels(train_labels, classes, args.label_noise, args.data_seed)
    return ComparisonData(
        classes=classes,
        train=Split([texts[i] for i in train_rows], train_labels),
        train_rows=train_rows,
        validation=Split(val_texts, val_labels),
        test=Split(test_texts, test_labels),
        sources=(args.train, args.validation or args.train, args.test),
    )


def check_arguments(args: CompareArguments) -> tuple[list[str], dict, dict]:
    """``(methods, smoother params, soft-label files)``, every option checked before any data is
    read or model trained; a bad one is a ``ValueError`` naming it."""
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if not methods:
        raise ValueError("--methods is empty; give e.g. none,ls-classic,kwls")
    for i, method in enumerate(methods):
        teacher = parse_teacher(split_method(method)[0])[1]  # names an unknown method
        if teacher is not None and (teacher not in methods[:i] or "@" in teacher):
            raise ValueError(
                f"{method!r}: its teacher {teacher!r} must be a method trained earlier in "
                f"--methods without a teacher of its own (e.g. none,ls-classic,{method})"
            )
        if teacher is not None and args.epsilon == "auto":
            raise ValueError(f"{method!r}: --epsilon auto does not choose for a trained teacher")
    bases = {parse_teacher(split_method(m)[0])[0] for m in methods}
    fitted = {b for b in map(lambda m: split_method(m)[0], methods) if "@" not in b}
    repeated = sorted({m for m in methods if methods.count(m) > 1})
    if repeated:
        raise ValueError(f"--methods names {repeated} more than once")
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
    params = _json_option("--smoother_params", args.smoother_params)
    files = _json_option("--soft_label_files", args.soft_label_files)
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
    used = {split_method(m)[1] for m in methods}
    for name, weight in _json_option("--regularizer_weights", args.regularizer_weights).items():
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
    return methods, params, files


def parse_teacher(soft: str) -> tuple[str, str | None]:
    """``"ls-distill@none"`` -> ``("ls-distill", "none")``: LS-Distill whose teacher is the
    model this compare trains with method ``none`` (the same seed), as in Müller et al.'s (2019)
    test of whether a teacher trained with label smoothing distils worse; ``"kwls"`` ->
    ``("kwls", None)``."""
    name, _, teacher = soft.partition("@")
    return name, teacher or None


def split_method(method: str) -> tuple[str, str | None]:
    """``(soft-label method, regularizer)`` of a ``--methods`` name: ``"kwls+mixup"`` ->
    ``("kwls", "mixup")``, ``"mixup"`` -> ``("none", "mixup")``, ``"kwls"`` -> ``("kwls", None)``,
    ``"ls-distill@none"`` -> ``("ls-distill@none", None)`` (see :func:`parse_teacher`).

    Every regularizer combines with every soft-label method and with hard labels (``none``):
    mixup mixes whatever target the row has, the confidence penalty is added to the cross-entropy
    to it, and bootstrapping mixes it with the model's own prediction.  One regularizer per name;
    an unknown part is a ``ValueError`` naming it.
    """
    base, _, regularizer = method.partition("+")
    if not regularizer and base in REGULARIZERS:
        base, regularizer = "none", base
    name, teacher = parse_teacher(base)
    if name != "none" and name not in SMOOTHERS:
        raise ValueError(
            f"unknown method {method!r}: {name!r} is not none or one of {', '.join(SMOOTHERS)}"
        )
    if teacher is not None and name != "ls-distill":
        raise ValueError(f"{method!r}: only ls-distill takes a teacher (@method)")
    if regularizer and regularizer not in REGULARIZERS:
        raise ValueError(
            f"unknown method {method!r}: {regularizer!r} is not one of {', '.join(REGULARIZERS)}"
        )
    return base, regularizer or None


def _json_option(option: str, text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{option} is not valid JSON ({exc}): {text!r}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{option} must be a JSON object {{method: ...}}, got {text!r}")
    return value


def soft_labels_for(
    method: str,
    args: CompareArguments,
    texts,
    labels,
    classes,
    params: dict,
    files: dict,
    train_rows,
):
    """Soft labels of the training rows and what they say (:func:`textls.diagnostics.diagnose`): fitted
    here from out-of-sample relevance, or read from a `textls smooth` file / cache of the whole
    ``--train`` table (checked against it, then restricted to ``train_rows``; only the off-gold mass
    is known then)."""
    if method == "none":
        return None, {"off_gold_mass": 0.0}
    if method in files:
        full_texts, full_labels = load_labelled(args.train, args.text_column, args.label_column)
        own = {"epsilon": args.epsilon, **params.get(method, {})}
        soft = read_soft_label_file(files[method], classes, full_labels, full_texts, method, own)
        soft = soft[train_rows]
        y = encode_split(labels, classes, args.train)
        return soft, {"off_gold_mass": float(1.0 - soft[np.arange(len(y)), y].mean())}
    smoother = fitted_smoother(method, args, params)
    soft, relevance, y = smoother.fit_targets(texts, labels)
    if list(map(str, smoother.classes_)) != list(map(str, classes)):
        raise ValueError(f"{method}: a class has no training example after subsampling")
    return soft, diagnose(relevance, y, soft)


def fit_relevance(method: str, args: CompareArguments, data: ComparisonData, params: dict):
    """``(fitted smoother, out-of-sample relevance, y)`` of the training rows, for
    :func:`choose_epsilon`; a class left without training rows is a ``ValueError``."""
    smoother = fitted_smoother(method, args, params)
    _, relevance, y = smoother.fit_targets(*data.train)
    if list(map(str, smoother.classes_)) != list(map(str, data.classes)):
        raise ValueError(f"{method}: a class has no training example after subsampling")
    return smoother, relevance, y


def fitted_smoother(method: str, args: CompareArguments, params: dict):
    """``method``'s generator with ``--smoother_params`` at ``--epsilon`` (the grid's first value
    under ``auto``, until :func:`choose_epsilon` picks one)."""
    epsilon = EPSILON_GRID[0] if args.epsilon == "auto" else args.epsilon
    return get_smoother(method, **{"epsilon": epsilon, **params.get(method, {})})


def distilled_targets(
    args: CompareArguments, data: ComparisonData, params: dict, teacher_probs: np.ndarray
) -> tuple[np.ndarray, dict]:
    """LS-Distill's soft labels (and diagnostics) with a teacher this compare trained: its
    probabilities on the training rows (in-sample, as in knowledge distillation) are the
    relevance, at ``--epsilon`` and with ``--smoother_params["ls-distill"]``'s temperature."""
    own = {k: v for k, v in params.get("ls-distill", {}).items() if k != "teacher"}
    smoother = get_smoother("ls-distill", epsilon=args.epsilon, teacher="precomputed", **own)
    relevance = smoother.fit_relevance(*data.train, teacher_probs=teacher_probs)
    y = encode_split(data.train.labels, data.classes, args.train)
    soft = smoother.mix(relevance, y)
    return soft, diagnose(relevance, y, soft)


def choose_epsilon(
    setup: RunSetup,
    method: str,
    args: CompareArguments,
    data: ComparisonData,
    params: dict,
    fitted: tuple | None = None,
) -> tuple[np.ndarray, dict, dict]:
    """``--epsilon auto`` for one soft-label method: its soft labels at each value of
    :data:`EPSILON_GRID` (one fit, ``fitted`` = :func:`fit_relevance`'s when given; only the mix
    changes), one model of the first seed (``--seed``) trained on each without a regularizer, and the value whose model
    has the lowest validation NLL (before temperature scaling); every method built on these soft
    labels (``kwls``, ``kwls+mixup``) trains at it.  The test split is never looked
    at.  No cheaper proxy is used: the relevance (``score``) does not depend on epsilon, and the
    NLL of a model trained at each value is what epsilon trades off.

    Returns the soft labels at the chosen value, their diagnostics, and the selection record
    (grid, validation NLL per value, chosen value, seconds spent: ``len(grid)`` extra trainings).
    """
    start = time.perf_counter()
    smoother, relevance, y = fitted or fit_relevance(method, args, data, params)
    nll = []
    for epsilon in EPSILON_GRID:
        smoother.set_params(epsilon=epsilon)
        train_set = _tokenised(
            setup.tokenizer, data.train.texts, y, smoother.mix(relevance, y), args.max_length
        )
        nll.append(train_and_evaluate(setup, train_set, args.seed, test=False).validation_nll)
        logger.info("--epsilon auto: %s at %g: validation NLL %.4f", method, epsilon, nll[-1])
    chosen = EPSILON_GRID[int(np.argmin(nll))]
    smoother.set_params(epsilon=chosen)
    soft = smoother.mix(relevance, y)
    record = {
        "grid": list(EPSILON_GRID),
        "validation_nll": nll,
        "chosen": chosen,
        "selection_runs": len(EPSILON_GRID),
        "selection_seconds": time.perf_counter() - start,
    }
    return soft, diagnose(relevance, y, soft), record


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


def run_compare(
    args: CompareArguments,
    model_factory=None,
    tokenizer=None,
    training_args: TrainingArguments | None = None,
) -> dict:
    """Train every method for every seed; write results.json, report.md, predictions and figures.

    Three steps: :func:`prepare_data` (subsamples and splits), then for each method its soft
    labels (:func:`soft_labels_for`, all before any training, so a bad one fails early) and one
    :func:`train_and_evaluate` per seed, then :func:`write_outputs`.  ``training_args``: the
    Trainer options every run starts from (default :class:`CompareTrainingArguments`); each run
    is a copy with its own folder, batch size, epochs, learning rate and seed.  Returns the
    results (as in ``results.json``).
    """
    methods, params, files = check_arguments(args)
    training_args = training_args or CompareTrainingArguments()
    args = _one_accumulation(args, training_args)
    check_trainer_options(args, training_args)
    out = Path(args.output_dir)
    prepare_output_dir(out)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        # one compare writes into a folder at a time: a second fails now, naming the first
        with folder_lock(out, COMPARE_LOCK, writer="compare"):
            return _compare(
                args, out, methods, params, files, training_args, model_factory, tokenizer
            )
    except BaseException:
        if created and not any(out.iterdir()):  # a compare that failed before writing anything
            out.rmdir()
        raise


def _compare(args, out, methods, params, files, training_args, model_factory, tokenizer) -> dict:
    """:func:`run_compare` once its options are checked and its folder is locked."""
    data = prepare_data(args)
    y_train, y_val, y_test = data.encoded()
    setup = _run_setup(args, data, y_val, y_test, model_factory, tokenizer, training_args)
    logger.info(
        "compare: %d train / %d validation / %d test, %d classes, model %s, methods %s, seeds %d",
        len(y_train),
        len(y_val),
        len(y_test),
        len(data.classes),
        args.model,
        methods,
        args.seeds,
    )

    soft = soft_labels_of(methods, args, data, params, files, setup)
    # every check passed: the previous run's files go (its results first), this run's are recorded
    record = start_run(out)
    (out / "predictions").mkdir(parents=True, exist_ok=True)

    weights = _json_option("--regularizer_weights", args.regularizer_weights)
    teachers = {parse_teacher(split_method(m)[0])[1] for m in methods} - {None}
    progress = Progress(len(methods) * args.seeds)
    runs, outcomes, timings, datasets = [], {}, {}, {}
    for method in methods:
        base, regularizer = split_method(method)
        teacher = parse_teacher(base)[1]
        if teacher is None and base not in datasets:  # kwls and kwls+mixup share one
            datasets[base] = _tokenised(
                setup.tokenizer, data.train.texts, y_train, soft.targets[base], args.max_length
            )
        train_set = datasets.get(base)
        seconds = []
        for run, seed in enumerate(run_seeds(args)):
            start = time.perf_counter()
            if teacher is not None:  # this seed's teacher model decides where the mass goes
                targets, diagnosis = distilled_targets(
                    args, data, params, outcomes[teacher][run].train_probs
                )
                soft.diagnostics.setdefault(base, diagnosis)  # the first seed's, as for the figure
                train_set = _tokenised(
                    setup.tokenizer, data.train.texts, y_train, targets, args.max_length
                )
            result = train_and_evaluate(
                setup,
                train_set,
                seed,
                regularizer,
                weights.get(regularizer),
                represent=run == 0,
                predict_train=method in teachers,
            )
            seconds.append(time.perf_counter() - start)
            runs.append({"method": method, "seed": seed, "metrics": result.metrics})
            outcomes.setdefault(method, []).append(result)
            path = record.add(out / "predictions" / f"{method}-seed{seed}.npz")  # then written
            _save_predictions(path, result, y_test, data.classes)
            progress.log(method, seed, result.metrics, result.training)
            for warning in result.warnings:
                logger.warning("%s seed %d is not a finished model: %s", method, seed, warning)
        timings[method] = {
            "soft_label_seconds": soft.seconds[base],
            "train_eval_seconds": seconds,
        }
    # listed before they are written (a figure that is not drawn stays a name with no file)
    for name in ("figures/reliability.png", "figures/representations.png", "report.md"):
        record.add(out / name)
    record.add(out / "results.json")  # written last, by write_outputs
    results = write_outputs(
        out, args, setup, data, y_train, runs, outcomes, soft.diagnostics, timings, soft.selection
    )
    record.finish()
    return results


@dataclass
class SoftLabels:
    """Every soft-label method's training targets, diagnostics, seconds and (``--epsilon auto``)
    selection record, keyed by its name in ``--methods`` before any ``+``."""

    targets: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    selection: dict = field(default_factory=dict)


def soft_labels_of(methods, args, data, params, files, setup) -> SoftLabels:
    """The soft labels of every method, all before the compared runs, so a bad one fails before
    any model trains: fitted here (:func:`soft_labels_for`) or read from a file; under
    ``--epsilon auto`` each smoother is fitted once first and its epsilon then chosen
    (:func:`choose_epsilon`); a method taught by a compared model (``ls-distill@M``) gets its
    targets when that model is trained."""
    soft, fitted = SoftLabels(), {}
    for base in dict.fromkeys(split_method(m)[0] for m in methods):
        start = time.perf_counter()
        if parse_teacher(base)[1] is not None:
            soft.seconds[base] = 0.0
            continue
        if args.epsilon == "auto" and base != "none":
            fitted[base] = fit_relevance(base, args, data, params)
        else:
            soft.targets[base], soft.diagnostics[base] = soft_labels_for(
                base, args, *data.train, data.classes, params, files, data.train_rows
            )
        soft.seconds[base] = time.perf_counter() - start
    for base, fit in fitted.items():  # every check passed: the selection runs may start
        soft.targets[base], soft.diagnostics[base], soft.selection[base] = choose_epsilon(
            setup, base, args, data, params, fit
        )
        soft.seconds[base] += soft.selection[base]["selection_seconds"]
    return soft


def _one_accumulation(args: CompareArguments, training_args: TrainingArguments):
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


def _run_setup(args, data, y_val, y_test, model_factory, tokenizer, training_args) -> RunSetup:
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
    y_train = data.encoded()[0]
    train_prior = np.bincount(y_train, minlength=len(data.classes)) / len(y_train)
    projection = choose_projection(y_train, y_test)
    projection_sets = None
    if projection is not None:  # the rows Muller's figure draws, without soft labels
        projection_sets = tuple(
            _tokenised(
                tokenizer, [texts[i] for i in rows], labels[rows], max_length=args.max_length
            )
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
        val_set=_tokenised(tokenizer, data.validation.texts, y_val, max_length=args.max_length),
        test_set=_tokenised(tokenizer, data.test.texts, y_test, max_length=args.max_length),
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
    return np.asarray(trainer.predict(dataset).predictions, dtype=np.float64)


def _save_predictions(path: Path, result: RunResult, y_test, classes) -> None:
    """``path`` (``predictions/METHOD-seedS.npz``): the test probabilities the metrics score
    (under ``--test_distribution``'s prior), the model's raw logits, the gold labels and the
    classes."""

    def write(f) -> None:
        np.savez_compressed(
            f,
            probs=result.probs.astype(np.float32),
            logits=result.logits.astype(np.float32),
            labels=y_test,
            classes=np.asarray([str(c) for c in classes]),
        )

    atomic_write(path, write)


def write_outputs(
    out: Path,
    args: CompareArguments,
    setup: RunSetup,
    data: ComparisonData,
    y_train: np.ndarray,
    runs: list[dict],
    outcomes: dict[str, list[RunResult]],
    diagnostics: dict,
    timings: dict,
    selection: dict | None = None,
) -> dict:
    """``results.json``, ``report.md`` (each written once, atomically) and the reliability figure
    of a finished compare; returns the results.  ``selection``: :func:`choose_epsilon`'s record
    per method under ``--epsilon auto``."""
    methods = list(outcomes)
    classes = [str(c) for c in data.classes]
    results = aggregate(runs, baseline="none" if "none" in methods else methods[0])
    results["config"] = own_options(args)
    results["trainer_options"] = changed_options(setup.training_args)
    results["classes"] = classes
    counts = np.bincount(y_train, minlength=len(classes))
    results["data"] = {
        "train": len(y_train),
        "validation": len(setup.y_val),
        "test": len(setup.y_test),
        "train_class_counts": dict(zip(classes, map(int, counts), strict=True)),
        "imbalance": float(counts.max() / counts.min()),
    }
    # The mass each method moves off the gold class (eps (C-1)/C for every smoother, by design)
    # and, for those fitted here, how well the training rows' out-of-sample relevance finds gold.
    results["off_gold_mass"] = {m: d["off_gold_mass"] for m, d in diagnostics.items()}
    results["soft_label_diagnostics"] = diagnostics
    results["timings"] = timings
    results["training"] = {m: [r.training for r in rs] for m, rs in outcomes.items()}
    results["warnings"] = [
        {"method": m, "seed": seed, "warning": w}
        for m, rs in outcomes.items()
        for seed, r in zip(run_seeds(args), rs, strict=True)
        for w in r.warnings
    ]
    if "ls-classic" in methods:
        results["paired_vs_ls_classic"] = {
            m: p for m, p in aggregate(runs, baseline="ls-classic")["paired"].items() if m != "none"
        }
    uncorrected = aggregate(
        [
            {"method": m, "seed": seed, "metrics": r.uncorrected}
            for m, rs in outcomes.items()
            for seed, r in zip(run_seeds(args), rs, strict=True)
        ],
        baseline=results["baseline"],
    )
    results["prior_correction"] = {
        "test_distribution": args.test_distribution,
        "train_prior": dict(zip(classes, setup.train_prior.tolist(), strict=True)),
        "test_prior": dict(zip(classes, setup.test_prior.tolist(), strict=True)),
        "uncorrected": {m: r["mean"] for m, r in uncorrected["methods"].items()},
        "uncorrected_paired": uncorrected["paired"],
    }
    results["temperature_scaling"] = {
        m: {"temperatures": [r.temperature for r in rs]} for m, rs in outcomes.items()
    }
    results["environment"] = {
        "torch": torch.__version__,
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "threads": torch.get_num_threads(),
    }
    figure = plot_reliability_diagram(
        {m: np.concatenate([r.probs for r in rs]) for m, rs in outcomes.items()},
        np.tile(setup.y_test, args.seeds),
        out / "figures" / "reliability.png",
        title="Reliability on the test set (all seeds pooled)",
    )
    results["per_class"] = {
        m: _mean_over_seeds([classification_report(r.probs, setup.y_test, classes) for r in rs])
        for m, rs in outcomes.items()
    }
    results["ensembles"] = seed_ensembles(outcomes, setup.y_test, timings)
    figures = {"reliability": str(figure)}
    drawn = _representation_figure(out, setup, data, y_train, outcomes)
    if drawn is not None:
        results["representation_classes"] = [classes[c] for c in setup.projection.classes]
        figures["penultimate layer on three class templates (Müller et al. 2019)"] = str(drawn)
    if selection:
        results["epsilon_selection"] = selection
    write_comparison(
        out,
        results,
        title=f"textls compare: {Path(args.train).name}",
        config=_config_rows(args, setup, len(y_train)),
        figures=figures,
        sections=verdict_section(results)
        + warnings_section(results["warnings"])
        + training_section(results["training"])
        + epsilon_section(selection or {})
        + ensemble_section(results["ensembles"])
        + per_class_sections(results["per_class"]),
    )
    return results


def _representation_figure(out, setup, data, y_train, outcomes) -> Path | None:
    """Müller et al.'s projection of each method's first-seed model, or ``None`` (fewer than three
    classes, or a head without templates)."""
    if setup.projection is None:
        return None
    projection = setup.projection
    position = {c: k for k, c in enumerate(projection.classes)}
    truth = {"train": y_train[projection.train_rows], "test": setup.y_test[projection.test_rows]}
    panels = {}
    for method, results in outcomes.items():
        drawn = results[0].representation
        if drawn is None:
            continue
        panels[method] = {
            split: (
                project_onto_templates(drawn[split], drawn["templates"]),
                np.array([position[c] for c in truth[split]]),
            )
            for split in ("train", "test")
        }
    if not panels:
        return None
    names = [str(data.classes[c]) for c in projection.classes]
    return plot_template_projections(panels, names, out / "figures" / "representations.png")


def seed_ensembles(outcomes: dict[str, list[RunResult]], y_test: np.ndarray, timings: dict) -> dict:
    """Each method's seeds as one ensemble: the mean of their test probabilities, scored like one
    model (accuracy, macro-F1, NLL, Brier, ECE), next to the mean of its single models, and what
    it cost (every seed's training and prediction: ``models`` times one model's).  Methods with
    one seed have none."""
    ensembles = {}
    for method, results in outcomes.items():
        if len(results) < 2:
            continue
        metrics = compute_metrics(np.mean([r.probs for r in results], axis=0), y_test)
        ensembles[method] = {
            "models": len(results),
            "metrics": {k: float(v) for k, v in metrics.items()},
            "single_model_mean": {
                k: float(np.mean([r.metrics[k] for r in results])) for k in metrics
            },
            "train_eval_seconds": float(sum(timings[method]["train_eval_seconds"])),
        }
    return ensembles


def format_results(results: dict) -> str:
    """The terminal table of a compare's results (what ``textls compare`` prints)."""
    return format_table(
        results, metrics=["accuracy", "macro_f1", "nll", "brier", "ece", "nll_ts", "ece_ts"]
    )


def _mean_over_seeds(per_seed: list[dict]) -> dict:
    """``{class: {precision, recall, f1, support}}`` averaged over seeds."""
    return {
        cls: {k: float(np.mean([r[cls][k] for r in per_seed])) for k in per_seed[0][cls]}
        for cls in per_seed[0]
    }


def _config_rows(args: CompareArguments, setup: RunSetup, n_train: int) -> dict:
    rows = {k: v for k, v in own_options(args).items() if v not in (None, "")}
    rows["train examples used"] = n_train
    rows["batch size used"] = setup.batch_size
    rows["learning rate used"] = setup.learning_rate
    rows.update({f"trainer: {k}": v for k, v in changed_options(setup.training_args).items()})
    return rows
