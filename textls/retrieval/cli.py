"""``textls retrieval mine | train | encode | index | search | evaluate | compare``.

Each command parses its dataclass and calls one library function (:mod:`textls.retrieval.steps`,
:mod:`textls.retrieval.mining`, :mod:`textls.retrieval.training`, :mod:`textls.experiments.retrieval`), imported only when it runs;
the dataclass fields are that function's parameters, passed by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textls._cli import Command


@dataclass
class BeirArguments:
    data_dir: str = field(
        metadata={"help": "BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv."}
    )


@dataclass
class SplitArguments(BeirArguments):
    split: str = field(
        default="test",
        kw_only=True,
        metadata={"help": "Qrels split: its queries are used, its judgments evaluate."},
    )


@dataclass
class EncodeArguments(BeirArguments):
    model: str = field(
        metadata={
            "help": "A saved textls encoder (from `retrieval train`), minilm, or an HF folder."
        }
    )
    output_dir: str = field(
        metadata={"help": "Folder for embedding shards (shard-*.npy) and their ids."}
    )
    batch_size: int = field(default=64, metadata={"help": "Passages per forward pass."})
    shard_size: int = field(
        default=100_000,
        metadata={"help": "Passages per shard; finished shards are skipped on re-run."},
    )
    passage_max_length: int = field(default=128, metadata={"help": "Passage tokens."})


@dataclass
class IndexArguments:
    output_dir: str = field(metadata={"help": "Folder for the FAISS index and its meta.json."})
    embeddings_dir: str | None = field(
        default=None, metadata={"help": "Shards written by `retrieval encode`."}
    )
    data_dir: str | None = field(
        default=None, metadata={"help": "Without --embeddings_dir: BEIR folder to encode now."}
    )
    model: str | None = field(
        default=None, metadata={"help": "Without --embeddings_dir: the encoder to use."}
    )
    kind: str = field(
        default="flat", metadata={"help": "flat (exact inner product), ivf, hnsw or ivfpq."}
    )


@dataclass
class SearchArguments(SplitArguments):
    model: str = field(metadata={"help": "The encoder the index was built with."})
    index_dir: str = field(metadata={"help": "Folder written by `retrieval index`."})
    output_dir: str = field(metadata={"help": "Folder for run.<split>.trec."})
    k: int = field(default=100, metadata={"help": "Passages retrieved per query."})

    def __post_init__(self):
        from textls._utils import check_whole  # numpy and scipy: not at start-up

        check_whole(self.k, "--k")


@dataclass
class EvaluateArguments(SplitArguments):
    run: str = field(metadata={"help": "TREC run file (qid Q0 docid rank score tag)."})
    output_dir: str = field(
        metadata={"help": "Folder for metrics.json (the measures and the query counts)."}
    )


@dataclass
class MineArguments(SplitArguments):
    output: str = field(
        metadata={
            "help": "JSONL of hard negatives (query_id, neg_ids) for `retrieval train --hard_negatives`."
        }
    )
    split: str = field(
        default="train",
        kw_only=True,
        metadata={"help": "Queries of this qrels split get negatives."},
    )
    retriever: str = field(
        default="bm25",
        metadata={"help": "bm25 (lexical) or dense (the --model through a FAISS index)."},
    )
    model: str | None = field(
        default=None,
        metadata={"help": "dense: the encoder (e.g. one trained by `retrieval train`)."},
    )
    index_dir: str | None = field(
        default=None,
        metadata={"help": "dense: an index built with --model (default: build one now)."},
    )
    k: int = field(default=30, metadata={"help": "Negatives per query, best ranked first."})

    def __post_init__(self):
        from textls._utils import check_whole  # numpy and scipy: not at start-up

        check_whole(self.k, "--k")


def mine(args: MineArguments) -> None:
    from textls.retrieval.mining import mine_hard_negatives

    path, counts = mine_hard_negatives(**vars(args))
    most = "" if min(counts, default=args.k) == args.k else "up to "
    print(
        f"wrote {most}{args.k} {args.retriever} hard negatives per query for {len(counts)} "
        f"queries to {path}"
    )


def train(args, training_args) -> None:
    from textls.retrieval.training import train_dual_encoder

    print(f"saved encoder to {train_dual_encoder(args, training_args=training_args)}")


def compare(args, training_args) -> None:
    from textls.experiments.retrieval import format_retrieval_results, run_retrieval_compare

    print(format_retrieval_results(run_retrieval_compare(args, training_args)))
    print(f"wrote {args.output_dir}/results.json, {args.output_dir}/report.md")


def encode(args: EncodeArguments) -> None:
    from textls.retrieval.steps import encode_corpus_folder

    count = encode_corpus_folder(**vars(args))
    print(f"encoded {count} passages into {args.output_dir}")


def index(args: IndexArguments) -> None:
    from textls.retrieval.steps import index_corpus

    built = index_corpus(**vars(args))
    print(f"indexed {len(built)} passages ({args.kind}) into {args.output_dir}")


def search(args: SearchArguments) -> None:
    from textls.retrieval.steps import search_split

    path, queries = search_split(**vars(args))
    print(f"wrote {queries} queries x {args.k} to {path}")


def evaluate(args: EvaluateArguments) -> None:
    from textls.retrieval.steps import evaluate_run_to_folder

    metrics, queries = evaluate_run_to_folder(**vars(args))
    for name, value in metrics.items():
        print(f"{name:>8}  {value:.4f}")
    print(
        f"over the {queries['evaluated']} queries of the qrels; {queries['missing_from_run']} "
        f"missing from the run score 0, {queries['not_in_qrels']} run queries not in the qrels "
        "are ignored"
    )


# train and compare parse dataclasses of modules that import torch: named, not imported.
_TRAINER = "textls.training_args:RetrievalTrainingArguments"

COMMANDS = {
    "train": Command(
        "Train a dual encoder with soft targets over batch candidates.",
        "textls.retrieval.arguments:RetrievalTrainArguments",
        train,
        trainer=_TRAINER,
    ),
    "mine": Command(
        "Mine hard negatives with BM25 or with a dense encoder + FAISS.", MineArguments, mine
    ),
    "encode": Command("Encode a BEIR corpus into embedding shards.", EncodeArguments, encode),
    "index": Command("Build a FAISS index (flat, ivf, hnsw, ivfpq).", IndexArguments, index),
    "search": Command("Search a split's queries; write a TREC run.", SearchArguments, search),
    "evaluate": Command("RR@10, R@1/10/100, nDCG@10, AP of a run.", EvaluateArguments, evaluate),
    "compare": Command(
        "Train none and each soft-target method; one table.",
        "textls.experiments.retrieval:RetrievalCompareArguments",
        compare,
        trainer=_TRAINER,
    ),
}
