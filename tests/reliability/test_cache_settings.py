"""A cache is bound to the settings and the rows it was built for (issue 11, item 1).

A run that asks for other targets (another method, another epsilon) than the cache holds, or that
pairs the cache with other rows, must be refused naming what differs, never trained on silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from textls import get_smoother
from textls.cache import CacheError, build_cache, load_cache

WORDS = {
    "sport": "goal match team coach",
    "tech": "code chip cloud robot",
    "vote": "poll party senate mayor",
}


def corpus(n: int = 60) -> tuple[list[str], list[str]]:
    names = sorted(WORDS)
    labels = [names[i % 3] for i in range(n)]
    texts = [
        " ".join(WORDS[y].split()[i % 4 :] + ["news", f"day{i % 5}"]) for i, y in enumerate(labels)
    ]
    return texts, labels


@pytest.fixture
def cache(tmp_path):
    texts, labels = corpus()
    data = tmp_path / "train.csv"
    pd.DataFrame({"text": texts, "label": labels}).to_csv(data, index=False)
    build_cache(data, tmp_path / "c", method="kwls", params={"epsilon": 0.5})
    return load_cache(tmp_path / "c")


def test_the_manifest_records_method_full_parameters_and_classes(cache):
    m = cache.manifest
    expected = get_smoother("kwls", epsilon=0.5).get_params()
    assert m["method"] == "kwls" and set(m["params"]) == set(expected)
    assert m["params"]["epsilon"] == 0.5 and m["params"]["ngram_range"] == [1, 1]
    assert m["classes"] == ["sport", "tech", "vote"]


def test_matching_settings_pass_with_defaults_filled_on_both_sides(cache):
    cache.check_settings("kwls", {"epsilon": 0.5})
    cache.check_settings("KWLS", {"epsilon": 0.5, "min_df": 2, "ngram_range": (1, 1)})


def test_another_method_or_epsilon_is_refused_naming_both(cache):
    with pytest.raises(
        CacheError,
        match=r"built with kwls epsilon=0\.5, but this run asks for ls-classic epsilon=0\.1",
    ):
        cache.check_settings("ls-classic", {"epsilon": 0.1})
    with pytest.raises(
        CacheError, match=r"kwls epsilon=0\.5, but this run asks for kwls epsilon=0\.1"
    ):
        cache.check_settings("kwls", {})
    with pytest.raises(CacheError, match=r"min_df=2, but this run asks for kwls min_df=1"):
        cache.check_settings("kwls", {"epsilon": 0.5, "min_df": 1})


def test_add_to_dataset_checks_texts_labels_and_order(cache):
    from datasets import Dataset

    texts, labels = corpus()
    data = Dataset.from_dict({"text": texts, "label": labels})
    added = cache.add_to_dataset(data)
    np.testing.assert_array_equal(
        np.asarray(added.with_format("numpy")["soft_labels"]), np.asarray(cache.soft_labels)
    )
    cache.add_to_dataset(data.class_encode_column("label"))  # ClassLabel ids are the same rows
    swapped = texts[:]
    swapped[3], swapped[4] = swapped[4], swapped[3]
    relabelled = labels[:-1] + ["sport" if labels[-1] != "sport" else "tech"]
    for other in (
        Dataset.from_dict({"text": swapped, "label": labels}),
        Dataset.from_dict({"text": texts, "label": relabelled}),
        data.shuffle(seed=0),
    ):
        with pytest.raises(CacheError, match="was built for other data"):
            cache.add_to_dataset(other)
    with pytest.raises(CacheError, match="no column 'label'"):
        cache.add_to_dataset(Dataset.from_dict({"text": texts}))


def test_add_to_dataset_names_the_type_it_takes(data, tmp_path):
    build_cache(str(data), str(tmp_path / "c"), method="ls-classic")
    with pytest.raises(TypeError, match="takes a datasets.Dataset, got DataFrame"):
        load_cache(tmp_path / "c").add_to_dataset(pd.read_csv(data))


def test_top_k_0_names_the_option(data, tmp_path, capsys):
    from textls.cli import main

    argv = ["cache", "build", "--input", str(data), "--output", str(tmp_path / "c"), "--top-k", "0"]
    assert main(argv) == 1
    assert "--top-k must be an integer >= 1" in capsys.readouterr().err


def test_a_parameter_only_one_side_has_is_a_difference(cache):
    """A build made with a parameter this textls no longer has (or lacks one it has) is refused."""
    cache.manifest["params"]["keyword_weighting"] = "bm25"
    with pytest.raises(
        CacheError,
        match=r'kwls keyword_weighting="bm25", but this run asks for kwls keyword_weighting=null',
    ):
        cache.check_settings("kwls", {"epsilon": 0.5})
    del cache.manifest["params"]["keyword_weighting"], cache.manifest["params"]["min_df"]
    with pytest.raises(CacheError, match=r"kwls min_df=null, but this run asks for kwls min_df=2"):
        cache.check_settings("kwls", {"epsilon": 0.5})
