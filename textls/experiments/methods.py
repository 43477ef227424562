"""The methods a compare runs, parsed once from ``--methods`` where the arguments are built.

Classification (``textls compare``) names a method as ``SOFT[+REGULARIZER]``, where ``SOFT`` is
``none`` (hard labels), a soft-label generator (:data:`~textls.smoothers.SMOOTHERS`) or
``ls-distill@M`` (LS-Distill taught by this compare's models of method ``M``), and
``REGULARIZER`` one of :data:`~textls.classification.regularizers.REGULARIZERS`; a regularizer
alone (``mixup``) is ``none+mixup``.  Retrieval (``textls retrieval compare``) names ``none`` or
one of the candidate soft targets (:data:`~textls.retrieval.soft_targets.METHODS`).

Everything downstream reads a :class:`MethodSpec`, never the string.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MethodSpec:
    """One ``--methods`` entry.

    Attributes
    ----------
    name : str
        As the user wrote it (``"kwls+mixup"``): the key of its runs in ``results.json``.
    soft : str
        Its soft-label part (``"kwls"``, ``"none"``, ``"ls-distill@none"``): methods with the same
        ``soft`` share one set of soft labels.
    smoother : str or None
        The generator that makes them (``"ls-distill"`` for ``"ls-distill@none"``); ``None`` for
        hard labels.
    teacher : str or None
        The method whose models teach ``ls-distill@M``, else ``None``.
    regularizer : str or None
        The regularizer added to the loss, else ``None``.
    """

    name: str
    soft: str
    smoother: str | None = None
    teacher: str | None = None
    regularizer: str | None = None


def _names(text: str, option: str = "--methods") -> list[str]:
    names = [m.strip() for m in str(text).split(",") if m.strip()]
    if not names:
        raise ValueError(f"{option} is empty; give e.g. none,ls-classic,kwls")
    repeated = sorted({m for m in names if names.count(m) > 1})
    if repeated:
        raise ValueError(f"{option} names {repeated} more than once")
    return names


def parse_method(method: str) -> MethodSpec:
    """One classification method (see the module docstring); an unknown part is a ``ValueError``
    naming it.

    >>> parse_method("kwls+mixup")
    MethodSpec(name='kwls+mixup', soft='kwls', smoother='kwls', teacher=None, regularizer='mixup')
    """
    from textls.classification.regularizers.registry import REGULARIZERS
    from textls.smoothers.registry import SMOOTHERS

    soft, _, regularizer = method.partition("+")
    if not regularizer and soft in REGULARIZERS:
        soft, regularizer = "none", soft
    smoother, _, teacher = soft.partition("@")
    if smoother != "none" and smoother not in SMOOTHERS:
        raise ValueError(
            f"unknown method {method!r}: {smoother!r} is not none or one of {', '.join(SMOOTHERS)}"
        )
    if teacher and smoother != "ls-distill":
        raise ValueError(f"{method!r}: only ls-distill takes a teacher (@method)")
    if regularizer and regularizer not in REGULARIZERS:
        raise ValueError(
            f"unknown method {method!r}: {regularizer!r} is not one of {', '.join(REGULARIZERS)}"
        )
    return MethodSpec(
        method,
        soft,
        None if smoother == "none" else smoother,
        teacher or None,
        regularizer or None,
    )


def parse_methods(text: str) -> tuple[MethodSpec, ...]:
    """Every classification method of ``--methods`` (comma-separated), checked together: none
    repeated, and a teacher (``ls-distill@M``) is a method listed earlier without a teacher of its
    own."""
    specs = []
    for name in _names(text):
        spec = parse_method(name)
        earlier = {s.name: s for s in specs}
        if spec.teacher is not None and (
            spec.teacher not in earlier or earlier[spec.teacher].teacher is not None
        ):
            raise ValueError(
                f"{name!r}: its teacher {spec.teacher!r} must be a method trained earlier in "
                f"--methods without a teacher of its own (e.g. none,ls-classic,{name})"
            )
        specs.append(spec)
    return tuple(specs)


def parse_retrieval_methods(text: str) -> tuple[MethodSpec, ...]:
    """Every retrieval method of ``--methods``: ``none`` (the labelled positive only) or one of
    :data:`~textls.retrieval.soft_targets.METHODS`; an unknown one is a ``ValueError`` naming it,
    before anything trains."""
    from textls.retrieval.arguments import METHODS

    specs = []
    for name in _names(text):
        if name != "none" and name not in METHODS:
            raise ValueError(
                f"unknown retrieval method {name!r}: not none or one of {', '.join(METHODS)}"
            )
        specs.append(MethodSpec(name, name, None if name == "none" else name))
    return tuple(specs)
