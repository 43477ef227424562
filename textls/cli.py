"""The ``textls`` command line: each subcommand parses a dataclass of arguments and calls the library.

``textls COMMAND --flag value ...`` or ``textls COMMAND config.json`` (the same fields as JSON).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from textls import __version__


@dataclass
class SmoothArguments:
    input: str = field(metadata={"help": "Labelled data: a .csv, .tsv, .jsonl or .parquet file."})
    output: str | None = field(
        default=None,
        metadata={
            "help": "Where to write the soft labels (.csv, .tsv, .jsonl or .parquet); "
            "required unless --diagnose."
        },
    )
    text_column: str = field(default="text", metadata={"help": "Column holding the text."})
    label_column: str = field(default="label", metadata={"help": "Column holding the gold label."})
    id_column: str | None = field(
        default=None,
        metadata={
            "help": "Column with an example id to copy to the output (default: the row number)."
        },
    )
    method: str = field(
        default="kwls",
        metadata={"help": "Soft-label method: ls-classic, ls-distill, ls-tfidf or kwls."},
    )
    epsilon: float = field(
        default=0.1, metadata={"help": "Smoothing mass moved off the gold label."}
    )
    temperature: str | None = field(
        default=None,
        metadata={
            "help": "Relevance temperature: a number, or 'auto' (fit on the data). Default: the method's."
        },
    )
    params: str | None = field(
        default=None,
        metadata={
            "help": 'Other generator parameters as JSON, e.g. \'{"class_top_k": 100, "match": "semantic"}\'.'
        },
    )
    diagnose: bool = field(
        default=False,
        metadata={
            "help": "Print, for every method, the training rows' out-of-sample top-1 agreement and "
            "log-likelihood of the gold label under its relevance, and its mean off-gold mass "
            "(--params apply to --method); with --output, also write --method's soft labels."
        },
    )


def smooth(args: SmoothArguments) -> None:
    from textls._utils import smoother_params
    from textls.errors import MissingKeyError
    from textls.io import read_table, texts_and_labels
    from textls.smooth import smooth_texts, soft_label_frame, write_soft_labels
    from textls.smoothers import get_smoother

    if args.output is None and not args.diagnose:
        raise ValueError("give --output (where to write the soft labels) or --diagnose")
    if args.output is not None:
        refuse_overwriting_input(args.input, args.output)
    params = smoother_params(args.params, args.epsilon, args.temperature)
    smoother = get_smoother(args.method, **params)

    frame = read_table(args.input)
    texts, labels = texts_and_labels(frame, args.text_column, args.label_column, source=args.input)
    if args.id_column is not None and args.id_column not in frame.columns:
        raise MissingKeyError(
            f"{args.input}: no column {args.id_column!r}; columns are {list(frame.columns)}"
        )
    ids = frame[args.id_column].tolist() if args.id_column else list(range(len(frame)))
    repeated = frame[args.id_column].duplicated(keep=False) if args.id_column else None
    if repeated is not None and repeated.any():
        rows = [int(i) for i in repeated.to_numpy().nonzero()[0][:5]]
        raise ValueError(
            f"{args.input}: column {args.id_column!r} repeats ids ({ids[rows[0]]!r} in rows "
            f"{rows}); an id must name one row"
        )

    if args.diagnose:
        from textls.smooth import diagnose_methods, format_diagnosis
        from textls.smoothers import SMOOTHERS

        own = {k: v for k, v in params.items() if k != "epsilon"}
        diagnosis = diagnose_methods(texts, labels, SMOOTHERS, args.epsilon, {args.method: own})
        print(f"{args.input}: {len(texts)} rows, {len(set(map(str, labels)))} classes")
        print(format_diagnosis(diagnosis, len(set(map(str, labels)))))
        if args.output is None:
            return
    soft, _, summary = smooth_texts(smoother, texts, labels, method=args.method)
    frame = soft_label_frame(soft, smoother.classes_, ids, labels)
    path = write_soft_labels(args.output, frame, args.method, params, texts, labels)
    print(summary)
    print(f"wrote {len(soft)} soft labels x {soft.shape[1]} classes to {path}")


def refuse_overwriting_input(input_path: str, output_path: str) -> None:
    """Refuse an output, or its soft-label record, that is the input file."""
    from textls.io import refuse_overwriting
    from textls.smooth import RECORD_SUFFIX

    for target in (output_path, f"{output_path}{RECORD_SUFFIX}"):
        refuse_overwriting(target, [input_path])


def compare(args) -> None:
    from textls.classification.compare import run_compare

    run_compare(args)


@dataclass
class DemoArguments:
    output_dir: str = field(
        default="outputs/demo", metadata={"help": "Where the compare outputs go."}
    )
    data_dir: str | None = field(
        default=None,
        metadata={"help": "The repository's data/ folder (default: found next to the package)."},
    )
    model: str = field(
        default="minilm", metadata={"help": "Model to fine-tune (default: the packaged MiniLM)."}
    )
    seeds: int = field(default=2, metadata={"help": "Seeds per method."})


def demo(args: DemoArguments) -> None:
    from textls.classification.compare import run_compare
    from textls.classification.demo import demo_arguments

    run_compare(demo_arguments(args.output_dir, args.data_dir, args.model, args.seeds))


def _compare_schema():
    from textls.classification.compare import CompareArguments

    return CompareArguments


def cache(argv: list[str]) -> int:
    from textls.cache.cli import cache_main

    return cache_main(argv)


COMMANDS = {
    "smooth": (lambda: SmoothArguments, smooth, "Compute soft labels for a labelled table."),
    "compare": (
        _compare_schema,
        compare,
        "Fine-tune a classifier with each smoothing method; compare.",
    ),
    "demo": (
        lambda: DemoArguments,
        demo,
        "Run compare on long-tailed bundled tweet sentiment with MiniLM (about 4 min on 2 cores).",
    ),
}


def _retrieval(argv: list[str]) -> int:
    from textls.retrieval.cli import retrieval_main

    return retrieval_main(argv)


# Commands with subcommands of their own: name -> (entry point taking the remaining argv, help).
GROUPS = {
    "retrieval": (
        _retrieval,
        "Dense retrieval: mine | train | encode | index | search | evaluate | compare.",
    ),
    "cache": (cache, "Soft-label caches: build (sharded, resumable), verify, export."),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(f"textls {__version__}: informative label smoothing for text mining\n")
        print("usage: textls COMMAND [--help] [ARGS | CONFIG.json]\n\ncommands:")
        for name, (_, _, about) in COMMANDS.items():
            print(f"  {name:<12} {about}")
        for name, (_, about) in GROUPS.items():
            print(f"  {name:<12} {about}")
        return 0 if argv else 2
    if argv[0] in GROUPS:
        return GROUPS[argv[0]][0](argv[1:])
    if argv[0] == "--version":
        print(__version__)
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        known = ", ".join([*COMMANDS, *GROUPS])
        print(f"textls: unknown command {name!r}; commands: {known}", file=sys.stderr)
        return 2
    schema, run, about = COMMANDS[name]
    return run_subcommand(f"textls {name}", schema(), run, about, rest)


def run_subcommand(prog: str, schema, run, about: str, argv: list[str]) -> int:
    """Parse ``argv`` (flags, or one JSON config of the same fields) into ``schema`` and call ``run``.

    One policy for every command (:func:`textls.errors.run_command`): a user error, a bad config
    included, exits 1 with one line; a bug keeps its traceback; ``--help`` and bad flags are
    argparse's (exit 0 / 2).
    """
    from transformers import HfArgumentParser

    from textls.errors import run_command

    parser = HfArgumentParser(schema, prog=prog, description=about)
    return run_command(prog, lambda: run(parse_arguments(parser, argv)))


def parse_arguments(parser, argv: list[str]):
    """The dataclass of ``argv``: flags, or a single JSON config file of the same fields.

    A config that is not JSON, holds a key the command does not take or lacks a required one is a
    ``ValueError`` naming the file.
    """
    if len(argv) == 1 and argv[0].endswith(".json"):
        import json
        from pathlib import Path

        try:
            config = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{argv[0]}: not valid JSON: {exc}") from None
        if not isinstance(config, dict):
            raise ValueError(
                f"{argv[0]} must hold a JSON object of options, got {type(config).__name__}"
            )
        check_config_types(config, parser.dataclass_types[0], argv[0])
        try:
            (args,) = parser.parse_dict(config, allow_extra_keys=False)
        except (ValueError, TypeError) as exc:  # unknown keys; a required field missing
            raise ValueError(f"{argv[0]}: {exc}") from None
        return args
    (args,) = parser.parse_args_into_dataclasses(argv)
    return args


#: JSON values a config may give a field of each type (flags are converted by argparse).
_JSON_TYPES = {
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    float: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    str: lambda v: isinstance(v, str),
    bool: lambda v: isinstance(v, bool),
    type(None): lambda v: v is None,
}


def check_config_types(config: dict, schema, path: str) -> None:
    """Refuse a config value of the wrong JSON type (``"seeds": "2"``), naming the file and key:
    ``parse_dict`` does not convert values, and the type error would surface as a traceback."""
    import typing

    for name, hint in typing.get_type_hints(schema).items():
        if name not in config:
            continue
        kinds = typing.get_args(hint) or (hint,)
        checks = [_JSON_TYPES[k] for k in kinds if k in _JSON_TYPES]
        if len(checks) == len(kinds) and not any(check(config[name]) for check in checks):
            shown = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
            raise ValueError(f"{path}: key {name!r} must be {shown}, got {config[name]!r}")


if __name__ == "__main__":
    sys.exit(main())
