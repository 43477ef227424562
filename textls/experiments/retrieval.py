"""``textls retrieval compare``: a dual encoder per method and seed from the same start model,
each indexed and searched on the evaluation split, as a task of the shared runner
(:func:`~textls.experiments.runner.run_experiment`).

What it writes in ``--output_dir``: ``results.json`` and ``report.md``, and a folder per run
(``pretrained/``, ``METHOD-seedS/``) with the trained ``encoder/``, its FAISS ``index/``, the run
file ``<eval_split>.trec`` and ``metrics.json``.  The encoder is a full copy of the start model
(about 90 MB for MiniLM) and the flat index 4 bytes x dimensions per passage, per run: see
docs/retrieval.md for the disk a compare needs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

from transformers import TrainingArguments

from textls._utils import check_whole
from textls.experiments.methods import MethodSpec, parse_retrieval_methods
from textls.experiments.output_folder import RETRIEVAL_NAMES, OutputRecord
from textls.experiments.runner import RunOutcome, first_seed_field, run_experiment, seeds_field
from textls.old_flags import own_options
from textls.retrieval.arguments import BeirFolders, RetrievalOptions, RetrievalTrainArguments

logger = logging.getLogger(__name__)

#: The measures ``textls retrieval compare`` reports and prints.
COMPARE_MEASURES = ["RR@10", "R@1", "R@10", "R@100", "nDCG@10", "AP"]


@dataclass
class RetrievalCompareArguments(RetrievalOptions, BeirFolders):
    output_dir: str = field(
        metadata={
            "help": "The compare's folder: results.json, report.md, and each run's encoder, "
            "index and run file in METHOD-seedS/ (a new or empty folder, or one a compare wrote)."
        }
    )
    methods: str = field(
        default="none,ls-classic,ls-tfidf,kwls,ls-distill",
        metadata={"help": "Comma-separated methods."},
    )
    eval_split: str = field(default="test", metadata={"help": "Qrels split to evaluate on."})
    seeds: int = seeds_field(1)
    seed: int = first_seed_field("each run's Trainer seed")
    include_pretrained: bool = field(
        default=True, metadata={"help": "Also evaluate the start model without training."}
    )
    index_kind: str = field(default="flat", metadata={"help": "flat, ivf, hnsw or ivfpq."})

    def __post_init__(self):
        """The shared options' checks, then ``--methods`` parsed into :attr:`specs` and the
        compare's own options checked, all before anything is read or trained."""
        super().__post_init__()
        from textls.retrieval.index import INDEX_KINDS

        self.specs  # noqa: B018 - parsed now, so a bad --methods fails here
        check_whole(self.seeds, "--seeds", 1)
        check_whole(self.seed, "--seed", 0)
        if self.index_kind not in INDEX_KINDS:
            raise ValueError(
                f"--index_kind must be one of {', '.join(INDEX_KINDS)}, got {self.index_kind!r}"
            )

    @property
    def specs(self) -> tuple[MethodSpec, ...]:
        """``--methods``, parsed (:func:`~textls.experiments.methods.parse_retrieval_methods`)."""
        return parse_retrieval_methods(self.methods)


class RetrievalCompare:
    """The task of ``textls retrieval compare`` (:class:`~textls.experiments.runner.Task`):
    prepare reads the training and evaluation splits once, each run trains an encoder
    (:func:`~textls.retrieval.training.train_dual_encoder`) then indexes the corpus, searches
    the evaluation queries and scores the run; ``pretrained`` (the start model) is run first,
    untrained."""

    writer = "textls retrieval compare"
    own_names = RETRIEVAL_NAMES

    def __init__(self, args: RetrievalCompareArguments, training_args=None):
        self.args, self.training_args = args, training_args

    def prepare(self) -> list[tuple[str, int]]:
        from textls.retrieval.data import load_beir

        args = self.args
        self.train_data = load_beir(args.data_dir, "train")
        self.eval_data = load_beir(args.data_dir, args.eval_split)
        seeds = range(args.seed, args.seed + args.seeds)
        plan = [("pretrained", args.seed)] if args.include_pretrained else []
        return plan + [(spec.name, seed) for spec in args.specs for seed in seeds]

    def run_one(self, method: str, seed: int, run: int, record: OutputRecord) -> RunOutcome:
        from textls.retrieval.training import train_dual_encoder

        args = self.args
        folder = record.add(
            record.out / ("pretrained" if method == "pretrained" else f"{method}-seed{seed}"),
            folder=True,
        )
        start = time.perf_counter()
        model = args.model
        if method != "pretrained":
            shared = {f.name: getattr(args, f.name) for f in fields(RetrievalOptions)}
            train_args = RetrievalTrainArguments(
                **shared,
                data_dir=args.data_dir,
                output_dir=str(folder / "encoder"),
                method=method,
                seed=seed,
            )
            model = str(
                train_dual_encoder(
                    train_args, training_args=self.training_args, dataset=self.train_data
                )
            )
        trained = time.perf_counter()
        metrics = self._index_search_evaluate(model, folder)
        seconds = {
            "train_seconds": trained - start,
            "index_eval_seconds": time.perf_counter() - trained,
        }
        if method == "pretrained":
            del seconds["train_seconds"]
        return RunOutcome(
            metrics,
            shown={m: metrics[m] for m in COMPARE_MEASURES},
            result=seconds,
        )

    def _index_search_evaluate(self, model: str, folder: Path) -> dict[str, float]:
        from textls.io import atomic_write_json
        from textls.retrieval.encoder import load_encoder_and_tokenizer
        from textls.retrieval.runs import write_run
        from textls.retrieval.search import build_corpus_index, evaluate_split, search_queries

        args = self.args
        encoder, tokenizer = load_encoder_and_tokenizer(model)
        index = build_corpus_index(
            model,
            args.data_dir,
            str(folder / "index"),
            kind=args.index_kind,
            passage_max_length=args.passage_max_length,
            encoder=encoder,
            tokenizer=tokenizer,
            dataset=self.eval_data,
        )
        run = search_queries(
            model,
            index,
            args.data_dir,
            args.eval_split,
            query_max_length=args.query_max_length,
            encoder=encoder,
            tokenizer=tokenizer,
            dataset=self.eval_data,
        )
        write_run(run, folder / f"{args.eval_split}.trec", tag=folder.name)
        metrics = evaluate_split(run, args.data_dir, args.eval_split, dataset=self.eval_data)
        atomic_write_json(folder / "metrics.json", metrics)
        return metrics

    def finish(self, record: OutputRecord, runs: list, outcomes: dict, seconds: dict) -> dict:
        from textls.aggregation import aggregate
        from textls.report import write_comparison
        from textls.training_args import changed_options

        args, out = self.args, record.out
        names = [spec.name for spec in args.specs]
        results = aggregate(runs, baseline="none" if "none" in names else names[0])
        config = results["config"] = own_options(args)
        if self.training_args is not None:
            results["trainer_options"] = changed_options(self.training_args)
        results["timings"] = {
            method: timing[0] if method == "pretrained" else timing
            for method, timing in outcomes.items()
        }
        record.add(out / "report.md")
        record.add(out / "results.json")  # written last
        write_comparison(
            out,
            results,
            title=f"textls retrieval compare: {Path(args.data_dir).name}",
            config=config,
        )
        return results


def run_retrieval_compare(
    args: RetrievalCompareArguments, training_args: TrainingArguments | None = None
) -> dict:
    """Train a dual encoder per method and seed from the same start model, index and search the
    evaluation split with each, and write results.json and report.md (one writer,
    :func:`textls.report.write_comparison`); returns the results.  ``training_args``: the Trainer
    options every run starts from (:func:`~textls.retrieval.training.train_dual_encoder`)."""
    return run_experiment(RetrievalCompare(args, training_args), Path(args.output_dir))


def format_retrieval_results(results: dict) -> str:
    """The terminal table of a retrieval compare (what ``textls retrieval compare`` prints)."""
    from textls.report import format_table

    return format_table(results, metrics=COMPARE_MEASURES)
