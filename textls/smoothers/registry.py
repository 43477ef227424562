"""The registry that names the soft-label generators, and :func:`get_smoother`.

Adding one is a new file with a :class:`~textls.smoothers.BaseSmoother` subclass and one entry
here (or ``SMOOTHERS["my-method"] = MySmoother`` in your own code).
"""

from __future__ import annotations

from textls.errors import InputTypeError
from textls.smoothers._base import BaseSmoother
from textls.smoothers.kwls import KeywordSmoother
from textls.smoothers.ls_classic import ClassicSmoother
from textls.smoothers.ls_distill import DistillSmoother
from textls.smoothers.ls_tfidf import TfidfSmoother

SMOOTHERS: dict[str, type[BaseSmoother]] = {
    "ls-classic": ClassicSmoother,
    "ls-distill": DistillSmoother,
    "ls-tfidf": TfidfSmoother,
    "kwls": KeywordSmoother,
}


def get_smoother(name: str, **params) -> BaseSmoother:
    """A soft-label generator by name: ``"ls-classic"``, ``"ls-distill"``, ``"ls-tfidf"`` or ``"kwls"``.

    ``params`` go to the generator's constructor; an unknown one raises ``TypeError`` (also a
    ``ValueError``) naming it and the parameters the method takes.

    >>> get_smoother("kwls", epsilon=0.2)
    KeywordSmoother(epsilon=0.2)
    """
    try:
        cls = SMOOTHERS[name.lower()]
    except KeyError:
        raise ValueError(
            f"unknown smoothing method {name!r}; choose one of {sorted(SMOOTHERS)}"
        ) from None
    # JSON (the command line's --params) has no tuples: a list where the default is a tuple
    # (ngram_range) is that tuple
    defaults = cls().get_params()
    params = {
        k: tuple(v) if isinstance(v, list) and isinstance(defaults.get(k), tuple) else v
        for k, v in params.items()
    }
    try:
        return cls(**params)
    except TypeError as exc:  # an unknown parameter: name the ones the method takes
        valid = sorted(cls().get_params())
        raise InputTypeError(f"{name}: {exc}; its parameters are {valid}") from None
