"""Soft-label caches: preprocess a corpus once, at any scale, and reuse the soft labels everywhere.

``build_cache`` fits a generator from statistics merged across shards and writes the soft labels
shard by shard (resumable; in processes or on Ray); ``load_cache`` opens the result memory-mapped
and checks it; ``export_cache`` writes the formats that sentence-transformers, Tevatron and
FlagEmbedding read.  The command line is ``textls cache build | verify | export``.
"""

from __future__ import annotations

from textls.cache.build import BuildResult, build_cache
from textls.cache.export import EXPORT_FORMATS, export_cache
from textls.cache.fingerprint import data_fingerprint
from textls.cache.load import ShardedArray, SoftLabelCache, load_cache
from textls.cache.manifest import CacheError
from textls.cache.statistics import fit_in_shards

__all__ = [
    "EXPORT_FORMATS",
    "BuildResult",
    "CacheError",
    "ShardedArray",
    "SoftLabelCache",
    "build_cache",
    "data_fingerprint",
    "export_cache",
    "fit_in_shards",
    "load_cache",
]
