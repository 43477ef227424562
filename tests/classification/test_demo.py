"""``textls demo``: compare's defaults on a bundled corpus, and the README shows what it prints."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from textls.classification.demo import demo_arguments
from textls.experiments.classification.arguments import CompareArguments

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_demo_runs_compare_with_its_defaults_on_bundled_data(tmp_path):
    args = demo_arguments(str(tmp_path))
    assert Path(args.train).is_file() and Path(args.test).is_file()
    own = {"train", "test", "output_dir", "model", "seeds", "max_length"}
    defaults = CompareArguments(train="x", test="y", output_dir="z")
    for f in fields(CompareArguments):
        if f.name not in own:  # training length, learning rate, test distribution ...
            assert getattr(args, f.name) == getattr(defaults, f.name), f.name
    assert args.num_train_epochs is None and args.model == "fasttext" and args.seeds == 3


def test_the_readme_shows_the_demo_table_for_every_default_method():
    block = README.split("What it printed on", 1)[1].split("```", 2)[1]
    rows = [line.split()[0] for line in block.strip().splitlines()[2:]]
    default = CompareArguments(train="x", test="y", output_dir="z").methods
    assert rows == default.split(",")
    assert all(re.search(r"\b3\b", line) for line in block.strip().splitlines()[2:])
