"""None vs every soft-target method for the dual encoder on the bundled retrieval corpora; a thin
driver over ``textls retrieval compare``.

Every method starts from the same packaged MiniLM, trains on the same pairs with the same BM25 hard
negative and seeds, and is evaluated with a flat FAISS index on the held-out test queries. One
summary JSON per corpus, ``scripts/results/retrieval_compare_<corpus>.json``, holds per method the
mean ± std of MRR@10 (RR@10), R@10 and nDCG@10 and the paired difference to ``none`` with its
t-test p-value.

    python scripts/benchmark_retrieval.py                                   # both corpora, 3 seeds
    python scripts/benchmark_retrieval.py --corpora news_titles --max-train-queries 0   # all pairs
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402
    ROOT,
    add_output_arguments,
    add_training_arguments,
    compact_results,
    compare_settings,
    make_parser,
    run_settings,
    write_json,
)
from provenance import provenance  # noqa: E402

from textls.experiments.retrieval import RetrievalCompareArguments, run_retrieval_compare  # noqa: E402

MEASURES = ("RR@10", "R@10", "nDCG@10", "R@1", "R@100")


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--corpora", default="news_titles,faq")
    parser.add_argument("--methods", default="none,ls-classic,ls-distill,ls-tfidf,kwls")
    parser.add_argument("--model", default="minilm")
    add_training_arguments(parser, epochs=1.0, batch_size=32, bf16=True)
    parser.add_argument("--epsilon", type=float, default=0.1)
    parser.add_argument(
        "--max-train-queries",
        type=int,
        default=800,
        help="Training pairs per corpus (0 = all); 800 keeps a CPU run of both corpora near an hour.",
    )
    parser.add_argument(
        "--passage-max-length",
        type=int,
        default=64,
        help="Passage tokens (the article's lead for news_titles); 128 doubles the CPU cost.",
    )
    add_output_arguments(
        parser,
        "benchmark_retrieval",
        results_help="Where retrieval_compare_<corpus>.json is written.",
    )
    args = parser.parse_args()

    settings = {
        **run_settings(args),
        "epsilon": args.epsilon,
        "max_train_queries": args.max_train_queries or None,
        "passage_max_length": args.passage_max_length,
    }
    for corpus in args.corpora.split(","):
        start = time.perf_counter()
        results = run_retrieval_compare(
            RetrievalCompareArguments(
                data_dir=str(ROOT / "data" / corpus),
                output_dir=str(Path(args.output_dir) / corpus),
                methods=args.methods,
                **compare_settings(args),
                epsilon=args.epsilon,
                passage_max_length=args.passage_max_length,
                max_train_queries=args.max_train_queries or None,
                bf16=args.bf16,
            )
        )
        summary = {"corpus": corpus, **settings, **provenance()}
        summary["result"] = {
            "seconds": time.perf_counter() - start,
            **compact_results(results, MEASURES),
            "timings": results["timings"],
        }
        path = Path(args.results_dir) / f"retrieval_compare_{corpus}.json"
        write_json(path, summary, allow_nan=False)


if __name__ == "__main__":
    main()
