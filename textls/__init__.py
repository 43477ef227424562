"""textls: informative label smoothing for text mining.

Soft labels that come from the text itself (LS-TFIDF, KWLS) or from a teacher (LS-Distill), next to
classic uniform smoothing (LS-Classic), with the losses that consume them.

The public names are the ``__all__`` of textls.keywords, textls.losses and textls.smoothers, read
from their source and imported on first use (:mod:`textls._lazy`): ``import textls`` (and so
``textls --help``) loads neither torch nor scikit-learn.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from textls._lazy import lazy_exports, public_names

__getattr__, __dir__, _names = lazy_exports(
    __name__,
    {
        module: public_names(module)
        for module in ["textls.keywords", "textls.losses", "textls.smoothers"]
    },
)


def load_cache(path, *, check_checksums: bool = True):
    """Open a soft-label cache (see :func:`textls.cache.load_cache`); imported on first use."""
    from textls.cache import load_cache as _load_cache

    return _load_cache(path, check_checksums=check_checksums)


try:
    __version__ = version("textls")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = sorted([*_names, "__version__", "load_cache"])
