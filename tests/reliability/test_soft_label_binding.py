"""A `textls smooth` file is used only for the rows and settings that made it (issue 11, item 1).

Before the record, a file of the same ids and labels but shuffled texts, one made at another
epsilon, or one made by another method trained silently on the wrong soft labels; an entry for a
method that is not run was ignored.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from textls.cli import main
from textls.experiments.classification.arguments import CompareArguments
from textls.experiments.classification.checks import check_arguments
from textls.soft_labels import RECORD_SUFFIX, read_soft_label_file

ROWS = [
    ("the striker scored a late goal", "sport"),
    ("a penalty goal won the league match", "sport"),
    ("the coach praised the striker", "sport"),
    ("fans cheered the winning goal", "sport"),
    ("the party won the election vote", "politics"),
    ("voters backed the party in parliament", "politics"),
    ("the minister called a vote on the budget", "politics"),
    ("the election campaign and the budget", "politics"),
    ("bake the bread in a hot oven", "cooking"),
    ("whisk the eggs with flour and butter", "cooking"),
    ("the recipe needs butter and sugar", "cooking"),
    ("knead the dough and bake until golden", "cooking"),
]
CLASSES = ["cooking", "politics", "sport"]


@pytest.fixture
def made(tmp_path):
    """The training table and the soft labels `textls smooth` made of it (KWLS, epsilon 0.1)."""
    train = tmp_path / "train.csv"
    pd.DataFrame(ROWS, columns=["text", "label"]).to_csv(train, index=False)
    soft = tmp_path / "soft.csv"
    argv = ["smooth", "--input", str(train), "--output", str(soft), "--params", '{"min_df": 1}']
    assert main(argv) == 0
    texts, labels = [t for t, _ in ROWS], [y for _, y in ROWS]
    return soft, texts, labels


def read(soft, texts, labels, method="kwls", **params):
    params = {"epsilon": 0.1, "min_df": 1, **params}
    return read_soft_label_file(str(soft), CLASSES, labels, texts, method, params)


def test_the_file_is_read_for_the_rows_and_settings_that_made_it(made):
    soft, texts, labels = made
    assert read(soft, texts, labels).shape == (len(ROWS), 3)


def test_texts_shuffled_within_each_class_are_refused(made):
    soft, texts, labels = made
    shuffled = texts[1:4] + texts[:1] + texts[4:]  # same ids and labels, other texts per row
    with pytest.raises(ValueError, match="computed from other rows"):
        read(soft, shuffled, labels)


def test_another_epsilon_is_refused_naming_both_values(made):
    soft, texts, labels = made
    with pytest.raises(ValueError, match=r"epsilon=0\.1 \(this run: 0\.5\)"):
        read(soft, texts, labels, epsilon=0.5)


def test_another_method_is_refused(made):
    soft, texts, labels = made
    with pytest.raises(ValueError, match="holds kwls soft labels, but is given for ls-classic"):
        read_soft_label_file(str(soft), CLASSES, labels, texts, "ls-classic", {"epsilon": 0.1})


def test_an_edited_table_or_a_missing_record_is_refused(made):
    soft, texts, labels = made
    frame = pd.read_csv(soft)
    frame.loc[0, ["soft:cooking", "soft:sport"]] = frame.loc[
        0, ["soft:sport", "soft:cooking"]
    ].values
    frame.to_csv(soft, index=False)
    with pytest.raises(ValueError, match="changed after `textls smooth` wrote it"):
        read(soft, texts, labels)
    (soft.parent / f"soft.csv{RECORD_SUFFIX}").unlink()
    with pytest.raises(ValueError, match="nothing says which rows and settings"):
        read(soft, texts, labels)


def test_a_file_for_a_method_that_is_not_run_is_refused_before_anything_runs(made, tmp_path):
    soft, _, _ = made
    args = CompareArguments(
        train=str(tmp_path / "train.csv"),
        test=str(tmp_path / "train.csv"),
        output_dir=str(tmp_path / "out"),
        methods="none,ls-classic",
        soft_label_files=json.dumps({"kwls": str(soft)}),
    )
    with pytest.raises(ValueError, match=r"entry for \['kwls'\], which this run does not smooth"):
        check_arguments(args)
    assert not (tmp_path / "out").exists()


def test_smooth_refuses_to_write_over_its_input(tmp_path):
    train = tmp_path / "train.csv"
    pd.DataFrame(ROWS, columns=["text", "label"]).to_csv(train, index=False)
    before = train.read_bytes()
    assert main(["smooth", "--input", str(train), "--output", str(train)]) == 1
    assert train.read_bytes() == before


def test_a_hand_edited_record_is_refused(made):
    soft, texts, labels = made
    path = soft.parent / f"soft.csv{RECORD_SUFFIX}"
    record = json.loads(path.read_text())
    record["params"]["epsilon"] = 0.2  # claims the 0.1 labels were made at 0.2
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="edited after `textls smooth` wrote it"):
        read(soft, texts, labels, epsilon=0.2)


def test_a_recorded_table_is_still_checked_cell_by_cell(tmp_path):
    from textls.soft_labels import write_soft_labels

    texts, labels = [t for t, _ in ROWS], [y for _, y in ROWS]
    frame = pd.DataFrame({"id": range(len(ROWS)), "label": labels})
    for c in CLASSES:
        frame[f"soft:{c}"] = 1 / 3
    frame.loc[3, "soft:sport"] = float("nan")  # a table textls itself wrote wrongly
    path = write_soft_labels(tmp_path / "s.csv", frame, "ls-classic", {}, texts, labels)
    with pytest.raises(ValueError, match=r"row 3, column soft:sport"):
        read_soft_label_file(str(path), CLASSES, labels, texts, "ls-classic", {})


def test_chunk_size_does_not_make_a_file_foreign(made):
    soft, texts, labels = made
    assert read(soft, texts, labels, chunk_size=7).shape == (len(ROWS), 3)


def test_the_record_vouches_for_the_bytes_smooth_wrote_not_a_later_writers(tmp_path, monkeypatch):
    """A second writer replaces the table between smooth's rename and its record: the record's
    checksum is of what smooth wrote, so the other writer's table is refused, not vouched for."""
    import os

    import textls.io

    train = tmp_path / "train.csv"
    pd.DataFrame(ROWS, columns=["text", "label"]).to_csv(train, index=False)
    soft = tmp_path / "soft.csv"
    real_replace = os.replace

    def replace_then_overwrite(src, dst):
        real_replace(src, dst)
        if str(dst) == str(soft):  # the other writer, right after smooth published its table
            frame = pd.read_csv(dst)
            frame.loc[0, ["soft:cooking", "soft:sport"]] = frame.loc[
                0, ["soft:sport", "soft:cooking"]
            ].to_numpy()
            frame.to_csv(dst, index=False)

    monkeypatch.setattr(textls.io.os, "replace", replace_then_overwrite)
    argv = ["smooth", "--input", str(train), "--output", str(soft), "--params", '{"min_df": 1}']
    assert main(argv) == 0
    monkeypatch.undo()
    texts, labels = [t for t, _ in ROWS], [y for _, y in ROWS]
    with pytest.raises(ValueError, match="changed after `textls smooth` wrote it"):
        read(soft, texts, labels)


def test_a_top_k_cache_is_refused_as_full_soft_labels(made, tmp_path):
    """A cache keeping each row's top 2 of 3 classes holds other targets than the method's."""
    from textls.cache import build_cache

    _, texts, labels = made
    params = {"epsilon": 0.1, "min_df": 1}
    build_cache(tmp_path / "train.csv", tmp_path / "full", method="kwls", params=params)
    assert read(tmp_path / "full", texts, labels).shape == (len(ROWS), 3)
    build_cache(
        tmp_path / "train.csv",
        tmp_path / "top",
        method="kwls",
        params=params,
        layout="topk",
        top_k=2,
    )
    with pytest.raises(ValueError, match=r"keeps only each row's top 2 classes .* rebuild it"):
        read(tmp_path / "top", texts, labels)
