"""Experiments: ``textls compare`` and ``textls retrieval compare`` on one runner.

A compare is a task (:class:`~textls.experiments.runner.Task`: prepare, run one, finish) that
:func:`~textls.experiments.runner.run_experiment` drives over methods x seeds, with the output
folder's policy, the lock, progress and timings shared.  The methods are parsed once, where the
arguments are built (:mod:`textls.experiments.methods`).

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
        "textls.experiments.methods": ["MethodSpec", "parse_methods", "parse_retrieval_methods"],
        "textls.experiments.retrieval": [
            "RetrievalCompare",
            "RetrievalCompareArguments",
            "format_retrieval_results",
            "run_retrieval_compare",
        ],
        "textls.experiments.runner": ["RunOutcome", "Task", "run_experiment"],
    },
)
