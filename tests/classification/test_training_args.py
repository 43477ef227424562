"""Trainer options next to textls's own: defaults, refusals, per-run copies, and that they reach the Trainer."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from tiny_models import CORPUS, make_model

import textls.classification.compare as compare
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


@pytest.mark.parametrize(
    ("flag", "own"), [("--num_train_epochs", "--epochs"), ("--seed", "--seeds")]
)
def test_a_field_textls_sets_per_run_is_refused_naming_the_own_option(flag, own):
    with pytest.raises(ValueError, match=f"{flag} is set by textls for each run; use {own}"):
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

    class Recording(compare.SoftLabelTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self.args)

    monkeypatch.setattr(compare, "SoftLabelTrainer", Recording)
    monkeypatch.setattr(compare, "make_model_factory", lambda *a: lambda: make_model(num_labels=3))
    monkeypatch.setattr(compare, "load_tokenizer", lambda model: tokenizer)
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
            "--model", "textcnn",
            "--epochs", "1",
            "--batch_size", "8",
            "--max_grad_norm", "0.25",
            "--lr_scheduler_type", "constant",
        ]
    )  # fmt: skip
    assert code == 0
    assert len(seen) == 4
    assert all(a.max_grad_norm == 0.25 and a.lr_scheduler_type == "constant" for a in seen)
    assert sorted(a.seed for a in seen) == [0, 0, 1, 1]
    assert all(a.per_device_train_batch_size == 8 for a in seen)
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["trainer_options"] == {"max_grad_norm": 0.25, "lr_scheduler_type": "constant"}


def test_seed_is_not_taken_for_seeds_and_is_refused(tmp_path, capsys):
    """argparse's abbreviations are off: ``--seed 3`` would otherwise train 3 seeds."""
    from textls.cli import main

    code = main(
        ["compare", "--train", "a.csv", "--test", "b.csv", "--output_dir", "o", "--seed", "3"]
    )
    assert code == 1
    assert "--seed is set by textls for each run; use --seeds" in capsys.readouterr().err


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
    args = compare.CompareArguments(
        train="t.csv", test="t.csv", output_dir=str(tmp_path), model="fasttext", bf16=True
    )
    with pytest.raises(ValueError, match=message):
        compare.check_trainer_options(args, options)
