"""SoftTargetMNRLoss trains on the targets of the rows it is given: a dataset whose labels are
not row ids, rows of another dataset of the same size, or ``soft_targets=`` of the wrong type are
refused, naming what to do, instead of training on row 0's (or the first dataset's) targets."""

from __future__ import annotations

import numpy as np
import pytest
from datasets import Dataset

from textls.retrieval import DatasetSoftTargets, SoftTargetMNRLoss, with_row_ids

A = {
    "anchor": ["reset password", "shop hours", "storm news"],
    "positive": ["open settings reset", "shop opens nine", "storm passed noon"],
}
B = {
    "anchor": ["train times", "cake recipe", "tax form"],
    "positive": ["the train leaves at six", "bake the cake", "file the tax form"],
}


@pytest.mark.parametrize("column", ["score", "labels", "scores"])
def test_a_numeric_column_in_place_of_row_ids_is_refused(column):
    dataset = Dataset.from_dict({**A, column: [1.0, 1.0, 1.0]})
    with pytest.raises(ValueError, match=f"has a {column!r} column.*with_row_ids"):
        DatasetSoftTargets().fit(dataset)


def test_rows_of_another_dataset_of_the_same_size_are_refused():
    a, b = with_row_ids(Dataset.from_dict(A)), with_row_ids(Dataset.from_dict(B))
    soft = DatasetSoftTargets(method="kwls").fit(a)
    soft.batch_targets(a["label"], 1)  # its own rows
    soft.batch_targets(a.shuffle(seed=0).select([0, 1])["label"], 1)  # shuffled and selected
    with pytest.raises(ValueError, match="row id of an example of another dataset"):
        soft.batch_targets(b["label"], 1)


def test_row_ids_carry_their_dataset_and_keep_their_row():
    a = with_row_ids(Dataset.from_dict(A))
    ids = np.asarray(a["label"])
    assert (ids & 0xFFFFFFFF).tolist() == [0, 1, 2] and len(set(ids >> 32)) == 1
    assert (ids >> 32)[0] != 0
    mixed = Dataset.from_dict({**A, "label": [ids[0], ids[1], 2]})  # a tagged and a plain id
    with pytest.raises(ValueError, match="mixes the row ids of 2 datasets"):
        DatasetSoftTargets().fit(mixed)


def test_soft_targets_of_the_wrong_type_name_the_class_expected():
    with pytest.raises(TypeError, match="a fitted textls.retrieval.DatasetSoftTargets, got dict"):
        SoftTargetMNRLoss(None, soft_targets={"kwls": 1})
