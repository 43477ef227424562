"""Build a soft-label cache for a synthetic corpus of 1,000,000 short documents; time and size it.

The corpus is generated from the bundled news vocabulary (see synthetic_corpus.py) and written once
to Parquet.  Each measurement then runs in a fresh process, so its peak memory is its own:

* ``TfidfVectorizer().fit_transform`` of the same texts (the baseline);
* ``textls cache build`` (KWLS, lexical) with ``--num-proc 1`` and ``--num-proc 2``: rows per
  second, peak RSS of the driver and of the largest worker, ratio against the baseline;
* ``load_cache`` of the result: open time (sizes only, and with the SHA-256 of every shard).

    python scripts/benchmark_cache.py --docs 1000000 --classes 50 --words 20

Results go to scripts/results/cache_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_common import add_corpus_arguments, make_parser, write_json  # noqa: E402
from provenance import provenance  # noqa: E402


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident memory (MiB) of this process and of its largest finished child (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def task_corpus(data: str, docs: int, classes: int, words: int) -> dict:
    import pandas as pd
    from synthetic_corpus import make_corpus

    start = time.perf_counter()
    texts, labels = make_corpus(docs, classes, words)
    pd.DataFrame({"text": texts, "label": labels}).to_parquet(data, index=False)
    return {"seconds": time.perf_counter() - start}


def task_tfidf(data: str) -> dict:
    import pyarrow.parquet as pq
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = pq.read_table(data, columns=["text"]).column("text").to_pylist()
    start = time.perf_counter()
    TfidfVectorizer().fit_transform(texts)
    seconds = time.perf_counter() - start
    own, _ = peak_rss_mib()
    return {"seconds": seconds, "peak_rss_mib": own}


def task_build(data: str, output: str, num_proc: int) -> dict:
    from textls.cache import build_cache, load_cache

    imported, _ = peak_rss_mib()  # textls imports torch (for its losses): a fixed cost
    start = time.perf_counter()
    build_cache(data, output, method="kwls", num_proc=num_proc)
    seconds = time.perf_counter() - start
    own, children = peak_rss_mib()
    start = time.perf_counter()
    cache = load_cache(output, check_checksums=False)
    cache.soft_labels[len(cache) // 2]
    open_fast = time.perf_counter() - start
    start = time.perf_counter()
    load_cache(output)
    open_checked = time.perf_counter() - start
    m = cache.manifest
    return {
        "seconds": seconds,
        "rows_per_second": m["num_rows"] / seconds,
        "peak_rss_mib_driver": own,
        "rss_mib_after_imports": imported,
        "peak_rss_mib_largest_worker": children,
        "num_shards": len(m["shards"]),
        "shard_sha256": [s["sha256"] for s in m["shards"]],
        "cache_mib": sum(s["bytes"] for s in m["shards"]) / 2**20,
        "load_cache_seconds": open_fast,
        "load_cache_with_checksums_seconds": open_checked,
        "vocabulary_size": m["fit"]["vocabulary_size"],
    }


def run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--task", *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = make_parser(__doc__, output="cache_benchmark.json")
    parser.add_argument("--docs", type=int, default=1_000_000)
    add_corpus_arguments(parser, words=20)
    parser.add_argument("--procs", default="1,2", help="--num-proc values to run")
    parser.add_argument("--workdir", default=None, help="default: a temporary folder")
    parser.add_argument("--task", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.task:  # a measurement in a fresh process
        kind, *rest = args.task
        if kind == "corpus":
            result = task_corpus(rest[0], int(rest[1]), int(rest[2]), int(rest[3]))
        elif kind == "tfidf":
            result = task_tfidf(*rest)
        else:
            result = task_build(rest[0], rest[1], int(rest[2]))
        print(json.dumps(result))
        return

    # This process stays small: Linux keeps a process's peak RSS across fork + exec, so a child
    # started from a process that held the corpus would report that process's memory as its own.
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="textls-cache-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "corpus.parquet"
    corpus = run_child("corpus", str(data), str(args.docs), str(args.classes), str(args.words))
    print(
        f"{args.docs} docs, {args.classes} classes, ~{args.words} words: generated and written "
        f"in {corpus['seconds']:.1f} s ({data.stat().st_size / 2**20:.0f} MiB Parquet)"
    )

    baseline = run_child("tfidf", str(data))
    print(
        f"TfidfVectorizer.fit_transform: {baseline['seconds']:.1f} s, "
        f"peak RSS {baseline['peak_rss_mib']:.0f} MiB"
    )
    results = {
        "docs": args.docs,
        "classes": args.classes,
        "words_per_doc": args.words,
        "method": "kwls (lexical, defaults)",
        "tfidf_vectorizer": baseline,
        "builds": {},
        **provenance(),
    }
    for num_proc in [int(p) for p in args.procs.split(",")]:
        output = workdir / f"cache-np{num_proc}"
        build = run_child("build", str(data), str(output), str(num_proc))
        build["ratio_vs_tfidf_vectorizer"] = build["seconds"] / baseline["seconds"]
        results["builds"][f"num_proc={num_proc}"] = build
        print(
            f"cache build --num-proc {num_proc}: {build['seconds']:.1f} s, "
            f"{build['rows_per_second']:,.0f} rows/s, ratio {build['ratio_vs_tfidf_vectorizer']:.2f}x, "
            f"peak RSS driver {build['peak_rss_mib_driver']:.0f} MiB / worker "
            f"{build['peak_rss_mib_largest_worker']:.0f} MiB; load_cache {build['load_cache_seconds']:.3f} s "
            f"({build['load_cache_with_checksums_seconds']:.2f} s with checksums), "
            f"{build['cache_mib']:.0f} MiB in {build['num_shards']} shards"
        )
    hashes = {tuple(b.pop("shard_sha256")) for b in results["builds"].values()}
    results["identical_across_num_proc"] = len(hashes) == 1
    print(f"shards identical across --num-proc: {results['identical_across_num_proc']}")
    write_json(args.output, results)


if __name__ == "__main__":
    main()
