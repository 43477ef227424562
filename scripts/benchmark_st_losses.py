"""sentence-transformers losses against textls's soft-target loss, on the same model, pairs and seeds.

Every run fine-tunes the packaged all-MiniLM-L6-v2 with ``SentenceTransformerTrainer`` on the same
(query, relevant passage) pairs of a BEIR-style corpus, the same batch size, learning rate, epochs
and seed, and differs only in the loss:

* ``mnrl``: ``MultipleNegativesRankingLoss`` (scale 20, in-batch negatives);
* ``cached-mnrl``: ``CachedMultipleNegativesRankingLoss`` (GradCache, ``--mini-batch-size``);
* ``gist``: ``GISTEmbedLoss`` with the packaged MiniLM, frozen, as the guide (in-batch candidates
  the guide scores above the positive are masked out of the softmax);
* ``textls-<method>``: :class:`textls.retrieval.SoftTargetMNRLoss` with ``--epsilon`` and
  ``ls-classic``, ``ls-tfidf``, ``kwls`` or ``ls-distill`` (BM25 teacher) soft targets;
* ``textls-cached-kwls``: :class:`textls.retrieval.CachedSoftTargetMNRLoss`, KWLS;
* ``textls-default``: ``SoftTargetMNRLoss(model, train_dataset)`` with nothing else set, as
  the documentation recommends (guided targets, the model before training as the guide; a hard
  negative mined for the anchor's query that the guide scores above the labelled positive and
  at least at the median of its scores on the labelled pairs is left out);
  ``textls-cached-default`` its GradCache twin;
* ``gist-mnrl-like``: ``GISTEmbedLoss`` at MNRL's temperature 0.05 without its anchor-anchor and
  positive-positive contrasts: its masking of suspected false negatives alone;
* ``textls-default-scale100``: ``textls-default`` at scale 100, GISTEmbed's temperature 0.01;
* ``textls-hybrid``: ``textls-default`` with ``positive_margin=--positive-margin``: a suspect
  the guide ranks less than that above the labelled positive is ignored (GISTEmbed's treatment),
  one clearly above it kept as a partial positive; ``textls-cached-hybrid`` its GradCache twin;
* ``textls-default-smooth`` (an experiment): ``textls-default`` with ``--epsilon`` of the mass
  moved from the positive to the candidates that are neither positives nor suspects, by the
  guide's softmax (LS-Distill from the guide, GISTEmbed's masking kept);
* ``textls-default-alike`` (an experiment): ``textls-default``, but a suspect stays out of the
  softmax only when the guide finds it at least as close to the anchor's labelled positive as
  the anchor is; other suspects are negatives again;
* ``textls-default-no-floor``: the default before it had the suspects' floor
  (``suspect_quantile=0``): every candidate the guide scores above the labelled positive is
  left out, GISTEmbed's rule.  The experiments named ``textls-default-*`` and ``textls-hybrid``
  above were measured on that floorless default, and still run on it;
* ``textls-default-all-suspects``: the default before 2026-12-08 (``suspects="all"``): any
  in-batch candidate, another query's positive included, can be a suspect;
* ``textls-default-mined`` (an experiment): the default before 2026-12-08 wrapped so that only a
  hard negative mined for the anchor's query can be a suspect: what became the default (kept as
  the provenance of the runs made with it, relabelled ``textls-default``);
* ``textls-default-quantile`` (an experiment): ``textls-default-all-suspects`` with
  ``suspect_quantile=--suspect-quantile`` (1: the floor at the highest labelled pair's score,
  almost no suspects: what the default's masking changes, all else equal);
* ``textls-guided``: guided targets (suspected false negatives left out, among every candidate
  as GISTEmbed looks for them) with the same guide and ``--margin`` as ``gist``; ``cached-gist``: ``CachedGISTEmbedLoss``.

Batch settings, as practitioners build them: ``--labels one`` trains on one relevant passage a
query (incomplete labels: evaluation counts the others); ``--hard-negatives dense`` adds the
passage the guide ranks highest besides the labelled one (mined without the other labels, so
often an unlabelled positive); ``--batches clustered`` draws each batch from one topic cluster of
the anchors (TAS-B, :func:`textls.retrieval.clustered_batches`).  A setting other than the
default (every label, random batches of 32, no hard negatives) writes
``st_losses_<corpus>_<what differs>.json``.

The training pairs are every (train query, relevant passage) pair of the qrels, up to
``--max-train-queries`` queries, so a query with several relevant passages is the anchor of
several pairs (gcide_reverse: 4.2 on average): in a batch that holds two of them, MNRL counts
each positive as the other's negative.  Evaluation: the test queries against the corpus (for
gcide_reverse a subset: every relevant passage of the test queries plus ``--distractors``
passages drawn at random), embedded by the trained model, searched exactly (FAISS flat inner
product on normalised embeddings) and scored with ``textls.retrieval.metrics`` (MRR@10, R@10,
nDCG@10); the first run is also scored by sentence-transformers' ``InformationRetrievalEvaluator``
on the same queries and corpus (unless it searches more than 20,000 passages), and both are
recorded.

Recorded per corpus: per loss the mean ± std over seeds and the paired difference to ``mnrl``
(``textls.aggregation.aggregate``: mean, std, p-value, wins); per run the training seconds
and, for textls's losses, the seconds spent building soft targets (their share of the training
time);
and the share of in-batch candidates that are labelled positives of the anchor (the false
negatives MNRL pushes away) and that are relevant by the full qrels but unlabelled, estimated
over one epoch of batches made as the sampler makes them (its own seed, not the trainer's).

    python scripts/benchmark_st_losses.py --corpora faq,gcide_reverse --seeds 3
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, add_output_arguments, add_training_arguments, make_parser, write_json  # noqa: E402
from provenance import provenance  # noqa: E402

from textls._utils import default_model_path  # noqa: E402
from textls.aggregation import aggregate  # noqa: E402
from textls.retrieval import DatasetSoftTargets, clustered_batches, with_row_ids  # noqa: E402
from textls.retrieval.data import load_beir, passage_text  # noqa: E402
from textls.retrieval.index import DenseIndex  # noqa: E402
from textls.retrieval.metrics import evaluate_run, per_query  # noqa: E402

MEASURES = ("RR@10", "R@10", "nDCG@10")
#: The InformationRetrievalEvaluator check encodes the searched corpus a second time: skipped
#: above this many passages (a corpus-scale run on a CPU).
ST_CHECK_MAX_PASSAGES = 20_000
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
#: the default batch; a results file of another batch size is named after it (``_batch-N``)
BATCH_SIZE = 32
LOSSES = (
    "mnrl,cached-mnrl,gist,textls-ls-classic,textls-ls-tfidf,textls-kwls,textls-ls-distill,"
    "textls-cached-kwls"
)


def st_losses():
    """sentence-transformers' loss classes (their module moved in 6.0)."""
    try:
        from sentence_transformers.sentence_transformer import losses
    except ImportError:  # sentence-transformers < 6.0
        from sentence_transformers import losses
    return losses


def training_pairs(
    data, max_queries: int, seed: int, one_positive: bool = False, negatives: dict | None = None
):
    """``datasets.Dataset`` of (anchor, positive[, negative]) texts with textls's row ids: every
    relevant passage of the first ``max_queries`` train queries (in a seeded random order), or
    with ``one_positive`` one of them drawn at random (incomplete labels: the others stay
    unlabelled positives); ``negatives`` maps a query id to its mined hard negative's id.
    Also returns each anchor's relevant passage texts by the full qrels."""
    from datasets import Dataset

    query_ids = sorted(data.qrels)
    rng = random.Random(seed)
    rng.shuffle(query_ids)
    if max_queries:
        query_ids = query_ids[:max_queries]
    columns = {"anchor": [], "positive": []} | ({"negative": []} if negatives else {})
    relevant = {}
    for q in query_ids:
        judged = sorted(d for d, grade in data.qrels[q].items() if grade > 0)
        relevant[data.queries[q]] = {passage_text(data.corpus[d]) for d in judged}
        for doc_id in [rng.choice(judged)] if one_positive else judged:
            columns["anchor"].append(data.queries[q])
            columns["positive"].append(passage_text(data.corpus[doc_id]))
            if negatives:
                columns["negative"].append(passage_text(data.corpus[negatives[q][doc_id]]))
    return with_row_ids(Dataset.from_dict(columns)), relevant


def mine_negatives(data, query_ids, guide, pool_size: int, seed: int) -> dict:
    """Per query and labelled positive, the passage the guide ranks highest besides that positive,
    searched in a pool of every relevant passage of the queries plus ``pool_size`` random ones
    (mined without knowing the other relevant passages, as a miner with incomplete qrels does)."""
    pool = sorted({d for q in query_ids for d in data.qrels[q]})
    rest = sorted(set(data.corpus) - set(pool))
    drawn = np.random.default_rng(seed).choice(len(rest), min(pool_size, len(rest)), replace=False)
    pool += [rest[i] for i in sorted(drawn)]
    encode = {"batch_size": 128, "normalize_embeddings": True, "convert_to_numpy": True}
    passages = guide.encode([passage_text(data.corpus[d]) for d in pool], **encode)
    queries = guide.encode([data.queries[q] for q in query_ids], **encode)
    mined = {}
    for q, scores in zip(query_ids, queries @ passages.T, strict=True):
        ranked = [pool[j] for j in np.argsort(-scores)[:10]]
        mined[q] = {d: next(r for r in ranked if r != d) for d in data.qrels[q]}
    return mined


def candidate_texts(dataset) -> tuple[list, dict, dict]:
    """The training pairs' anchors, their candidate texts by column in the order
    sentence-transformers lays a batch's candidates out (``positive``, then ``negative``), and
    each anchor text's labelled positive texts."""
    anchors = dataset["anchor"]
    columns = [c for c in ("positive", "negative") if c in dataset.column_names]
    texts = {c: dataset[c] for c in columns}
    labelled = {}
    for anchor, positive in zip(anchors, texts["positive"], strict=True):
        labelled.setdefault(anchor, set()).add(positive)
    return anchors, texts, labelled


def in_batch_positive_shares(dataset, relevant: dict, batches: list) -> dict:
    """Over ``batches`` (lists of row indices), the share of (anchor, in-batch candidate other
    than its own positive) pairs where the candidate is a labelled positive of the anchor (in the
    training pairs) and where it is relevant by the full qrels but unlabelled: the false
    negatives MNRL pushes away, the second kind invisible to the training data."""
    anchors, texts, labelled = candidate_texts(dataset)
    columns = list(texts)
    known = unknown = pairs = 0
    for rows in batches:
        candidates = [(i, texts[c][i]) for c in columns for i in rows]
        for i in rows:
            for j, text in candidates:
                if j == i and text == texts["positive"][i]:
                    continue
                pairs += 1
                if text in labelled[anchors[i]]:
                    known += 1
                elif text in relevant[anchors[i]]:
                    unknown += 1
    return {"labelled": known / max(pairs, 1), "unlabelled": unknown / max(pairs, 1)}


def random_batches(n: int, batch_size: int, seed: int) -> list:
    order = np.random.default_rng(seed).permutation(n)
    return [order[i : i + batch_size].tolist() for i in range(0, n, batch_size)]


def evaluation_set(test, distractors: int, seed: int):
    """The test queries, their qrels and the corpus they are searched in (all of it, or every
    relevant passage plus ``distractors`` others drawn at random)."""
    corpus_ids = list(test.corpus)
    if distractors and distractors < len(corpus_ids):
        relevant = {d for judged in test.qrels.values() for d in judged}
        rest = sorted(set(corpus_ids) - relevant)
        drawn = np.random.default_rng(seed).choice(len(rest), size=distractors, replace=False)
        corpus_ids = sorted(relevant) + [rest[i] for i in sorted(drawn)]
    query_ids = sorted(test.qrels)
    return query_ids, corpus_ids


def evaluate(model, test, query_ids, corpus_ids, batch_size: int) -> tuple[dict, dict]:
    """Exact search with FAISS (inner product of normalised embeddings); textls's metrics, mean
    and per query."""
    passages = model.encode(
        [passage_text(test.corpus[d]) for d in corpus_ids],
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
    )
    queries = model.encode(
        [test.queries[q] for q in query_ids],
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
    )
    index = DenseIndex.build(passages, corpus_ids, encoder="trained", kind="flat")
    run = index.search_run(query_ids, queries, 100)
    qrels = {q: test.qrels[q] for q in query_ids}
    return evaluate_run(run, qrels, MEASURES), per_query(run, qrels, MEASURES)


def st_evaluator_metrics(model, test, query_ids, corpus_ids) -> dict:
    """sentence-transformers' InformationRetrievalEvaluator on the same queries and corpus."""
    from sentence_transformers.evaluation import InformationRetrievalEvaluator

    evaluator = InformationRetrievalEvaluator(
        queries={q: test.queries[q] for q in query_ids},
        corpus={d: passage_text(test.corpus[d]) for d in corpus_ids},
        relevant_docs={q: {d for d, g in test.qrels[q].items() if g > 0} for q in query_ids},
        mrr_at_k=[10],
        ndcg_at_k=[10],
        accuracy_at_k=[10],
        precision_recall_at_k=[10],
        map_at_k=[10],
        show_progress_bar=False,
        name="st",
    )
    found = evaluator(model)
    pick = {"RR@10": "mrr@10", "R@10": "recall@10", "nDCG@10": "ndcg@10"}
    return {
        ours: next(v for k, v in found.items() if k.endswith(f"cosine_{theirs}"))
        for ours, theirs in pick.items()
    }


class WrappedTargets:
    """Fitted soft targets with ``batch_targets`` changed by a subclass; the rest read from them."""

    def __init__(self, soft: DatasetSoftTargets):
        self.soft = soft

    def __getattr__(self, name):
        return getattr(self.soft, name)


class TimedSoftTargets(WrappedTargets):
    """Adds up the seconds spent in ``batch_targets``."""

    def __init__(self, soft: DatasetSoftTargets):
        super().__init__(soft)
        self.seconds = 0.0

    def batch_targets(self, rows, n_candidate_columns):
        start = time.perf_counter()
        out = self.soft.batch_targets(rows, n_candidate_columns)
        self.seconds += time.perf_counter() - start
        return out


class NegativeSmoothing(WrappedTargets):
    """An experiment on the default targets: ``epsilon`` of the mass moved from the known
    positives to the candidates that are neither known positives nor ignored suspects, by the
    guide's softmax at the targets' temperature (LS-Distill from the guide, GISTEmbed's masking
    kept)."""

    def __init__(self, soft: DatasetSoftTargets, epsilon: float):
        super().__init__(soft)
        self.epsilon = epsilon

    def batch_targets(self, rows, n_candidate_columns):
        from textls._utils import softmax

        soft = self.soft
        targets = soft.batch_targets(rows, n_candidate_columns)
        scores = soft.soft_targets_.scores(*soft.batch_rows(rows, n_candidate_columns))
        negatives = np.nan_to_num(targets, nan=1.0) == 0
        scores = np.where(negatives, scores, -np.inf)
        has = negatives.any(axis=1, keepdims=True)
        spread = np.where(has, softmax(np.where(has, scores, 0.0), soft.temperature), 0.0)
        mixed = np.where(has, (1 - self.epsilon) * targets + self.epsilon * spread, targets)
        return mixed.astype(np.float32)


class PositiveLikeSuspects(WrappedTargets):
    """An experiment on the default targets: a suspect stays out of the softmax only when the
    guide finds it at least as close to the anchor's labelled positive passage as the anchor
    itself is (it looks like another answer of the same kind); any other suspect is a negative
    again, as in MNRL."""

    def batch_targets(self, rows, n_candidate_columns):
        soft, fitted = self.soft, self.soft.soft_targets_
        targets = soft.batch_targets(rows, n_candidate_columns)
        query_rows, passage_rows = soft.batch_rows(rows, n_candidate_columns)
        own = passage_rows[: len(query_rows)]  # the first candidate column: the positives
        positives = fitted.passage_vectors_[own].astype(np.float64)
        queries = fitted.query_vectors_[query_rows].astype(np.float64)
        reference = (queries * positives).sum(axis=1, keepdims=True)
        alike = positives @ fitted.passage_vectors_[passage_rows].astype(np.float64).T
        restored = np.isnan(targets) & (alike < reference)
        return np.where(restored, 0.0, targets).astype(np.float32)


class MinedSuspects(WrappedTargets):
    """An experiment on the default targets: only a candidate mined as a hard negative for the
    anchor's query (a negative column of an example with that anchor) can be a suspect; any
    other suspect (another query's positive or mined negative) is a negative again, as in
    MNRL."""

    def batch_targets(self, rows, n_candidate_columns):
        from textls.retrieval.soft_targets import membership_mask

        targets = self.soft.batch_targets(rows, n_candidate_columns)
        query_rows, passage_rows = self.soft.batch_rows(rows, n_candidate_columns)
        mined = membership_mask(query_rows, passage_rows, self.soft.negatives_)
        return np.where(np.isnan(targets) & ~mined, 0.0, targets).astype(np.float32)


def make_loss(name: str, model, dataset, args, guide):
    """The loss called ``name`` on ``model``; and the soft-target timer of textls's losses."""
    from textls.retrieval import CachedSoftTargetMNRLoss, SoftTargetMNRLoss

    losses = st_losses()
    if name == "mnrl":
        return losses.MultipleNegativesRankingLoss(model), None
    if name == "cached-mnrl":
        return losses.CachedMultipleNegativesRankingLoss(
            model, mini_batch_size=args.mini_batch_size
        ), None
    if name == "gist":
        return losses.GISTEmbedLoss(model, guide, margin=args.margin), None
    if name == "gist-mnrl-like":
        # GISTEmbed's masking alone: MNRL's temperature (0.05) and candidates (no anchor-anchor
        # or positive-positive contrasts), so the difference to mnrl is the masking
        plain = {"contrast_anchors": False, "contrast_positives": False}
        return losses.GISTEmbedLoss(
            model, guide, temperature=0.05, margin=args.margin, **plain
        ), None
    if name == "cached-gist":
        return losses.CachedGISTEmbedLoss(
            model, guide, margin=args.margin, mini_batch_size=args.mini_batch_size
        ), None
    cached = name.startswith("textls-cached-")
    method = name.removeprefix("textls-cached-" if cached else "textls-")
    loss_class = CachedSoftTargetMNRLoss if cached else SoftTargetMNRLoss
    extra = {"mini_batch_size": args.mini_batch_size} if cached else {}
    # the experiments below were measured before the suspects' floor (suspect_quantile=0)
    no_floor = {"suspect_quantile": 0, "suspects": "all", **extra}
    if method == "default":
        # what a user writes: nothing but the model and the dataset (the model is the guide)
        loss = loss_class(model, dataset, **extra)
    elif method == "default-no-floor":
        # the default before the floor: every suspect left out, GISTEmbed's rule
        loss = loss_class(model, dataset, **no_floor)
    elif method == "default-scale100":
        # the (floorless) default at GISTEmbed's temperature (0.01), MNRL's candidates
        loss = loss_class(model, dataset, scale=100.0, **no_floor)
    elif method == "default-smooth":
        # experiment: the floorless default, plus --epsilon spread over the clean negatives
        loss = loss_class(model, dataset, **no_floor)
        loss.soft_targets = NegativeSmoothing(loss.soft_targets, args.epsilon)
    elif method == "default-alike":
        # experiment: the floorless default, suspects left out only when they resemble the
        # positive
        loss = loss_class(model, dataset, **no_floor)
        loss.soft_targets = PositiveLikeSuspects(loss.soft_targets)
    elif method == "default-all-suspects":
        # the default before 2026-12-08: any in-batch candidate can be a suspect
        loss = loss_class(model, dataset, suspects="all", **extra)
    elif method == "default-mined":
        # experiment: the default before 2026-12-08, suspects only among the mined negatives
        loss = loss_class(model, dataset, suspects="all", **extra)
        loss.soft_targets = MinedSuspects(loss.soft_targets)
    elif method == "default-quantile":
        loss = loss_class(
            model, dataset, suspect_quantile=args.suspect_quantile, suspects="all", **extra
        )
    elif method == "hybrid":
        # the floorless default and one option: suspects within --positive-margin of the
        # labelled positive are ignored, those clearly above it kept as positives
        loss = loss_class(model, dataset, positive_margin=args.positive_margin, **no_floor)
    else:
        # guided targets: the same guide as GISTEmbed's, the same margin (epsilon 1: no cap)
        options = {"margin": args.margin, "epsilon": 1.0, "suspects": "all"}
        options = options if method == "guided" else {}
        targets = DatasetSoftTargets(method=method, **{"epsilon": args.epsilon, **options})
        soft = targets.fit(dataset, guide=guide if method == "guided" else None)
        loss = loss_class(model, soft_targets=soft, **extra)
    # the timer goes in after the loss checked that it was given fitted soft targets
    loss.soft_targets = TimedSoftTargets(loss.soft_targets)
    return loss, loss.soft_targets


#: What must be equal for runs of two invocations to be paired by seed in one file.
SAME_SETTING = (
    "corpus",
    "epochs",
    "batch_size",
    "learning_rate",
    "max_length",
    "train_pairs",
    "train_queries",
    "test_queries",
    "searched_passages",
    "labels",
    "batches",
    "hard_negatives",
    "margin",
    "in_batch_false_negative_share",
    "in_batch_unlabelled_positive_share",
)


def added_to(previous: dict, summary: dict, names: list[str], seeds: list[int]) -> dict:
    """``previous`` (a results file) with the runs of ``names`` x ``seeds`` to come: its other
    runs kept (other losses, other seeds), the invocation recorded under ``added``; a setting
    that differs is an error."""
    differ = [k for k in SAME_SETTING if previous.get(k) != summary.get(k)]
    if differ:
        sys.exit(f"--add: the results file's setting differs in {differ}; run without --add")
    rerun = {(name, seed) for name in names for seed in seeds}
    kept = [r for r in previous["runs"] if (r["method"], r["seed"]) not in rerun]
    merged = {**previous, "runs": kept}
    merged["losses"] = [m for m in previous["losses"] if m not in names] + names
    options = ("losses", "positive_margin", "suspect_quantile", "command", "date")
    added = {k: summary[k] for k in options}
    merged["added"] = [*previous.get("added", []), {**added, "seeds": seeds}]
    return merged


def seeds_in_common(runs: list[dict]) -> int:
    """The number of seeds every loss in ``runs`` was run with (what a paired test can use)."""
    by_loss = {}
    for run in runs:
        by_loss.setdefault(run["method"], set()).add(run["seed"])
    return min(len(seeds) for seeds in by_loss.values())


def training_setting(corpus: str, args, guide) -> dict:
    """The training side of a batch setting: the ``dataset`` of (anchor, positive[, negative])
    pairs (``--labels``, ``--hard-negatives`` mined by ``guide`` in ``--mining-pool``, up to
    ``--max-train-queries``), each anchor's ``relevant`` passage texts by the full qrels, the
    trainer's batch ``sampler`` (``--batches clustered``; ``None``: random) and one epoch of
    ``batches`` (row lists) made as that sampler makes them, with its own seed 0."""
    train = load_beir(ROOT / "data" / corpus, "train")
    negatives = None
    if args.hard_negatives == "dense":
        queries = sorted(train.qrels)
        random.Random(0).shuffle(queries)
        queries = queries[: args.max_train_queries or None]
        negatives = mine_negatives(train, queries, guide, args.mining_pool, seed=0)
    dataset, relevant = training_pairs(
        train, args.max_train_queries, 0, args.labels == "one", negatives
    )
    sampler = clustered_batches(guide) if args.batches == "clustered" else None
    batches = (
        list(sampler(dataset, batch_size=args.batch_size, drop_last=False, seed=0))
        if sampler
        else random_batches(len(dataset), args.batch_size, seed=0)
    )
    return {"dataset": dataset, "relevant": relevant, "sampler": sampler, "batches": batches}


def train_one(name, dataset, args, seed, out_dir, guide, batch_sampler=None):
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )

    torch.manual_seed(seed)
    model = SentenceTransformer(str(default_model_path()), device=DEVICE)
    model.max_seq_length = args.max_length
    start = time.perf_counter()
    loss, timer = make_loss(name, model, dataset, args, guide)
    setup_seconds = time.perf_counter() - start  # the guide's one-off encoding of the texts
    train_args = SentenceTransformerTrainingArguments(
        output_dir=str(out_dir),
        per_device_train_batch_size=args.batch_size,
        num_train_epochs=args.epochs,
        learning_rate=args.learning_rate,
        warmup_steps=0.1,
        seed=seed,
        data_seed=seed,
        save_strategy="no",
        report_to=[],
        logging_strategy="no",
        disable_tqdm=True,
        use_cpu=DEVICE == "cpu",
        bf16=args.bf16,
        **({"batch_sampler": batch_sampler} if batch_sampler is not None else {}),
    )
    trainer = SentenceTransformerTrainer(
        model=model, args=train_args, train_dataset=dataset, loss=loss
    )
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    return model, {
        "train_seconds": seconds,
        "loss_setup_seconds": setup_seconds,
        "soft_target_seconds": None if timer is None else timer.seconds,
        "soft_target_share": None if timer is None else timer.seconds / seconds,
    }


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--corpora", default="faq,gcide_reverse")
    parser.add_argument("--losses", default=LOSSES)
    add_training_arguments(parser, epochs=1.0, batch_size=BATCH_SIZE, bf16=True)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--epsilon", type=float, default=0.1)
    parser.add_argument("--mini-batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=64, help="tokens per text")
    parser.add_argument("--max-train-queries", type=int, default=300)
    parser.add_argument(
        "--distractors",
        type=int,
        default=3000,
        help="random passages searched besides the relevant ones (0 = the whole corpus)",
    )
    parser.add_argument(
        "--labels",
        choices=("all", "one"),
        default="all",
        help="train on every relevant passage of a query, or one drawn at random (incomplete "
        "labels: the others are unlabelled positives that evaluation counts)",
    )
    parser.add_argument(
        "--batches",
        choices=("random", "clustered"),
        default="random",
        help="random batches, or each from one topic cluster of the anchors (TAS-B)",
    )
    parser.add_argument(
        "--hard-negatives",
        choices=("none", "dense"),
        default="none",
        help="one hard negative a pair, mined by the guide (the packaged MiniLM)",
    )
    parser.add_argument(
        "--mining-pool",
        type=int,
        default=5000,
        help="random passages mined besides the relevant ones",
    )
    parser.add_argument(
        "--margin",
        type=float,
        default=0.0,
        help="GISTEmbed's margin, and the guided targets' (the same guide for both)",
    )
    parser.add_argument(
        "--add",
        action="store_true",
        help="add these losses' runs to the results file of the same setting (its data, batches "
        "and in-batch shares checked equal), replacing earlier runs of the same losses; the file "
        "records each added command",
    )
    parser.add_argument(
        "--positive-margin",
        type=float,
        default=0.05,
        help="textls-hybrid: how far above the labelled positive the guide must rank a suspect "
        "for it to count as a positive (default 0.05: the targets' temperature)",
    )
    parser.add_argument(
        "--suspect-quantile",
        type=float,
        default=1.0,
        help="textls-default-quantile: the suspects' floor quantile (default 1: almost none)",
    )
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="run seeds first-seed .. first-seed + seeds - 1 (with --add: more seeds for a file)",
    )
    add_output_arguments(parser, "benchmark_st_losses")
    args = parser.parse_args()
    from sentence_transformers import SentenceTransformer

    guide = SentenceTransformer(str(default_model_path()), device=DEVICE)
    guide.max_seq_length = args.max_length
    names = [n.strip() for n in args.losses.split(",") if n.strip()]
    # the default setting keeps its file name; others are named by what differs
    changed = [
        f"{name}-{value}"
        for name, value, default in (
            ("labels", args.labels, "all"),
            ("batches", args.batches, "random"),
            ("negatives", args.hard_negatives, "none"),
            ("batch", args.batch_size, BATCH_SIZE),
            # the corpus-scale setting: every training query, the whole corpus searched
            ("queries", "all" if not args.max_train_queries else None, None),
            ("corpus", "full" if not args.distractors else None, None),
        )
        if value != default
    ]
    setting = "".join(f"_{part}" for part in changed)
    for corpus in args.corpora.split(","):
        folder = ROOT / "data" / corpus
        if not (folder / "corpus.jsonl").exists():
            sys.exit(f"data/{corpus}/corpus.jsonl is missing: run python data/{corpus}/prepare.py")
        made = training_setting(corpus, args, guide)
        test, dataset, sampler = load_beir(folder, "test"), made["dataset"], made["sampler"]
        shares = in_batch_positive_shares(dataset, made["relevant"], made["batches"])
        query_ids, corpus_ids = evaluation_set(test, args.distractors, seed=0)
        summary = {
            "corpus": corpus,
            "model": "all-MiniLM-L6-v2 (packaged)",
            "losses": names,
            "seeds": args.seeds,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "learning_rate": args.learning_rate,
            "epsilon": args.epsilon,
            "mini_batch_size": args.mini_batch_size,
            "max_length": args.max_length,
            "device": DEVICE,
            "bf16": args.bf16,
            "train_pairs": len(dataset),
            "train_queries": len(set(dataset["anchor"])),
            "test_queries": len(query_ids),
            "searched_passages": len(corpus_ids),
            "corpus_passages": len(test.corpus),
            "labels": args.labels,
            "batches": args.batches,
            "hard_negatives": args.hard_negatives,
            "margin": args.margin,
            "positive_margin": args.positive_margin,
            "suspect_quantile": args.suspect_quantile,
            # known positives of the anchor among its in-batch candidates (false negatives to
            # MNRL), and relevant passages the training pairs do not label
            "in_batch_false_negative_share": shares["labelled"],
            "in_batch_unlabelled_positive_share": shares["unlabelled"],
            **provenance(),
            "runs": [],
        }
        path = Path(args.results_dir) / f"st_losses_{corpus}{setting}.json"
        seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        if args.add and path.exists():
            summary = added_to(json.loads(path.read_text()), summary, names, seeds)
        print(
            f"{corpus}: {len(dataset)} pairs of {summary['train_queries']} queries; "
            f"{len(query_ids)} test queries over {len(corpus_ids)} passages; in-batch "
            f"candidates that are labelled positives {shares['labelled']:.4f}, unlabelled "
            f"positives {shares['unlabelled']:.4f}"
        )
        for seed in seeds:
            for name in names:
                model, cost = train_one(
                    name, dataset, args, seed, Path(args.output_dir) / corpus / name, guide, sampler
                )
                metrics, rows = evaluate(model, test, query_ids, corpus_ids, batch_size=64)
                run = {"method": name, "seed": seed, "metrics": metrics, **cost}
                if not summary["runs"] and len(corpus_ids) <= ST_CHECK_MAX_PASSAGES:
                    summary["st_evaluator_check"] = {
                        "run": f"{name} seed {seed}",
                        "textls": metrics,
                        "sentence_transformers": st_evaluator_metrics(
                            model, test, query_ids, corpus_ids
                        ),
                    }
                summary["runs"].append(run)
                print(
                    f"{corpus} {name} seed {seed}: "
                    + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
                    + f" ({cost['train_seconds']:.0f} s)"
                )
                runs = [{k: r[k] for k in ("method", "seed", "metrics")} for r in summary["runs"]]
                summary["seeds"] = seeds_in_common(runs)
                if "mnrl" in {r["method"] for r in runs}:
                    summary["comparison"] = aggregate(runs, baseline="mnrl")
                write_json(path, summary)


if __name__ == "__main__":
    main()
