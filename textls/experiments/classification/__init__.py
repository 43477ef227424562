"""``textls compare``: its options, data, soft labels, runs, results and task.

The public names are imported on first use (:mod:`textls._lazy`).
"""

from __future__ import annotations

from textls._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "textls.experiments.classification.arguments": ["CompareArguments"],
        "textls.experiments.classification.results": ["format_results"],
        "textls.experiments.classification.task": ["ClassificationCompare", "run_compare"],
    },
)
