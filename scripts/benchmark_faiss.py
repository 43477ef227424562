"""Build time, size, speed and recall@10 of FAISS index kinds on clustered synthetic embeddings.

Data: ``--docs`` vectors of dimension ``--dim`` (384, like all-MiniLM-L6-v2), float32 and
L2-normalised, drawn from a mixture of ``--clusters`` isotropic Gaussians (real sentence
embeddings are clustered, and uniform random vectors make every ANN index look worse than it is):
a centre ``c_j`` uniform on the sphere, a point ``normalise(c_j + sigma * z / sqrt(d))`` with
``z ~ N(0, I)``, cluster ``j`` uniform over the clusters. ``--queries`` held-out queries come from
the same mixture. Ground truth is the exact top-10 by inner product from the flat index.

Indexes are built with ``textls.retrieval.index.build_index``. IVF and IVF-PQ are trained on a
sample (build_index trains on what it is given, so it gets the first ``--train-size`` vectors,
which are in random order, and the rest are added with ``index.add``; the build time covers both).
HNSW (M=32, efConstruction 40, FAISS's default) is first built on 50k vectors; from that time the
largest N whose build is expected to fit in ``--hnsw-budget`` seconds is chosen, and HNSW is
measured on the first N vectors against the exact top-10 of those N (its ``n_vectors`` says which).

For each configuration: build seconds, serialised size (``len(faiss.serialize_index(index))``),
queries per second (one batch search of all queries, k=10, median of ``--repeats``) and
recall@10 (the share of the exact top-10 found in the returned top-10).

    python scripts/benchmark_faiss.py --docs 1000000
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

import faiss
import matplotlib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import make_parser, write_json  # noqa: E402
from provenance import provenance  # noqa: E402

from textls.retrieval.index import build_index, set_search_params

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

K = 10
HNSW_PROBE = 50_000


def clustered_vectors(
    n: int, d: int, n_clusters: int, sigma: float, rng: np.random.Generator, centres: np.ndarray
) -> np.ndarray:
    out = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100_000):  # chunks keep the float64-free peak small
        stop = min(start + 100_000, n)
        owner = rng.integers(0, n_clusters, stop - start)
        noise = rng.standard_normal((stop - start, d), dtype=np.float32)
        block = centres[owner] + (sigma / math.sqrt(d)) * noise
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:stop] = block
    return out


def search_stats(index: faiss.Index, queries: np.ndarray, truth: np.ndarray, repeats: int):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _, found = index.search(queries, K)
        times.append(time.perf_counter() - start)
    hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True))
    return len(queries) / statistics.median(times), hits / truth.size, found


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = make_parser(__doc__, output="faiss_benchmark.json")
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--sigma", type=float, default=1.0, help="noise norm relative to centre")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--train-size", type=int, default=100_000)
    parser.add_argument("--nprobe", default="8,32,128")
    parser.add_argument("--ef-search", default="64,128,256")
    parser.add_argument("--pq-m", type=int, default=48)
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument(
        "--hnsw-budget", type=float, default=360.0, help="seconds allowed for the big HNSW build"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    nprobes = [int(v) for v in args.nprobe.split(",")]
    efs = [int(v) for v in args.ef_search.split(",")]

    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((args.clusters, args.dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x, gen_s = timed(
        lambda: clustered_vectors(args.docs, args.dim, args.clusters, args.sigma, rng, centres)
    )
    q = clustered_vectors(args.queries, args.dim, args.clusters, args.sigma, rng, centres)
    print(f"{args.docs} x {args.dim} vectors, {args.clusters} clusters ({gen_s:.1f} s to draw)")
    nlist = math.ceil(4 * math.sqrt(args.docs))
    train = min(args.train_size, args.docs)
    configs: list[dict] = []

    def record(name, index, n, build_s, truth, params, via, flat_qps):
        size = len(faiss.serialize_index(index))
        qps, recall, _ = search_stats(index, q, truth, args.repeats)
        row = {
            "name": name,
            "n_vectors": n,
            "params": params,
            "via": via,
            "build_seconds": build_s,
            "index_bytes": size,
            "index_mib": size / 2**20,
            "qps": qps,
            "recall_at_10": recall,
            "speedup_vs_flat_same_n": qps / flat_qps,
        }
        configs.append(row)
        print(
            f"{name:>28}  n={n:>8}  build {build_s:7.1f} s  {size / 2**20:8.1f} MiB  "
            f"{qps:9.0f} q/s ({row['speedup_vs_flat_same_n']:6.1f}x flat)  recall@10 {recall:.3f}"
        )

    # flat: the exact baseline and the ground truth
    flat, build_s = timed(lambda: build_index(x, kind="flat", use_gpu=False))
    flat_qps, _, truth = search_stats(flat, q, np.zeros((len(q), K), dtype=np.int64), args.repeats)
    record("flat", flat, args.docs, build_s, truth, {}, "build_index", flat_qps)
    del flat

    for kind, extra in (("ivf", {}), ("ivfpq", {"m": args.pq_m})):

        def build(kind=kind, extra=extra):
            index = build_index(x[:train], kind=kind, nlist=nlist, use_gpu=False, **extra)
            index.add(x[train:])
            return index

        index, build_s = timed(build)
        for nprobe in nprobes:
            set_search_params(index, nprobe=nprobe)
            params = {"nlist": nlist, "nprobe": nprobe, "train_size": train, **extra}
            label = f"{kind} nprobe={nprobe}"
            record(label, index, args.docs, build_s, truth, params, "build_index + add", flat_qps)
        del index

    # HNSW: time a small build, extrapolate (n log n), then build the largest N that fits
    probe_n = min(HNSW_PROBE, args.docs)
    _, probe_s = timed(
        lambda: build_index(x[:probe_n], kind="hnsw", hnsw_m=args.hnsw_m, use_gpu=False)
    )

    def predicted(n):
        return probe_s * (n / probe_n) * math.log(n) / math.log(probe_n)

    candidates = [n for n in (1_000_000, 500_000, 300_000, 200_000, 100_000) if n <= args.docs]
    candidates = [args.docs] + [n for n in candidates if n < args.docs]
    hnsw_n = next((n for n in candidates if predicted(n) <= args.hnsw_budget), probe_n)
    print(
        f"hnsw probe: {probe_n} vectors in {probe_s:.1f} s; predicted {args.docs}: "
        f"{predicted(args.docs):.0f} s; building on {hnsw_n} (budget {args.hnsw_budget:.0f} s)"
    )
    if hnsw_n == args.docs:
        sub_truth, sub_flat_qps = truth, flat_qps
    else:  # exact top-10 and flat speed over the same first hnsw_n vectors
        sub_flat = build_index(x[:hnsw_n], kind="flat", use_gpu=False)
        sub_flat_qps, _, sub_truth = search_stats(
            sub_flat, q, np.zeros((len(q), K), dtype=np.int64), args.repeats
        )
        record(
            "flat (hnsw subset)", sub_flat, hnsw_n, 0.0, sub_truth, {}, "build_index", sub_flat_qps
        )
        del sub_flat
    hnsw, build_s = timed(
        lambda: build_index(x[:hnsw_n], kind="hnsw", hnsw_m=args.hnsw_m, use_gpu=False)
    )
    for ef in efs:
        set_search_params(hnsw, ef_search=ef)
        params = {"M": args.hnsw_m, "ef_construction": hnsw.hnsw.efConstruction, "ef_search": ef}
        record(
            f"hnsw ef={ef}", hnsw, hnsw_n, build_s, sub_truth, params, "build_index", sub_flat_qps
        )

    results = {
        "docs": args.docs,
        "dim": args.dim,
        "clusters": args.clusters,
        "sigma": args.sigma,
        "queries": args.queries,
        "k": K,
        "repeats": args.repeats,
        "nlist": nlist,
        "train_size": train,
        "hnsw": {
            "probe_n": probe_n,
            "probe_build_seconds": probe_s,
            "predicted_build_seconds_at_docs": predicted(args.docs),
            "budget_seconds": args.hnsw_budget,
            "n_vectors": hnsw_n,
            "note": (
                "measured on all vectors"
                if hnsw_n == args.docs
                else f"built on the first {hnsw_n} vectors only: the predicted build on "
                f"{args.docs} did not fit the budget; recall and speed are against flat on the "
                "same subset"
            ),
        },
        "configs": configs,
        "faiss": faiss.__version__,
        "threads": faiss.omp_get_max_threads(),
        **provenance(),
    }
    write_json(args.output, results)
    out = Path(args.output)

    fig, ax = plt.subplots(figsize=(8, 5.5))
    colours = {"flat": "black", "ivf": "tab:blue", "ivfpq": "tab:orange", "hnsw": "tab:green"}
    for row in configs:
        kind = row["name"].split()[0]
        ax.scatter(row["qps"], row["recall_at_10"], color=colours[kind], s=40, zorder=3)
        label = (
            row["name"]
            if row["n_vectors"] == args.docs
            else f"{row['name']} (n={row['n_vectors']:,})"
        )
        ax.annotate(
            label,
            (row["qps"], row["recall_at_10"]),
            xytext=(5, 4),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_xscale("log")
    ax.set_xlabel(
        f"queries per second (batch of {args.queries}, k=10, {results['threads']} threads)"
    )
    ax.set_ylabel("recall@10 vs exact flat")
    ax.set_ylim(0, 1.05)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(f"FAISS on {args.docs:,} clustered {args.dim}-d vectors ({results['machine']})")
    fig.tight_layout()
    fig.savefig(out.with_suffix(".png"), dpi=120)
    print(f"wrote {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
