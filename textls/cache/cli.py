"""``textls cache build | verify | export``: thin drivers over :mod:`textls.cache`.

Each subcommand parses a dataclass with ``HfArgumentParser`` (flags, or one JSON config file) and
calls the library.  A scheduler builds a cache in steps (shown for KWLS; LS-TFIDF runs the
``fit --shard``/``merge`` pair twice, one per statistics pass)::

    textls cache build --input D --output C --num-shards 64 --stage fit --shard $I   # any machine
    textls cache build --input D --output C --num-shards 64 --stage merge
    textls cache build --input D --output C --num-shards 64 --stage transform --shard $I
    textls cache build --input D --output C --num-shards 64 --stage transform         # manifest
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textls._cli import Command, SoftLabelArguments


@dataclass
class CacheBuildArguments(SoftLabelArguments):
    output: str = field(
        kw_only=True, metadata={"help": "The cache folder (created; shared by all workers)."}
    )
    split: str | None = field(
        default=None, metadata={"help": "Split of a datasets folder that holds several."}
    )
    num_shards: int | None = field(
        default=None,
        metadata={
            "help": "Shards of the corpus (default: one per 100,000 rows); fixed by the first run."
        },
    )
    shard: int | None = field(
        default=None,
        metadata={
            "help": "Run only this shard's task (with --stage fit or transform), for a scheduler."
        },
    )
    stage: str = field(
        default="all",
        metadata={
            "help": "all (everything missing), fit (statistics, then merge), merge (merge the "
            "shard statistics), transform (shards, then the manifest)."
        },
    )
    num_proc: int = field(
        default=1,
        metadata={"help": "Processes for the shard tasks (CPUs of a local Ray instance)."},
    )
    engine: str = field(
        default="local",
        metadata={
            "help": 'local (processes on this machine) or ray (Ray Data; pip install "ray[data]").'
        },
    )
    ray_address: str | None = field(
        default=None,
        metadata={
            "help": "Ray cluster to join ('auto' inside one); default: start a local instance."
        },
    )
    top_k: int | None = field(
        default=None,
        metadata={
            "help": "Keep only the k largest probabilities per row (top-k layout); default dense."
        },
    )
    overwrite: bool = field(
        default=False, metadata={"help": "Replace a cache of other data or settings in --output."}
    )


@dataclass
class CacheDataArguments:
    """A cache and the columns of the data it was built from: shared by ``verify`` and ``export``."""

    cache: str = field(
        metadata={"help": "The cache folder (may also be given first, without --cache)."}
    )
    text_column: str | None = field(
        default=None,
        kw_only=True,
        metadata={"help": "Text column of --input (default: the cache's)."},
    )
    label_column: str | None = field(
        default=None,
        kw_only=True,
        metadata={"help": "Label column of --input (default: the cache's)."},
    )
    split: str | None = field(
        default=None, kw_only=True, metadata={"help": "Split of a datasets folder."}
    )


@dataclass
class CacheVerifyArguments(CacheDataArguments):
    input: str | None = field(
        default=None, metadata={"help": "The data it was built from, to check the fingerprint."}
    )


@dataclass
class CacheExportArguments(CacheDataArguments):
    input: str = field(metadata={"help": "The data the cache was built from (for the texts)."})
    output: str = field(metadata={"help": "Output file, .jsonl or .parquet."})
    format: str = field(
        default="sentence-transformers",
        metadata={
            "help": "sentence-transformers (DistillKLDivLoss 'label'), tevatron or flagembedding."
        },
    )
    class_texts: str | None = field(
        default=None,
        metadata={
            "help": "Text of each class (candidate): a .json {class: text}, or a corpus table with "
            "id, text [, title] columns (retrieval). Default: the class name."
        },
    )
    scores: str = field(
        default="log-prob",
        metadata={
            "help": "log-prob (a softmax over the candidates gives back the soft label) or prob."
        },
    )
    max_negatives: int | None = field(
        default=None, metadata={"help": "At most this many negatives per row (the most probable)."}
    )


def build(args: CacheBuildArguments) -> None:
    from textls.cache import build_cache

    params = args.smoother_params()
    if args.top_k is not None and args.top_k < 1:
        raise ValueError(
            f"--top-k must be an integer >= 1 (omit it for a dense cache), got {args.top_k}"
        )
    result = build_cache(
        args.input,
        args.output,
        method=args.method,
        params=params,
        text_column=args.text_column,
        label_column=args.label_column,
        id_column=args.id_column,
        split=args.split,
        num_shards=args.num_shards,
        shard=args.shard,
        stage=args.stage,
        num_proc=args.num_proc,
        engine=args.engine,
        ray_address=args.ray_address,
        layout="dense" if args.top_k is None else "topk",
        top_k=args.top_k,
        overwrite=args.overwrite,
    )
    print(result)


def verify(args: CacheVerifyArguments) -> None:
    from textls.cache import load_cache

    cache = load_cache(args.cache, check_checksums=False)
    lines = cache.verify(
        args.input, text_column=args.text_column, label_column=args.label_column, split=args.split
    )
    m = cache.manifest
    print(f"{args.cache}: {m['method']}, {m['num_rows']} rows x {m['num_classes']} classes, ok")
    for line in lines:
        print(f"  {line}")


def export(args: CacheExportArguments) -> None:
    from textls.cache import export_cache

    path = export_cache(**vars(args))
    print(f"wrote {args.format} training file {path}")


COMMANDS = {
    "build": Command("Build (or resume) a soft-label cache.", CacheBuildArguments, build),
    "verify": Command(
        "Check a cache's checksums, rows and (given data) fingerprint.",
        CacheVerifyArguments,
        verify,
        positional="--cache",
    ),
    "export": Command(
        "Write the soft labels for sentence-transformers, Tevatron or FlagEmbedding.",
        CacheExportArguments,
        export,
        positional="--cache",
    ),
}
