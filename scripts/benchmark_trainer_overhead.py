"""Training-step overhead of SoftLabelTrainer against a plain transformers.Trainer.

Both train the same model (the packaged MiniLM by default) from the same weights on the same
batches of real tweets (data/sentiment) for ``--steps`` optimiser steps; the plain Trainer gets
hard labels, SoftLabelTrainer the same rows plus KWLS soft labels.  The two runs alternate
``--repeats`` times in this process and the median seconds per step is reported, with the ratio.
SoftLabelTrainer then runs with each regularizer of ``compare`` (mixup, confidence penalty, soft
and hard bootstrapping) on the same soft labels, in the same alternation, each with its ratio to
the plain Trainer (target: within 5%).

    python scripts/benchmark_trainer_overhead.py --steps 20 --repeats 3
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from transformers import DataCollatorWithPadding, Trainer, TrainingArguments, set_seed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, make_parser, write_json  # noqa: E402
from provenance import provenance  # noqa: E402

from textls import get_smoother
from textls.classification import SoftLabelCollator, SoftLabelTrainer
from textls.classification.data import build_dataset, load_labelled
from textls.classification.modeling import load_tokenizer, make_model_factory
from textls.classification.regularizers import REGULARIZERS


def seconds_per_step(trainer_cls, dataset, collator, factory, steps, batch, **kwargs) -> float:
    set_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp,
            per_device_train_batch_size=batch,
            max_steps=steps,
            report_to=[],
            save_strategy="no",
            logging_strategy="no",
            disable_tqdm=True,
            dataloader_pin_memory=False,
        )
        trainer = trainer_cls(
            model=factory(), args=args, train_dataset=dataset, data_collator=collator, **kwargs
        )
        start = time.perf_counter()
        trainer.train()
        return (time.perf_counter() - start) / steps


def main() -> None:
    parser = make_parser(__doc__, output="trainer_overhead.json")
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    texts, labels = load_labelled(str(ROOT / "data" / "sentiment" / "train.csv"), "text", "label")
    n = args.steps * args.batch_size
    texts, labels = texts[:n], labels[:n]
    smoother = get_smoother("kwls")
    soft = smoother.fit_transform(texts, labels)
    y = np.array([list(smoother.classes_).index(label) for label in labels])
    tokenizer = load_tokenizer(args.model)
    factory = make_model_factory(args.model, smoother.classes_, tokenizer)
    hard_set = build_dataset(tokenizer, texts, y, max_length=64)
    soft_set = build_dataset(tokenizer, texts, y, soft, max_length=64)

    soft_runs = {"soft": {}, **{r: {"regularizer": r} for r in REGULARIZERS}}
    plain, ours = [], {name: [] for name in soft_runs}
    for _ in range(args.repeats):
        plain.append(
            seconds_per_step(
                Trainer,
                hard_set,
                DataCollatorWithPadding(tokenizer),
                factory,
                args.steps,
                args.batch_size,
            )
        )
        for name, options in soft_runs.items():
            ours[name].append(
                seconds_per_step(
                    SoftLabelTrainer,
                    soft_set,
                    SoftLabelCollator(tokenizer),
                    factory,
                    args.steps,
                    args.batch_size,
                    loss_mode="soft",
                    **options,
                )
            )
    p = statistics.median(plain)
    ratio = {name: statistics.median(times) / p for name, times in ours.items()}
    print(f"plain Trainer:     {p * 1000:.1f} ms/step")
    print(f"SoftLabelTrainer:  {statistics.median(ours['soft']) * 1000:.1f} ms/step  ratio "
          f"{ratio['soft']:.3f} (target <= 1.03)")  # fmt: skip
    for name in REGULARIZERS:
        print(f"  + {name:<18} {statistics.median(ours[name]) * 1000:.1f} ms/step  ratio "
              f"{ratio[name]:.3f} (target <= 1.05)")  # fmt: skip
    result = {
        "model": args.model,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "plain_ms_per_step": [t * 1000 for t in plain],
        "soft_ms_per_step": [t * 1000 for t in ours["soft"]],
        "ratio_of_medians": ratio["soft"],
        "regularizers": {
            name: {"ms_per_step": [t * 1000 for t in ours[name]], "ratio_of_medians": ratio[name]}
            for name in REGULARIZERS
        },
        **provenance(),
    }
    write_json(args.output, result)


if __name__ == "__main__":
    main()
