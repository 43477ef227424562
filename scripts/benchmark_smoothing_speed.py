"""Time KWLS (lexical) fit + transform against scikit-learn's TfidfVectorizer.fit_transform.

``fit_transform`` tokenises the corpus once (fit statistics and training targets from one count
matrix); ``fit`` then ``transform`` on the same texts tokenises twice and is reported as well.
Both run in this process on the same synthetic corpus (real vocabulary, see synthetic_corpus.py);
each is timed ``--repeats`` times and the median is reported, with the ratio KWLS / TF-IDF.

    python scripts/benchmark_smoothing_speed.py --docs 50000 --classes 50
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import median_seconds  # noqa: E402
from provenance import provenance  # noqa: E402
from synthetic_corpus import make_corpus  # noqa: E402

from textls import get_smoother  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--classes", type=int, default=50)
    parser.add_argument("--words", type=int, default=60, help="mean words per document")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--methods", default="kwls,ls-tfidf,ls-classic")
    parser.add_argument(
        "--output", default=str(Path(__file__).parent / "results" / "smoothing_speed.json")
    )
    args = parser.parse_args()

    texts, labels = make_corpus(args.docs, args.classes, args.words)
    baseline = median_seconds(lambda: TfidfVectorizer().fit_transform(texts), args.repeats)
    print(f"{args.docs} docs, {args.classes} classes, ~{args.words} words each")
    print(f"TfidfVectorizer.fit_transform: {baseline:.2f} s (median of {args.repeats})")
    results = {
        "docs": args.docs,
        "classes": args.classes,
        "words_per_doc": args.words,
        "repeats": args.repeats,
        "tfidf_vectorizer_seconds": baseline,
        "methods": {},
        **provenance(),
    }
    for name in args.methods.split(","):
        seconds = median_seconds(
            lambda n=name: get_smoother(n).fit_transform(texts, labels), args.repeats
        )
        ratio = seconds / baseline
        results["methods"][name] = {"seconds": seconds, "ratio_vs_tfidf_vectorizer": ratio}
        print(f"{name:>12} fit_transform: {seconds:.2f} s  ratio {ratio:.2f}x")
        if name == "kwls":  # fit, then transform the same texts: a second tokenisation pass
            two_pass = median_seconds(
                lambda: get_smoother("kwls").fit(texts, labels).transform(texts, labels),
                args.repeats,
            )
            results["methods"]["kwls (fit, then transform)"] = {
                "seconds": two_pass,
                "ratio_vs_tfidf_vectorizer": two_pass / baseline,
            }
            print(
                f"{'kwls':>12} fit, then transform: {two_pass:.2f} s  ratio {two_pass / baseline:.2f}x"
            )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
