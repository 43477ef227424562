"""Packages whose public names are imported on first use (PEP 562), so ``import textls`` and the
command line's ``--help`` do not load torch, transformers or scikit-learn."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path


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


def public_names(module: str) -> list[str]:
    """The ``__all__`` of ``module``, read from its source without importing it.

    A package lists a subpackage's names through this, so the list is written once, in the
    subpackage, and ``import textls`` still loads none of it. ``__all__`` must be a literal list.
    """
    spec = importlib.util.find_spec(module)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise ImportError(f"{module} ({spec.origin}) has no literal __all__")
