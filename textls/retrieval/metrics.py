r"""Ranking metrics over a run and qrels, the values ``ir_measures`` gives (checked in the tests).

A run is ``{query_id: {doc_id: score}}``, qrels are ``{query_id: {doc_id: relevance}}`` with
integer relevance. For one query, let the ranking be the run's documents sorted by score
(ties below), :math:`\mathrm{rel}_i = r_{d_i}` the relevance of the document at rank
:math:`i` (0 when unjudged), :math:`[\cdot]` the indicator of "relevant" (relevance
:math:`\ge 1`) and :math:`R` the number of relevant documents in the qrels.

- ``RR@k``: :math:`1 / i^*` for the first relevant rank :math:`i^* \le k`, else 0 (``RR``: any rank).
- ``P@k``: :math:`\frac1k \sum_{i \le k} [\mathrm{rel}_i \ge 1]`.
- ``R@k``: :math:`\frac1R \sum_{i \le k} [\mathrm{rel}_i \ge 1]`.
- ``AP`` (``AP@k``): :math:`\frac1R \sum_{i \,(\le k)} [\mathrm{rel}_i \ge 1]\, P@i`.
- ``nDCG@k`` (``nDCG``: all ranks): :math:`\mathrm{DCG@k} / \mathrm{IDCG@k}` with
  :math:`\mathrm{DCG@k} = \sum_{i \le k,\ \mathrm{rel}_i > 0} \mathrm{rel}_i / \log_2(i + 1)` and
  IDCG the same sum over the qrels' positive relevances sorted in decreasing order (gain =
  relevance, trec_eval's ``ndcg_cut``).

A measure whose denominator is 0 (no relevant document) is 0. The mean runs over every query
of the qrels: a query missing from the run, or with no documents, scores 0 (trec_eval's ``-c``);
run queries absent from the qrels are ignored. ``check_coverage`` counts both kinds, refuses a run
that shares no query with the qrels (every measure would be a silent 0) and warns on a partial
overlap; ``retrieval evaluate`` records its counts next to the measures.

Ties in score follow the implementation ``ir_measures`` picks by default: trec_eval (through
pytrec_eval) for every measure except a cut-off ``RR@k``, which ``ir_measures`` computes with the
MS MARCO script. trec_eval orders tied documents by **descending** doc id (``strcmp(b, a)``);
the MS MARCO path by **ascending** doc id. The two conventions are kept so the numbers match
``ir_measures.calc_aggregate`` to machine precision even for runs with tied scores.

Examples
--------
>>> run = {"q1": {"d1": 0.9, "d2": 0.5, "d3": 0.1}, "q2": {"d4": 1.0}}
>>> qrels = {"q1": {"d2": 1}, "q2": {"d5": 2}}
>>> evaluate_run(run, qrels, ["RR@10", "R@10"])
{'RR@10': 0.25, 'R@10': 0.5}
"""

from __future__ import annotations

import logging
import math
import numbers
import re
from collections.abc import Collection, Iterable, Mapping

import numpy as np

__all__ = [
    "COVERAGE_CONVENTION",
    "DEFAULT_MEASURES",
    "check_coverage",
    "evaluate_run",
    "parse_measures",
    "per_query",
]

logger = logging.getLogger(__name__)

DEFAULT_MEASURES = ("RR@10", "R@1", "R@10", "R@100", "nDCG@10", "AP")
_NAME = re.compile(r"^(RR|P|R|AP|nDCG)(?:@([1-9][0-9]*))?$")
_NEEDS_CUTOFF = {"P", "R"}
COVERAGE_CONVENTION = (
    "mean over the queries of the qrels; a query missing from the run (or with no documents) "
    "scores 0, as trec_eval -c; run queries not in the qrels are ignored"
)


def parse_measures(measures: Iterable[str]) -> list[tuple[str, str, int | None]]:
    """``[(name, family, cutoff)]`` for names like ``"nDCG@10"``; unknown names raise ``ValueError``."""
    if isinstance(measures, str):
        measures = [measures]
    parsed = []
    for name in measures:
        match = _NAME.match(name) if isinstance(name, str) else None
        if match is None or (match.group(1) in _NEEDS_CUTOFF and match.group(2) is None):
            raise ValueError(
                f"unknown measure {name!r}; use RR, RR@k, P@k, R@k, AP, AP@k, nDCG or nDCG@k "
                "(ir_measures spelling)"
            )
        cutoff = int(match.group(2)) if match.group(2) else None
        parsed.append((name, match.group(1), cutoff))
    if not parsed:
        raise ValueError("no measures given")
    return parsed


def per_query(
    run: Mapping[str, Mapping[str, float]],
    qrels: Mapping[str, Mapping[str, int]],
    measures: Iterable[str] = DEFAULT_MEASURES,
) -> dict[str, dict[str, float]]:
    """``{query_id: {measure: value}}`` for every query of ``qrels``, in qrels order."""
    parsed = parse_measures(measures)
    _check_qrels(qrels)
    out = {}
    for query_id, judged in qrels.items():
        docs = run.get(query_id) or {}
        _check_scores(query_id, docs)
        out[query_id] = _one_query(docs, judged, parsed)
    return out


def evaluate_run(
    run: Mapping[str, Mapping[str, float]],
    qrels: Mapping[str, Mapping[str, int]],
    measures: Iterable[str] = DEFAULT_MEASURES,
) -> dict[str, float]:
    """Mean of each measure over the queries of ``qrels`` (see the module docstring)."""
    parsed = parse_measures(measures)
    rows = per_query(run, qrels, [name for name, _, _ in parsed])
    if not rows:
        raise ValueError("qrels has no queries")
    return {
        name: float(np.mean([values[name] for values in rows.values()])) for name, _, _ in parsed
    }


def check_coverage(
    run: Mapping[str, Mapping[str, float]],
    qrels: Mapping[str, Mapping[str, int]],
    *,
    run_name: str = "the run",
    qrels_name: str = "the qrels",
) -> dict[str, int | str]:
    """Count how the run's queries meet the qrels'; refuse no overlap, warn on a partial one.

    A run query with no documents counts as missing. Returns ``{"qrels": n, "run": m,
    "evaluated": n, "missing_from_run": a, "not_in_qrels": b, "convention": ...}``: ``evaluate_run``
    averages over the ``n`` qrels queries, ``a`` of them scored 0 (``COVERAGE_CONVENTION``).
    ``run_name`` and ``qrels_name`` (file paths, say) go into the messages.

    Raises
    ------
    ValueError
        No query of the run is in the qrels (every measure would be 0), with a few ids of each
        side so a mismatch of id spelling shows.
    """
    in_run = [q for q, docs in run.items() if docs]
    shared = sum(q in qrels for q in in_run)
    if not shared:
        raise ValueError(
            f"no query of run {run_name} is in qrels {qrels_name}; run query ids look like "
            f"{in_run[:3]}, qrels like {list(qrels)[:3]}"
        )
    counts: dict[str, int | str] = {
        "qrels": len(qrels),
        "run": len(in_run),
        "evaluated": len(qrels),
        "missing_from_run": len(qrels) - shared,
        "not_in_qrels": len(in_run) - shared,
        "convention": COVERAGE_CONVENTION,
    }
    if counts["missing_from_run"] or counts["not_in_qrels"]:
        logger.warning(
            "%d of the %d queries of qrels %s are not in run %s and score 0 (as trec_eval -c); "
            "%d of the %d queries of run %s are not in the qrels and are ignored",
            counts["missing_from_run"],
            len(qrels),
            qrels_name,
            run_name,
            counts["not_in_qrels"],
            len(in_run),
            run_name,
        )
    return counts


def _check_qrels(qrels: Mapping[str, Mapping[str, int]]) -> None:
    for query_id, judged in qrels.items():
        for doc_id, rel in judged.items():
            if isinstance(rel, bool) or not isinstance(rel, numbers.Integral):
                if not (isinstance(rel, numbers.Real) and float(rel).is_integer()):
                    raise ValueError(
                        f"qrels[{query_id!r}][{doc_id!r}] = {rel!r} is not an integer relevance"
                    )


def _check_scores(query_id: str, docs: Mapping[str, float]) -> None:
    for doc_id, score in docs.items():
        if isinstance(score, bool) or not isinstance(score, numbers.Real) or math.isnan(score):
            raise ValueError(f"run[{query_id!r}][{doc_id!r}] = {score!r} is not a number")


def _one_query(
    docs: Mapping[str, float], judged: Mapping[str, int], parsed: list[tuple[str, str, int | None]]
) -> dict[str, float]:
    ideal = np.sort(np.array([r for r in judged.values() if r > 0], dtype=np.float64))[::-1]
    n_rel = len(ideal)
    # trec_eval: score descending, then doc id descending (strcmp(b, a)) -- i.e. reverse of
    # ascending (score, doc id). The MS MARCO path of RR@k: score descending, doc id ascending.
    by_trec = [d for d, _ in sorted(docs.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)]
    rel_trec = np.array([judged.get(d, 0) for d in by_trec], dtype=np.float64)
    rel_msmarco = None
    out = {}
    for name, family, k in parsed:
        if family == "RR" and k is not None:
            if rel_msmarco is None:
                by_msmarco = sorted(docs.items(), key=lambda kv: (-kv[1], kv[0]))
                rel_msmarco = np.array([judged.get(d, 0) for d, _ in by_msmarco], dtype=np.float64)
            out[name] = _rr(rel_msmarco[:k])
            continue
        rel = rel_trec if k is None else rel_trec[:k]
        hit = rel >= 1
        if family == "RR":
            out[name] = _rr(rel)
        elif family == "P":
            out[name] = float(hit.sum()) / k
        elif family == "R":
            out[name] = float(hit.sum()) / n_rel if n_rel else 0.0
        elif family == "AP":
            precision = np.cumsum(hit) / np.arange(1, len(hit) + 1)
            out[name] = float(precision[hit].sum()) / n_rel if n_rel else 0.0
        else:  # nDCG
            out[name] = _ndcg(rel, ideal if k is None else ideal[:k])
    return out


def _rr(rel: np.ndarray) -> float:
    hits = np.flatnonzero(rel >= 1)
    return 1.0 / (hits[0] + 1) if hits.size else 0.0


def _ndcg(rel: np.ndarray, ideal: np.ndarray) -> float:
    if not ideal.size:
        return 0.0
    gains = np.where(rel > 0, rel, 0.0)
    dcg = float(np.sum(gains / np.log2(np.arange(2, gains.size + 2))))
    idcg = float(np.sum(ideal / np.log2(np.arange(2, ideal.size + 2))))
    return dcg / idcg


def check_documents(
    run: Mapping[str, Mapping[str, float]],
    corpus_ids: Collection[str],
    *,
    run_name: str = "the run",
    corpus_name: str = "the corpus",
) -> int:
    """Refuse a run none of whose documents is in the corpus (every measure would be 0, as with
    ids spelled differently); warn with the count when some are not.  Returns that count."""
    docs = {d for ranked in run.values() for d in ranked}
    unknown = [d for d in docs if d not in corpus_ids]
    if docs and len(unknown) == len(docs):
        raise ValueError(
            f"no document of run {run_name} is in corpus {corpus_name}; run doc ids look like "
            f"{sorted(unknown)[:3]}, corpus like {list(corpus_ids)[:3]}"
        )
    if unknown:
        logger.warning(
            "%d of the %d documents of run %s are not in corpus %s (they count as unjudged)",
            len(unknown),
            len(docs),
            run_name,
            corpus_name,
        )
    return len(unknown)
