"""compare's output folder holds one complete run or says plainly that it does not: it removes
only files it writes (never a file of the user's that a results.json sits next to), the previous
run's results go before anything else, and a run that dies leaves no results.json and a record
saying it is incomplete."""

from __future__ import annotations

import json

import pytest

from textls.experiments.classification import runs
from textls.experiments.classification.arguments import CompareArguments
from textls.experiments.classification.task import run_compare
from textls.experiments.output_folder import (
    CLASSIFICATION_NAMES,
    RECORD,
    check_output_dir,
    start_run,
)


@pytest.fixture
def args(compare_arguments):
    return compare_arguments(6, methods="none,ls-classic", seeds=1, num_train_epochs=1)


def test_a_users_file_beside_a_results_json_is_refused_not_deleted(tmp_path):
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "results.json").write_text("{}")
    (out / "figures" / "my_plot.png").write_bytes(b"mine")  # a name compare never writes
    (out / "data.csv").write_text("text,label\n")
    with pytest.raises(ValueError, match="holds data.csv, which textls compare did not write"):
        check_output_dir(out, CLASSIFICATION_NAMES)
    (out / "data.csv").unlink()
    with pytest.raises(ValueError, match="holds figures/my_plot.png"):
        check_output_dir(out, CLASSIFICATION_NAMES)
    assert (out / "figures" / "my_plot.png").read_bytes() == b"mine"


def test_files_named_as_compares_in_a_folder_no_compare_wrote_are_refused(tmp_path):
    """A user's predictions/x-seed0.npz or figures/reliability.png, in a folder with no compare
    record, are the user's: neither deleted nor overwritten."""
    out = tmp_path / "out"
    (out / "predictions").mkdir(parents=True)
    (out / "figures").mkdir()
    (out / "predictions" / "bert-seed0.npz").write_bytes(b"mine")
    with pytest.raises(ValueError, match="holds predictions/bert-seed0.npz"):
        check_output_dir(out, CLASSIFICATION_NAMES)
    (out / "predictions" / "bert-seed0.npz").unlink()
    (out / "figures" / "reliability.png").write_bytes(b"my figure")
    with pytest.raises(ValueError, match="holds figures/reliability.png"):
        check_output_dir(out, CLASSIFICATION_NAMES)
    assert (out / "figures" / "reliability.png").read_bytes() == b"my figure"
    (out / "figures" / "reliability.png").unlink()
    (out / "compare.lock").write_text("")  # a lock alone (a compare that died at once) is fine
    check_output_dir(out, CLASSIFICATION_NAMES)


def test_only_the_files_a_record_lists_are_compares(tmp_path):
    """A results.json of someone's numbers does not make a folder compare's; a file added to a
    compare's folder after the run, even one named as compare's, is not the record's."""
    out = tmp_path / "out"
    (out / "predictions").mkdir(parents=True)
    (out / "results.json").write_text('{"my": "thesis numbers"}')
    with pytest.raises(ValueError, match="holds results.json, which textls compare did not write"):
        check_output_dir(out, CLASSIFICATION_NAMES)
    listed = ["predictions/kwls-seed0.npz", "results.json"]
    (out / "compare-outputs.json").write_text(json.dumps({"files": listed, "complete": True}))
    (out / "predictions" / "kwls-seed0.npz").write_bytes(b"run")
    check_output_dir(out, CLASSIFICATION_NAMES)  # the record lists both
    (out / "predictions" / "bert-seed0.npz").write_bytes(b"mine")
    with pytest.raises(ValueError, match="holds predictions/bert-seed0.npz"):
        check_output_dir(out, CLASSIFICATION_NAMES)
    (out / "compare-outputs.json").write_text(json.dumps({"files": ["../../x"], "complete": True}))
    (out / "predictions" / "bert-seed0.npz").unlink()
    with pytest.raises(ValueError, match="holds predictions/kwls-seed0.npz"):
        check_output_dir(
            out, CLASSIFICATION_NAMES
        )  # a listed name compare never writes counts for nothing


def test_a_link_to_a_folder_outside_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "kwls-seed0.npz").write_bytes(b"keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("{}")
    (out / "predictions").symlink_to(outside)
    with pytest.raises(ValueError, match="holds predictions, which textls compare did not write"):
        check_output_dir(out, CLASSIFICATION_NAMES)
    assert (outside / "kwls-seed0.npz").exists()


def test_a_complete_run_is_recorded_and_a_rerun_replaces_it(args, tmp_path):
    run_compare(args)
    out = tmp_path / "out"
    record = json.loads((out / RECORD).read_text())
    assert record["complete"] is True and record["files"][-1] == "results.json"
    assert set(record["files"]) >= {
        "predictions/none-seed0.npz",
        "predictions/ls-classic-seed0.npz",
        "figures/reliability.png",
        "report.md",
    }
    run_compare(CompareArguments(**{**vars(args), "methods": "none"}))
    record = json.loads((out / RECORD).read_text())
    assert "predictions/ls-classic-seed0.npz" not in record["files"]
    assert not (out / "predictions" / "ls-classic-seed0.npz").exists()  # no run of another left


def test_a_run_that_dies_leaves_no_results_and_says_it_is_incomplete(args, tmp_path, monkeypatch):
    run_compare(args)  # a complete previous run
    out = tmp_path / "out"
    calls = []

    def dies(*a, **k):
        if calls:  # the second model: the first one's predictions are on disk
            raise KeyboardInterrupt
        calls.append(1)
        return real(*a, **k)

    real = runs.train_and_evaluate
    monkeypatch.setattr(runs, "train_and_evaluate", dies)
    with pytest.raises(KeyboardInterrupt):
        run_compare(args)
    assert not (out / "results.json").exists() and not (out / "report.md").exists()
    record = json.loads((out / RECORD).read_text())
    assert record == {"files": ["predictions/none-seed0.npz"], "complete": False}
    assert not (out / "predictions" / "ls-classic-seed0.npz").exists()  # the old run's is gone
    monkeypatch.undo()
    run_compare(args)  # and the folder is taken back
    assert json.loads((out / RECORD).read_text())["complete"] is True


def test_start_run_removes_the_previous_results_first(tmp_path, monkeypatch):
    out = tmp_path / "out"
    (out / "predictions").mkdir(parents=True)
    names = ["predictions/none-seed0.npz", "report.md", "results.json"]
    for name in names:
        (out / name).write_text("old")
    (out / "compare-outputs.json").write_text(json.dumps({"files": names, "complete": True}))
    removed = []
    real_unlink = type(out).unlink
    monkeypatch.setattr(
        type(out), "unlink", lambda self, **k: (removed.append(self.name), real_unlink(self, **k))
    )
    start_run(out, CLASSIFICATION_NAMES)
    assert sorted(removed[:2]) == ["report.md", "results.json"]
