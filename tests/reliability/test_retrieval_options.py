"""Retrieval options are checked where they enter, naming the option (issue 21, a bad-input tour).

5. A loss's scale or temperature is a finite number > 0: ``SoftTargetMNRLoss(model, d,
   scale=float("inf"))`` trained on a NaN loss (``not scale > 0`` lets ``inf`` through, ``nan``
   got past ``<= 0``). Every scale and temperature of the retrieval losses, trainer and soft
   targets is now refused unless finite and positive.
6. ``textls retrieval train`` and ``compare`` check their options when they are parsed and name
   the flag: ``--soft_temperature 0`` said "temperature must be > 0", though the command also has
   ``--temperature``.
"""

from __future__ import annotations

import json
import math
import re

import pytest
import torch

from textls.cli import main
from textls.experiments.retrieval import RetrievalCompareArguments
from textls.retrieval.dataset_targets import DatasetSoftTargets
from textls.retrieval.loss import candidate_scores, contrastive_soft_target_loss
from textls.retrieval.soft_targets import CandidateSoftTargets
from textls.retrieval.trainer import RetrievalTrainer
from textls.retrieval.training import RetrievalTrainArguments

BAD = [math.inf, -math.inf, math.nan, 0.0, -1.0, True, "20"]


@pytest.mark.parametrize("scale", BAD)
def test_soft_target_mnrl_refuses_a_scale_that_is_not_finite_and_positive(scale):
    pytest.importorskip("sentence_transformers")
    from textls.retrieval import SoftTargetMNRLoss

    with pytest.raises(ValueError, match=r"scale must be a finite number > 0, got"):
        SoftTargetMNRLoss(None, soft_targets=DatasetSoftTargets(), scale=scale)


@pytest.mark.parametrize("temperature", BAD)
def test_the_contrastive_loss_refuses_a_temperature_that_is_not_finite_and_positive(temperature):
    queries, passages = torch.eye(2, 4), torch.eye(3, 4)
    with pytest.raises(ValueError, match=r"temperature must be a finite number > 0, got"):
        candidate_scores(queries, passages, temperature)
    with pytest.raises(ValueError, match=r"temperature must be a finite number > 0, got"):
        contrastive_soft_target_loss(queries, passages, torch.eye(2, 3), temperature=temperature)


@pytest.mark.parametrize("temperature", [math.inf, math.nan, 0.0])
def test_the_retrieval_trainer_refuses_such_a_temperature_before_it_is_built(temperature):
    with pytest.raises(ValueError, match=r"temperature must be a finite number > 0, got"):
        RetrievalTrainer(temperature=temperature)  # refused before the Trainer needs a model


@pytest.mark.parametrize("temperature", [math.inf, math.nan, 0.0, -0.5])
def test_soft_targets_refuse_a_relevance_temperature_that_is_not_finite_and_positive(temperature):
    with pytest.raises(ValueError, match=r"temperature must be a finite number > 0, got"):
        CandidateSoftTargets(temperature=temperature).fit(["a b"], ["a b", "c d"])


def test_a_finite_positive_scale_and_temperature_give_a_finite_loss():
    queries, passages = torch.eye(2, 4), torch.eye(3, 4)
    loss = contrastive_soft_target_loss(queries, passages, torch.eye(2, 3), temperature=0.05)
    assert torch.isfinite(loss)


# --------------------------------------------------------------------- 6. the commands' options


@pytest.mark.parametrize("command", ["train", "compare"])
@pytest.mark.parametrize(
    ("flag", "value", "said"),
    [
        ("--soft_temperature", "0", "--soft_temperature must be a finite number > 0, got 0.0"),
        ("--soft_temperature", "inf", "--soft_temperature must be a finite number > 0, got inf"),
        ("--temperature", "nan", "--temperature must be a finite number > 0, got nan"),
        ("--epsilon", "1.5", "--epsilon must be a number in [0, 1], got 1.5"),
        ("--suspect_quantile", "-0.5", "--suspect_quantile must be a number in [0, 1], got -0.5"),
        ("--learning_rate", "-1e-5", "--learning_rate must be a finite number > 0, got -1e-05"),
        ("--num_train_epochs", "inf", "--num_train_epochs must be a finite number > 0, got inf"),
        (
            "--per_device_train_batch_size",
            "0",
            "--per_device_train_batch_size must be an integer >= 1, got 0",
        ),
        ("--data_seed", "-1", "--data_seed must be an integer >= 0, got -1"),
        ("--negatives_per_query", "-1", "--negatives_per_query must be an integer >= 0, got -1"),
        ("--max_train_queries", "-5", "--max_train_queries must be an integer >= 1, got -5"),
        ("--passage_max_length", "0", "--passage_max_length must be an integer >= 1, got 0"),
    ],
)
def test_a_bad_training_option_is_refused_naming_its_flag_before_any_work(
    tmp_path, capsys, command, flag, value, said
):
    out = tmp_path / "out"
    argv = ["retrieval", command, "--data_dir", str(tmp_path / "missing"), "--output_dir", str(out)]
    assert main([*argv, f"{flag}={value}"]) == 1  # "=": argparse takes -1 for a flag
    err = capsys.readouterr().err
    assert f"error: {said}" in err and "Traceback" not in err
    assert not out.exists()


def test_a_json_config_with_a_bad_soft_temperature_names_the_file_and_the_option(tmp_path, capsys):
    config = tmp_path / "train.json"
    config.write_text(json.dumps({"data_dir": "d", "output_dir": "o", "soft_temperature": 0}))
    assert main(["retrieval", "train", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"{config}: --soft_temperature must be a finite number > 0, got 0" in err


@pytest.mark.parametrize("arguments", [RetrievalTrainArguments, RetrievalCompareArguments])
@pytest.mark.parametrize(
    ("option", "value"),
    [("suspect_quantile", "0.5"), ("suspect_quantile", True), ("epsilon", True)],
)
def test_the_dataclasses_name_a_fraction_of_the_wrong_type(arguments, option, value):
    """Built in Python (no parser to check types), a string or a bool where a fraction belongs
    is named, not met with a TypeError or read as 1."""
    said = f"--{option} must be a number in [0, 1], got {value!r}"
    with pytest.raises(ValueError, match=re.escape(said)):
        arguments(data_dir="d", output_dir="o", **{option: value})


@pytest.mark.parametrize("arguments", [RetrievalTrainArguments, RetrievalCompareArguments])
def test_the_arguments_dataclasses_check_themselves(arguments):
    with pytest.raises(ValueError, match=r"--soft_temperature must be a finite number > 0"):
        arguments(data_dir="d", output_dir="o", soft_temperature=-0.1)
    assert arguments(data_dir="d", output_dir="o", mini_batch_size=None).soft_temperature == 0.05


def _parse(arguments, argv):
    """``textls retrieval train|compare ARGV``'s parsed ``(args, trainer options)``, not run."""
    from transformers import HfArgumentParser

    from textls._cli import parse_arguments
    from textls.training_args import RetrievalTrainingArguments

    parser = HfArgumentParser(arguments, allow_abbrev=False)
    return parse_arguments(
        parser, ["--data_dir", "d", "--output_dir", "o", *argv], RetrievalTrainingArguments
    )


@pytest.mark.parametrize("arguments", [RetrievalTrainArguments, RetrievalCompareArguments])
def test_the_trainer_names_are_the_commands_and_textls_defaults_fill_only_what_is_unset(arguments):
    args, options = _parse(
        arguments,
        [
            "--num_train_epochs",
            "3",
            "--per_device_train_batch_size",
            "16",
            "--learning_rate",
            "2e-5",
        ],
    )
    assert (args.num_train_epochs, args.per_device_train_batch_size) == (3.0, 16)
    assert args.learning_rate == 2e-5 and args.data_seed is None and args.seed == 0
    unset, _ = _parse(arguments, [])
    assert (unset.num_train_epochs, unset.per_device_train_batch_size) == (1.0, 32)
    seeded, _ = _parse(arguments, ["--seed", "4", "--data_seed", "9"])
    assert (seeded.seed, seeded.data_seed) == (4, 9)


@pytest.mark.parametrize("arguments", [RetrievalTrainArguments, RetrievalCompareArguments])
@pytest.mark.parametrize(
    ("old", "new"),
    [("--epochs", "--num_train_epochs"), ("--batch_size", "--per_device_train_batch_size")],
)
def test_an_old_spelling_warns_and_works_and_both_spellings_are_an_error(arguments, old, new):
    with pytest.warns(FutureWarning, match=f"{old} is deprecated.*use {new}"):
        args, _ = _parse(arguments, [old, "2"])
    assert getattr(args, new[2:]) == 2 and getattr(args, old[2:]) is None
    with pytest.raises(ValueError, match=f"{old} and {new} are both given"):
        _parse(arguments, [old, "2", new, "2"])


def test_an_old_spelling_in_a_retrieval_json_config_warns_and_works(tmp_path):
    config = tmp_path / "train.json"
    config.write_text(json.dumps({"data_dir": "d", "output_dir": "o", "batch_size": 8}))
    from transformers import HfArgumentParser

    from textls._cli import parse_arguments
    from textls.training_args import RetrievalTrainingArguments

    parser = HfArgumentParser(RetrievalTrainArguments, allow_abbrev=False)
    with pytest.warns(FutureWarning, match="use --per_device_train_batch_size"):
        args, _ = parse_arguments(parser, [str(config)], RetrievalTrainingArguments)
    assert args.per_device_train_batch_size == 8


def test_an_eval_batch_size_is_refused_by_retrieval_which_does_not_evaluate():
    with pytest.raises(ValueError, match="--per_device_eval_batch_size is not an option of this"):
        _parse(RetrievalTrainArguments, ["--per_device_eval_batch_size", "8"])
