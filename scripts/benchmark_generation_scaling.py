"""Soft-label generation throughput as the corpus grows, against TfidfVectorizer as the floor.

For each size in ``--sizes`` the corpus comes from ``synthetic_corpus.make_corpus`` (real
vocabulary, ``--classes`` classes, ``--words`` mean words per document). Timed in this process:
``TfidfVectorizer().fit_transform(texts)`` (tokenising and weighting once: a floor that any
lexical generator pays) and ``get_smoother(name).fit_transform(texts, labels)`` for each method.
Sizes up to ``--repeat-below`` are timed ``--repeats`` times and the median is kept; larger ones
once. Reported per size: seconds, docs/s and the ratio to the floor.

    python scripts/benchmark_generation_scaling.py --sizes 10000,30000,100000,300000,1000000
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import matplotlib
from sklearn.feature_extraction.text import TfidfVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import add_corpus_arguments, make_parser, median_seconds  # noqa: E402
from provenance import provenance  # noqa: E402
from synthetic_corpus import make_corpus  # noqa: E402

from textls import get_smoother  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FLOOR = "tfidf_vectorizer"


def time_size(n: int, classes: int, words: int, methods: list[str], repeats: int) -> dict:
    start = time.perf_counter()
    texts, labels = make_corpus(n, n_classes=classes, words_per_doc=words)
    corpus_s = time.perf_counter() - start
    floor = median_seconds(lambda: TfidfVectorizer().fit_transform(texts), repeats)
    row = {
        "docs": n,
        "repeats": repeats,
        "corpus_seconds": corpus_s,
        "methods": {FLOOR: {"seconds": floor, "docs_per_s": n / floor, "ratio_vs_floor": 1.0}},
    }
    print(f"{n:>8} docs ({repeats}x): {FLOOR} {floor:7.2f} s  {n / floor:9.0f} docs/s", flush=True)
    for name in methods:
        s = median_seconds(
            lambda name=name: get_smoother(name).fit_transform(texts, labels), repeats
        )
        row["methods"][name] = {"seconds": s, "docs_per_s": n / s, "ratio_vs_floor": s / floor}
        print(f"{'':>8}   {name:>26} {s:7.2f} s  {n / s:9.0f} docs/s  {s / floor:.2f}x", flush=True)
    return row


def main() -> None:
    parser = make_parser(__doc__, output="generation_scaling.json")
    parser.add_argument("--sizes", default="10000,30000,100000,300000,1000000")
    add_corpus_arguments(parser, words=20)
    parser.add_argument("--methods", default="kwls,ls-tfidf,ls-classic")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--repeat-below", type=int, default=300_000)
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        help="seconds for the whole run; a size predicted (linearly from the last) not to fit is skipped",
    )
    args = parser.parse_args()
    sizes = [int(v) for v in args.sizes.split(",")]
    methods = args.methods.split(",")

    rows, skipped, t0, last = [], [], time.perf_counter(), None
    for n in sizes:
        repeats = args.repeats if n <= args.repeat_below else 1
        if args.budget is not None and last is not None:
            last_n, last_s, last_repeats = last
            predicted = last_s * (n / last_n) * (repeats / last_repeats)
            left = args.budget - (time.perf_counter() - t0)
            if predicted > left:
                skipped.append({"docs": n, "predicted_seconds": predicted, "seconds_left": left})
                print(f"skipping {n} docs: predicted {predicted:.0f} s, {left:.0f} s left")
                continue
        start = time.perf_counter()
        rows.append(time_size(n, args.classes, args.words, methods, repeats))
        last = (n, time.perf_counter() - start, repeats)
        results = {  # written after every size, so a run cut short keeps what it measured
            "sizes_requested": sizes,
            "sizes_done": [r["docs"] for r in rows],
            "sizes_skipped": skipped,
            "budget_seconds": args.budget,
            "classes": args.classes,
            "words_per_doc": args.words,
            "repeat_below": args.repeat_below,
            "rows": rows,
            **provenance(),
        }
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")

    fig, ax = plt.subplots(figsize=(7, 5))
    docs = [r["docs"] for r in rows]
    for name in [FLOOR, *methods]:
        secs = [r["methods"][name]["seconds"] for r in rows]
        style = {"color": "black", "linestyle": "--"} if name == FLOOR else {}
        label = "TfidfVectorizer.fit_transform (floor)" if name == FLOOR else name
        ax.plot(docs, secs, marker="o", label=label, **style)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("documents")
    ax.set_ylabel("seconds (fit_transform)")
    ax.set_title(f"Soft-label generation, {args.classes} classes, ~{args.words} words/doc")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out.with_suffix(".png"), dpi=120)
    print(f"wrote {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
