"""Soft-label generators, one per file, and the registry that names them (``registry.py``)."""

from __future__ import annotations

from textls.smoothers._base import BaseSmoother
from textls.smoothers.explanation import Explanation
from textls.smoothers.kwls import KeywordSmoother
from textls.smoothers.ls_classic import ClassicSmoother
from textls.smoothers.ls_distill import DistillSmoother
from textls.smoothers.ls_tfidf import TfidfSmoother
from textls.smoothers.registry import SMOOTHERS, get_smoother

__all__ = [
    "SMOOTHERS",
    "BaseSmoother",
    "ClassicSmoother",
    "DistillSmoother",
    "Explanation",
    "KeywordSmoother",
    "TfidfSmoother",
    "get_smoother",
]
