"""Labels are what the user wrote: one number spelt two ways is refused, not merged into one class;
True / False labels are two classes; texts or labels without an order are refused."""

from __future__ import annotations

import pytest
from sklearn.exceptions import NotFittedError

from textls.errors import InputTypeError
from textls.io import read_table, texts_and_labels
from textls.smoothers import SMOOTHERS, get_smoother


def _read(tmp_path, body: str, name: str = "t.csv"):
    path = tmp_path / name
    path.write_text("text,label\n" + body)
    return texts_and_labels(read_table(path), "text", "label", str(path))


@pytest.mark.parametrize("spellings", [("1", "1.0"), ("1", "1e0"), ("2.0", "2.00")])
def test_one_number_spelt_two_ways_is_refused_naming_both(tmp_path, spellings):
    a, b = spellings
    with pytest.raises(ValueError, match=f"label .* both as '{a}' and as '{b}' \\(row 1\\)"):
        _read(tmp_path, f"x,{a}\ny,{b}\nz,3\n")


def test_numbers_written_one_way_stay_integer_classes(tmp_path):
    assert _read(tmp_path, "x,1.0\ny,2.0\nz,1.0\n")[1] == [1, 2, 1]


def test_true_and_false_are_two_classes(tmp_path):
    texts, labels = _read(tmp_path, "goal match,True\nrain snow,False\ngoal win,True\n")
    assert labels == [True, False, True]
    soft = get_smoother("ls-classic").fit_transform(texts, labels)
    assert soft.shape == (3, 2)
    smoother = get_smoother("kwls", min_df=1).fit(texts * 2, labels * 2)
    assert list(smoother.classes_) == [False, True]


@pytest.mark.parametrize("method", sorted(SMOOTHERS))
def test_an_unordered_collection_is_refused(method):
    with pytest.raises(InputTypeError, match="ordered sequence.*got set"):
        get_smoother(method).fit_transform({"a b", "c d"}, ["x", "y"])
    with pytest.raises(InputTypeError, match="labels must be an ordered sequence"):
        get_smoother(method).fit_transform(["a b", "c d"], {"x", "y"})


@pytest.mark.parametrize("method", sorted(SMOOTHERS))
@pytest.mark.parametrize("call", ["transform", "score", "relevance"])
def test_use_before_fit_is_scikit_learns_not_fitted_error(method, call):
    smoother = get_smoother(method)
    args = (["a text"],) if call == "relevance" else (["a text"], ["x"])
    with pytest.raises(NotFittedError):
        getattr(smoother, call)(*args)
