"""How well does each smoother's relevance point at the gold class, on corpora of different shapes?

The evidence behind KWLS's defaults (every positive-z class keyword, every instance term): for each
bundled classification corpus and each configuration below, fit on ``train.csv`` and record

* **test top-1**: how often ``argmax_k relevance(text)`` is the gold class on ``test.csv``; a row
  whose maximum is shared by ``t`` classes, gold among them, counts ``1/t`` (the expected hit of a
  random tie-break, so an uninformative uniform row scores ``1/C``, not a free hit on class 0);
* **test log-lik**: ``smoother.score(test)``, the mean log-likelihood of the gold label (higher is
  better);
* **train out-of-sample top-1** (and log-lik): the same on the training rows' ``fit_relevance``,
  which is what the training targets are made of (KWLS cross-fits, LS-TFIDF leaves one out,
  LS-Distill cross-fits its teacher);
* **keywords / class** (KWLS): the mean number of class keywords fitted on all training rows;
* **fit seconds**: ``fit_relevance`` on the training rows (the fit a training run needs);
* for every configuration, the paired difference to ``kwls`` (defaults) in test top-1 and test
  log-lik over the same test rows, ``[mean, standard error]``, so a gap can be told from noise.

LS-Distill's teacher (bigram TF-IDF + logistic regression, cross-fitted 5 times) takes most of the
run: about 15 minutes on 2 CPU cores for the five corpora, all else a few seconds.

Configurations: ``kwls`` (defaults), ``kwls top_k=10 class_top_k=50`` (the old defaults),
``kwls class_min_z=1.96`` (significant keywords only), ``kwls top_k=50``, ``ls-tfidf``,
``ls-distill``, ``ls-classic`` (uniform: the floor).  A corpus whose CSVs are missing is skipped with
a note naming its ``prepare.py``.

    python scripts/benchmark_relevance.py
    python scripts/benchmark_relevance.py --corpora kjv_chapters,foldoc
"""

from __future__ import annotations

import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import log_loss

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, make_parser, write_json  # noqa: E402
from provenance import provenance  # noqa: E402

from textls import get_smoother  # noqa: E402
from textls._utils import encode_labels  # noqa: E402
from textls.classification.data import load_labelled  # noqa: E402
from textls.diagnostics import top1_hits  # noqa: E402

CORPORA = ("healthtweets", "sentiment", "rotten_tomatoes", "kjv_chapters", "foldoc")
#: name -> (method, constructor parameters)
CONFIGS: dict[str, tuple[str, dict]] = {
    "kwls": ("kwls", {}),
    "kwls top_k=10 class_top_k=50 (old)": ("kwls", {"top_k": 10, "class_top_k": 50}),
    "kwls class_min_z=1.96": ("kwls", {"class_min_z": 1.96}),
    "kwls top_k=50": ("kwls", {"top_k": 50}),
    "ls-tfidf": ("ls-tfidf", {}),
    "ls-distill": ("ls-distill", {}),
    "ls-classic": ("ls-classic", {}),
}


def gold_loglik(relevance: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row ``log r_{i, g_i}``, clipped as ``sklearn.metrics.log_loss`` clips (its mean is ``score``)."""
    eps = np.finfo(relevance.dtype).eps
    return np.log(np.clip(relevance[np.arange(len(y)), y], eps, 1 - eps))


def paired(a: np.ndarray, b: np.ndarray) -> list[float]:
    """``[mean(a - b), its standard error]`` over the same test rows."""
    d = a - b
    return [float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))]


def corpus_shape(train_texts, train_labels, test_texts) -> dict:
    counts = Counter(train_labels)
    return {
        "train_rows": len(train_texts),
        "test_rows": len(test_texts),
        "classes": len(counts),
        "imbalance_ratio": max(counts.values()) / min(counts.values()),
        "mean_words": float(np.mean([len(t.split()) for t in train_texts])),
    }


def evaluate(method: str, params: dict, train, test) -> tuple[dict, dict[str, np.ndarray]]:
    """Fit one configuration on ``train``; its relevance's quality on ``train`` (OOS) and ``test``.

    Also returns the per-test-row top-1 hits and gold log-likelihoods, for paired comparisons.
    """
    (train_texts, train_labels), (test_texts, test_labels) = train, test
    smoother = get_smoother(method, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        train_relevance = smoother.fit_relevance(train_texts, train_labels)
        seconds = time.perf_counter() - start
    classes = np.arange(len(smoother.classes_))
    y_train = encode_labels(np.asarray(train_labels, dtype=object), smoother.classes_)
    y_test = encode_labels(np.asarray(test_labels, dtype=object), smoother.classes_)
    test_relevance = smoother.relevance(test_texts)
    per_row = {
        "test_top1": top1_hits(test_relevance, y_test),
        "test_loglik": gold_loglik(test_relevance, y_test),
    }
    result = {
        "params": params,
        "test_top1": float(per_row["test_top1"].mean()),
        "test_loglik": smoother.score(test_texts, test_labels),
        "train_oos_top1": float(top1_hits(train_relevance, y_train).mean()),
        "train_oos_loglik": -log_loss(y_train, train_relevance, labels=classes),
        "fit_seconds": seconds,
        "warnings": sorted({str(w.message) for w in caught}),
    }
    if method == "kwls":
        result["keywords_per_class"] = float(smoother.class_weights_.getnnz(axis=1).mean())
        result["temperature"] = smoother.temperature_
    elif hasattr(smoother, "temperature_"):
        result["temperature"] = smoother.temperature_
    return result, per_row


def main() -> None:
    parser = make_parser(__doc__, output="relevance.json")
    parser.add_argument("--corpora", default=",".join(CORPORA))
    parser.add_argument("--configs", default=",".join(CONFIGS), help="Comma-separated names.")
    parser.add_argument("--data-dir", default=str(ROOT / "data"))
    args = parser.parse_args()
    configs = args.configs.split(",")
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        parser.error(f"unknown configuration(s) {unknown}; choose from {list(CONFIGS)}")

    results = {"configs": {c: CONFIGS[c][0] for c in configs}, "corpora": {}, "skipped": {}}
    for corpus in args.corpora.split(","):
        folder = Path(args.data_dir) / corpus
        if not (folder / "prepare.py").exists():
            parser.error(f"no corpus {corpus!r}: {folder} has no prepare.py")
        if not (folder / "train.csv").exists() or not (folder / "test.csv").exists():
            note = f"no train.csv/test.csv: run python data/{corpus}/prepare.py"
            print(f"skipping {corpus}: {note}")
            results["skipped"][corpus] = note
            continue
        train = load_labelled(str(folder / "train.csv"), "text", "label")
        test = load_labelled(str(folder / "test.csv"), "text", "label")
        shape = corpus_shape(train[0], train[1], test[0])
        print(
            f"{corpus}: {shape['train_rows']} train / {shape['test_rows']} test rows, "
            f"{shape['classes']} classes, imbalance {shape['imbalance_ratio']:.1f}:1, "
            f"{shape['mean_words']:.0f} words per text"
        )
        rows, per_row = {}, {}
        for name in configs:
            method, params = CONFIGS[name]
            r, per_row[name] = evaluate(method, params, train, test)
            rows[name] = r
            keywords = (
                f"  {r['keywords_per_class']:7.0f} kw/class" if "keywords_per_class" in r else ""
            )
            print(
                f"  {name:>36}: test top-1 {r['test_top1']:.3f}  log-lik {r['test_loglik']:.3f}  "
                f"train OOS top-1 {r['train_oos_top1']:.3f}  fit {r['fit_seconds']:.1f} s{keywords}"
            )
        if "kwls" in per_row:  # paired over the same test rows: is a gap to the defaults noise?
            for name, r in rows.items():
                for key in ("test_top1", "test_loglik"):
                    r[f"{key}_vs_kwls"] = paired(per_row[name][key], per_row["kwls"][key])
        results["corpora"][corpus] = {"shape": shape, "configs": rows}
    results.update(provenance())
    write_json(args.output, results)


if __name__ == "__main__":
    main()
