from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
from corpora import THREE_TOPIC_LABELS, THREE_TOPIC_TEXTS

from textls import TfidfSmoother, __version__
from textls.cli import main

TEXTS, LABELS = THREE_TOPIC_TEXTS, THREE_TOPIC_LABELS


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "train.csv"
    pd.DataFrame(
        {"doc": [f"d{i}" for i in range(len(TEXTS))], "text": TEXTS, "label": LABELS}
    ).to_csv(path, index=False)
    return path


def read_soft(path):
    frame = pd.read_csv(path)
    soft = frame[[c for c in frame.columns if c.startswith("soft:")]]
    return frame, soft


@pytest.mark.parametrize("method", ["ls-classic", "ls-distill", "ls-tfidf", "kwls"])
def test_smooth_writes_one_row_per_input_row(corpus, tmp_path, capsys, caplog, method):
    caplog.set_level(logging.INFO, logger="textls")
    out = tmp_path / "soft.csv"
    code = main(
        [
            "smooth",
            "--input",
            str(corpus),
            "--output",
            str(out),
            "--method",
            method,
            "--epsilon",
            "0.2",
        ]
    )
    assert code == 0
    frame, soft = read_soft(out)
    assert len(frame) == len(TEXTS)
    assert list(soft.columns) == ["soft:cooking", "soft:politics", "soft:sport"]
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-5)
    assert frame["label"].tolist() == LABELS
    assert frame["id"].tolist() == list(range(12))
    gold = soft.to_numpy()[np.arange(12), np.searchsorted(["cooking", "politics", "sport"], LABELS)]
    np.testing.assert_allclose(gold, 1 - 0.2 * 2 / 3, atol=1e-6)  # LS-Classic's gold mass
    printed = capsys.readouterr().out
    assert f"{method}: 12 rows, 3 classes" in printed
    assert "mean soft-label mass on the gold class" in printed
    assert f"wrote 12 soft labels x 3 classes to {out}" in printed
    # said once: the command prints it, the library does not log it too (to stderr in a terminal)
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and "wrote" in r.message]


def test_ls_classic_values_and_id_column(corpus, tmp_path):
    out = tmp_path / "soft.jsonl"
    args = ["smooth", "--input", str(corpus), "--output", str(out), "--method", "ls-classic"]
    assert main([*args, "--id_column", "doc", "--epsilon", "0.3"]) == 0
    frame = pd.read_json(out, lines=True)
    assert frame["id"].tolist() == [f"d{i}" for i in range(12)]
    np.testing.assert_allclose(
        frame.loc[0, ["soft:cooking", "soft:politics", "soft:sport"]].astype(float),
        [0.1, 0.1, 0.8],
        atol=1e-6,
    )


def test_missing_column_exits_1_naming_it(corpus, tmp_path, capsys):
    out = tmp_path / "soft.csv"
    code = main(["smooth", "--input", str(corpus), "--output", str(out), "--text_column", "body"])
    assert code == 1
    err = capsys.readouterr().err
    assert "error" in err and "'body'" in err and str(corpus) in err
    assert not out.exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--method", "ls-magic"], "unknown smoothing method"),
        (["--id_column", "nope"], "'nope'"),
        (["--params", "[1, 2]"], "JSON object"),
        (["--params", '{"bogus": 1}'], "bogus"),
        (["--epsilon", "2"], "epsilon"),
    ],
)
def test_errors_exit_1_with_a_message(corpus, tmp_path, capsys, extra, message):
    code = main(["smooth", "--input", str(corpus), "--output", str(tmp_path / "o.csv"), *extra])
    assert code == 1
    assert message in capsys.readouterr().err


def test_missing_input_file_exits_1(tmp_path, capsys):
    code = main(
        ["smooth", "--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o.csv")]
    )
    assert code == 1
    assert "no such file" in capsys.readouterr().err


def test_json_config_file(corpus, tmp_path, capsys):
    out = tmp_path / "soft.parquet"
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "input": str(corpus),
                "output": str(out),
                "method": "ls-tfidf",
                "epsilon": 1.0,
                "temperature": "0.05",
            }
        )
    )
    assert main(["smooth", str(config)]) == 0
    soft = pd.read_parquet(out).filter(like="soft:")
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-5)
    assert "ls-tfidf: 12 rows" in capsys.readouterr().out
    # Every field of the config reached the generator.
    expected = TfidfSmoother(epsilon=1.0, temperature=0.05).fit_transform(TEXTS, LABELS)
    np.testing.assert_allclose(soft.to_numpy(), expected, atol=1e-7)


def test_params_reach_the_generator(corpus, tmp_path, capsys):
    out = tmp_path / "soft.csv"
    args = ["smooth", "--input", str(corpus), "--output", str(out), "--method", "kwls"]
    assert main([*args, "--temperature", "1", "--params", '{"class_top_k": 1}']) == 0
    lines = capsys.readouterr().out.splitlines()
    per_class = [line for line in lines if line.strip().startswith(("sport", "politics", "cook"))]
    assert len(per_class) == 3
    # One keyword per class in the summary: no comma after the keyword list starts.
    assert all("," not in line.split("%", 1)[1] for line in per_class)
    assert main([*args, "--params", '{"class_top_k": 3}']) == 0
    lines = capsys.readouterr().out.splitlines()
    per_class = [line for line in lines if line.strip().startswith(("sport", "politics", "cook"))]
    assert all(line.split("%", 1)[1].count(",") == 2 for line in per_class)


@pytest.mark.parametrize("name", ["epsilon", "temperature"])
def test_epsilon_and_temperature_inside_params_are_refused(corpus, tmp_path, capsys, name):
    args = [
        "smooth",
        "--input",
        str(corpus),
        "--output",
        str(tmp_path / "s.csv"),
        "--params",
        json.dumps({name: 0.3}),
    ]
    assert main(args) == 1
    assert f"set {name} with --{name}" in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists()


def test_temperature_flag_reaches_the_generator(corpus, tmp_path):
    soft = {}
    for temperature in ["0.05", "5"]:
        out = tmp_path / f"soft{temperature}.csv"
        args = ["smooth", "--input", str(corpus), "--output", str(out), "--method", "ls-tfidf"]
        assert main([*args, "--epsilon", "1", "--temperature", temperature]) == 0
        soft[temperature] = read_soft(out)[1].to_numpy()
    # eps = 1: gold keeps 1/3, the rest is split by relevance (sharp at T = 0.05, even at T = 5)
    assert soft["0.05"].max(axis=1).mean() > soft["5"].max(axis=1).mean() + 0.1


def test_help_version_and_unknown_command(capsys):
    assert main([]) == 2
    assert "usage: textls COMMAND" in capsys.readouterr().out
    assert main(["--help"]) == 0
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip().endswith(__version__)
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_diagnose_prints_every_method_and_needs_no_output(corpus, capsys):
    assert main(["smooth", "--input", str(corpus), "--diagnose", "--epsilon", "0.3"]) == 0
    printed = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in printed.splitlines()[2:]}
    assert set(rows) == {"(uniform)", "ls-classic", "ls-distill", "ls-tfidf", "kwls"}
    for method in ("ls-classic", "ls-distill", "ls-tfidf", "kwls"):
        agreement, log_likelihood, off_gold = map(float, rows[method][:3])
        assert off_gold == pytest.approx(0.3 * 2 / 3, abs=1e-3)  # one meaning of epsilon
        assert 0.0 <= agreement <= 1.0 and log_likelihood <= 0.0
    assert rows["ls-classic"][:2] == rows["(uniform)"][:2]  # uniform relevance: 1/C and ln(1/C)
    assert float(rows["kwls"][0]) > 0.5  # three well-separated topics


def test_output_or_diagnose_is_required(corpus, capsys):
    assert main(["smooth", "--input", str(corpus)]) == 1
    assert "--output" in capsys.readouterr().err
