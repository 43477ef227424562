"""Which in-batch candidates the guided default leaves out, and how many are false negatives.

For each training setting of ``benchmark_st_losses.py`` that the Results page reports (the same
pairs, mined negatives and batches, built by the same functions), the guided soft targets are
fitted with the packaged MiniLM as the guide, as ``SoftTargetMNRLoss(model, train_dataset)``
fits them, at several ``suspect_quantile`` values (0: no floor, GISTEmbed's rule; 0.5: the
default, the median of the guide's scores on the labelled pairs), and for each of the
``suspects`` scopes: ``all`` (any in-batch candidate can be a suspect, GISTEmbed's rule) and
``mined`` (only the hard negatives mined for the anchor's query: the default).  Over one epoch
of batches, as the sampler makes them, it counts the (anchor, candidate) pairs the targets leave out of the
softmax, and how many of those are relevant to the anchor by the full qrels but unlabelled (the
false negatives a suspect rule exists to catch; the benchmark can know them because it trains on
one labelled passage a query and keeps the rest).

Recorded per setting, scope and quantile: the share of candidate pairs left out, the unlabelled
positives among them (their count and share: the rule's precision), and the share of all
in-batch unlabelled positives that are left out (its recall); and these counts by kind of
candidate: another query's positive, the anchor's own mined negative, another query's mined
negative.

    python scripts/benchmark_suspects.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import make_parser, write_json  # noqa: E402
from benchmark_st_losses import DEVICE, candidate_texts, training_setting  # noqa: E402
from provenance import provenance  # noqa: E402

from textls._utils import default_model_path  # noqa: E402
from textls.retrieval import DatasetSoftTargets  # noqa: E402

#: The settings of the Results page's sentence-transformers comparison (its result files).
SETTINGS = {
    "faq": {"labels": "all", "batches": "random", "hard_negatives": "none", "queries": 300},
    "gcide_reverse": {
        "labels": "one",
        "batches": "random",
        "hard_negatives": "dense",
        "queries": 2000,
    },
    "news_passages": {
        "labels": "one",
        "batches": "clustered",
        "hard_negatives": "dense",
        "queries": 2000,
    },
}


#: The kinds of in-batch candidate of an anchor, counted apart in :func:`audit`.
KINDS = (
    "other queries' positives",
    "the anchor's own mined negatives",
    "other queries' mined negatives",
)
KIND_COUNTS = ("candidate_pairs", "left_out", "unlabelled_positives", "unlabelled_left_out")


def audit(dataset, relevant: dict, batches: list, soft: DatasetSoftTargets) -> dict:
    """Over ``batches``, the (anchor, candidate) pairs other than known positives, those ``soft``
    leaves out (NaN targets), and the unlabelled positives among them (relevant by the full
    qrels, as :func:`benchmark_st_losses.in_batch_positive_shares` counts them)."""
    anchors, texts, labelled = candidate_texts(dataset)
    columns = list(texts)
    labels = np.asarray(dataset["label"])
    pairs = left_out = unlabelled = caught = 0
    by_kind = {k: dict.fromkeys(KIND_COUNTS, 0) for k in KINDS}
    for rows in batches:
        targets = soft.batch_targets(labels[rows], len(columns))
        candidates = [(c, k, texts[c][k]) for c in columns for k in rows]
        for a, i in enumerate(rows):
            for j, (column, k, text) in enumerate(candidates):
                if text in labelled[anchors[i]]:  # a known positive: the targets say so
                    continue
                pairs += 1
                hidden = text in relevant[anchors[i]]
                out = bool(np.isnan(targets[a, j]))
                unlabelled += hidden
                left_out += out
                caught += hidden and out
                # "own": the negative of the anchor's example (one example a query here)
                kind = by_kind[KINDS[0 if column == "positive" else 1 + (k != i)]]
                kind["candidate_pairs"] += 1
                kind["left_out"] += out
                kind["unlabelled_positives"] += hidden
                kind["unlabelled_left_out"] += hidden and out
    return {
        "candidate_pairs": pairs,
        "left_out_share": left_out / pairs,
        "left_out": left_out,
        "unlabelled_positives": unlabelled,
        "unlabelled_left_out": caught,
        "precision": caught / left_out if left_out else None,
        "recall": caught / unlabelled if unlabelled else None,
        "by_kind": by_kind,
    }


def main() -> None:
    parser = make_parser(__doc__, output="suspects.json")
    parser.add_argument("--corpora", default=",".join(SETTINGS))
    parser.add_argument("--quantiles", default="0,0.25,0.5,0.75")
    parser.add_argument("--suspects", default="all,mined", help="the scopes, comma-separated")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=64, help="tokens per text")
    parser.add_argument("--mining-pool", type=int, default=5000)
    args = parser.parse_args()
    from sentence_transformers import SentenceTransformer

    guide = SentenceTransformer(str(default_model_path()), device=DEVICE)
    guide.max_seq_length = args.max_length
    quantiles = [float(q) for q in args.quantiles.split(",")]
    summary = {"batch_size": args.batch_size, "max_length": args.max_length, **provenance()}
    summary["settings"] = {}
    for corpus in args.corpora.split(","):
        setting = SETTINGS[corpus]
        options = argparse.Namespace(
            labels=setting["labels"],
            batches=setting["batches"],
            hard_negatives=setting["hard_negatives"],
            max_train_queries=setting["queries"],
            batch_size=args.batch_size,
            mining_pool=args.mining_pool,
        )
        made = training_setting(corpus, options, guide)
        dataset = made["dataset"]
        memo = MemoGuide(guide)  # every text encoded once, whatever the quantile
        by_scope = {}
        for scope in args.suspects.split(","):
            rows = by_scope[scope] = {}
            for quantile in quantiles:
                soft = DatasetSoftTargets(suspect_quantile=quantile, suspects=scope)
                soft.fit(dataset, guide=memo)
                floor = soft.soft_targets_.suspect_floor_  # a cosine; -inf: none (quantile 0)
                found = rows[f"{quantile:g}"] = {
                    "floor": float(floor) if np.isfinite(floor) else None,
                    **audit(dataset, made["relevant"], made["batches"], soft),
                }
                print(
                    f"{corpus} suspects {scope}, quantile {quantile:g}: left out "
                    f"{found['left_out_share']:.4f} of {found['candidate_pairs']} pairs; "
                    f"unlabelled positives left out {found['unlabelled_left_out']} of "
                    f"{found['unlabelled_positives']}"
                )
        summary["settings"][corpus] = {**setting, "train_pairs": len(dataset), "by_scope": by_scope}
        write_json(args.output, summary, allow_nan=False)


class MemoGuide:
    """``guide``'s embeddings of texts, each text encoded once across fits."""

    def __init__(self, guide):
        self.guide, self.seen = guide, {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if new:
            self.seen.update(
                zip(
                    new,
                    self.guide.encode(new, convert_to_numpy=True, show_progress_bar=False),
                    strict=True,
                )
            )
        return np.stack([self.seen[t] for t in texts])


if __name__ == "__main__":
    main()
