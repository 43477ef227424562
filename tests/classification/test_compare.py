from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tiny_models import CORPUS, make_model

from textls.classification.splits import long_tail
from textls.cli import main
from textls.experiments.classification.arguments import CompareArguments
from textls.experiments.classification.runs import training_arguments
from textls.experiments.classification.task import run_compare
from textls.training_args import CompareTrainingArguments, parse_trainer_options


def _write(tmp_path, rows, name):
    path = tmp_path / name
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    return str(path)


@pytest.fixture
def files(tmp_path):
    train = _write(tmp_path, CORPUS * 2, "train.csv")
    test = _write(tmp_path, CORPUS, "test.csv")
    return train, test


def _args(tmp_path, train, test, **kw):
    base = dict(
        train=train,
        test=test,
        output_dir=str(tmp_path / "out"),
        seeds=2,
        num_train_epochs=2,
        per_device_train_batch_size=8,
        learning_rate=1e-2,
        max_length=16,
        validation_fraction=0.25,
        smoother_params=json.dumps({"kwls": {"min_df": 1}, "ls-distill": {"n_splits": 2}}),
    )
    base.update(kw)
    return CompareArguments(**base)


def test_tiny_end_to_end_compare_writes_results_predictions_and_report(tmp_path, files, tokenizer):
    args = _args(tmp_path, *files)
    results = run_compare(args, model_factory=lambda: make_model(num_labels=3), tokenizer=tokenizer)
    out = tmp_path / "out"
    saved = json.loads((out / "results.json").read_text())
    methods = ["none", "ls-classic", "ls-distill", "ls-tfidf", "kwls"]
    assert list(saved["methods"]) == methods == list(results["methods"])
    for method in methods:
        entry = saved["methods"][method]
        assert entry["n_seeds"] == 2 and set(entry["per_seed"]) == {"0", "1"}
        for metric in ("accuracy", "macro_f1", "nll", "brier", "ece", "nll_ts", "ece_ts"):
            assert np.isfinite(entry["mean"][metric])
        for seed in (0, 1):
            npz = np.load(out / "predictions" / f"{method}-seed{seed}.npz")
            assert npz["probs"].shape == (12, 3)
            np.testing.assert_allclose(npz["probs"].sum(1), 1, atol=1e-5)
            assert list(npz["classes"]) == ["politics", "sport", "weather"]
            # the stored probabilities reproduce the stored accuracy
            acc = float((npz["probs"].argmax(1) == npz["labels"]).mean())
            assert acc == pytest.approx(entry["per_seed"][str(seed)]["accuracy"])
    assert set(saved["paired"]) == set(methods[1:])
    # mass moved off the gold class: none 0, every smoother eps (C-1)/C (one meaning of epsilon)
    off_gold = saved["off_gold_mass"]
    assert off_gold["none"] == 0.0
    for method in methods[1:]:
        assert off_gold[method] == pytest.approx(0.1 * 2 / 3, abs=1e-6)
        diagnosis = saved["soft_label_diagnostics"][method]
        assert 0.0 <= diagnosis["top1_agreement"] <= 1.0
        assert diagnosis["log_likelihood"] <= 0.0
    assert saved["soft_label_diagnostics"]["ls-classic"]["log_likelihood"] == pytest.approx(
        np.log(1 / 3)
    )
    assert saved["data"]["train"] == 18 and sum(saved["data"]["train_class_counts"].values()) == 18
    for method in methods:  # per-class report: all classes, support from the test set
        per_class = saved["per_class"][method]
        assert set(per_class) == {"politics", "sport", "weather"}
        assert all(row["support"] == 4 and 0 <= row["f1"] <= 1 for row in per_class.values())
    report = (out / "report.md").read_text()
    assert "Per-class F1" in report and "| weather | 4 |" in report
    assert "Soft labels of the training rows" in report
    assert "**" in report and "Paired comparison" in report and "figures/reliability.png" in report
    assert (out / "figures" / "reliability.png").stat().st_size > 1000


def test_same_seed_same_method_is_reproducible(tmp_path, files, tokenizer):
    a = run_compare(
        _args(tmp_path / "a", *files, methods="kwls", seeds=1),
        lambda: make_model(num_labels=3),
        tokenizer,
    )
    b = run_compare(
        _args(tmp_path / "b", *files, methods="kwls", seeds=1),
        lambda: make_model(num_labels=3),
        tokenizer,
    )
    assert a["methods"]["kwls"]["per_seed"] == b["methods"]["kwls"]["per_seed"]


def test_unseen_test_label_is_refused_naming_the_file(tmp_path, files, tokenizer):
    train, _ = files
    test = _write(tmp_path, [("a new topic", "finance")], "bad_test.csv")
    with pytest.raises(ValueError, match=r"bad_test\.csv.*'finance'"):
        run_compare(_args(tmp_path, train, test), lambda: make_model(num_labels=3), tokenizer)


def test_cli_reports_missing_column(tmp_path, files, capsys):
    train, test = files
    code = main(
        [
            "compare",
            "--train",
            train,
            "--test",
            test,
            "--output_dir",
            str(tmp_path / "o"),
            "--text_column",
            "body",
        ]
    )
    assert code == 1
    assert "no column 'body'" in capsys.readouterr().err


def test_soft_label_file_from_smooth_is_used_and_checked(tmp_path, tokenizer):
    train = _write(tmp_path, CORPUS * 2, "train.csv")
    val = _write(tmp_path, CORPUS, "val.csv")
    soft = tmp_path / "soft.csv"
    assert main(["smooth", "--input", train, "--output", str(soft), "--method", "ls-tfidf"]) == 0
    args = _args(
        tmp_path,
        train,
        val,
        validation=val,
        methods="none,ls-tfidf",
        seeds=1,
        soft_label_files=json.dumps({"ls-tfidf": str(soft)}),
    )
    results = run_compare(args, lambda: make_model(num_labels=3), tokenizer)
    assert "ls-tfidf" in results["methods"]

    frame = pd.read_csv(soft)
    frame.loc[3, "soft:sport"] = np.nan  # an edited table no longer matches its record
    frame.to_csv(soft, index=False)
    with pytest.raises(ValueError, match=r"soft\.csv changed after `textls smooth` wrote it"):
        run_compare(args, lambda: make_model(num_labels=3), tokenizer)


def test_long_tail_subsample_has_the_requested_ratio():
    labels = ["a"] * 100 + ["b"] * 100 + ["c"] * 100
    keep = long_tail(labels, ratio=10, seed=0)
    counts = pd.Series([labels[i] for i in keep]).value_counts()
    assert counts.max() == 100 and counts.min() == 10


@pytest.mark.parametrize("imbalance", [None, 3.0])
def test_soft_label_file_rows_follow_subsampling_and_the_validation_split(tmp_path, imbalance):
    from textls.experiments.classification.data import prepare_data
    from textls.experiments.classification.soft_labels import soft_labels_for

    rows = [(f"{text} item{i}", label) for i in range(4) for text, label in CORPUS]  # unique texts
    train = _write(tmp_path, rows, "train.csv")
    soft_file = tmp_path / "soft.csv"
    assert (
        main(
            [
                "smooth",
                "--input",
                train,
                "--output",
                str(soft_file),
                "--method",
                "kwls",
                "--params",
                '{"min_df": 1}',
            ]
        )
        == 0
    )
    args = _args(
        tmp_path,
        train,
        train,
        max_train_samples=30,
        imbalance_ratio=imbalance,
        soft_label_files="{}",
    )
    data = prepare_data(args)
    texts, labels = data.train
    classes = data.classes
    params = {"kwls": {"min_df": 1}}  # as the file was made
    soft, diagnosis = soft_labels_for(
        "kwls", args, texts, labels, classes, params, {"kwls": str(soft_file)}, data.train_rows
    )
    assert set(diagnosis) == {"off_gold_mass"}  # no relevance behind a file
    frame = pd.read_csv(soft_file)
    by_text = {text: i for i, (text, _) in enumerate(rows)}
    expected = frame[[f"soft:{c}" for c in classes]].to_numpy()[[by_text[t] for t in texts]]
    np.testing.assert_allclose(soft, expected, atol=1e-6)
    assert len(texts) + len(data.validation[0]) <= 30


def test_label_noise_flips_exactly_the_requested_share_of_training_labels_only(tmp_path, files):
    from textls.classification.splits import flip_labels
    from textls.experiments.classification.data import prepare_data

    labels = ["a", "b", "c"] * 20
    noisy = flip_labels(labels, ["a", "b", "c"], 0.25, seed=0)
    assert sum(x != y for x, y in zip(labels, noisy, strict=True)) == 15
    assert flip_labels(labels, ["a", "b", "c"], 0.25, seed=0) == noisy
    clean = prepare_data(_args(tmp_path, *files))
    dirty = prepare_data(_args(tmp_path, *files, label_noise=0.5))
    assert dirty.train[0] == clean.train[0]
    flipped = sum(x != y for x, y in zip(clean.train[1], dirty.train[1], strict=True))
    assert flipped == round(0.5 * len(clean.train[1]))
    assert dirty.validation == clean.validation and dirty.test == clean.test
    with pytest.raises(ValueError, match="label_noise"):
        flip_labels(labels, ["a", "b"], 1.0, seed=0)


# Naturally long-tailed: sport and politics 20 rows each, weather 2 rows, budget a single row.
LONG_TAIL = (
    [(f"{t} {i}", label) for i in range(5) for t, label in CORPUS if label != "weather"]
    + [("rain and storm in the forecast", "weather"), ("sunny forecast and wind", "weather")]
    + [("budget and law", "budget")]
)
LONG_TAIL_TEST = [(t, label) for t, label in CORPUS] + [("budget law and budget", "budget")]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"max_train_samples": 20},
        {"max_test_samples": 5},
        {"validation_fraction": 0.5},
        {"imbalance_ratio": 5.0},
        {"imbalance_ratio": 5.0, "max_train_samples": 8, "max_test_samples": 4},
        {"max_train_samples": 20, "label_noise": 0.4},
    ],
)
def test_long_tailed_data_keeps_every_class_in_training(tmp_path, options, caplog):
    from textls.experiments.classification.data import prepare_data

    train = _write(tmp_path, LONG_TAIL, "train.csv")
    test = _write(tmp_path, LONG_TAIL_TEST, "test.csv")
    with caplog.at_level("WARNING", logger="textls.classification.splits"):
        data = prepare_data(_args(tmp_path, train, test, **options))
    classes = {"budget", "politics", "sport", "weather"}
    assert list(data.classes) == sorted(classes)
    assert set(data.train[1]) == classes and set(data.test[1]) == classes
    assert "budget" not in data.validation[1] and len(data.validation[1]) > 0
    assert "'budget' (1 row)" in caplog.text  # the warning names the rare class
    if "max_train_samples" in options:
        assert len(data.train[1]) + len(data.validation[1]) == options["max_train_samples"]
    if "max_test_samples" in options:
        assert len(data.test[1]) == options["max_test_samples"]
    again = prepare_data(_args(tmp_path, train, test, **options))
    assert again.train == data.train and again.test == data.test


def test_a_test_class_absent_from_training_is_named_before_any_subsampling(tmp_path):
    from textls.experiments.classification.data import prepare_data

    train = _write(tmp_path, LONG_TAIL[:-1], "train.csv")  # no budget row
    test = _write(tmp_path, LONG_TAIL_TEST, "test.csv")
    with pytest.raises(ValueError, match=r"test\.csv: .*'budget'"):
        prepare_data(_args(tmp_path, train, test, max_test_samples=5))


def test_long_tailed_end_to_end_compare(tmp_path, tokenizer, caplog):
    train = _write(tmp_path, LONG_TAIL, "train.csv")
    test = _write(tmp_path, LONG_TAIL_TEST, "test.csv")
    args = _args(
        tmp_path,
        train,
        test,
        seeds=1,
        max_train_samples=30,
        max_test_samples=6,
        label_noise=0.1,
    )
    with caplog.at_level("WARNING", logger="textls.classification.splits"):
        results = run_compare(args, lambda: make_model(num_labels=4), tokenizer)
    assert "'budget' (1 row)" in caplog.text
    assert results["data"]["train_class_counts"]["budget"] >= 1
    assert results["data"]["test"] == 6
    for entry in results["methods"].values():
        assert all(np.isfinite(v) for v in entry["mean"].values())
    assert set(results["per_class"]["kwls"]) == {"budget", "politics", "sport", "weather"}


def test_regularizers_combine_with_soft_label_methods_and_seed_ensembles_are_reported(
    tmp_path, files, tokenizer
):
    methods = "none,confidence-penalty,kwls+mixup,ls-classic+bootstrap-hard"
    args = _args(tmp_path, *files, methods=methods, regularizer_weights='{"mixup": 0.4}', seeds=2)
    results = run_compare(args, lambda: make_model(num_labels=3), tokenizer)
    assert list(results["methods"]) == methods.split(",")
    assert set(results["soft_label_diagnostics"]) == {"none", "kwls", "ls-classic"}
    for method in methods.split(","):
        entry = results["ensembles"][method]
        assert entry["models"] == 2 and np.isfinite(entry["metrics"]["nll"])
        probs = [
            np.load(tmp_path / "out" / "predictions" / f"{method}-seed{s}.npz") for s in (0, 1)
        ]
        mean = (probs[0]["probs"].astype(np.float64) + probs[1]["probs"]) / 2
        accuracy = float((mean.argmax(1) == probs[0]["labels"]).mean())
        assert entry["metrics"]["accuracy"] == pytest.approx(accuracy)
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## Ensembles of each method's seeds" in report and "`kwls+mixup` | 2 |" in report
    # Muller et al.'s figure: the three classes' penultimate activations, one panel per method
    assert results["representation_classes"] == ["politics", "sport", "weather"]
    assert (tmp_path / "out" / "figures" / "representations.png").stat().st_size > 10_000
    assert "figures/representations.png" in report


@pytest.mark.parametrize(
    ("methods", "weights", "message"),
    [
        ("none,kwls+dropout", None, "'dropout' is not one of mixup"),
        ("none,tfidf+mixup", None, "'tfidf' is not none or one of"),
        ("none,mixup", '{"mixup": 0}', r"mixup'\]: mixup's alpha must be in \(0, inf\)"),
        ("none,bootstrap-soft", '{"bootstrap-soft": 1.5}', r"beta must be in \[0, 1\]"),
        ("none,confidence-penalty", '{"confidence-penalty": NaN}', r"must be in \[0, inf\)"),
        ("none,mixup", '{"cutmix": 1}', "'cutmix' is not one of"),
    ],
)
def test_bad_regularizer_methods_and_weights_are_refused(
    tmp_path, files, methods, weights, message
):
    from textls.experiments.classification.checks import check_arguments

    with pytest.raises(ValueError, match=message):
        check_arguments(_args(tmp_path, *files, methods=methods, regularizer_weights=weights))


def test_epsilon_auto_picks_each_methods_value_by_validation_nll_without_the_test_split(
    tmp_path, files, tokenizer
):
    from dataclasses import replace

    from textls.experiments.classification import runs, soft_labels
    from textls.experiments.classification.arguments import EPSILON_GRID
    from textls.experiments.classification.data import prepare_data

    args = _args(tmp_path, *files, methods="none,ls-classic,kwls", epsilon="auto", seeds=1)
    results = run_compare(args, lambda: make_model(num_labels=3), tokenizer)
    assert set(results["epsilon_selection"]) == {"ls-classic", "kwls"}
    for method, entry in results["epsilon_selection"].items():
        assert entry["grid"] == list(EPSILON_GRID)
        assert entry["chosen"] == entry["grid"][int(np.argmin(entry["validation_nll"]))]
        # every seed trains at the chosen value: LS-Classic's off-gold mass is eps (C-1)/C
        if method == "ls-classic":
            assert results["off_gold_mass"][method] == pytest.approx(entry["chosen"] * 2 / 3)
    assert results["config"]["epsilon"] == "auto"
    assert (
        "## Epsilon chosen on the validation split" in (tmp_path / "out" / "report.md").read_text()
    )

    # the selection never touches the test split: it runs with no test data at all
    data = prepare_data(args)
    y_train = data.encoded()[0]
    setup = runs.make_setup(args, data, lambda: make_model(num_labels=3), tokenizer, None)
    setup = replace(setup, test_set=None, y_test=None)
    soft, _, record = soft_labels.choose_epsilon(setup, "kwls", args, data, {"kwls": {"min_df": 1}})
    assert soft.shape == (len(y_train), 3) and len(record["validation_nll"]) == 4


def test_epsilon_is_a_number_in_0_1_or_auto(tmp_path, files):
    for bad in ("-0.1", "1.5", "big"):
        with pytest.raises(ValueError, match="--epsilon must be a number in \\[0, 1\\] or auto"):
            _args(tmp_path, *files, epsilon=bad)
    assert _args(tmp_path, *files, epsilon="0.2").epsilon == 0.2
    assert _args(tmp_path, *files, epsilon=0.3).epsilon == 0.3


def test_ls_distill_learns_from_a_teacher_this_compare_trained(
    tmp_path, files, tokenizer, monkeypatch
):
    """Each student trains on its own seed's teacher's training-row probabilities: LS-Classic's
    mass off the gold class, m = epsilon (C - 1) / C, split over the other classes in proportion
    to the teacher's probabilities there (the tiny corpus's classes are equally frequent, so
    ``balanced`` changes nothing).  Fails when the teacher is ignored, swapped for another method
    or seed, or the targets never reach training."""
    from textls.experiments.classification import runs

    trained = []  # (soft labels trained on, the run's outcome) in training order
    real = runs.train_and_evaluate

    def spy(setup, train_set, seed, *args, **kwargs):
        result = real(setup, train_set, seed, *args, **kwargs)
        soft = (
            np.asarray(train_set["soft_labels"])
            if "soft_labels" in train_set.column_names
            else None
        )
        trained.append((soft, np.asarray(train_set["labels"]), result))
        return result

    monkeypatch.setattr(runs, "train_and_evaluate", spy)
    methods = "none,ls-classic,ls-distill@none,ls-distill@ls-classic"
    args = _args(tmp_path, *files, methods=methods, seeds=2)
    results = run_compare(args, lambda: make_model(num_labels=3), tokenizer)
    assert list(results["methods"]) == methods.split(",")
    runs = dict(zip([(m, s) for m in methods.split(",") for s in range(2)], trained, strict=True))
    for student, teacher in (("ls-distill@none", "none"), ("ls-distill@ls-classic", "ls-classic")):
        for seed in range(2):
            soft, y, _ = runs[student, seed]
            probs = runs[teacher, seed][2].train_probs
            off_gold = np.ones_like(soft, dtype=bool)
            off_gold[np.arange(len(y)), y] = False
            share = np.where(off_gold, probs, 0.0)
            expected = 0.1 * 2 / 3 * share / share.sum(axis=1, keepdims=True)
            np.testing.assert_allclose(soft[off_gold], expected[off_gold], rtol=1e-4, atol=1e-7)
            np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-5)
    # two teachers, two different sets of targets (a shared or constant teacher would tie them)
    assert not np.allclose(runs["ls-distill@none", 0][0], runs["ls-distill@ls-classic", 0][0])


def test_distilled_targets_put_the_mass_where_the_teacher_does(tmp_path, files):
    from textls.experiments.classification.data import prepare_data
    from textls.experiments.classification.soft_labels import distilled_targets

    args = _args(tmp_path, *files, epsilon=0.3)
    data = prepare_data(args)
    y = data.encoded()[0]
    n = len(y)
    teacher = np.full((n, 3), 0.05)
    teacher[np.arange(n), (y + 1) % 3] = 0.9  # all its doubt on the next class
    soft, _ = distilled_targets(args, data, {}, teacher / teacher.sum(1, keepdims=True))
    np.testing.assert_allclose(soft[np.arange(n), y], 1 - 0.2)
    assert (soft[np.arange(n), (y + 1) % 3] > soft[np.arange(n), (y + 2) % 3]).all()


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        ("none,ls-distill@ls-classic,ls-classic", "must be a method trained earlier"),
        ("none,kwls@none", "only ls-distill takes a teacher"),
    ],
)
def test_a_teacher_must_be_trained_earlier_and_only_ls_distill_takes_one(
    tmp_path, files, methods, message
):
    from textls.experiments.classification.checks import check_arguments

    with pytest.raises(ValueError, match=message):
        check_arguments(_args(tmp_path, *files, methods=methods))


def test_without_epochs_each_run_trains_to_its_validation_plateau_and_records_it(
    tmp_path, files, tokenizer
):
    args = _args(
        tmp_path,
        *files,
        methods="none,kwls",
        seeds=1,
        num_train_epochs=None,
        max_epochs=40,
        early_stopping_patience=2,
    )
    results = run_compare(args, lambda: make_model(num_labels=3), tokenizer)
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["training"] == results["training"]
    for method in ("none", "kwls"):
        (record,) = saved["training"][method]
        values = [h["value"] for h in record["validation"]]
        assert [h["epoch"] for h in record["validation"]] == pytest.approx(
            list(range(1, len(values) + 1))
        )  # one evaluation per epoch
        assert record["epochs"] == pytest.approx(len(values)) and len(values) <= 40
        assert record["steps"] == 3 * len(values)  # 18 rows, batch 8
        assert record["stopped"] in ("plateau", "max_epochs")
        assert record["kept_epoch"] == pytest.approx(int(np.argmin(values)) + 1)
        if record["stopped"] == "plateau":  # exactly `patience` evaluations after the best
            assert len(values) == int(np.argmin(values)) + 1 + 2
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## Training length" in report and "## Verdict" in report


def test_a_fixed_length_run_is_recorded_as_such(tmp_path, files, tokenizer):
    args = _args(tmp_path, *files, methods="none", seeds=1, num_train_epochs=3)
    results = run_compare(args, lambda: make_model(num_labels=3), tokenizer)
    (record,) = results["training"]["none"]
    assert record["stopped"] == "fixed" and record["epochs"] == pytest.approx(3.0)
    assert record["kept_epoch"] == pytest.approx(3.0) and len(record["validation"]) == 3


@pytest.mark.parametrize("distribution", ["train", "balanced"])
def test_models_predict_under_the_declared_test_distribution(tmp_path, tokenizer, distribution):
    rows = CORPUS * 2 + [row for row in CORPUS if row[1] == "sport"] * 4  # sport: 3 times as many
    train = _write(tmp_path, rows, "train.csv")
    test = _write(tmp_path, CORPUS, "test.csv")
    args = _args(
        tmp_path, train, test, methods="none,ls-classic", seeds=1, test_distribution=distribution
    )
    results = run_compare(args, lambda: make_model(num_labels=3), tokenizer)
    correction = results["prior_correction"]
    p = np.array(list(correction["train_prior"].values()))
    pi = np.array(list(correction["test_prior"].values()))
    assert p.argmax() == 1 and p[1] == pytest.approx(3 * p[0], rel=0.2)  # sport, as sampled
    np.testing.assert_allclose(pi, p if distribution == "train" else np.full(3, 1 / 3))
    eps = 0.1
    learnt = {"none": p, "ls-classic": (1 - eps) * p + eps / 3}  # the targets' marginal
    for method, q in learnt.items():
        npz = np.load(tmp_path / "out" / "predictions" / f"{method}-seed0.npz")
        shifted = npz["logits"] + np.log(pi) - np.log(q)
        expected = np.exp(shifted - shifted.max(1, keepdims=True))
        np.testing.assert_allclose(
            npz["probs"], expected / expected.sum(1, keepdims=True), atol=1e-5
        )
        assert set(correction["uncorrected"][method]) >= {"accuracy", "nll"}


def test_an_unknown_test_distribution_is_refused(tmp_path, files):
    with pytest.raises(ValueError, match="--test_distribution must be one of train, balanced"):
        run_compare(_args(tmp_path, *files, test_distribution="iid"))


def test_a_run_to_its_plateau_keeps_a_constant_rate_after_a_short_warm_up_unless_told_otherwise():
    plateau = training_arguments(
        "x", batch_size=8, learning_rate=1e-3, epochs=100, seed=0, plateau_epoch_steps=25
    )
    assert plateau.lr_scheduler_type == "constant_with_warmup" and plateau.warmup_steps == 3
    assert plateau.eval_strategy == "epoch" and plateau.metric_for_best_model == "loss"
    fixed = training_arguments("x", batch_size=8, learning_rate=1e-3, epochs=3, seed=0)
    assert fixed.lr_scheduler_type == "linear" and fixed.warmup_steps == 0.1
    mine = parse_trainer_options(CompareTrainingArguments, ["--lr_scheduler_type", "cosine"])
    chosen = training_arguments(
        "x",
        batch_size=8,
        learning_rate=1e-3,
        epochs=100,
        seed=0,
        base=mine,
        plateau_epoch_steps=25,
    )
    assert chosen.lr_scheduler_type == "cosine" and chosen.warmup_steps == 3
