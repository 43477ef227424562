"""The one dispatcher behind ``textls``, ``textls retrieval`` and ``textls cache``.

Each of those is a table of :class:`Command` (and, at the top, :class:`Group`) entries handed to
:func:`dispatch`, which prints the usage, answers ``--help`` and ``--version``, refuses an unknown
name (exit 2, naming the known ones) and runs the command through :func:`run_subcommand`: its
arguments dataclass is parsed by ``HfArgumentParser`` from flags or from one JSON config, and
:func:`textls.errors.run_command` maps a user error to exit 1 with its message.

A table names heavy things by ``"module:attribute"`` strings, imported only when that command
runs, so ``--help`` loads neither torch nor transformers.

:class:`SoftLabelArguments` (the labelled table and the generator) is shared by ``textls smooth``
and ``textls cache build``; it lives here so that :mod:`textls.cache.cli` does not import the top
command module.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

USAGE_TAIL = "[--help] [ARGS | CONFIG.json]"


@dataclass(frozen=True)
class Command:
    """A command: one help line, its arguments dataclass and the function that runs it.

    ``schema`` and ``run`` are objects or ``"module:attribute"`` strings (imported on use).
    ``positional`` is the flag a bare first argument stands for (``textls cache verify CACHE``
    means ``--cache CACHE``).  ``trainer``: a ``TrainingArguments`` subclass (or its string) for
    a command that trains; every flag or config key ``schema`` does not take is then parsed as a
    Trainer option (:mod:`textls.training_args`) and ``run`` is called as
    ``run(args, training_args)``.
    """

    about: str
    schema: type | str
    run: Callable | str
    positional: str | None = None
    trainer: type | str | None = None


@dataclass(frozen=True)
class Group:
    """A command with commands of its own: ``commands`` is its table (or ``"module:TABLE"``)."""

    about: str
    commands: dict[str, Command] | str


def resolve(target):
    """``target`` itself, or the attribute a ``"module:attribute"`` string names (imported now)."""
    if not isinstance(target, str):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def dispatch(
    prog: str,
    commands: dict[str, Command | Group],
    argv: list[str],
    *,
    noun: str = "subcommand",
    title: str | None = None,
) -> int:
    """Run ``argv[0]`` of ``commands`` on the rest of ``argv``; return the exit status.

    Parameters
    ----------
    prog : str
        How the user called it (``"textls cache"``), for the usage and the messages.
    commands : dict
        Name -> :class:`Command` or :class:`Group`, listed in this order by the usage.
    argv : list of str
        The arguments after ``prog``.
    noun : str
        What an entry is called in the messages (``"command"`` at the top).
    title : str, optional
        A line printed above the usage.

    Returns
    -------
    int
        0 for success or ``--help``; 1 for a user error (its message on stderr); 2 for no
        command (after the usage) or an unknown one (naming the known ones).
    """
    if not argv or argv[0] in ("-h", "--help"):
        print_usage(prog, commands, noun, title)
        return 0 if argv else 2
    if argv[0] == "--version":
        from textls import __version__

        print(__version__)
        return 0
    name, rest = argv[0], list(argv[1:])
    if name not in commands:
        known = ", ".join(commands)
        print(f"{prog}: unknown {noun} {name!r}; {noun}s: {known}", file=sys.stderr)
        return 2
    entry = commands[name]
    if isinstance(entry, Group):
        return dispatch(f"{prog} {name}", resolve(entry.commands), rest)
    if entry.positional and rest and not rest[0].startswith("-") and not rest[0].endswith(".json"):
        rest = [entry.positional, *rest]
    return run_subcommand(
        f"{prog} {name}",
        resolve(entry.schema),
        resolve(entry.run),
        entry.about,
        rest,
        trainer=resolve(entry.trainer),
    )


def print_usage(
    prog: str, commands: dict[str, Command | Group], noun: str, title: str | None
) -> None:
    if title:
        print(f"{title}\n")
    print(f"usage: {prog} {noun.upper()} {USAGE_TAIL}\n\n{noun}s:")
    width = max(map(len, commands)) + 2
    for name, entry in commands.items():
        print(f"  {name:<{width}} {entry.about}")


#: How ``--help`` of a training command tells about the Trainer options it also takes.
TRAINER_EPILOG = (
    "Every other transformers TrainingArguments option is accepted too, as flags or config "
    "keys (e.g. --activation_checkpointing, --fp16, --report_to wandb, --dataloader_num_workers "
    "4, --lr_scheduler_type cosine, --max_grad_norm 0.5), with textls's "
    "defaults where they differ: weight_decay 0.01, warmup_steps 0.1, save_strategy no, "
    "report_to none, pinned memory only with a GPU, no loss logging in compare (retrieval logs "
    "every 50 steps). The Trainer options set for each run (--output_dir, "
    "--num_train_epochs, --per_device_train_batch_size, --learning_rate, --seed, ...) are "
    "listed above with what they mean for this command; the old --epochs and --batch_size "
    "still work for one release. See textls.training_args."
)


def run_subcommand(
    prog: str, schema, run, about: str, argv: list[str], trainer: type | None = None
) -> int:
    """Parse ``argv`` (flags, or one JSON config of the same fields) into ``schema`` and call ``run``.

    With ``trainer`` (a ``TrainingArguments`` subclass), the flags or keys ``schema`` does not
    take are Trainer options and ``run(args, training_args)`` is called.  One policy for every
    command (:func:`textls.errors.run_command`): a user error, a bad config included, exits 1
    with one line; a bug keeps its traceback; ``--help`` and bad flags are argparse's (exit 0 / 2).
    """
    from transformers import HfArgumentParser

    from textls.errors import run_command

    epilog = TRAINER_EPILOG if trainer is not None else None
    # allow_abbrev=False: with Trainer options parsed after the command's own, argparse must not
    # take --seed for --seeds
    parser = HfArgumentParser(
        schema, prog=prog, description=about, epilog=epilog, allow_abbrev=False
    )
    if trainer is None:
        return run_command(prog, lambda: run(parse_arguments(parser, argv)))
    return run_command(prog, lambda: run(*parse_arguments(parser, argv, trainer)))


def parse_arguments(parser, argv: list[str], trainer: type | None = None):
    """The dataclass of ``argv``: flags, or a single JSON config file of the same fields; with
    ``trainer``, ``(args, training_args)``, the flags or keys the dataclass does not take parsed
    by :func:`textls.training_args.parse_trainer_options`.

    A config that is not JSON, holds a key the command does not take or lacks a required one is a
    ``ValueError`` naming the file.
    """
    if trainer is not None:
        from textls.training_args import parse_trainer_options
    if len(argv) == 1 and argv[0].endswith(".json"):
        import dataclasses
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
        schema = parser.dataclass_types[0]
        rest = {}
        if trainer is not None:
            own = {f.name for f in dataclasses.fields(schema)}
            rest = {k: v for k, v in config.items() if k not in own}
            config = {k: v for k, v in config.items() if k in own}
        check_config_types(config, schema, argv[0])
        if trainer is not None:
            check_config_types(rest, trainer, argv[0])
        try:
            (args,) = parser.parse_dict(config, allow_extra_keys=False)
            if trainer is None:
                return args
            return args, parse_trainer_options(trainer, config=rest, prog=parser.prog)
        except (ValueError, TypeError) as exc:  # unknown keys; a required field missing
            raise ValueError(f"{argv[0]}: {exc}") from None
    if trainer is None:
        (args,) = parser.parse_args_into_dataclasses(argv)
        return args
    args, remaining = parser.parse_args_into_dataclasses(argv, return_remaining_strings=True)
    return args, parse_trainer_options(trainer, remaining, prog=parser.prog)


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

    declared = getattr(schema, "JSON_TYPES", {})  # fields parsed from a string may take more
    for name, hint in typing.get_type_hints(schema).items():
        if name not in config:
            continue
        kinds = declared.get(name) or typing.get_args(hint) or (hint,)
        checks = [_JSON_TYPES[k] for k in kinds if k in _JSON_TYPES]
        if len(checks) == len(kinds) and not any(check(config[name]) for check in checks):
            shown = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
            raise ValueError(f"{path}: key {name!r} must be {shown}, got {config[name]!r}")


@dataclass
class SoftLabelArguments:
    """The labelled table and the soft-label generator: shared by ``smooth`` and ``cache build``."""

    input: str = field(
        metadata={
            "help": "Labelled data: a .csv, .tsv, .jsonl, .json or .parquet file "
            "(`cache build` also reads a datasets folder)."
        }
    )
    text_column: str = field(default="text", metadata={"help": "Column holding the text."})
    label_column: str = field(default="label", metadata={"help": "Column holding the gold label."})
    id_column: str | None = field(
        default=None,
        metadata={
            "help": "Column with an example id, kept with each row (default: the row number)."
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

    def smoother_params(self) -> dict:
        """The generator's parameters: ``--params`` with ``--epsilon`` and ``--temperature``."""
        from textls._utils import smoother_params

        return smoother_params(self.params, self.epsilon, self.temperature)
