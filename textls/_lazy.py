"""Packages whose public names are imported on first use (PEP 562), so ``import textls`` and the
command line's ``--help`` do not load torch, transformers or scikit-learn."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_exports(
    package: str, modules: dict[str, list[str]]
) -> tuple[Callable, Callable, list[str]]:
    """What a package that imports each public name on first use binds at its top.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    modules : dict
        Module -> the public names it defines, as ``from module import names`` would read
        (``{"textls.smoothers": ["TfidfSmoother", ...]}``).

    Returns
    -------
    tuple
        ``(__getattr__, __dir__, names)``: the package's module-level ``__getattr__`` and
        ``__dir__``, and its public names, sorted, for ``__all__``.  The first access to a name
        imports its module and keeps the value on the package, so later ones are plain reads.
    """
    exports = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__, sorted(exports)
