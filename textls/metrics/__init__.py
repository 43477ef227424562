"""Classification and calibration metrics over predicted probabilities, and reliability diagrams."""

from __future__ import annotations

from textls.metrics import classification
from textls.metrics.classification import *  # noqa: F403  (its __all__ is the public list)
from textls.metrics.reliability import plot_reliability_diagram

__all__ = classification.__all__ + ["plot_reliability_diagram"]
