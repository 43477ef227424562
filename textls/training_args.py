"""Every ``transformers.TrainingArguments`` option, next to textls's own, with textls's defaults.

``textls compare``, ``textls retrieval train`` and ``textls retrieval compare`` parse their own
dataclass first; every flag it does not know is parsed as a Trainer option into
:class:`CompareTrainingArguments` or :class:`RetrievalTrainingArguments` (``TrainingArguments``
subclasses that differ only in defaults).  So ``--activation_checkpointing`` (gradient checkpointing), ``--fp16``,
``--report_to wandb``, ``--dataloader_num_workers 4``, ``--lr_scheduler_type cosine``,
``--max_grad_norm 0.5``, ``--save_strategy epoch`` or ``--torch_compile`` reach the Trainer
as they would in a plain ``Trainer`` script.  A JSON config takes the same keys.

The fields a command sets for each run (:data:`SET_PER_RUN`: output folder, batch sizes, epochs,
seeds) keep their ``TrainingArguments`` names but are fields of the command's own dataclass, parsed
first, because textls decides them where the user gives none (per model family, or the plateau) and
says in their help what a value means for a command that trains many runs (``--output_dir`` is the
command's folder, each run trains in one of its own); each run is ``dataclasses.replace(base, ...)``
of the parsed options with them.  The old spellings of :data:`textls.old_flags.RENAMED` still work for one release,
with a ``FutureWarning`` naming the new flag (:func:`textls.old_flags.take_renamed`).

textls's defaults, where they differ from ``TrainingArguments``'s (:data:`TEXTLS_DEFAULTS`): AdamW
weight decay 0.01 and a linear schedule after a 10% warm-up (``warmup_steps=0.1``, a ratio in
transformers 5), no checkpoints (``save_strategy="no"``), no loss logging for ``compare``
(``logging_strategy="no"``; retrieval logs every 50 steps), no reporting integrations, and pinned
memory only where there is a GPU.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import torch
from transformers import HfArgumentParser, TrainingArguments

#: Where textls's defaults differ from ``TrainingArguments``'s (both commands).
TEXTLS_DEFAULTS = {
    "weight_decay": 0.01,
    "warmup_steps": 0.1,
    "save_strategy": "no",
    "report_to": "none",
    "dataloader_pin_memory": torch.cuda.is_available(),
}

#: ``TrainingArguments`` fields a command sets for each run (its own dataclass declares them).
SET_PER_RUN = (
    "output_dir",
    "num_train_epochs",
    "per_device_train_batch_size",
    "per_device_eval_batch_size",
    "seed",
    "data_seed",
)


def _with_defaults(name: str, defaults: dict, doc: str) -> type[TrainingArguments]:
    """A ``TrainingArguments`` subclass that differs only in ``defaults`` (help texts kept)."""
    fields = {f.name: f for f in dataclasses.fields(TrainingArguments)}
    overrides = [
        (
            key,
            fields[key].type,
            dataclasses.field(default=value, metadata=fields[key].metadata),
        )
        for key, value in defaults.items()
    ]
    cls = dataclasses.make_dataclass(name, overrides, bases=(TrainingArguments,))
    cls.__module__ = __name__
    cls.__doc__ = doc
    return cls


CompareTrainingArguments = _with_defaults(
    "CompareTrainingArguments",
    {**TEXTLS_DEFAULTS, "logging_strategy": "no"},
    "``TrainingArguments`` with ``textls compare``'s defaults (see the module docstring).",
)
RetrievalTrainingArguments = _with_defaults(
    "RetrievalTrainingArguments",
    {**TEXTLS_DEFAULTS, "logging_steps": 50},
    "``TrainingArguments`` with ``textls retrieval``'s defaults (see the module docstring).",
)


#: Trainer options that would be silently ignored or thrown away, and why.
REFUSED = {
    "label_smoothing_factor": "SoftLabelTrainer takes its targets from the soft labels: use "
    "--methods ls-classic (and --epsilon) for classic label smoothing",
}


def parse_trainer_options(
    cls: type[TrainingArguments],
    argv: Sequence[str] = (),
    config: dict | None = None,
    prog: str | None = None,
) -> TrainingArguments:
    """The Trainer options among a command's ``argv`` (flags its own dataclass did not take) or
    ``config`` (JSON keys), as an instance of ``cls``.

    Flags may be spelt with ``-`` or ``_`` (``--lr-scheduler-type``), and a boolean ``--no_X``
    as transformers' parser allows.  A field of :data:`SET_PER_RUN` (which a command that sets it
    declares itself, so it only gets here if the command has no use for it) or :data:`REFUSED` is a
    ``ValueError`` saying why; an unknown flag or key is a ``ValueError`` naming it.
    """
    argv = [_underscored(a) for a in argv]
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    given = [a.split("=", 1)[0][2:] for a in argv if a.startswith("--")]
    given = [g[3:] if g.startswith("no_") and g[3:] in known else g for g in given]
    given += list(config or {})
    for name in given:
        if name in SET_PER_RUN:
            raise ValueError(
                f"--{name} is not an option of this command: it sets it for each run, or does "
                "not use it"
            )
        if name in REFUSED:
            raise ValueError(f"--{name} is not used: {REFUSED[name]}")
    unknown = [name for name in given if name not in known]
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join('--' + n for n in unknown)}: neither the command's "
            "nor a transformers TrainingArguments field"
        )
    parser = HfArgumentParser(cls, prog=prog, allow_abbrev=False)
    if config:
        (options,) = parser.parse_dict(config)
    else:
        (options,) = parser.parse_args_into_dataclasses(argv)
    check_finite(options)
    return options


def check_finite(options: TrainingArguments) -> None:
    """A ``ValueError`` naming the first Trainer option set to NaN or an infinity (``--max_grad_norm
    nan``, ``--learning_rate inf``): the Trainer would take it and train on nonsense."""
    for f in dataclasses.fields(options):
        value = getattr(options, f.name, None)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"--{f.name} must be a finite number, got {value!r}")


def _underscored(arg: str) -> str:
    """``--lr-scheduler-type=x`` -> ``--lr_scheduler_type=x``; values are left alone."""
    if not arg.startswith("--"):
        return arg
    flag, eq, value = arg.partition("=")
    return "--" + flag[2:].replace("-", "_") + eq + value


def changed_options(options: TrainingArguments) -> dict:
    """The Trainer options that differ from the defaults of ``options``'s class (what a user set),
    JSON-ready, for ``results.json``; the per-run fields are left out."""
    default = type(options)().to_dict()
    return {
        k: v
        for k, v in options.to_dict().items()
        if k not in SET_PER_RUN and default.get(k) != v and not k.startswith("_")
    }


def run_arguments(base: TrainingArguments, **per_run) -> TrainingArguments:
    """A copy of ``base`` for one run (``dataclasses.replace``) with ``per_run`` fields set."""
    return dataclasses.replace(base, **per_run)
