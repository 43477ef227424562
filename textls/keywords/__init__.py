"""Keyword extractors (per text) and class keyword scores (per label).

The public names are imported on first use (:mod:`textls._lazy`).
"""

from __future__ import annotations

from textls._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "textls.keywords._base": ["KeywordExtractor"],
        "textls.keywords.class_scores": ["ctfidf_scores", "log_odds_scores"],
        "textls.keywords.embedding": ["EmbeddingKeywordExtractor"],
        "textls.keywords.tfidf": ["TfidfKeywordExtractor"],
    },
)
