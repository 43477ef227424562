"""Options are checked before any work and never silently replaced: non-finite numbers name their
option, a text column that is also the label column is refused, a long tail the data cannot supply
is said and recorded, ``gradient_accumulation_steps`` from the Trainer options is honoured or
refused, and ``--k`` below 1 is refused."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pandas as pd
import pytest

from textls.cli import main
from textls.experiments.classification.arguments import CompareArguments
from textls.experiments.classification.checks import check_arguments, one_accumulation
from textls.experiments.classification.data import prepare_data
from textls.training_args import CompareTrainingArguments, parse_trainer_options

ROWS = [("good match", "sport"), ("close vote", "politics"), ("hot oven", "cooking")] * 4


@pytest.fixture
def files(tmp_path):
    path = tmp_path / "train.csv"
    pd.DataFrame(ROWS, columns=["text", "label"]).to_csv(path, index=False)
    return str(path)


def _compare(files, tmp_path, **options):
    return CompareArguments(train=files, test=files, output_dir=str(tmp_path / "out"), **options)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("num_train_epochs", float("inf")),
        ("learning_rate", float("inf")),
        ("max_epochs", float("inf")),
        ("imbalance_ratio", float("inf")),
        ("num_train_epochs", float("nan")),
    ],
)
def test_a_non_finite_compare_option_is_named(files, tmp_path, option, value):
    with pytest.raises(ValueError, match=f"--{option} must be a finite number"):
        check_arguments(_compare(files, tmp_path, **{option: value}))


@pytest.mark.parametrize(
    "flags", [["--max_grad_norm", "nan"], ["--weight_decay", "inf"], ["--adam_epsilon=-inf"]]
)
def test_a_non_finite_trainer_option_is_named(flags):
    name = flags[0].split("=")[0]
    with pytest.raises(ValueError, match=f"{name} must be a finite number"):
        parse_trainer_options(CompareTrainingArguments, flags)


def test_a_non_finite_trainer_option_on_the_command_line_exits_1(files, tmp_path, capsys):
    argv = ["compare", "--train", files, "--test", files, "--output_dir", str(tmp_path / "o")]
    assert main([*argv, "--max_grad_norm", "nan"]) == 1
    err = capsys.readouterr().err
    assert "--max_grad_norm must be a finite number" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_the_text_column_cannot_be_the_label_column(files, tmp_path):
    with pytest.raises(ValueError, match="--text_column and --label_column are both 'text'"):
        check_arguments(_compare(files, tmp_path, label_column="text"))


def test_a_long_tail_the_data_cannot_supply_is_said(files, tmp_path, caplog):
    # 4 rows a class: the smallest class keeps one row, so 4:1 is the most there is
    with caplog.at_level(logging.WARNING):
        data = prepare_data(_compare(files, tmp_path, imbalance_ratio=50.0))
    assert "--imbalance_ratio 50: " in caplog.text and "can supply at most 4:1" in caplog.text
    counts = pd.Series(data.train.labels).value_counts()
    assert counts.max() / counts.min() < 50


def test_gradient_accumulation_from_the_trainer_options_is_honoured_or_refused(files, tmp_path):
    trainer = parse_trainer_options(
        CompareTrainingArguments, ["--gradient_accumulation_steps", "4"]
    )
    honoured = one_accumulation(_compare(files, tmp_path), trainer)
    assert honoured.gradient_accumulation_steps == 4
    both = _compare(files, tmp_path, gradient_accumulation_steps=2)
    with pytest.raises(ValueError, match="--gradient_accumulation_steps is 2 but the Trainer"):
        one_accumulation(both, trainer)
    same = _compare(files, tmp_path, gradient_accumulation_steps=4)
    assert one_accumulation(same, trainer).gradient_accumulation_steps == 4


FAQ = Path(__file__).resolve().parents[2] / "data" / "faq"


@pytest.mark.parametrize("command", ["search", "mine"])
def test_k_below_one_is_refused_before_any_work(tmp_path, capsys, command):
    argv = ["retrieval", command, "--data_dir", str(FAQ), "--k", "-1"]
    if command == "search":
        argv += ["--model", "x", "--index_dir", str(tmp_path / "i"), "--output_dir", str(tmp_path)]
    else:
        argv += ["--output", str(tmp_path / "negatives.jsonl")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "--k must be an integer >= 1, got -1" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["smooth", "--input", "{data}", "--output", "{out}/s.csv", "--text_column", "label"],
        ["smooth", "--input", "{data}", "--output", "{out}/s.csv", "--label_column", "text"],
        ["cache", "build", "--input", "{data}", "--output", "{out}/c", "--text_column", "label"],
    ],
)
def test_every_command_refuses_the_text_column_as_the_label_column(data, tmp_path, capsys, argv):
    out = tmp_path / "out"
    out.mkdir()
    argv = [a.format(data=data, out=out) for a in argv]
    assert main(argv) == 1
    assert "the texts would be their own labels" in capsys.readouterr().err
    assert not any(out.iterdir())


def test_a_list_as_a_label_is_named_with_its_row(tmp_path, capsys):
    rows = [{"text": "goal match", "label": "sport"}, {"text": "vote", "label": ["politics"]}]
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert main(["smooth", "--input", str(data), "--output", str(tmp_path / "s.csv")]) == 1
    err = capsys.readouterr().err
    assert "column 'label' row 1 is ['politics'], a list" in err and "Traceback" not in err


def test_a_label_spelt_as_a_missing_value_warns(tmp_path, caplog):
    from textls.io import texts_and_labels

    frame = pd.DataFrame({"text": ["a", "b", "c"], "label": ["x", "NaN", "x"]})
    assert texts_and_labels(frame, "text", "label")[1] == ["x", "NaN", "x"]
    assert "'NaN', which read as a missing value" in caplog.text


def test_a_json_list_where_the_parameter_is_a_tuple_is_that_tuple(data, tmp_path):
    """JSON has no tuples: ngram_range [1, 2] from --params once failed as "no usable terms"."""
    from textls import get_smoother

    assert get_smoother("ls-tfidf", ngram_range=[1, 2]).ngram_range == (1, 2)
    params = '{"ngram_range": [1, 2], "min_df": 1}'
    out = tmp_path / "s.csv"
    argv = ["smooth", "--input", str(data), "--output", str(out), "--method", "ls-tfidf"]
    assert main([*argv, "--params", params]) == 0 and out.exists()
    cache = tmp_path / "c"
    assert (
        main(["cache", "build", "--input", str(data), "--output", str(cache), "--params", params])
        == 0
    )


@pytest.mark.parametrize("method", ["ls-tfidf", "kwls"])
def test_an_invalid_vectoriser_parameter_is_named_not_called_no_usable_terms(
    data, tmp_path, capsys, method
):
    argv = ["smooth", "--input", str(data), "--output", str(tmp_path / "s.csv")]
    assert main([*argv, "--method", method, "--params", '{"min_df": -1}']) == 1
    err = capsys.readouterr().err
    assert "The 'min_df' parameter" in err and "no usable terms" not in err


def test_a_negative_data_seed_is_named(files, tmp_path):
    with pytest.raises(
        ValueError, match=r"--data_seed must be an integer in \[0, 2\*\*32\), got -1"
    ):
        check_arguments(_compare(files, tmp_path, data_seed=-1))


@pytest.mark.parametrize("name", ["/no/such/model", "./missing", "a/b/c"])
def test_a_model_written_as_a_path_that_is_no_folder_is_named(name):
    from textls._utils import resolve_model

    with pytest.raises(FileNotFoundError, match=f"--model {name}: no such folder"):
        resolve_model(name)
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2")  # a hub id is left alone


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 0.0, True])
def test_a_temperature_that_is_not_finite_and_positive_is_named(value):
    import torch

    from textls import get_smoother
    from textls.losses import distill_kl_div

    with pytest.raises(ValueError, match="temperature (must be a finite number > 0|takes no true)"):
        get_smoother("kwls", temperature=value).fit(["a b", "c d"], ["x", "y"])
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        distill_kl_div(torch.zeros(2, 3), torch.full((2, 3), 1 / 3), temperature=value)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ngram_range": [1, 2, 3]}, r"ngram_range must be two whole numbers .* got \(1, 2, 3\)"),
        ({"ngram_range": [1.5, 2]}, r"ngram_range must be two whole numbers"),
        ({"ngram_range": [1, "2"]}, r"ngram_range must be two whole numbers"),
        ({"class_top_k": True}, r"class_top_k takes no true/false, got True"),
    ],
)
def test_a_smoother_parameter_of_the_wrong_shape_is_named_and_nothing_is_built(
    data, tmp_path, capsys, params, message
):
    out = tmp_path / "c"
    argv = ["cache", "build", "--input", str(data), "--output", str(out), "--method", "kwls"]
    assert main([*argv, "--params", json.dumps(params)]) == 1
    assert re.search(message, capsys.readouterr().err) and not out.exists()
