"""What ``textls compare`` shows while a run trains: one progress bar per run that carries the
validation loss instead of printing each evaluation, and the words for how long the run trained
(the line after each run is :class:`textls.experiments.runner.Progress`)."""

from __future__ import annotations

from transformers import PrinterCallback, ProgressCallback


def describe_training(training: dict) -> str:
    """``"15 epochs (420 steps), stopped at the plateau, kept epoch 12"``: one run's length."""
    said = f"{training['epochs']:g} epochs ({training['steps']} steps)"
    if training["stopped"] == "plateau":
        return f"{said}, stopped at the validation plateau, kept epoch {training['kept_epoch']:g}"
    if training["stopped"] == "max_epochs":
        return f"{said}, stopped by --max_epochs with the validation loss still falling"
    falling = ", the validation loss still falling" if training["still_improving"] else ""
    return f"{said} as --num_train_epochs asked{falling}"


class TrainingBar(ProgressCallback):
    """transformers' training progress bar for a run that evaluates every epoch: the evaluation's
    own bar and metrics line are left out and the bar shows the latest and best validation loss."""

    def __init__(self):
        super().__init__()
        self.best = float("inf")

    def on_prediction_step(self, args, state, control, eval_dataloader=None, **kwargs):
        if self.training_bar is None:  # a prediction after training keeps its bar
            super().on_prediction_step(args, state, control, eval_dataloader, **kwargs)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.training_bar is None or "eval_loss" not in (logs or {}):
            return super().on_log(args, state, control, logs, **kwargs)
        self.best = min(self.best, logs["eval_loss"])
        self.training_bar.set_postfix(
            validation_loss=f"{logs['eval_loss']:.4f}", best=f"{self.best:.4f}", refresh=False
        )


class _QuietPrinter(PrinterCallback):
    """transformers' log printer (``--disable_tqdm``) without a line per evaluation."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if "eval_loss" not in (logs or {}):
            super().on_log(args, state, control, logs, **kwargs)


def quiet_evaluation(trainer) -> None:
    """Swap ``trainer``'s progress bar (or, with ``--disable_tqdm``, its log printer) for one that
    does not print every epoch's evaluation: :class:`TrainingBar` or a quiet printer."""
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(TrainingBar())
    elif trainer.pop_callback(PrinterCallback) is not None:
        trainer.add_callback(_QuietPrinter())
