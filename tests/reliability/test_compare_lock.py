"""One compare writes into an output folder at a time: a second fails at once, naming the first,
instead of both exiting 0 and leaving a mix of their files."""

from __future__ import annotations

import json
import os
import socket

import pandas as pd
import pytest

from textls.experiments.classification.arguments import CompareArguments
from textls.experiments.classification.task import run_compare
from textls.experiments.output_folder import LOCK as COMPARE_LOCK
from textls.locking import FolderLockedError


@pytest.fixture
def args(compare_arguments):
    return compare_arguments(4)


def test_a_second_compare_into_a_locked_folder_fails_naming_the_first(args, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    holder = {"pid": os.getppid(), "host": socket.gethostname(), "token": "x"}  # alive
    (out / COMPARE_LOCK).write_text(json.dumps(holder))
    with pytest.raises(FolderLockedError, match=f"another compare \\(pid {os.getppid()} "):
        run_compare(args)
    assert sorted(p.name for p in out.iterdir()) == [COMPARE_LOCK]  # nothing of its own written
    assert json.loads((out / COMPARE_LOCK).read_text()) == holder  # the owner's lock kept


def test_a_failed_compare_leaves_no_empty_folder_behind(args, tmp_path):
    bad = tmp_path / "bad.csv"
    pd.DataFrame([("a text", "x")], columns=["text", "label"]).to_csv(bad, index=False)
    with pytest.raises(ValueError, match="at least 2 classes"):
        run_compare(CompareArguments(train=str(bad), test=str(bad), output_dir=args.output_dir))
    assert not (tmp_path / "out").exists()
