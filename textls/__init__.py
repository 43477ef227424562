"""textls: informative label smoothing for text mining.

Soft labels that come from the text itself (LS-TFIDF, KWLS) or from a teacher (LS-Distill), next to
classic uniform smoothing (LS-Classic), with the losses that consume them.

The public names are those of textls.keywords, textls.losses and textls.smoothers (read from their
``__init__`` without importing them), ``load_cache`` and ``__version__``, each imported on first use
(:mod:`textls._lazy`): ``import textls`` (and so ``textls --help``) loads neither torch nor
scikit-learn.
"""

from __future__ import annotations

from textls._lazy import lazy_exports, public_names

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        **{
            package: public_names(package)
            for package in ["textls.keywords", "textls.losses", "textls.smoothers"]
        },
        "textls.cache.load": ["load_cache"],
        "textls._version": ["__version__"],
    },
)
