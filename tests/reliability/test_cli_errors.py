"""One error policy (issue 11, items 3, 7 and 8): a user error exits 1 with one line naming what
and where, no traceback; values that print alike are never merged; outputs get the user's umask."""

from __future__ import annotations

import gzip
import json
import os
import re
import stat

import pandas as pd
import pytest

from textls.cli import main
from textls.errors import run_command

ROWS = [("good match", "sport"), ("close vote", "politics"), ("hot oven", "cooking")] * 4


def run(capsys, argv) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.fixture
def train(tmp_path):
    path = tmp_path / "train.csv"
    pd.DataFrame(ROWS, columns=["text", "label"]).to_csv(path, index=False)
    return path


def test_a_json_config_with_an_unknown_key_names_the_file_and_key(tmp_path, capsys, train):
    config = tmp_path / "smooth.json"
    config.write_text(json.dumps({"input": str(train), "diagnose": True, "epsilom": 0.2}))
    code, err = run(capsys, ["smooth", str(config)])
    assert code == 1 and str(config) in err and "epsilom" in err


def test_a_json_config_with_a_syntax_error_names_the_file(tmp_path, capsys):
    config = tmp_path / "smooth.json"
    config.write_text('{"input": "x.csv",}')
    code, err = run(capsys, ["smooth", str(config)])
    assert code == 1 and f"{config}: not valid JSON" in err


def test_a_json_config_missing_a_required_field_names_the_file(tmp_path, capsys):
    config = tmp_path / "smooth.json"
    config.write_text('{"diagnose": true}')
    code, err = run(capsys, ["smooth", str(config)])
    assert code == 1 and str(config) in err and "input" in err


def test_a_truncated_gzip_csv_is_a_named_error(tmp_path, capsys):
    data = gzip.compress(("text,label\n" + "a long enough text,x\n" * 4000).encode())
    path = tmp_path / "train.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    code, err = run(capsys, ["smooth", "--input", str(path), "--diagnose"])
    assert code == 1 and f"{path}: truncated or corrupt compressed file" in err


def test_jsonl_labels_1_and_string_1_are_refused_not_merged(tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    lines = [{"text": t, "label": 1} for t, _ in ROWS[:6]]
    lines += [{"text": t, "label": "1"} for t, _ in ROWS[6:]]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    code, err = run(capsys, ["smooth", "--input", str(path), "--output", str(tmp_path / "o.csv")])
    assert code == 1 and "all strings or all integers" in err and "'1' (str, row 6)" in err
    assert not (tmp_path / "o.csv").exists()


def test_a_repeated_csv_column_is_refused(tmp_path, capsys):
    path = tmp_path / "train.csv"
    path.write_text("text,label,label\ngood match,sport,politics\nclose vote,politics,sport\n")
    code, err = run(capsys, ["smooth", "--input", str(path), "--diagnose"])
    assert code == 1 and "repeats column(s) ['label']" in err


def test_compare_seeds_0_fails_before_reading_data(tmp_path, capsys, train):
    argv = ["compare", "--train", str(train), "--test", str(train)]
    code, err = run(capsys, [*argv, "--output_dir", str(tmp_path / "o"), "--seeds", "0"])
    assert code == 1 and "--seeds must be an integer >= 1, got 0" in err
    assert not (tmp_path / "o").exists()


def test_an_unknown_smoother_parameter_names_the_valid_ones(tmp_path, capsys, train):
    argv = ["smooth", "--input", str(train), "--diagnose", "--params", '{"topk": 3}']
    code, err = run(capsys, argv)
    assert code == 1 and "topk" in err and "top_k" in err


def test_a_bug_keeps_its_traceback():
    def broken():
        return {}["missing"]  # a KeyError of textls's own making is a bug, not a user error

    with pytest.raises(KeyError):
        run_command("textls x", broken)


def test_smooth_outputs_get_the_user_umask(tmp_path, train):
    old = os.umask(0o022)
    try:
        assert main(["smooth", "--input", str(train), "--output", str(tmp_path / "soft.csv")]) == 0
    finally:
        os.umask(old)
    for name in ("soft.csv", "soft.csv.textls.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def test_retrieval_runs_and_index_files_get_the_user_umask(tmp_path):
    from textls.io import atomic_write
    from textls.retrieval.runs import write_run

    old = os.umask(0o022)
    try:
        run = write_run({"q1": {"d1": 1.0, "d2": 0.5}}, tmp_path / "run.trec")
        atomic_write(tmp_path / "ids.json", lambda f: f.write(b"[]"))
    finally:
        os.umask(old)
    for path in (run, tmp_path / "ids.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


@pytest.mark.parametrize("config", ["[1, 2]", '"text"', "null"])
def test_a_config_that_is_not_a_json_object_is_a_named_error(tmp_path, capsys, config):
    path = tmp_path / "c.json"
    path.write_text(config)
    code, err = run(capsys, ["smooth", str(path)])
    assert code == 1 and f"{path} must hold a JSON object of options" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--params", '{"top_k": 5'], "--params is not valid JSON"),
        (["--temperature", "hot"], "--temperature must be a positive number or 'auto', got 'hot'"),
    ],
)
def test_bad_smooth_options_name_the_option(tmp_path, capsys, train, flags, message):
    code, err = run(capsys, ["smooth", "--input", str(train), "--diagnose", *flags])
    assert code == 1 and message in err


def test_an_output_that_is_a_folder_is_named(tmp_path, capsys, train):
    (tmp_path / "a.csv").mkdir()
    code, err = run(capsys, ["smooth", "--input", str(train), "--output", str(tmp_path / "a.csv")])
    assert code == 1 and f"{tmp_path / 'a.csv'} is a folder" in err


def test_compare_names_an_unknown_model_before_reading_data(tmp_path, capsys, train):
    argv = ["compare", "--train", str(train), "--test", str(train), "--model", "nosuchmodel"]
    code, err = run(capsys, [*argv, "--output_dir", str(tmp_path / "o")])
    assert code == 1 and "unknown model 'nosuchmodel'" in err


def test_unknown_commands_are_named(capsys):
    assert main(["bogus"]) == 2
    assert "unknown command 'bogus'" in capsys.readouterr().err
    assert main(["retrieval", "bogus"]) == 2
    assert "unknown subcommand 'bogus'" in capsys.readouterr().err


def test_mine_refuses_to_overwrite_its_data(tmp_path, capsys):
    data = tmp_path / "beir"
    (data / "qrels").mkdir(parents=True)
    (data / "corpus.jsonl").write_text('{"_id": "d1", "title": "", "text": "a"}\n')
    before = (data / "corpus.jsonl").read_bytes()
    argv = ["retrieval", "mine", "--data_dir", str(data), "--output", str(data / "corpus.jsonl")]
    code, err = run(capsys, argv)
    assert code == 1 and "would overwrite the input" in err
    assert (data / "corpus.jsonl").read_bytes() == before


def test_csv_labels_01_and_1_stay_two_classes(tmp_path):
    from textls.io import read_table, texts_and_labels

    path = tmp_path / "zero.csv"
    path.write_text("text,label\na,01\nb,1\nc,2\n")
    _, labels = texts_and_labels(read_table(path), "text", "label")
    assert labels == ["01", "1", "2"]
    path.write_text("text,label\na,3\nb,1\nc,2\n")  # integers that read back as written stay ints
    assert texts_and_labels(read_table(path), "text", "label")[1] == [3, 1, 2]


def test_labels_alike_but_for_case_spaces_or_unicode_form_warn(tmp_path, caplog):
    import unicodedata

    from textls.io import read_table, texts_and_labels

    nfd = unicodedata.normalize("NFD", "négatif")
    frame = pd.DataFrame({"text": list("abcd"), "label": ["négatif", nfd, "Positive", "positive "]})
    frame.to_csv(tmp_path / "l.csv", index=False)
    with caplog.at_level("WARNING"):
        _, labels = texts_and_labels(read_table(tmp_path / "l.csv"), "text", "label")
    assert len(set(labels)) == 4  # kept apart: textls never guesses
    assert "differ only in case, spaces or Unicode form" in caplog.text
    assert "'Positive', 'positive '" in caplog.text


def test_compare_refuses_a_folder_of_foreign_files_and_clears_its_own_predictions(tmp_path):
    from textls.experiments.output_folder import CLASSIFICATION_NAMES, check_output_dir, start_run

    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "report.md").write_text("my notes")
    with pytest.raises(ValueError, match="did not write"):
        check_output_dir(mine, CLASSIFICATION_NAMES)
    assert (mine / "report.md").read_text() == "my notes"
    previous = tmp_path / "run"
    (previous / "predictions").mkdir(parents=True)
    (previous / "results.json").write_text("{}")
    (previous / "predictions" / "kwls-seed0.npz").write_bytes(b"old")
    listed = ["predictions/kwls-seed0.npz", "results.json"]
    (previous / "compare-outputs.json").write_text(json.dumps({"files": listed, "complete": True}))
    check_output_dir(
        previous, CLASSIFICATION_NAMES
    )  # a previous compare's folder: accepted, nothing removed yet
    assert (previous / "predictions" / "kwls-seed0.npz").exists()
    start_run(previous, CLASSIFICATION_NAMES)  # once every check has passed
    assert not (previous / "predictions" / "kwls-seed0.npz").exists()


def test_a_config_value_of_the_wrong_type_names_the_key(tmp_path, capsys, train):
    config = tmp_path / "compare.json"
    config.write_text(
        json.dumps({"train": str(train), "test": str(train), "output_dir": "o", "seeds": "2"})
    )
    code, err = run(capsys, ["compare", str(config)])
    assert code == 1 and "key 'seeds' must be int, got '2'" in err


def test_smooth_refuses_repeated_ids(tmp_path, capsys):
    path = tmp_path / "dup.csv"
    pd.DataFrame(
        {"id": ["r0", "r0", "r1"], "text": ["a b", "c d", "e f"], "label": list("xyz")}
    ).to_csv(path, index=False)
    code, err = run(capsys, ["smooth", "--input", str(path), "--id_column", "id", "--diagnose"])
    assert code == 1 and "repeats ids ('r0' in rows [0, 1])" in err


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["zzz,a,extra", "yyy,b"], "line 2 (the first data row) has more fields than the header"),
        (
            ["yyy,b", "zzz,a,extra"],
            "Error tokenizing data. C error: Expected 2 fields in line 3, saw 3",
        ),
    ],
)
def test_a_row_with_more_fields_than_the_header_is_named_not_shifted(tmp_path, lines, message):
    """pandas read a ragged first row as an index column: every text became a label."""
    from textls.io import read_table

    path = tmp_path / "train.csv"
    path.write_text("\n".join(["text,label", *lines]) + "\n")
    with pytest.raises(
        ValueError, match=re.escape(f"{path}: could not be read as .csv: {message}")
    ):
        read_table(path)
