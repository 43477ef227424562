"""Training length by the validation loss: stop at its plateau and keep the best weights.

:class:`PlateauStopping` is transformers' ``EarlyStoppingCallback`` (its patience and threshold on
``metric_for_best_model``) with two additions that ``textls compare`` needs on a CPU:

* the best weights are kept **in memory** and put back when training ends (Keras's
  ``restore_best_weights``), so no checkpoint is written (``load_best_model_at_end`` needs a
  checkpoint at every evaluation: for a transformer, its weights and optimiser state on disk);
* a record of the run (:meth:`PlateauStopping.record`): every evaluation's value, the epochs and
  steps trained, the epoch and step whose weights were kept, and why training stopped.

With ``patience=None`` it only records (a run of fixed length): training goes on to the end and
the last weights are kept, and the record says whether the validation loss was still falling.

Examples
--------
>>> from transformers import Trainer, TrainingArguments
>>> stopping = PlateauStopping(patience=3)
>>> args = TrainingArguments(  # doctest: +SKIP
...     "out", eval_strategy="epoch", metric_for_best_model="loss", greater_is_better=False,
...     num_train_epochs=100, save_strategy="no")
>>> Trainer(model, args, train_dataset=train, eval_dataset=val, callbacks=[stopping]).train()
... # doctest: +SKIP
>>> stopping.record()["stopped"]  # doctest: +SKIP
'plateau'
"""

from __future__ import annotations

import logging

from transformers import EarlyStoppingCallback
from transformers.trainer_utils import IntervalStrategy

logger = logging.getLogger(__name__)

#: Why a run stopped (:meth:`PlateauStopping.record`).
STOP_REASONS = {
    "plateau": "the validation loss stopped improving",
    "max_epochs": "the epoch cap, with the validation loss still improving near the end",
    "fixed": "the fixed number of epochs asked for",
}


class PlateauStopping(EarlyStoppingCallback):
    """Stop when ``metric_for_best_model`` has not improved (by more than ``threshold``) for
    ``patience`` evaluations in a row, then restore the weights of its best evaluation.

    Parameters
    ----------
    patience : int or None
        Evaluations without improvement before training stops; ``None``: never stop early, keep
        the last weights, only record.
    threshold : float, default 0.0
        How much the metric must improve to count (``EarlyStoppingCallback``'s
        ``early_stopping_threshold``).
    """

    def __init__(self, patience: int | None = 3, threshold: float = 0.0):
        if patience is not None and (
            isinstance(patience, bool) or not isinstance(patience, int) or patience < 1
        ):
            raise ValueError(f"patience must be an integer >= 1 or None, got {patience!r}")
        super().__init__(early_stopping_patience=patience or 1, early_stopping_threshold=threshold)
        self.stops = patience is not None
        self.history: list[dict] = []
        self.best: dict | None = None
        self._weights: dict | None = None
        self._end: dict = {}

    def on_train_begin(self, args, state, control, **kwargs):
        # the parent warns without load_best_model_at_end: the weights are restored here instead
        if args.metric_for_best_model is None or args.eval_strategy == IntervalStrategy.NO:
            raise ValueError(
                "PlateauStopping needs an evaluation strategy and metric_for_best_model"
            )

    def on_evaluate(self, args, state, control, metrics, model=None, **kwargs):
        key = args.metric_for_best_model
        key = key if key.startswith("eval_") else f"eval_{key}"
        if key not in metrics:
            raise KeyError(f"PlateauStopping: the evaluation gave no {key!r} ({sorted(metrics)})")
        value = float(metrics[key])
        self.history.append(
            {"epoch": float(state.epoch or 0.0), "step": state.global_step, "value": value}
        )
        self.check_metric_value(args, state, control, value)
        if self.early_stopping_patience_counter == 0:  # a new best (state.best_metric is the old)
            self.best = self.history[-1]
            if self.stops and model is not None:
                self._weights = {
                    k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()
                }
        elif self.stops and self.early_stopping_patience_counter >= self.early_stopping_patience:
            control.should_training_stop = True

    def on_train_end(self, args, state, control, model=None, **kwargs):
        self._end = {"epoch": float(state.epoch or 0.0), "step": state.global_step}
        last = self.history[-1] if self.history else None
        if self._weights is not None and model is not None and last is not self.best:
            model.load_state_dict(self._weights)
        self._weights = None  # the model holds them now

    def record(self) -> dict:
        """What this run did: ``epochs`` and ``steps`` trained, ``kept_epoch`` / ``kept_step``
        (the weights the model ends with), ``best_epoch``, ``stopped`` (a key of
        :data:`STOP_REASONS`), ``still_improving`` (stopped by the cap, or a fixed run whose last
        evaluation was its best) and ``validation`` (every evaluation's
        ``epoch``, ``step`` and ``value``)."""
        if not self.stops:
            stopped = "fixed"
        elif self.early_stopping_patience_counter >= self.early_stopping_patience:
            stopped = "plateau"
        else:
            stopped = "max_epochs"
        # stopped by the cap: the best evaluation is among the last ``patience``; a fixed run:
        # its last evaluation is its best
        still_improving = stopped == "max_epochs" or (
            stopped == "fixed" and bool(self.history) and self.history[-1] is self.best
        )
        kept = self.best if (self.stops and self.best is not None) else self._end
        return {
            "epochs": self._end.get("epoch"),
            "steps": self._end.get("step"),
            "kept_epoch": kept.get("epoch"),
            "kept_step": kept.get("step"),
            "best_epoch": self.best["epoch"] if self.best else None,
            "stopped": stopped,
            "still_improving": still_improving,
            "validation": list(self.history),
        }
