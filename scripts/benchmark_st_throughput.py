"""Training speed and peak memory of sentence-transformers' MNRL against textls's soft-target
losses, cached (GradCache) and not, at one batch size; each loss in its own process.

Every configuration fine-tunes the packaged all-MiniLM-L6-v2 with ``SentenceTransformerTrainer``
for ``--steps`` optimiser steps on the first (query, relevant passage) pairs of ``--corpus``
(the losses and pairs of ``benchmark_st_losses.py``) and records: training examples/s (the
first step, which warms up, excluded), and peak memory: the process's peak resident set on a
CPU, ``torch.cuda.max_memory_allocated`` on a GPU.  Ratios are against the first loss listed.

    python scripts/benchmark_st_throughput.py --batch-size 512 --mini-batch-size 32 \\
        --losses textls-kwls,textls-cached-kwls --steps 3            # CPU memory, cached or not
    python scripts/benchmark_st_throughput.py --bf16 --batch-size 256 --steps 30   # a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, make_parser, write_json  # noqa: E402
from benchmark_st_losses import make_loss, training_pairs  # noqa: E402
from provenance import provenance  # noqa: E402

from textls._utils import default_model_path  # noqa: E402
from textls.retrieval.data import load_beir  # noqa: E402


def measure(name: str, args) -> dict:
    """Train ``--steps`` steps with loss ``name`` in this process; speed and peak memory."""
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from transformers import TrainerCallback

    train = load_beir(ROOT / "data" / args.corpus, "train")
    dataset = training_pairs(train, 0, seed=0).select(range(args.batch_size * args.steps))
    cuda = torch.cuda.is_available()
    model = SentenceTransformer(str(default_model_path()), device="cuda" if cuda else "cpu")
    model.max_seq_length = args.max_length
    guide = None
    if name == "gist":
        guide = SentenceTransformer(str(default_model_path()), device=model.device)
    loss, _ = make_loss(name, model, dataset, args, guide)
    stamps = []

    class Stamp(TrainerCallback):
        def on_step_end(self, *_, **__):
            if cuda:
                torch.cuda.synchronize()
            stamps.append(time.perf_counter())

    train_args = SentenceTransformerTrainingArguments(
        output_dir=str(ROOT / "outputs" / "benchmark_st_throughput"),
        per_device_train_batch_size=args.batch_size,
        max_steps=args.steps,
        learning_rate=5e-5,
        bf16=args.bf16,
        save_strategy="no",
        report_to=[],
        logging_strategy="no",
        disable_tqdm=True,
        use_cpu=not cuda,
        dataloader_drop_last=True,
    )
    trainer = SentenceTransformerTrainer(
        model=model, args=train_args, train_dataset=dataset, loss=loss, callbacks=[Stamp()]
    )
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    seconds = stamps[-1] - stamps[0]  # steps 2..n
    peak = (
        torch.cuda.max_memory_allocated() / 2**20
        if cuda
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    return {
        "loss": name,
        "examples_per_second": args.batch_size * (len(stamps) - 1) / seconds,
        "seconds_per_step": seconds / (len(stamps) - 1),
        "peak_memory_mib": peak,
        "peak_memory_kind": "cuda max_memory_allocated" if cuda else "process peak RSS",
    }


def main() -> None:
    parser = make_parser(__doc__, output="st_throughput.json")
    parser.add_argument("--corpus", default="gcide_reverse")
    parser.add_argument("--losses", default="mnrl,textls-kwls,textls-cached-kwls")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--mini-batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5, help="optimiser steps (first one excluded)")
    parser.add_argument("--max-length", type=int, default=32)
    parser.add_argument("--epsilon", type=float, default=0.1)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps < 2:
        parser.error("--steps must be at least 2 (the first step is not timed)")
    if args.one:  # a child process: measure one loss, print its JSON
        print("RESULT " + json.dumps(measure(args.one, args)))
        return
    results = []
    for name in [n.strip() for n in args.losses.split(",") if n.strip()]:
        command = [sys.executable, __file__, *sys.argv[1:], "--one", name]
        done = subprocess.run(command, capture_output=True, text=True, env=os.environ)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode or not lines:
            sys.exit(f"{name} failed:\n{done.stderr[-3000:]}")
        results.append(json.loads(lines[-1].removeprefix("RESULT ")))
        print(
            f"{name}: {results[-1]['examples_per_second']:.1f} examples/s, "
            f"peak {results[-1]['peak_memory_mib']:.0f} MiB"
        )
    base = results[0]
    for r in results:
        r["speed_vs_first"] = r["examples_per_second"] / base["examples_per_second"]
        r["memory_vs_first"] = r["peak_memory_mib"] / base["peak_memory_mib"]
    write_json(
        args.output,
        {
            "corpus": args.corpus,
            "batch_size": args.batch_size,
            "mini_batch_size": args.mini_batch_size,
            "steps": args.steps,
            "max_length": args.max_length,
            "bf16": args.bf16,
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
            "results": results,
            **provenance(),
        },
    )


if __name__ == "__main__":
    main()
