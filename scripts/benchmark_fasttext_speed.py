"""Training speed of the from-scratch fastText through SoftLabelTrainer, old settings against new.

One ``textls compare`` cell, done by hand so the training is timed alone: health tweets (balanced,
the same train / validation split as compare), LS-Classic soft labels, ``--epochs`` epochs with
compare's TrainingArguments.  Each config trains once per seed, configs interleaved seed by seed
(the machine may be shared, so both see the same load); reported per config: training examples/s
(epochs x training rows / seconds of ``trainer.train()``), test accuracy and macro-F1, and the
ratio of median examples/s new / old.

* ``old``: batch 64, AdamW (not fused) lr 5e-3, the whole 30,522-row WordPiece embedding table,
  as benchmark_classification.py ran before.
* ``new``: ``default_batch_size("fasttext")`` and ``default_learning_rate("fasttext")``, with
  compare's fused AdamW and compare's embedding table (rows for the training texts' tokens only).
* ``B@LR``: any other batch size and learning rate, as ``new``, e.g. ``128@0.007``.
* ``NAME:full``: config ``NAME`` with the whole embedding table, e.g. ``new:full``.
* ``NAME:arrow``: config ``NAME`` reading its batches from the ``datasets.Dataset`` (Arrow rows
  converted to Python per batch) instead of compare's ``InMemoryDataset``, e.g. ``new:arrow``.
  Suffixes combine: ``new:full:arrow``.

On a shared machine wall-clock speed swings with the load: the load average and the CPU seconds
of each training are recorded next to its wall-clock seconds.  Under load, torch's two OpenMP
threads wait on each other in every small op; ``--threads 1`` shows the speed without that.

``--old-code RESULT.json`` embeds a run of this script made on the code before the change
(``--configs old``) and adds the ratio against it.

    python scripts/benchmark_fasttext_speed.py --seeds 3
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import datasets
import numpy as np
import torch
from transformers import set_seed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, add_training_arguments, make_parser, write_json  # noqa: E402
from provenance import provenance  # noqa: E402

from textls.classification.collator import SoftLabelCollator  # noqa: E402
from textls.classification.data import build_dataset, encode_split  # noqa: E402
from textls.classification.modeling import load_tokenizer, make_model_factory  # noqa: E402
from textls.classification.trainer import SoftLabelTrainer  # noqa: E402
from textls.experiments.classification.arguments import CompareArguments  # noqa: E402
from textls.experiments.classification.data import prepare_data  # noqa: E402
from textls.experiments.classification.runs import training_arguments  # noqa: E402
from textls.metrics import compute_metrics  # noqa: E402
from textls.smoothers import get_smoother  # noqa: E402

OLD = {
    "batch_size": 64,
    "learning_rate": 5e-3,
    "optim": "adamw_torch",
    "table": "full",
    "rows": "arrow",
}
FUSED = "adamw_torch_fused"


def config(name: str, args) -> dict:
    if name.endswith(":full"):  # any config but with the whole embedding table, e.g. new:full
        return {**config(name.removesuffix(":full"), args), "table": "full"}
    if name.endswith(":arrow"):  # any config but batches from the datasets.Dataset
        return {**config(name.removesuffix(":arrow"), args), "rows": "arrow"}
    if name == "old":
        return dict(OLD)
    if "@" in name:
        batch, lr = name.split("@")
        return {
            "batch_size": int(batch),
            "learning_rate": float(lr),
            "optim": FUSED,
            "table": "train",
            "rows": "memory",
        }
    from textls.classification.modeling import default_batch_size, default_learning_rate

    batch = args.batch_size or default_batch_size("fasttext")
    return {
        "batch_size": batch,
        "learning_rate": args.learning_rate or default_learning_rate("fasttext", batch),
        "optim": FUSED,
        "table": "train",
        "rows": "memory",
    }


def train_once(cfg, factory, tokenizer, train_sets, test_set, y_test, epochs, seed) -> dict:
    """textls.experiments.classification.runs.train_and_evaluate's TrainingArguments (no progress bar); train timed alone."""
    set_seed(seed)
    model = factory[cfg["table"]]()
    train_set = train_sets[cfg["rows"]]
    with tempfile.TemporaryDirectory() as tmp:
        training_args = training_arguments(
            tmp,
            batch_size=cfg["batch_size"],
            learning_rate=cfg["learning_rate"],
            epochs=epochs,
            seed=seed,
            optim=cfg["optim"],
            disable_tqdm=True,
        )
        trainer = SoftLabelTrainer(
            model=model,
            args=training_args,
            train_dataset=train_set,
            data_collator=SoftLabelCollator(tokenizer, max_length=64),
            loss_mode="soft",
        )
        start, cpu_start = time.perf_counter(), time.process_time()
        trainer.train()
        train_seconds = time.perf_counter() - start
        train_cpu_seconds = time.process_time() - cpu_start
        start = time.perf_counter()
        logits = torch.as_tensor(trainer.predict(test_set).predictions, dtype=torch.float64)
        predict_seconds = time.perf_counter() - start
    metrics = compute_metrics(torch.softmax(logits, -1).numpy(), y_test)
    return {
        "seed": seed,
        "train_seconds": train_seconds,
        "train_cpu_seconds": train_cpu_seconds,
        "load_average": os.getloadavg()[0],
        "train_examples_per_second": epochs * len(train_set) / train_seconds,
        "predict_seconds": predict_seconds,
        "accuracy": float(metrics["accuracy"]),
        "macro_f1": float(metrics["macro_f1"]),
    }


def summarise(runs: list[dict]) -> dict:
    out = {
        "median_train_examples_per_second": statistics.median(
            r["train_examples_per_second"] for r in runs
        )
    }
    for key in ("accuracy", "macro_f1"):
        values = [r[key] for r in runs]
        out[key] = [float(np.mean(values)), float(np.std(values))]
    return out


def main() -> None:
    parser = make_parser(__doc__, output="fasttext_speed.json")
    parser.add_argument("--configs", default="old,new")
    add_training_arguments(parser, epochs=5.0, batch_size_help="override new's batch size")
    parser.add_argument("--corpus", default="healthtweets")
    parser.add_argument("--learning-rate", type=float, default=None, help="override new's lr")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--old-code", default=None, help="a --configs old run on the old code")
    args = parser.parse_args()
    datasets.disable_progress_bars()
    if args.threads:
        torch.set_num_threads(args.threads)

    data = prepare_data(
        CompareArguments(
            train=str(ROOT / "data" / args.corpus / "train.csv"),
            test=str(ROOT / "data" / args.corpus / "test.csv"),
            output_dir="unused",
        )
    )
    classes, (texts, labels) = data.classes, data.train
    y_train = encode_split(labels, classes, args.corpus)
    y_test = encode_split(data.test[1], classes, args.corpus)
    soft = get_smoother("ls-classic", epsilon=0.1).fit_transform(texts, labels)
    tokenizer = load_tokenizer("fasttext")
    train_sets = {  # compare's rows held in memory, or the datasets.Dataset they come from
        "arrow": build_dataset(tokenizer, texts, y_train, soft, max_length=64),
        "memory": build_dataset(tokenizer, texts, y_train, soft, max_length=64, in_memory=True),
    }
    train_set = train_sets["memory"]
    test_set = build_dataset(tokenizer, data.test[0], y_test, max_length=64, in_memory=True)
    factory = {  # the whole WordPiece table, or rows for the training texts' tokens only
        "full": make_model_factory("fasttext", classes, tokenizer),
        "train": make_model_factory("fasttext", classes, tokenizer, train_set["input_ids"]),
    }

    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    configs = {name: config(name, args) for name in names}
    runs = {name: [] for name in names}
    load_before = os.getloadavg()
    for seed in range(args.seeds):
        for name in names:
            run = train_once(
                configs[name], factory, tokenizer, train_sets, test_set, y_test, args.epochs, seed
            )
            runs[name].append(run)
            print(
                f"{name} seed {seed}: {run['train_examples_per_second']:.0f} examples/s, "
                f"accuracy {run['accuracy']:.4f}, macro-F1 {run['macro_f1']:.4f}"
            )
    result = {
        "corpus": args.corpus,
        "train_rows": len(train_set),
        "test_rows": len(test_set),
        "epochs": args.epochs,
        "seeds": args.seeds,
        "soft_labels": "ls-classic, epsilon 0.1, loss_mode soft",
        "torch_threads": torch.get_num_threads(),
        "load_average_before_after": [load_before[0], os.getloadavg()[0]],
        "configs": {
            name: {**configs[name], **summarise(runs[name]), "runs": runs[name]} for name in names
        },
        **provenance(),
    }
    speed = {n: c["median_train_examples_per_second"] for n, c in result["configs"].items()}
    if {"old", "new"} <= set(speed):
        result["ratio_new_over_old"] = speed["new"] / speed["old"]
    if args.old_code:
        old_code = json.loads(Path(args.old_code).read_text())
        result["old_code"] = old_code
        old_speed = old_code["configs"]["old"]["median_train_examples_per_second"]
        result["ratio_new_over_old_code"] = speed.get("new", float("nan")) / old_speed
    for name, value in speed.items():
        print(f"{name}: median {value:.0f} training examples/s")
    for key in ("ratio_new_over_old", "ratio_new_over_old_code"):
        if key in result:
            print(f"{key}: {result[key]:.1f}")
    write_json(args.output, result)


if __name__ == "__main__":
    main()
