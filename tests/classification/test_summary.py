"""What a compare concludes in words: unfinished runs and the verdict against LS-Classic."""

from __future__ import annotations

import numpy as np

from textls.aggregation import aggregate
from textls.classification.summary import run_warnings, training_section, verdict

FINISHED = {"stopped": "plateau", "still_improving": False, "epochs": 12.0}


def _probs(predicted, n_classes=3):
    return np.eye(n_classes)[predicted] * 0.8 + 0.2 / n_classes


def test_a_good_model_has_no_warning():
    y = np.array([0, 1, 2] * 10)
    assert run_warnings(FINISHED, _probs(y), y, majority_class=0) == []


def test_a_model_that_predicts_the_majority_class_is_named_twice():
    y = np.array([0, 1, 2] * 10)
    said = run_warnings(FINISHED, _probs(np.zeros(30, dtype=int)), y, majority_class=0)
    assert len(said) == 2
    assert "0.333 is near the majority-class rate 0.333" in said[0]
    assert "one class for 100% of the test rows, a class that holds 33% of them" in said[1]


def test_a_model_stopped_while_improving_is_named():
    y = np.array([0, 1, 2] * 10)
    capped = {"stopped": "max_epochs", "still_improving": True, "epochs": 100.0}
    fixed = {"stopped": "fixed", "still_improving": True, "epochs": 3.0}
    assert "raise --max_epochs" in run_warnings(capped, _probs(y), y, 0)[0]
    assert "--num_train_epochs ended it after 3 epochs" in run_warnings(fixed, _probs(y), y, 0)[0]


def test_verdict_names_each_informative_method_against_ls_classic_and_the_best_against_none():
    runs = []
    for seed in range(3):
        for method, f1, nll in (
            ("none", 0.50, 1.00),
            ("ls-classic", 0.52, 0.95),
            ("kwls", 0.55 + 0.001 * seed, 0.94 + 0.002 * seed),
            ("ls-tfidf", 0.52 + 0.01 * (seed - 1), 0.96 - 0.02 * (seed - 1)),
        ):
            metrics = {"macro_f1": f1, "accuracy": f1, "nll": nll}
            runs.append({"method": method, "seed": seed, "metrics": metrics})
    results = aggregate(runs)
    results["paired_vs_ls_classic"] = {
        m: p for m, p in aggregate(runs, "ls-classic")["paired"].items() if m != "none"
    }
    kwls, tfidf, best = verdict(results)
    assert kwls.startswith("`kwls` (against `ls-classic`): macro_f1 +0.0310 (clearly better")
    assert "nll -0.0080 (clearly better" in kwls
    assert tfidf.startswith("`ls-tfidf` (against `ls-classic`)") and "within noise" in tfidf
    assert best.startswith("`kwls` (best on macro-F1, against `none`)")


def test_training_section_summarises_the_seeds():
    records = [
        {"epochs": 10.0, "steps": 100, "kept_epoch": 7.0, "stopped": "plateau"},
        {"epochs": 14.0, "steps": 140, "kept_epoch": 11.0, "stopped": "plateau"},
        {"epochs": 20.0, "steps": 200, "kept_epoch": 20.0, "stopped": "max_epochs"},
    ]
    (row,) = [line for line in training_section({"kwls": records}) if line.startswith("| `kwls`")]
    assert row == (
        "| `kwls` | 14.7 (10-20) | 147 (100-200) | 12.7 (7-20) "
        "| 2 at the validation plateau, 1 by --max_epochs, still improving |"
    )
