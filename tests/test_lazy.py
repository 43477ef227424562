"""Every textls package ``__init__`` is one ``lazy_exports`` call (the convention in
``textls/_lazy.py``): code lives in modules, each public name is imported on first use from the
module that defines it, and importing a package loads no heavy library."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import textls
from textls._lazy import public_names

ROOT = Path(textls.__file__).parent
PACKAGES = sorted(
    ".".join(path.parent.relative_to(ROOT.parent).parts) for path in ROOT.rglob("__init__.py")
)
HEAVY = ("torch", "transformers", "sklearn", "datasets", "pandas", "numpy")


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()[-1]


@pytest.mark.parametrize("package", PACKAGES)
def test_an_init_is_a_docstring_and_one_lazy_exports_call(package):
    path = ROOT.parent.joinpath(*package.split("."), "__init__.py")
    body = ast.parse(path.read_text(encoding="utf-8")).body
    assert isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)  # docstring
    imports = [node for node in body[1:] if isinstance(node, ast.ImportFrom)]
    assert {node.module for node in imports} == {"__future__", "textls._lazy"}
    (call,) = [node for node in body[1:] if node not in imports]
    assert isinstance(call, ast.Assign) and call.value.func.id == "lazy_exports"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_the_object_its_module_defines(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        assert not isinstance(value, ModuleType), name
        assert name in dir(module)
    if package != "textls":  # the top package composes its subpackages' lists
        assert public_names(package) == module.__all__


def test_importing_every_package_loads_no_heavy_library():
    code = (
        f"import sys\nfor p in {PACKAGES!r}: __import__(p)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    assert _run(code) == "[]"


def test_a_name_spelled_like_its_module_stays_the_name_once_the_module_is_imported():
    # importing textls.losses.distill_kl_div binds that module on textls.losses; the package
    # still gives the function, as an eager `from .distill_kl_div import distill_kl_div` would
    code = (
        "import types, textls.losses.distill_kl_div, textls.calibration.prior_shift\n"
        "from textls.losses import distill_kl_div\n"
        "from textls.calibration import prior_shift\n"
        "import textls\n"
        "print([isinstance(f, types.FunctionType) for f in "
        "(distill_kl_div, prior_shift, textls.distill_kl_div)])\n"
    )
    assert _run(code) == "[True, True, True]"


def test_a_registry_is_one_dict_however_it_is_imported():
    from textls.classification.regularizers import REGULARIZERS
    from textls.classification.regularizers.registry import REGULARIZERS as defined
    from textls.smoothers import SMOOTHERS
    from textls.smoothers.registry import SMOOTHERS as smoothers_defined

    assert REGULARIZERS is defined and SMOOTHERS is smoothers_defined
