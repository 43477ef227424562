"""Soft-label caches: preprocess a corpus once, at any scale, and reuse the soft labels everywhere.

``build_cache`` fits a generator from statistics merged across shards and writes the soft labels
shard by shard (resumable; in processes or on Ray); ``load_cache`` opens the result memory-mapped
and checks it; ``export_cache`` writes the formats that sentence-transformers, Tevatron and
FlagEmbedding read.  The command line is ``textls cache build | verify | export``.
"""

from __future__ import annotations

from textls._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "textls.cache.build": ["BuildResult", "build_cache"],
        "textls.cache.export": ["EXPORT_FORMATS", "export_cache"],
        "textls.cache.fingerprint": ["data_fingerprint"],
        "textls.cache.load": ["ShardedArray", "SoftLabelCache", "load_cache"],
        "textls.cache.manifest": ["CacheError"],
        "textls.cache.statistics": ["fit_in_shards"],
    },
)
