"""The old spellings of Trainer options, kept for one release with a ``FutureWarning``.

A module of its own, importing neither torch nor transformers, so that the argument classes of
``textls compare`` and ``textls retrieval`` (and so their ``--help``) stay light.
"""

from __future__ import annotations

import dataclasses
import warnings

#: Old spellings of Trainer options, kept for one release: old name -> ``TrainingArguments`` name.
RENAMED = {"epochs": "num_train_epochs", "batch_size": "per_device_train_batch_size"}


def renamed_field(new: str):
    """The dataclass field of an old spelling in :data:`RENAMED` (``None``: not given)."""
    return dataclasses.field(
        default=None,
        metadata={
            "help": f"Deprecated: the old spelling of --{new} (removed in the next release)."
        },
    )


def take_renamed(args) -> None:
    """Move the value of each old spelling ``args`` was given (:data:`RENAMED`, not ``None``) to its
    ``TrainingArguments`` name, with a ``FutureWarning`` naming the new flag; the old and the new
    both given is a ``ValueError`` naming both.  Called by a command dataclass's ``__post_init__``
    (so flags, JSON config keys and Python keywords alike), before its defaults are filled in:
    the new name's ``None`` is "not given"."""
    for old, new in RENAMED.items():
        value = getattr(args, old, None)
        if value is None:
            continue
        if getattr(args, new) is not None:
            raise ValueError(
                f"--{old} and --{new} are both given: --{old} is the old spelling of --{new}; "
                f"give only --{new}"
            )
        warnings.warn(
            f"--{old} is deprecated and will be removed in the next release: use --{new}",
            FutureWarning,
            stacklevel=4,
        )
        setattr(args, new, value)
        setattr(args, old, None)


def own_options(args) -> dict:
    """``dataclasses.asdict(args)`` without the old spellings (:data:`RENAMED`, always ``None``
    once parsed), for ``results.json`` and ``report.md``."""
    return {k: v for k, v in dataclasses.asdict(args).items() if k not in RENAMED}
