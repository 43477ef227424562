"""What counts as the user's error, and how every ``textls`` command reports it.

A user error (bad input, a bad option, a file that cannot be read) ends a command with exit status 1
and one line that names the file, row, column or option; a bug keeps its traceback.  Library code
raises ``ValueError`` (or one of the subclasses below, which are also ``TypeError`` / ``KeyError``
for callers who catch those, as scikit-learn's and pandas' conventions lead them to) for the first
kind; ``OSError``, truncated compressed input (``EOFError``, ``zlib.error``) and a missing
optional dependency (``ImportError``) are the user's too.
"""

from __future__ import annotations

import logging
import os
import sys
import zlib
from collections.abc import Callable


class InputTypeError(TypeError, ValueError):
    """A value of the wrong type where textls checks its input (a user error)."""


class MissingKeyError(KeyError, ValueError):
    """A column, split or key the input lacks (a user error); prints its message without quotes."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


#: What ``run_command`` reports as the user's error.
USER_ERRORS = (ValueError, OSError, EOFError, zlib.error, ImportError)


class CommandLogFormatter(logging.Formatter):
    """How a command shows log records on stderr: textls's progress (INFO) as plain lines, a
    warning or error as ``PROG: LEVEL: MESSAGE``."""

    def __init__(self, prog: str):
        super().__init__()
        self.prog = prog

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return (
            text if record.levelno < logging.WARNING else f"{self.prog}: {record.levelname}: {text}"
        )


def run_command(prog: str, command: Callable[[], object]) -> int:
    """Run ``command``; return 0, or 1 after printing ``PROG: error: MESSAGE`` for a user error.

    Anything else (a bug) propagates with its traceback; ``TEXTLS_DEBUG=1`` in the environment
    shows the traceback of a user error too.
    """
    root = logging.getLogger()
    if not root.handlers:  # library warnings reach the terminal, one line each; textls's progress
        handler = logging.StreamHandler()
        handler.setFormatter(CommandLogFormatter(prog))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
        logging.getLogger("textls").setLevel(logging.INFO)
    try:
        command()
    except USER_ERRORS as exc:
        if os.environ.get("TEXTLS_DEBUG"):  # the traceback, for a bug that looks like a user error
            raise
        print(f"{prog}: error: {describe(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 0


def describe(exc: BaseException) -> str:
    """One line for ``exc``: its message, with the file for an ``OSError`` that names one."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror if exc.filename is None else f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, EOFError | zlib.error):
        return f"truncated or corrupt compressed input ({exc})"
    return str(exc) or type(exc).__name__
