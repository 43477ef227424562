"""Keyword extractors (per text) and class keyword scores (per label)."""

from __future__ import annotations

from textls.keywords._base import KeywordExtractor
from textls.keywords.class_scores import ctfidf_scores, log_odds_scores
from textls.keywords.embedding import EmbeddingKeywordExtractor
from textls.keywords.tfidf import TfidfKeywordExtractor

__all__ = [
    "EmbeddingKeywordExtractor",
    "KeywordExtractor",
    "TfidfKeywordExtractor",
    "ctfidf_scores",
    "log_odds_scores",
]
