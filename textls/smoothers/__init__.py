"""Soft-label generators, one per file, and the registry that names them (``registry.py``).

The public names are imported on first use (:mod:`textls._lazy`).
"""

from __future__ import annotations

from textls._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "textls.smoothers._base": ["BaseSmoother"],
        "textls.smoothers.explanation": ["Explanation"],
        "textls.smoothers.kwls": ["KeywordSmoother"],
        "textls.smoothers.ls_classic": ["ClassicSmoother"],
        "textls.smoothers.ls_distill": ["DistillSmoother"],
        "textls.smoothers.ls_tfidf": ["TfidfSmoother"],
        "textls.smoothers.registry": ["SMOOTHERS", "get_smoother"],
    },
)
