"""The ``textls`` command line: each subcommand parses a dataclass of arguments and calls the library.

``textls COMMAND --flag value ...`` or ``textls COMMAND config.json`` (the same fields as JSON).
The tables here and in :mod:`textls.retrieval.cli` and :mod:`textls.cache.cli` are run by the one
dispatcher, :func:`textls._cli.dispatch` (usage, JSON configs, exit statuses).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from textls import __version__
from textls._cli import Command, Group, SoftLabelArguments, dispatch


@dataclass
class SmoothArguments(SoftLabelArguments):
    output: str | None = field(
        default=None,
        metadata={
            "help": "Where to write the soft labels (.csv, .tsv, .jsonl or .parquet); "
            "required unless --diagnose."
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
    from textls.smooth import smooth_table

    result = smooth_table(
        args.input,
        args.output,
        method=args.method,
        params=args.smoother_params(),
        text_column=args.text_column,
        label_column=args.label_column,
        id_column=args.id_column,
        diagnose=args.diagnose,
    )
    print(result)


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
        default="fasttext",
        metadata={
            "help": "fasttext (default, about a minute), textcnn, or minilm (fine-tunes the "
            "packaged MiniLM: about 15 minutes a run on 2 CPU cores)."
        },
    )
    seeds: int = field(default=3, metadata={"help": "Seeds per method."})


def demo(args: DemoArguments) -> None:
    from textls.classification.demo import demo_arguments

    compare(demo_arguments(args.output_dir, args.data_dir, args.model, args.seeds))


def compare(args, training_args=None) -> None:
    from textls.experiments.classification.results import format_results
    from textls.experiments.classification.task import run_compare

    results = run_compare(args, training_args=training_args)
    print(format_results(results))
    print(f"wrote {args.output_dir}/results.json, {args.output_dir}/report.md")


COMMANDS = {
    "smooth": Command("Compute soft labels for a labelled table.", SmoothArguments, smooth),
    "compare": Command(
        "Fine-tune a classifier with each smoothing method; compare.",
        "textls.experiments.classification.arguments:CompareArguments",
        compare,
        trainer="textls.training_args:CompareTrainingArguments",
    ),
    "demo": Command(
        "Run compare on bundled Bible chapters (10 classes, 11:1), models to their plateau (~1 min).",
        DemoArguments,
        demo,
    ),
    "retrieval": Group(
        "Dense retrieval: mine | train | encode | index | search | evaluate | compare.",
        "textls.retrieval.cli:COMMANDS",
    ),
    "cache": Group(
        "Soft-label caches: build (sharded, resumable), verify, export.",
        "textls.cache.cli:COMMANDS",
    ),
}


def main(argv: list[str] | None = None) -> int:
    """``textls COMMAND ...``; returns the exit status (0 ok, 1 user error, 2 usage)."""
    argv = sys.argv[1:] if argv is None else argv
    title = f"textls {__version__}: informative label smoothing for text mining"
    return dispatch("textls", COMMANDS, argv, noun="command", title=title)


if __name__ == "__main__":
    sys.exit(main())
