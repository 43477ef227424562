"""Where and how a benchmark ran: command line, machine, library versions and date.

Every script under ``scripts/`` stores ``provenance()`` in its JSON, and the Results page
(``docs/results.md``, written by ``scripts/render_results.py``) prints it next to the numbers, so a
reader can rerun exactly that command.
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _device() -> str:
    try:
        import torch
    except ImportError:
        return "cpu"
    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return "cpu"


def provenance() -> dict:
    """The command that is running (as typed from the repository root), machine, versions and UTC time."""
    script = os.path.relpath(os.path.abspath(sys.argv[0]))
    return {
        "command": shlex.join(["python", script, *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {_device()}",
        "python": platform.python_version(),
        "versions": {
            p: _version(p)
            for p in (
                "textls",
                "torch",
                "transformers",
                "scikit-learn",
                "faiss-cpu",
                "sentence-transformers",
            )
            if _version(p) is not None
        },
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
