"""``textls --help`` loads no heavy library (issue 12): the public names of ``textls``,
``textls.retrieval`` and ``textls.cache`` are imported on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import textls

HEAVY = ("torch", "transformers", "sklearn", "datasets", "pandas")


@pytest.mark.parametrize(
    "argv", [["--help"], ["retrieval", "--help"], ["cache", "--help"], ["--version"]]
)
def test_help_and_version_import_no_heavy_library(argv):
    code = (
        "import sys, textls.cli\n"
        f"assert textls.cli.main({argv!r}) == 0\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize("package", ["textls", "textls.retrieval", "textls.cache"])
def test_every_public_name_imports_and_is_listed(package):
    module = __import__(package, fromlist=["__all__"])
    for name in module.__all__:
        assert getattr(module, name) is not None
    assert set(module.__all__) <= set(dir(module))


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'NoSuchSmoother'"):
        textls.NoSuchSmoother  # noqa: B018
    from textls import TfidfSmoother
    from textls.smoothers import TfidfSmoother as defined

    assert TfidfSmoother is defined
