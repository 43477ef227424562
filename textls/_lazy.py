"""How a textls package ``__init__`` reads: one :func:`lazy_exports` call, nothing else.

The convention, for every package (``textls`` and each subpackage):

* **An ``__init__`` is a docstring and a list of public names per module**, handed to
  :func:`lazy_exports` as a dict literal (``{"textls.smoothers.kwls": ["KeywordSmoother"]}``);
  a subpackage's names are ``public_names("textls.classification.models")``, not a copy.
  That dict is the package's ``__all__``; :func:`public_names` reads it from source, so
  ``textls`` lists its subpackages' names without repeating or importing them.
* **Code lives in modules, not in ``__init__``.**  A registry and its functions (``SMOOTHERS``
  and ``get_smoother`` in ``smoothers/registry.py``), a constant, a wrapper: each is defined in a
  module of the package and listed like any other name.
* **A name is imported on first use (PEP 562)**, from the module that defines it.  So
  ``import textls`` and ``textls --help`` load neither torch, transformers nor scikit-learn, and
  an ``__init__``, which imports nothing but this module, never closes an import circle.

Every public import path stays the one an eager ``from .module import name`` would give:
``from textls.smoothers import get_smoother`` and ``textls.smoothers.get_smoother`` are the
function defined in ``textls/smoothers/registry.py``, also where a name is spelled like its
module (``textls.losses.distill_kl_div`` is the function, as before).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType


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
        (``{"textls.smoothers.registry": ["SMOOTHERS", "get_smoother"], ...}``).

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

    class Package(ModuleType):
        """Importing ``textls.losses.distill_kl_div`` binds that module on the package (Python's
        import system does), which would hide the function ``distill_kl_div`` it exports under
        the same name; the package binds the function instead, as an eager
        ``from textls.losses.distill_kl_div import distill_kl_div`` in ``__init__`` would."""

        def __setattr__(self, name: str, value) -> None:
            if isinstance(value, ModuleType) and value.__name__ == exports.get(name):
                value = getattr(value, name)
            super().__setattr__(name, value)

    sys.modules[package].__class__ = Package
    return __getattr__, __dir__, sorted(exports)


def public_names(package: str) -> list[str]:
    """The public names of ``package``, sorted, read from the dict literal its ``__init__``
    hands to :func:`lazy_exports`, without importing it.

    A package lists a subpackage's names through this, so the list is written once, in the
    subpackage, and ``import textls`` still loads none of it.
    """
    spec = importlib.util.find_spec(package)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if _is_call(node, "lazy_exports") and isinstance(node.args[1], ast.Dict):
            lists = [_names(value, spec.origin) for value in node.args[1].values]
            return sorted(name for names in lists for name in names)
    raise ImportError(f"{package} ({spec.origin}) has no lazy_exports call with a literal dict")


def _is_call(node: ast.AST, function: str) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == function


def _names(node: ast.AST, origin: str) -> list[str]:
    """A module's names in a ``lazy_exports`` dict: a literal list, or a subpackage's
    ``public_names("...")``."""
    if _is_call(node, "public_names"):
        return public_names(ast.literal_eval(node.args[0]))
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ImportError(
            f"{origin}: line {node.lineno}: a lazy_exports value must be a list of names or "
            "public_names('package')"
        ) from None
