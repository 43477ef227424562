"""The runner every compare shares, driven by a trivial task of a few lines: adding a compare task
is one new class (prepare, run one, finish) and one ``run_experiment`` call, and it gets the
output folder's policy, the lock, the progress line and the timings for free."""

from __future__ import annotations

import json
import logging
import re

import pytest

from textls.aggregation import aggregate
from textls.experiments.methods import parse_method, parse_methods, parse_retrieval_methods
from textls.experiments.output_folder import LOCK, RECORD, RETRIEVAL_NAMES
from textls.experiments.runner import RunOutcome, run_experiment
from textls.locking import FolderLockedError
from textls.report import write_comparison


class CountingTask:
    """A trivial compare task: each run writes one folder (as a retrieval run does) whose
    ``score`` is the method's length plus the seed; finish writes the aggregate."""

    writer = "textls count"
    own_names = RETRIEVAL_NAMES

    def __init__(self, methods, seeds, fail_at=None):
        self.methods, self.seeds, self.fail_at, self.calls = methods, seeds, fail_at, []

    def prepare(self):
        if "bad" in self.methods:
            raise ValueError("method 'bad' is refused before anything is written")
        return [(m, s) for m in self.methods for s in self.seeds]

    def run_one(self, method, seed, run, record):
        self.calls.append((method, seed, run))
        if (method, seed) == self.fail_at:
            raise KeyboardInterrupt
        folder = record.add(record.out / f"{method}-seed{seed}", folder=True)
        folder.mkdir()
        (folder / "score.txt").write_text(str(len(method) + seed))
        return RunOutcome({"score": float(len(method) + seed)}, result=seed)

    def finish(self, record, runs, outcomes, seconds):
        results = aggregate(runs, baseline=self.methods[0])
        results["timings"] = seconds
        results["outcomes"] = outcomes
        record.add(record.out / "report.md")
        record.add(record.out / "results.json")
        write_comparison(record.out, results, title="count")
        return results


def test_a_task_runs_its_plan_with_progress_timings_and_a_complete_record(tmp_path, caplog):
    out = tmp_path / "out"
    task = CountingTask(["a", "bbb"], [3, 4])
    with caplog.at_level(logging.INFO, logger="textls.experiments.runner"):
        results = run_experiment(task, out)
    assert task.calls == [("a", 3, 0), ("a", 4, 1), ("bbb", 3, 0), ("bbb", 4, 1)]
    assert results["methods"]["bbb"]["per_seed"] == {"3": {"score": 6.0}, "4": {"score": 7.0}}
    assert results["outcomes"] == {"a": [3, 4], "bbb": [3, 4]}
    assert [len(s) for s in results["timings"].values()] == [2, 2]
    lines = [r.getMessage() for r in caplog.records]
    assert re.match(
        r"run 1 of 4: a seed 3: score 4\.0000 \(0:\d\d elapsed, about 0:\d\d left\)", lines[0]
    )
    assert lines[-1].startswith("run 4 of 4: bbb seed 4: score 7.0000")
    record = json.loads((out / RECORD).read_text())
    assert record["complete"] is True and record["files"][-1] == "results.json"
    assert {"a-seed3/", "bbb-seed4/"} <= set(record["files"])
    assert not (out / LOCK).exists()


def test_a_rerun_says_it_replaces_the_previous_run_and_leaves_none_of_its_folders(tmp_path, caplog):
    out = tmp_path / "out"
    run_experiment(CountingTask(["a", "bbb"], [0]), out)
    with caplog.at_level(logging.WARNING, logger="textls.experiments.output_folder"):
        run_experiment(CountingTask(["cc"], [0]), out)
    assert "holds a previous finished run: its 4 file(s) are replaced" in caplog.text
    assert sorted(p.name for p in out.iterdir()) == [
        "cc-seed0",
        RECORD,
        "report.md",
        "results.json",
    ]


def test_a_folder_with_a_file_the_task_did_not_write_is_refused_and_kept(tmp_path):
    out = tmp_path / "out"
    run_experiment(CountingTask(["a"], [0]), out)
    (out / "a-seed0" / "notes.txt").write_text("mine")  # inside a listed folder: the run's
    (out / "notes.txt").write_text("mine")  # beside it: the user's
    with pytest.raises(ValueError, match="holds notes.txt, which textls count did not write"):
        run_experiment(CountingTask(["a"], [0]), out)
    assert (out / "notes.txt").read_text() == "mine" and (out / "results.json").exists()


def test_a_refused_task_writes_nothing_and_an_interrupted_one_says_it_is_unfinished(tmp_path):
    out = tmp_path / "out"
    run_experiment(CountingTask(["a"], [0]), out)
    with pytest.raises(ValueError, match="refused before anything is written"):
        run_experiment(CountingTask(["a", "bad"], [0]), out)
    assert (out / "results.json").exists() and (out / "a-seed0" / "score.txt").exists()
    with pytest.raises(KeyboardInterrupt):
        run_experiment(CountingTask(["a", "b"], [0], fail_at=("b", 0)), out)
    record = json.loads((out / RECORD).read_text())
    assert record == {"files": ["a-seed0/"], "complete": False}
    assert not (out / "results.json").exists()
    new = tmp_path / "new"
    with pytest.raises(ValueError):
        run_experiment(CountingTask(["bad"], [0]), new)
    assert not new.exists()  # a compare that failed before writing leaves no folder


def test_a_second_compare_into_a_locked_folder_fails_at_once(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK).write_text(json.dumps({"pid": 1, "host": "another-host", "token": "x"}))
    with pytest.raises(FolderLockedError, match="another-host"):
        run_experiment(CountingTask(["a"], [0]), out)
    assert sorted(p.name for p in out.iterdir()) == [LOCK]


def test_methods_are_parsed_once_into_specs():
    specs = parse_methods("none, kwls+mixup ,mixup,ls-distill@none")
    assert [(s.name, s.soft, s.smoother, s.teacher, s.regularizer) for s in specs] == [
        ("none", "none", None, None, None),
        ("kwls+mixup", "kwls", "kwls", None, "mixup"),
        ("mixup", "none", None, None, "mixup"),
        ("ls-distill@none", "ls-distill@none", "ls-distill", "none", None),
    ]
    assert parse_method("ls-distill@none+bootstrap-soft").regularizer == "bootstrap-soft"


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        (" , ", "--methods is empty"),
        ("kwls,kwls", r"names \['kwls'\] more than once"),
        ("none,bm25", "'bm25' is not none or one of ls-classic"),
        ("kwls+dropout", "'dropout' is not one of mixup"),
        ("none,ls-distill@kwls", "must be a method trained earlier"),
        ("none,ls-distill@none,ls-distill@ls-distill@none", "without a teacher of its own"),
        ("none,kwls@none", "only ls-distill takes a teacher"),
    ],
)
def test_a_bad_methods_list_is_refused_naming_the_method(methods, message):
    with pytest.raises(ValueError, match=message):
        parse_methods(methods)


def test_retrieval_methods_are_none_or_a_candidate_soft_target():
    assert [s.smoother for s in parse_retrieval_methods("none,kwls")] == [None, "kwls"]
    with pytest.raises(ValueError, match="unknown retrieval method 'mixup'"):
        parse_retrieval_methods("none,mixup")
