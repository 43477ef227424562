"""Per-batch cost of retrieval soft targets against the training step they feed.

For each method, the same batches (real queries and passages of data/news_titles, BM25 hard
negatives) go through (a) ``RetrievalTrainer.batch_targets`` (one small sparse product + softmax)
and (b) a full training step of the packaged MiniLM dual encoder (forward, loss, backward,
AdamW).  Medians over ``--steps`` batches; the ratio (a)/(b) is the overhead.

    python scripts/benchmark_retrieval_overhead.py --steps 10 --batch-size 32
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, make_parser, write_json  # noqa: E402
from provenance import provenance  # noqa: E402

from textls.retrieval.collator import RetrievalCollator
from textls.retrieval.data import load_beir, passage_text
from textls.retrieval.encoder import load_encoder_and_tokenizer
from textls.retrieval.loss import contrastive_soft_target_loss
from textls.retrieval.mining import mine_bm25
from textls.retrieval.soft_targets import METHODS, CandidateSoftTargets
from textls.retrieval.trainer import RetrievalTrainer


def main() -> None:
    parser = make_parser(__doc__, output="retrieval_overhead.json")
    parser.add_argument("--data-dir", default=str(ROOT / "data" / "news_titles"))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    data = load_beir(args.data_dir, "train")
    doc_ids, query_ids = list(data.corpus), list(data.queries)
    doc_row = {d: i for i, d in enumerate(doc_ids)}
    passages = [passage_text(data.corpus[d]) for d in doc_ids]
    queries = [data.queries[q] for q in query_ids]
    positives = [{doc_row[d] for d in data.qrels[q]} for q in query_ids]
    negatives = mine_bm25(queries, passages, positives, k=1)
    encoder, tokenizer = load_encoder_and_tokenizer("minilm")
    collator = RetrievalCollator(tokenizer, queries, passages, negatives_per_query=1)
    optimizer = torch.optim.AdamW(encoder.parameters(), lr=1e-5)
    rng = np.random.default_rng(0)
    batches = []
    for _ in range(args.steps):
        rows = rng.choice(len(query_ids), args.batch_size, replace=False)
        batches.append(
            collator(
                [
                    {
                        "query_row": int(r),
                        "positive_row": min(positives[r]),
                        "negative_rows": negatives[r],
                    }
                    for r in rows
                ]
            )
        )

    step_seconds = []
    encoder.train()
    for batch in batches:
        start = time.perf_counter()
        out = encoder(query=batch["query"], passage=batch["passage"])
        n = len(batch["query_rows"])
        targets = torch.zeros(n, len(batch["passage_rows"]))
        targets[torch.arange(n), torch.arange(n)] = 1
        loss = contrastive_soft_target_loss(out["query"], out["passage"], targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        step_seconds.append(time.perf_counter() - start)
    step = statistics.median(step_seconds)
    print(
        f"training step (batch {args.batch_size} queries, {2 * args.batch_size} passages): {step * 1000:.1f} ms"
    )

    results = {
        "data": args.data_dir,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "step_ms": step * 1000,
        "methods": {},
        **provenance(),
    }
    for method in METHODS:
        start = time.perf_counter()
        soft = CandidateSoftTargets(method=method).fit(queries, passages)
        fit_seconds = time.perf_counter() - start
        trainer = RetrievalTrainer.__new__(
            RetrievalTrainer
        )  # only batch_targets is used: no model, no loop
        trainer.soft_targets, trainer.positives = soft, dict(enumerate(positives))
        times = []
        for batch in batches:
            q, p = batch["query_rows"].numpy(), batch["passage_rows"].numpy()
            start = time.perf_counter()
            trainer.batch_targets(q, p, own_columns=np.arange(len(q)))
            times.append(time.perf_counter() - start)
        cost = statistics.median(times)
        results["methods"][method] = {
            "targets_ms": cost * 1000,
            "ratio_to_step": cost / step,
            "fit_seconds": fit_seconds,
        }
        print(
            f"{method:>10}: soft targets {cost * 1000:.2f} ms per batch = {100 * cost / step:.2f}% of a step (vectorised once in {fit_seconds:.1f} s)"
        )
    write_json(args.output, results)


if __name__ == "__main__":
    main()
