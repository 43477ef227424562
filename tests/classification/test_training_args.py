"""Trainer options next to textls's own: defaults, refusals, per-run copies, and that they reach the Trainer."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from tiny_models import CORPUS, make_model

import textls.experiments.classification.runs as runs
from textls.experiments.classification.arguments import MAX_EPOCHS, CompareArguments
from textls.experiments.classification.checks import check_trainer_options
from textls.training_args import (
    CompareTrainingArguments,
    RetrievalTrainingArguments,
    changed_options,
    parse_trainer_options,
    run_arguments,
)


def test_textls_defaults_differ_from_trainer_defaults_only_where_documented():
    options = CompareTrainingArguments()
    assert options.weight_decay == 0.01 and options.warmup_steps == 0.1
    assert options.save_strategy == "no" and options.logging_strategy == "no"
    assert options.report_to == []
    assert RetrievalTrainingArguments().logging_steps == 50
    assert changed_options(CompareTrainingArguments()) == {}


def test_trainer_flags_are_parsed_with_their_own_types():
    options = parse_trainer_options(
        CompareTrainingArguments,
        ["--max_grad_norm", "0.25", "--lr_scheduler_type", "cosine", "--activation_checkpointing"],
    )
    assert options.max_grad_norm == 0.25
    assert options.lr_scheduler_type == "cosine"
    assert options.activation_checkpointing is True
    assert options.weight_decay == 0.01  # textls's default kept
    changed = changed_options(options)
    assert changed["max_grad_norm"] == 0.25 and changed["lr_scheduler_type"] == "cosine"
    assert changed["activation_checkpointing"] is True
    assert "weight_decay" not in changed and "output_dir" not in changed


def test_a_json_config_gives_the_same_options():
    options = parse_trainer_options(CompareTrainingArguments, config={"max_grad_norm": 0.25})
    assert options.max_grad_norm == 0.25


@pytest.mark.parametrize("flag", ["--num_train_epochs", "--seed"])
def test_a_per_run_field_a_command_does_not_declare_is_refused_not_overwritten(flag):
    """The commands declare these fields themselves; one that reached the Trainer options would
    be replaced by each run's value without a word."""
    with pytest.raises(ValueError, match=f"{flag} is not an option of this command: it sets"):
        parse_trainer_options(CompareTrainingArguments, [flag, "3"])


def test_an_unknown_flag_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown option.*--no_such_option"):
        parse_trainer_options(CompareTrainingArguments, ["--no_such_option", "1"])


def test_per_run_copies_keep_the_options_and_leave_the_base_alone():
    base = parse_trainer_options(CompareTrainingArguments, ["--max_grad_norm", "0.25"])
    run = run_arguments(base, output_dir="/tmp/run-3", seed=3, learning_rate=1e-3)
    assert (run.seed, run.learning_rate, run.max_grad_norm) == (3, 1e-3, 0.25)
    assert base.seed == 42 and base.output_dir != "/tmp/run-3"


def test_a_trainer_only_option_reaches_the_trainer_of_every_compare_run(
    tmp_path, monkeypatch, tokenizer
):
    """``textls compare ... --max_grad_norm 0.25 --lr_scheduler_type constant`` on the command line."""
    from textls.cli import main

    seen = []

    class Recording(runs.SoftLabelTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self.args)

    monkeypatch.setattr(runs, "SoftLabelTrainer", Recording)
    monkeypatch.setattr(runs, "make_model_factory", lambda *a: lambda: make_model(num_labels=3))
    monkeypatch.setattr(runs, "load_tokenizer", lambda model: tokenizer)
    for name, rows in (("train.csv", CORPUS * 2), ("test.csv", CORPUS)):
        pd.DataFrame(rows, columns=["text", "label"]).to_csv(tmp_path / name, index=False)
    code = main(
        [
            "compare",
            "--train", str(tmp_path / "train.csv"),
            "--test", str(tmp_path / "test.csv"),
            "--output_dir", str(tmp_path / "out"),
            "--methods", "none,ls-classic",
            "--seeds", "2",
            "--seed", "5",
            "--model", "textcnn",
            "--num_train_epochs", "1",
            "--per_device_train_batch_size", "8",
            "--per_device_eval_batch_size", "16",
            "--learning_rate", "0.02",
            "--max_grad_norm", "0.25",
            "--lr_scheduler_type", "constant",
        ]
    )  # fmt: skip
    assert code == 0
    assert len(seen) == 4
    assert all(a.max_grad_norm == 0.25 and a.lr_scheduler_type == "constant" for a in seen)
    assert sorted(a.seed for a in seen) == [5, 5, 6, 6]  # --seeds runs from --seed
    assert sorted(a.data_seed for a in seen) == [5, 5, 6, 6]
    assert all(a.num_train_epochs == 1 and a.learning_rate == 0.02 for a in seen)
    assert all(a.per_device_train_batch_size == 8 for a in seen)
    assert all(a.per_device_eval_batch_size == 16 for a in seen)
    # --output_dir is the compare's folder; each run trains in a temporary one of its own
    assert all(a.output_dir != str(tmp_path / "out") for a in seen)
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["trainer_options"] == {"max_grad_norm": 0.25, "lr_scheduler_type": "constant"}
    assert sorted(p.name for p in (tmp_path / "out" / "predictions").iterdir()) == [
        "ls-classic-seed5.npz",
        "ls-classic-seed6.npz",
        "none-seed5.npz",
        "none-seed6.npz",
    ]
    assert set(saved["methods"]["none"]["per_seed"]) == {"5", "6"}
    assert saved["config"]["num_train_epochs"] == 1 and "epochs" not in saved["config"]


def _parse_compare(argv):
    """``textls compare ARGV``'s parsed ``(args, trainer options)``, without running it."""
    from transformers import HfArgumentParser

    from textls._cli import parse_arguments

    parser = HfArgumentParser(CompareArguments, allow_abbrev=False)
    return parse_arguments(parser, argv, CompareTrainingArguments)


FILES = ["--train", "a.csv", "--test", "b.csv", "--output_dir", "o"]


def test_seed_is_the_first_seed_and_not_taken_for_seeds():
    """argparse's abbreviations are off: ``--seed 3`` would otherwise train 3 seeds."""
    args, _ = _parse_compare([*FILES, "--seed", "3"])
    assert args.seed == 3 and args.seeds == 3
    assert list(runs.run_seeds(args)) == [3, 4, 5]
    default, _ = _parse_compare(FILES)
    assert list(runs.run_seeds(default)) == [0, 1, 2]


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [("--epochs", "num_train_epochs", 2.0), ("--batch_size", "per_device_train_batch_size", 8)],
)
def test_an_old_spelling_warns_naming_the_new_flag_and_still_works(old, new, value):
    with pytest.warns(FutureWarning, match=f"{old} is deprecated.*use --{new}"):
        args, options = _parse_compare([*FILES, old, str(value)])
    assert getattr(args, new) == value and getattr(args, old[2:]) is None
    assert changed_options(options) == {}  # nothing reached the Trainer options
    with pytest.warns(FutureWarning, match=f"use --{new}"):
        keywords = CompareArguments(train="a", test="b", output_dir="o", **{old[2:]: value})
    assert getattr(keywords, new) == value


def test_an_old_spelling_in_a_json_config_warns_and_still_works(tmp_path):
    config = tmp_path / "compare.json"
    config.write_text(
        json.dumps({"train": "a.csv", "test": "b.csv", "output_dir": "o", "epochs": 3})
    )
    with pytest.warns(FutureWarning, match="--epochs is deprecated.*use --num_train_epochs"):
        args, _ = _parse_compare([str(config)])
    assert args.num_train_epochs == 3


@pytest.mark.parametrize(
    ("old", "new"),
    [("--epochs", "--num_train_epochs"), ("--batch_size", "--per_device_train_batch_size")],
)
def test_an_old_and_a_new_spelling_both_given_is_an_error_naming_both(old, new, tmp_path, capsys):
    with pytest.raises(ValueError, match=f"{old} and {new} are both given"):
        _parse_compare([*FILES, old, "2", new, "2"])
    from textls.cli import main

    assert main(["compare", *FILES, old, "2", new, "4"]) == 1
    assert f"{old} and {new} are both given" in capsys.readouterr().err


def _run_of(**options):
    args = CompareArguments(train="a", test="b", output_dir="o", **options)
    return runs.run_training_arguments(args, None, "x", seed=0, epoch_steps=7)


def test_the_model_familys_defaults_apply_only_where_the_user_set_nothing():
    from textls.classification.modeling import default_learning_rate

    unset = _run_of(model="fasttext")
    assert unset.per_device_train_batch_size == 128 and unset.per_device_eval_batch_size == 128
    assert unset.learning_rate == default_learning_rate("fasttext", 128)
    assert unset.num_train_epochs == MAX_EPOCHS  # the plateau's cap ...
    assert unset.lr_scheduler_type == "constant_with_warmup"  # ... with a plateau's schedule
    given = _run_of(
        model="fasttext",
        learning_rate=0.02,
        per_device_train_batch_size=16,
        per_device_eval_batch_size=8,
        num_train_epochs=3,
    )
    assert given.learning_rate == 0.02  # the user's, not fasttext's
    assert (given.per_device_train_batch_size, given.per_device_eval_batch_size) == (16, 8)
    assert given.num_train_epochs == 3 and given.lr_scheduler_type == "linear"
    batch_only = _run_of(model="fasttext", per_device_train_batch_size=16)
    assert batch_only.learning_rate == default_learning_rate("fasttext", 16)  # of the user's batch
    transformer = _run_of(model="minilm", learning_rate=5e-5)  # the default value, given
    assert transformer.learning_rate == 5e-5 and transformer.per_device_train_batch_size == 32


def test_the_demos_runs_get_the_same_trainer_arguments_as_before_the_renaming(tmp_path):
    """``textls demo``'s seed-1 run, as the code before the Hugging Face names built it (its
    fields that differ from ``TrainingArguments``'s defaults, 7 optimiser steps an epoch)."""
    from transformers import TrainingArguments

    from textls.classification.demo import demo_arguments

    args = demo_arguments(str(tmp_path / "demo"))
    run = runs.run_training_arguments(args, None, "x", seed=1, epoch_steps=7).to_dict()
    default = TrainingArguments().to_dict()
    ignored = {"dataloader_pin_memory"}  # textls pins memory where there is a GPU, as before
    assert {k: v for k, v in run.items() if default.get(k) != v and k not in ignored} == {
        "output_dir": "x",
        "per_device_train_batch_size": 128,
        "num_train_epochs": 100.0,
        "learning_rate": 0.007,
        "lr_scheduler_type": "constant_with_warmup",
        "warmup_steps": 1,
        "weight_decay": 0.01,
        "logging_strategy": "no",
        "eval_strategy": "epoch",
        "per_device_eval_batch_size": 128,
        "save_strategy": "no",
        "metric_for_best_model": "loss",
        "greater_is_better": False,
        "seed": 1,
        "data_seed": 1,
        "do_eval": True,
    }


def test_label_smoothing_factor_is_refused_not_ignored():
    with pytest.raises(ValueError, match="label_smoothing_factor is not used.*ls-classic"):
        parse_trainer_options(CompareTrainingArguments, ["--label_smoothing_factor", "0.1"])


def test_dashed_and_negated_trainer_flags_are_understood():
    options = parse_trainer_options(
        CompareTrainingArguments, ["--lr-scheduler-type", "cosine", "--no_remove_unused_columns"]
    )
    assert options.lr_scheduler_type == "cosine" and options.remove_unused_columns is False


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--save_strategy", "epoch"], "--save_strategy: compare trains each run in a temporary"),
        (["--load_best_model_at_end"], "--load_best_model_at_end: compare keeps each run's best"),
        (
            ["--metric_for_best_model", "accuracy"],
            "--metric_for_best_model accuracy: compare stops",
        ),
        (["--fp16"], "Trainer options: "),
    ],
)
def test_trainer_options_compare_cannot_honour_are_refused_before_any_work(
    tmp_path, flags, message
):
    options = parse_trainer_options(CompareTrainingArguments, flags)
    args = CompareArguments(
        train="t.csv", test="t.csv", output_dir=str(tmp_path), model="fasttext", bf16=True
    )
    with pytest.raises(ValueError, match=message):
        check_trainer_options(args, options)
