"""``textls compare``: its options, data, soft labels, runs, results and task (the public names are
listed once, in :mod:`textls.experiments`)."""

from __future__ import annotations

from textls._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {})
