"""Where the smoothing mass goes on long-tailed data: how much the rarest training class receives
from the other classes' rows, against the most frequent class, per method and ``balanced``.

For each corpus every generator is fitted at epsilon 0.1 and its training targets (out-of-sample
relevance, as ``textls compare`` trains on them) are scored by
:func:`textls.diagnostics.diagnose`'s ``rare_to_frequent_mass``; the summary also gives each
informative method's ratio over LS-Classic's (about 1 would be "every class receives about the
same share as under LS-Classic").  No model is trained.

    python scripts/benchmark_smoothing_mass.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, make_parser, write_json  # noqa: E402
from provenance import provenance  # noqa: E402

from textls.classification.splits import long_tail  # noqa: E402
from textls.diagnostics import diagnose  # noqa: E402
from textls.smoothers import get_smoother  # noqa: E402

#: corpus -> long-tail ratio applied to its training split (None: as it comes)
CELLS = {
    "kjv_chapters": None,
    "foldoc": None,
    "healthtweets-longtail10": 10.0,
    "healthtweets-longtail50": 50.0,
    "sentiment-longtail10": 10.0,
    "sentiment-longtail50": 50.0,
}
INFORMATIVE = ("ls-tfidf", "kwls", "ls-distill")


def main() -> None:
    parser = make_parser(__doc__, output="smoothing_mass.json")
    parser.add_argument("--epsilon", type=float, default=0.1)
    args = parser.parse_args()
    summary = {"epsilon": args.epsilon, **provenance(), "cells": {}}
    for cell, ratio in CELLS.items():
        corpus = cell.split("-")[0]
        data = pd.read_csv(ROOT / "data" / corpus / "train.csv")
        if ratio:
            data = data.iloc[long_tail(data["label"].astype(str).tolist(), ratio, seed=0)]
        texts, labels = data["text"].tolist(), data["label"].tolist()
        counts = data["label"].value_counts()
        entry = {"rows": len(texts), "imbalance": float(counts.max() / counts.min()), "mass": {}}
        for method in ("ls-classic", *INFORMATIVE):
            for balanced in (None,) if method == "ls-classic" else (True, False):
                params = {} if balanced is None else {"balanced": balanced}
                smoother = get_smoother(method, epsilon=args.epsilon, **params)
                soft, relevance, y = smoother.fit_targets(texts, labels)
                name = method if balanced is None else f"{method}/balanced={balanced}"
                entry["mass"][name] = diagnose(relevance, y, soft)["rare_to_frequent_mass"]
        classic = entry["mass"]["ls-classic"]
        entry["relative_to_ls_classic"] = {
            name: value / classic for name, value in entry["mass"].items() if name != "ls-classic"
        }
        summary["cells"][cell] = entry
        print(cell, {k: round(v, 2) for k, v in entry["relative_to_ls_classic"].items()})
    write_json(args.output, summary, allow_nan=False)


if __name__ == "__main__":
    main()
