"""``textls compare``: every smoothing method on identical data and seeds, side by side, as a task
of the shared runner (:func:`~textls.experiments.runner.run_experiment`)."""

from __future__ import annotations

import logging
from pathlib import Path

from transformers import TrainingArguments

from textls.classification.progress import describe_training
from textls.experiments.classification import runs, soft_labels
from textls.experiments.classification.arguments import CompareArguments
from textls.experiments.classification.checks import (
    check_arguments,
    check_trainer_options,
    one_accumulation,
)
from textls.experiments.classification.data import prepare_data, tokenised
from textls.experiments.classification.results import save_predictions, write_outputs
from textls.experiments.output_folder import CLASSIFICATION_NAMES, OutputRecord
from textls.experiments.runner import RunOutcome, run_experiment
from textls.training_args import CompareTrainingArguments

logger = logging.getLogger(__name__)


class ClassificationCompare:
    """The task of ``textls compare`` (:class:`~textls.experiments.runner.Task`): prepare reads
    and splits the data and makes every method's soft labels (:mod:`.soft_labels`), each run
    trains one model to its plateau and scores it (:func:`.runs.train_and_evaluate`), finish
    writes ``results.json``, ``report.md``, the figures (:func:`.results.write_outputs`)."""

    writer = "textls compare"
    own_names = CLASSIFICATION_NAMES

    def __init__(self, args: CompareArguments, training_args, model_factory=None, tokenizer=None):
        self.checked = check_arguments(args)
        self.training_args = training_args or CompareTrainingArguments()
        self.args = one_accumulation(args, self.training_args)
        check_trainer_options(self.args, self.training_args)
        self.specs = {spec.name: spec for spec in self.args.specs}
        self.model_factory, self.tokenizer = model_factory, tokenizer
        self.teachers = {spec.teacher for spec in self.args.specs} - {None}
        self.datasets: dict = {}
        self.outcomes: dict = {}

    def prepare(self) -> list[tuple[str, int]]:
        args = self.args
        self.data = prepare_data(args)
        self.y_train, y_val, y_test = self.data.encoded()
        self.setup = runs.make_setup(
            args, self.data, self.model_factory, self.tokenizer, self.training_args
        )
        logger.info(
            "compare: %d train / %d validation / %d test, %d classes, model %s, methods %s, "
            "seeds %d",
            len(self.y_train),
            len(y_val),
            len(y_test),
            len(self.data.classes),
            args.model,
            list(self.specs),
            args.seeds,
        )
        self.soft = soft_labels.soft_labels_of(
            args.specs, args, self.data, self.checked.params, self.checked.files, self.setup
        )
        return [(name, seed) for name in self.specs for seed in runs.run_seeds(args)]

    def _train_set(self, method: str, run: int):
        """The tokenised training rows with ``method``'s soft labels: one set per soft-label
        method (kwls and kwls+mixup share it), or this seed's teacher's (``ls-distill@M``)."""
        spec, data, args = self.specs[method], self.data, self.args
        if spec.teacher is None:
            if spec.soft not in self.datasets:
                self.datasets[spec.soft] = tokenised(
                    self.setup.tokenizer,
                    data.train.texts,
                    self.y_train,
                    self.soft.targets[spec.soft],
                    args.max_length,
                )
            return self.datasets[spec.soft]
        teacher = self.outcomes[spec.teacher][run]  # this seed's teacher decides where mass goes
        targets, diagnosis = soft_labels.distilled_targets(
            args, data, self.checked.params, teacher.train_probs
        )
        self.soft.diagnostics.setdefault(spec.soft, diagnosis)  # the first seed's, as the figure
        return tokenised(
            self.setup.tokenizer, data.train.texts, self.y_train, targets, args.max_length
        )

    def run_one(self, method: str, seed: int, run: int, record: OutputRecord) -> RunOutcome:
        spec = self.specs[method]
        result = runs.train_and_evaluate(
            self.setup,
            self._train_set(method, run),
            seed,
            spec.regularizer,
            self.checked.weights.get(spec.regularizer),
            represent=run == 0,
            predict_train=method in self.teachers,
        )
        self.outcomes.setdefault(method, []).append(result)
        out = record.out
        path = record.add(out / "predictions" / f"{method}-seed{seed}.npz")  # then written
        path.parent.mkdir(parents=True, exist_ok=True)
        save_predictions(path, result, self.setup.y_test, self.data.classes)
        return RunOutcome(
            result.metrics,
            shown={k: v for k, v in result.metrics.items() if "_ts" not in k},
            detail=describe_training(result.training),
            result=result,
            warnings=result.warnings,
        )

    def finish(self, record: OutputRecord, runs_: list, outcomes: dict, seconds: dict) -> dict:
        out = record.out
        timings = {
            method: {
                "soft_label_seconds": self.soft.seconds[self.specs[method].soft],
                "train_eval_seconds": seconds[method],
            }
            for method in outcomes
        }
        # listed before they are written (a figure that is not drawn stays a name with no file)
        for name in ("figures/reliability.png", "figures/representations.png", "report.md"):
            record.add(out / name)
        record.add(out / "results.json")  # written last, by write_outputs
        return write_outputs(
            out,
            self.args,
            self.setup,
            self.data,
            self.y_train,
            runs_,
            outcomes,
            self.soft.diagnostics,
            timings,
            self.soft.selection,
        )


def run_compare(
    args: CompareArguments,
    model_factory=None,
    tokenizer=None,
    training_args: TrainingArguments | None = None,
) -> dict:
    """Train every method for every seed; write results.json, report.md, predictions and figures.

    Three steps: the data (subsamples and splits) and every method's soft labels, all before any
    training, so a bad one fails early; one :func:`.runs.train_and_evaluate` per method and seed;
    then :func:`.results.write_outputs`.  ``training_args``: the Trainer options every run starts
    from (default :class:`~textls.training_args.CompareTrainingArguments`); each run is a copy
    with its own folder, batch size, epochs, learning rate and seed.  Returns the results (as in
    ``results.json``).
    """
    task = ClassificationCompare(args, training_args, model_factory, tokenizer)
    return run_experiment(task, Path(args.output_dir))
