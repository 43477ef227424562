"""``textls retrieval train | encode | index | search | evaluate | compare``."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from textls.retrieval.pipeline import RetrievalCompareArguments, RetrievalTrainArguments


@dataclass
class EncodeArguments:
    data_dir: str = field(metadata={"help": "BEIR folder whose corpus.jsonl is encoded."})
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
class SearchArguments:
    data_dir: str = field(metadata={"help": "BEIR folder (queries and the split's qrels)."})
    model: str = field(metadata={"help": "The encoder the index was built with."})
    index_dir: str = field(metadata={"help": "Folder written by `retrieval index`."})
    output_dir: str = field(metadata={"help": "Folder for run.<split>.trec."})
    split: str = field(
        default="test", metadata={"help": "Queries of this qrels split are searched."}
    )
    k: int = field(default=100, metadata={"help": "Passages retrieved per query."})


@dataclass
class EvaluateArguments:
    data_dir: str = field(metadata={"help": "BEIR folder with qrels/<split>.tsv."})
    run: str = field(metadata={"help": "TREC run file (qid Q0 docid rank score tag)."})
    output_dir: str = field(
        metadata={"help": "Folder for metrics.json (the measures and the query counts)."}
    )
    split: str = field(default="test", metadata={"help": "Qrels split."})


@dataclass
class MineArguments:
    data_dir: str = field(metadata={"help": "BEIR folder."})
    output: str = field(
        metadata={
            "help": "JSONL of hard negatives (query_id, neg_ids) for `retrieval train --hard_negatives`."
        }
    )
    split: str = field(
        default="train", metadata={"help": "Queries of this qrels split get negatives."}
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


def _mine(args: MineArguments) -> None:
    import os
    import tempfile

    from textls.retrieval.data import load_beir, passage_text
    from textls.retrieval.mining import mine_bm25, mine_dense

    refuse_writing_into_inputs(args.output, args.data_dir)
    dataset = load_beir(args.data_dir, args.split)
    doc_ids, query_ids = list(dataset.corpus), list(dataset.queries)
    doc_row = {d: i for i, d in enumerate(doc_ids)}
    positives = [{doc_row[d] for d, rel in dataset.qrels[q].items() if rel > 0} for q in query_ids]
    if args.retriever == "bm25":
        mined = mine_bm25(
            [dataset.queries[q] for q in query_ids],
            [passage_text(dataset.corpus[d]) for d in doc_ids],
            positives,
            k=args.k,
        )
    elif args.retriever == "dense":
        if not args.model:
            raise ValueError("--retriever dense needs --model")
        from textls.retrieval.encoder import load_encoder_and_tokenizer
        from textls.retrieval.index import DenseIndex
        from textls.retrieval.pipeline import _encode_fn, build_corpus_index, encoder_identity

        encoder, tokenizer = load_encoder_and_tokenizer(args.model)
        if args.index_dir:
            index = DenseIndex.load(
                args.index_dir,
                expected_dim=encoder.dim,
                expected_encoder=encoder_identity(args.model),
            )
        else:
            with tempfile.TemporaryDirectory() as tmp:
                index = build_corpus_index(
                    args.model,
                    args.data_dir,
                    os.path.join(tmp, "index"),
                    encoder=encoder,
                    tokenizer=tokenizer,
                )
        encode = _encode_fn(encoder, tokenizer, "query", 32)
        embeddings = encode([dataset.queries[q] for q in query_ids])
        mined = mine_dense(embeddings, index, positives, k=args.k)
    else:
        raise ValueError(f"--retriever must be bm25 or dense, got {args.retriever!r}")
    from textls.io import atomic_write

    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps({"query_id": q, "neg_ids": [doc_ids[r] for r in rows]}) + "\n"
        for q, rows in zip(query_ids, mined, strict=True)
    ]
    atomic_write(out, lambda f: f.writelines(lines), mode="w")
    print(f"wrote {args.k} {args.retriever} hard negatives for {len(query_ids)} queries to {out}")


def refuse_writing_into_inputs(output: str, data_dir: str) -> None:
    """Refuse an output that would replace one of a BEIR folder's files (corpus, queries, qrels)."""
    from textls.io import refuse_overwriting

    root = Path(data_dir)
    inputs = [*root.glob("corpus.jsonl*"), *root.glob("queries.jsonl*"), *root.glob("qrels/*")]
    refuse_overwriting(output, inputs)


def _train(args: RetrievalTrainArguments) -> None:
    from textls.retrieval.pipeline import train_dual_encoder

    print(f"saved encoder to {train_dual_encoder(args)}")


def _encode(args: EncodeArguments) -> None:
    from textls.retrieval.data import load_beir, passage_text
    from textls.retrieval.encoder import load_encoder_and_tokenizer
    from textls.retrieval.index import encode_corpus
    from textls.retrieval.pipeline import _encode_fn, encoder_identity

    encoder, tokenizer = load_encoder_and_tokenizer(args.model)
    dataset = load_beir(args.data_dir, None)
    ids = list(dataset.corpus)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "encoder.json").write_text(
        json.dumps(
            {
                "encoder": encoder_identity(args.model),
                "dim": encoder.dim,
                "normalize": encoder.settings["normalize"],
            }
        )
        + "\n"
    )
    encode_corpus(
        _encode_fn(encoder, tokenizer, "passage", args.passage_max_length),
        [passage_text(dataset.corpus[d]) for d in ids],
        ids,
        batch_size=args.batch_size,
        shard_size=args.shard_size,
        out_dir=out,
    )
    print(f"encoded {len(ids)} passages into {out}")


def _index(args: IndexArguments) -> None:
    from textls.retrieval.index import DenseIndex, build_index, load_shards
    from textls.retrieval.pipeline import build_corpus_index

    if args.embeddings_dir:
        meta = json.loads((Path(args.embeddings_dir) / "encoder.json").read_text())
        embeddings, ids = load_shards(args.embeddings_dir)
        index = DenseIndex(
            build_index(embeddings, kind=args.kind),
            ids,
            encoder=meta["encoder"],
            kind=args.kind,
            normalize=meta["normalize"],
        )
        index.save(args.output_dir)
    elif args.data_dir and args.model:
        index = build_corpus_index(args.model, args.data_dir, args.output_dir, kind=args.kind)
    else:
        raise ValueError("give --embeddings_dir, or --data_dir and --model")
    print(f"indexed {len(index)} passages ({args.kind}) into {args.output_dir}")


def _search(args: SearchArguments) -> None:
    from textls.retrieval.data import write_run
    from textls.retrieval.encoder import load_encoder_and_tokenizer
    from textls.retrieval.index import DenseIndex
    from textls.retrieval.pipeline import encoder_identity, search_queries

    encoder, tokenizer = load_encoder_and_tokenizer(args.model)
    index = DenseIndex.load(
        args.index_dir, expected_dim=encoder.dim, expected_encoder=encoder_identity(args.model)
    )
    run = search_queries(
        args.model, index, args.data_dir, args.split, k=args.k, encoder=encoder, tokenizer=tokenizer
    )
    path = Path(args.output_dir) / f"run.{args.split}.trec"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_run(run, path, tag=Path(args.model).name or "textls")
    print(f"wrote {len(run)} queries x {args.k} to {path}")


def _evaluate(args: EvaluateArguments) -> None:
    from textls.retrieval.pipeline import evaluate_run_file

    metrics, queries = evaluate_run_file(args.run, args.data_dir, args.split)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps({**metrics, "queries": queries}, indent=2) + "\n")
    for name, value in metrics.items():
        print(f"{name:>8}  {value:.4f}")
    print(
        f"over the {queries['evaluated']} queries of the qrels; {queries['missing_from_run']} "
        f"missing from the run score 0, {queries['not_in_qrels']} run queries not in the qrels "
        "are ignored"
    )


def _compare(args: RetrievalCompareArguments) -> None:
    from textls.retrieval.pipeline import run_retrieval_compare

    run_retrieval_compare(args)


SUBCOMMANDS = {
    "train": (
        RetrievalTrainArguments,
        _train,
        "Train a dual encoder with soft targets over batch candidates.",
    ),
    "mine": (
        MineArguments,
        _mine,
        "Mine hard negatives with BM25 or with a dense encoder + FAISS.",
    ),
    "encode": (EncodeArguments, _encode, "Encode a BEIR corpus into embedding shards."),
    "index": (IndexArguments, _index, "Build a FAISS index (flat, ivf, hnsw, ivfpq)."),
    "search": (SearchArguments, _search, "Search a split's queries; write a TREC run."),
    "evaluate": (EvaluateArguments, _evaluate, "RR@10, R@1/10/100, nDCG@10, AP of a run."),
    "compare": (
        RetrievalCompareArguments,
        _compare,
        "Train none and each soft-target method; one table.",
    ),
}


def retrieval_main(argv: list[str]) -> int:
    if argv and argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help"):
        print(f"textls retrieval: unknown subcommand {argv[0]!r}", file=sys.stderr)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in SUBCOMMANDS:
        print(
            "usage: textls retrieval {" + ",".join(SUBCOMMANDS) + "} [--help] [ARGS | CONFIG.json]"
        )
        for name, (_, _, about) in SUBCOMMANDS.items():
            print(f"  {name:<10} {about}")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    from textls.cli import run_subcommand

    schema, run, about = SUBCOMMANDS[argv[0]]
    return run_subcommand(f"textls retrieval {argv[0]}", schema, run, about, argv[1:])
