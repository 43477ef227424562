"""``textls compare``: every smoothing method on identical data and seeds, side by side."""

from __future__ import annotations

import json
import logging
import math
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from transformers import TrainingArguments, set_seed

from textls.calibration import TemperatureScaler
from textls.classification.collator import SoftLabelCollator
from textls.classification.data import (
    build_dataset,
    classes_of,
    encode_split,
    load_labelled,
    read_soft_label_file,
)
from textls.classification.modeling import (
    check_model,
    default_batch_size,
    default_learning_rate,
    load_tokenizer,
    make_model_factory,
)
from textls.report import aggregate, format_table, write_report
from textls.classification.splits import (
    flip_labels,
    long_tail,
    stratified_subsample,
    validation_split,
)
from textls.classification.trainer import SoftLabelTrainer
from textls.metrics import classification_report, compute_metrics, plot_reliability_diagram
from textls.smooth import diagnose
from textls.smoothers import SMOOTHERS, get_smoother

logger = logging.getLogger(__name__)


@dataclass
class CompareArguments:
    train: str = field(metadata={"help": "Training data: .csv, .tsv, .jsonl or .parquet."})
    test: str = field(metadata={"help": "Test data with the same columns."})
    output_dir: str = field(
        metadata={"help": "Folder for results.json, report.md, predictions/ and figures/."}
    )
    text_column: str = field(default="text", metadata={"help": "Column holding the text."})
    label_column: str = field(default="label", metadata={"help": "Column holding the gold label."})
    validation: str | None = field(
        default=None,
        metadata={"help": "Validation data; default: --validation-fraction of the training data."},
    )
    validation_fraction: float = field(
        default=0.1,
        metadata={
            "help": "Stratified share of training data held out for temperature scaling; every "
            "class keeps a training row, so a class with a single row stays out of validation "
            "(a warning names it)."
        },
    )
    methods: str = field(
        default="none,ls-classic,ls-distill,ls-tfidf,kwls",
        metadata={
            "help": "Comma-separated methods: none (hard labels) and any of " + ", ".join(SMOOTHERS)
        },
    )
    seeds: int = field(default=3, metadata={"help": "Number of seeds (0 .. seeds-1) per method."})
    model: str = field(
        default="minilm",
        metadata={
            "help": "minilm (packaged all-MiniLM-L6-v2), fasttext, textcnn, or a local HF model folder."
        },
    )
    epochs: float = field(default=3.0, metadata={"help": "Training epochs."})
    batch_size: int | None = field(
        default=None,
        metadata={
            "help": "Examples per optimiser step per device; default 128 for fasttext, 32 otherwise."
        },
    )
    gradient_accumulation_steps: int = field(
        default=1, metadata={"help": "Micro-batches per optimiser step."}
    )
    learning_rate: float | None = field(
        default=None,
        metadata={
            "help": "AdamW learning rate; default 5e-5 (transformer), 5e-3 (fasttext), 1e-3 (textcnn)."
        },
    )
    max_length: int = field(default=64, metadata={"help": "Tokens per text after truncation."})
    epsilon: float = field(default=0.1, metadata={"help": "Smoothing mass of every method."})
    loss_mode: str = field(
        default="soft",
        metadata={
            "help": "soft: CE to the soft label; auxiliary: (1-lam) CE(hard) + lam CE(soft)."
        },
    )
    lam: float = field(
        default=0.5, metadata={"help": "Soft-target weight for loss_mode=auxiliary."}
    )
    smoother_params: str | None = field(
        default=None,
        metadata={
            "help": 'JSON {method: {param: value}}, e.g. \'{"kwls": {"class_top_k": 100}}\'.'
        },
    )
    soft_label_files: str | None = field(
        default=None,
        metadata={
            "help": "JSON {method: path} of soft labels for --train: a file written by `textls smooth` "
            "or a cache folder from `textls cache build` (checked against the data's fingerprint)."
        },
    )
    max_train_samples: int | None = field(
        default=None,
        metadata={
            "help": "Stratified subsample of the training data; keeps at least one row of every "
            "class (a warning names classes whose share is below one row)."
        },
    )
    max_test_samples: int | None = field(
        default=None,
        metadata={
            "help": "Stratified subsample of the test data; keeps at least one row of every class "
            "the test data has (a warning names classes whose share is below one row)."
        },
    )
    imbalance_ratio: float | None = field(
        default=None,
        metadata={
            "help": "Long-tailed training subsample: class sizes decay geometrically to "
            "largest/ratio, from the largest base every class can supply; each class keeps a row."
        },
    )
    label_noise: float = field(
        default=0.0,
        metadata={
            "help": "Share of training labels flipped to another class at random (validation and "
            "test stay clean); every class keeps at least one row with its own label."
        },
    )
    bf16: bool = field(default=False, metadata={"help": "bf16 mixed precision (GPU)."})
    data_seed: int = field(
        default=0, metadata={"help": "Seed of the data subsampling and validation split."}
    )


def prepare_data(args: CompareArguments):
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
    return {
        "classes": classes,
        "train": ([texts[i] for i in train_rows], train_labels),
        "train_rows": train_rows,
        "validation": (val_texts, val_labels),
        "test": (test_texts, test_labels),
    }


def check_arguments(args: CompareArguments) -> tuple[list[str], dict, dict]:
    """``(methods, smoother params, soft-label files)``, every option checked before any data is
    read or model trained; a bad one is a ``ValueError`` naming it."""
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if not methods:
        raise ValueError("--methods is empty; give e.g. none,ls-classic,kwls")
    unknown = [m for m in methods if m != "none" and m not in SMOOTHERS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from none, {', '.join(SMOOTHERS)}")
    repeated = sorted({m for m in methods if methods.count(m) > 1})
    if repeated:
        raise ValueError(f"--methods names {repeated} more than once")
    checks = {
        "--seeds": (args.seeds, args.seeds >= 1, "an integer >= 1"),
        "--epochs": (args.epochs, args.epochs > 0, "a number > 0"),
        "--epsilon": (args.epsilon, 0.0 <= args.epsilon <= 1.0, "a number in [0, 1]"),
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
    for option in ("batch_size", "max_train_samples", "max_test_samples"):
        value = getattr(args, option)
        if value is not None:
            checks[f"--{option}"] = (value, value >= 1, "an integer >= 1")
    for option in ("learning_rate", "imbalance_ratio"):
        value = getattr(args, option)
        if value is not None:
            bound = 1.0 if option == "imbalance_ratio" else 0.0
            checks[f"--{option}"] = (value, value > bound, f"a number > {bound:g}")
    for option, (value, ok, expected) in checks.items():
        if not ok:
            raise ValueError(f"{option} must be {expected}, got {value!r}")
    if args.loss_mode not in ("soft", "auxiliary"):
        raise ValueError(f"--loss_mode must be soft or auxiliary, got {args.loss_mode!r}")
    check_model(args.model)
    params = _json_option("--smoother_params", args.smoother_params)
    files = _json_option("--soft_label_files", args.soft_label_files)
    stray = sorted(set(files) - set(methods) - {"none"}) or (["none"] if "none" in files else [])
    if stray:  # soft labels given for a method that is not run would be ignored: say so
        raise ValueError(
            f"--soft_label_files has an entry for {stray}, which this run does not smooth "
            f"(--methods {args.methods})"
        )
    unused = sorted(set(params) - set(methods))
    if unused:
        logger.warning("--smoother_params for %s: not in --methods, not used", unused)
    for method, value in params.items():
        if not isinstance(value, dict) or "epsilon" in value:
            raise ValueError(
                f"--smoother_params[{method!r}] must be an object of parameters other than "
                f"epsilon (set it with --epsilon), got {value!r}"
            )
        get_smoother(method, epsilon=args.epsilon, **value)  # names an unknown parameter
    if files and args.label_noise:
        raise ValueError(
            "--soft_label_files hold soft labels of the clean --train labels; with "
            "--label_noise they would contradict the flipped labels: drop one of the two"
        )
    for method, path in files.items():
        if not isinstance(path, str) or not Path(path).exists():
            raise ValueError(f"--soft_label_files[{method!r}]: no such file or folder {path!r}")
    return methods, params, files


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
    """Soft labels of the training rows and what they say (:func:`textls.smooth.diagnose`): fitted
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
    smoother = get_smoother(method, **{"epsilon": args.epsilon, **params.get(method, {})})
    soft, relevance, y = smoother.fit_targets(texts, labels)
    if list(map(str, smoother.classes_)) != list(map(str, classes)):
        raise ValueError(f"{method}: a class has no training example after subsampling")
    return soft, diagnose(relevance, y, soft)


def prepare_output_dir(out: Path) -> None:
    """Refuse a folder of someone else's files (a previous compare's folder is fine: its
    predictions are removed by :func:`remove_stale_predictions` before the first model trains)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"--output_dir {out} is a file")
    own = {"predictions", "figures"}  # what an interrupted compare leaves before results.json
    if not (out / "results.json").is_file() and any(p.name not in own for p in out.iterdir()):
        raise ValueError(
            f"--output_dir {out} holds files that textls compare did not write (no results.json); "
            "choose a new or empty folder"
        )


def remove_stale_predictions(out: Path) -> None:
    """A previous compare's predictions, removed once this run has passed every check."""
    for stale in (out / "predictions").glob("*-seed*.npz"):
        stale.unlink()


def predict_logits(trainer: SoftLabelTrainer, dataset) -> np.ndarray:
    return np.asarray(trainer.predict(dataset).predictions, dtype=np.float64)


def run_compare(args: CompareArguments, model_factory=None, tokenizer=None) -> dict:
    """Train every method for every seed; write results.json, report.md, predictions and figures."""
    methods, params, files = check_arguments(args)
    out = Path(args.output_dir)
    prepare_output_dir(out)

    data = prepare_data(args)
    classes = data["classes"]
    train_texts, train_labels = data["train"]
    y_train = encode_split(train_labels, classes, args.train)
    y_val = encode_split(data["validation"][1], classes, args.validation or args.train)
    y_test = encode_split(data["test"][1], classes, args.test)

    tokenizer = tokenizer or load_tokenizer(args.model)
    if model_factory is None:
        train_ids = tokenizer(train_texts, truncation=True, max_length=args.max_length)["input_ids"]
        model_factory = make_model_factory(args.model, classes, tokenizer, train_ids)
    batch = args.batch_size or default_batch_size(args.model)
    lr = args.learning_rate or default_learning_rate(args.model, batch)
    steps = math.ceil(len(train_texts) / (batch * args.gradient_accumulation_steps)) * args.epochs
    if steps < 10:  # 10% warm-up from a learning rate of 0: one step would not train at all
        logger.warning(
            "only %d optimiser step(s) per run (%d rows, batch %d, %g epochs): the models barely "
            "train; raise --epochs or lower --batch_size",
            math.ceil(steps),
            len(train_texts),
            batch * args.gradient_accumulation_steps,
            args.epochs,
        )
    val_set = build_dataset(tokenizer, data["validation"][0], y_val, max_length=args.max_length)
    test_set = build_dataset(tokenizer, data["test"][0], y_test, max_length=args.max_length)
    print(
        f"compare: {len(train_texts)} train / {len(y_val)} validation / {len(y_test)} test, "
        f"{len(classes)} classes, model {args.model}, methods {methods}, seeds {args.seeds}"
    )

    runs, timings, pooled, temperatures, reports, diagnostics = [], {}, {}, {}, {}, {}
    targets, soft_seconds = {}, {}
    for method in methods:  # every method's soft labels (and their checks) before any training
        start = time.perf_counter()
        targets[method], diagnostics[method] = soft_labels_for(
            method, args, train_texts, train_labels, classes, params, files, data["train_rows"]
        )
        soft_seconds[method] = time.perf_counter() - start
    remove_stale_predictions(out)  # every check passed: no method of another run is left behind
    (out / "predictions").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    for method in methods:
        soft = targets.pop(method)
        train_set = build_dataset(tokenizer, train_texts, y_train, soft, max_length=args.max_length)
        for seed in range(args.seeds):
            start = time.perf_counter()
            metrics, test_probs, temperature = train_and_evaluate(
                args,
                batch,
                model_factory,
                tokenizer,
                train_set,
                val_set,
                test_set,
                y_val,
                y_test,
                seed,
                lr,
            )
            runs.append({"method": method, "seed": seed, "metrics": metrics})
            temperatures.setdefault(method, []).append(temperature)
            np.savez_compressed(
                out / "predictions" / f"{method}-seed{seed}.npz",
                probs=test_probs.astype(np.float32),
                labels=y_test,
                classes=np.asarray([str(c) for c in classes]),
            )
            pooled.setdefault(method, []).append(test_probs)
            reports.setdefault(method, []).append(
                classification_report(test_probs, y_test, [str(c) for c in classes])
            )
            timings.setdefault(method, []).append(time.perf_counter() - start)
            print(
                f"  {method} seed {seed}: "
                + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if not k.endswith("_ts"))
            )
        timings[method] = {
            "soft_label_seconds": soft_seconds[method],
            "train_eval_seconds": timings[method],
        }

    results = aggregate(runs, baseline="none" if "none" in methods else methods[0])
    results["config"] = asdict(args)
    results["classes"] = [str(c) for c in classes]
    counts = np.bincount(np.asarray(y_train), minlength=len(classes))
    results["data"] = {
        "train": len(y_train),
        "validation": len(y_val),
        "test": len(y_test),
        "train_class_counts": {str(c): int(n) for c, n in zip(classes, counts, strict=True)},
    }
    # The mass each method moves off the gold class (eps (C-1)/C for every smoother, by design)
    # and, for those fitted here, how well the training rows' out-of-sample relevance finds gold.
    results["off_gold_mass"] = {m: d["off_gold_mass"] for m, d in diagnostics.items()}
    results["soft_label_diagnostics"] = diagnostics
    results["timings"] = timings
    results["temperature_scaling"] = {m: {"temperatures": t} for m, t in temperatures.items()}
    results["environment"] = {
        "torch": torch.__version__,
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "threads": torch.get_num_threads(),
    }
    figure = plot_reliability_diagram(
        {m: np.concatenate(p) for m, p in pooled.items()},
        np.tile(y_test, args.seeds),
        out / "figures" / "reliability.png",
        title="Reliability on the test set (all seeds pooled)",
    )
    results["per_class"] = per_class_means(reports)
    (out / "results.json").write_text(json.dumps(results, indent=2, allow_nan=False) + "\n")
    write_report(
        results,
        out / "report.md",
        title=f"textls compare: {Path(args.train).name}",
        config=_config_rows(args, len(train_texts), batch, lr),
        figures={"reliability": str(figure)},
    )
    _append_per_class(out / "report.md", results["per_class"])
    table = format_table(
        results, metrics=["accuracy", "macro_f1", "nll", "brier", "ece", "nll_ts", "ece_ts"]
    )
    print(table)
    print(f"wrote {out / 'results.json'}, {out / 'report.md'}")
    return results


def training_arguments(
    output_dir: str,
    *,
    batch_size: int,
    learning_rate: float,
    epochs: float,
    seed: int,
    gradient_accumulation_steps: int = 1,
    bf16: bool = False,
    optim: str = "adamw_torch_fused",
    disable_tqdm: bool = False,
) -> TrainingArguments:
    """The ``TrainingArguments`` of one compare run: AdamW with linear decay after a 10% warm-up,
    no checkpoints, no logging.  The fused AdamW is the same update as the default one, and on a
    CPU it is several times faster for a large embedding table (fastText's 30,522 x 128:
    ``scripts/benchmark_fasttext_speed.py``)."""
    return TrainingArguments(
        output_dir=output_dir,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=max(64, batch_size),
        gradient_accumulation_steps=gradient_accumulation_steps,
        num_train_epochs=epochs,
        learning_rate=learning_rate,
        weight_decay=0.01,
        warmup_steps=0.1,
        lr_scheduler_type="linear",
        optim=optim,
        seed=seed,
        data_seed=seed,
        bf16=bf16,
        save_strategy="no",
        eval_strategy="no",
        report_to=[],
        logging_strategy="no",
        disable_tqdm=disable_tqdm,
        dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),
    )


def train_and_evaluate(
    args, batch, model_factory, tokenizer, train_set, val_set, test_set, y_val, y_test, seed, lr
):
    set_seed(seed)
    model = model_factory()
    with tempfile.TemporaryDirectory() as tmp:
        training_args = training_arguments(
            tmp,
            batch_size=batch,
            learning_rate=lr,
            epochs=args.epochs,
            seed=seed,
            gradient_accumulation_steps=args.gradient_accumulation_steps,
            bf16=args.bf16,
        )
        trainer = SoftLabelTrainer(
            model=model,
            args=training_args,
            train_dataset=train_set,
            data_collator=SoftLabelCollator(tokenizer, max_length=args.max_length),
            loss_mode=args.loss_mode,
            lam=args.lam,
        )
        trainer.train()
        val_logits = predict_logits(trainer, val_set)
        test_logits = predict_logits(trainer, test_set)
    probs = _softmax(test_logits)
    metrics = compute_metrics(probs, y_test)
    scaler = TemperatureScaler().fit(val_logits, y_val)
    calibrated = compute_metrics(scaler.transform(test_logits), y_test)
    for name in ("nll", "brier", "ece"):
        metrics[f"{name}_ts"] = calibrated[name]
    return {k: float(v) for k, v in metrics.items()}, probs, scaler.temperature_


def per_class_means(reports: dict[str, list[dict]]) -> dict:
    """``{method: {class: {precision, recall, f1, support}}}`` averaged over seeds."""
    out = {}
    for method, per_seed in reports.items():
        out[method] = {
            cls: {k: float(np.mean([r[cls][k] for r in per_seed])) for k in per_seed[0][cls]}
            for cls in per_seed[0]
        }
    return out


def _append_per_class(report: Path, per_class: dict) -> None:
    """Add a per-class F1 table (mean over seeds; classes as rows, methods as columns) to report.md."""
    methods = list(per_class)
    classes = list(per_class[methods[0]])
    lines = [
        "",
        "## Per-class F1 (test set, mean over seeds)",
        "",
        "| Class | Support | " + " | ".join(f"`{m}`" for m in methods) + " |",
    ]
    lines.append("| --- | ---: | " + " | ".join("---:" for _ in methods) + " |")
    for cls in classes:
        f1 = [per_class[m][cls]["f1"] for m in methods]
        cells = [f"**{v:.4f}**" if v == max(f1) and len(methods) > 1 else f"{v:.4f}" for v in f1]
        lines.append(
            f"| {cls} | {per_class[methods[0]][cls]['support']:.0f} | " + " | ".join(cells) + " |"
        )
    with open(report, "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def _config_rows(args: CompareArguments, n_train: int, batch: int, lr: float) -> dict:
    rows = {k: v for k, v in asdict(args).items() if v not in (None, "")}
    rows["train examples used"] = n_train
    rows["batch size used"] = batch
    rows["learning rate used"] = lr
    return rows
