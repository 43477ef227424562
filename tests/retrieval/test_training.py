"""Train -> encode -> index -> search -> evaluate on a tiny BEIR folder, through the library and the CLI."""

from __future__ import annotations

import json

import pytest
from tiny_retrieval import make_encoder, make_tokenizer, write_beir

from textls.cli import main
from textls.retrieval.training import RetrievalTrainArguments, train_dual_encoder


@pytest.fixture
def beir(tmp_path):
    return write_beir(tmp_path / "beir", splits={"train": range(0, 6), "test": range(6, 8)})


@pytest.mark.parametrize(
    ("method", "mini_batch_size"), [("none", None), ("kwls", None), ("kwls", 2), ("guided", None)]
)
def test_train_then_cli_encode_index_search_evaluate(tmp_path, beir, method, mini_batch_size):
    if mini_batch_size:
        pytest.importorskip("sentence_transformers.base.losses.gradcache")
    encoder, tokenizer = make_encoder(), make_tokenizer(tmp_path / "tok")
    out = tmp_path / "encoder"
    args = RetrievalTrainArguments(
        data_dir=str(beir),
        output_dir=str(out),
        method=method,
        num_train_epochs=2,
        per_device_train_batch_size=3,
        learning_rate=1e-3,
        negatives_per_query=1,
        hard_negatives="bm25",
        mini_batch_size=mini_batch_size,
    )
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    train_dual_encoder(args, encoder=encoder, tokenizer=tokenizer)
    assert any(not (before[k] == v).all() for k, v in encoder.state_dict().items())
    assert (out / "textls_dual_encoder.json").exists()

    assert (
        main(
            [
                "retrieval",
                "encode",
                "--data_dir",
                str(beir),
                "--model",
                str(out),
                "--output_dir",
                str(tmp_path / "emb"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "retrieval",
                "index",
                "--embeddings_dir",
                str(tmp_path / "emb"),
                "--output_dir",
                str(tmp_path / "idx"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "retrieval",
                "search",
                "--data_dir",
                str(beir),
                "--model",
                str(out),
                "--index_dir",
                str(tmp_path / "idx"),
                "--output_dir",
                str(tmp_path / "run"),
                "--k",
                "5",
            ]
        )
        == 0
    )
    run_file = tmp_path / "run" / "run.test.trec"
    lines = run_file.read_text().splitlines()
    assert len(lines) == 2 * 5 and {line.split()[0] for line in lines} == {"q6", "q7"}
    assert (
        main(
            [
                "retrieval",
                "evaluate",
                "--data_dir",
                str(beir),
                "--run",
                str(run_file),
                "--output_dir",
                str(tmp_path / "eval"),
            ]
        )
        == 0
    )
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert set(metrics) == {"RR@10", "R@1", "R@10", "R@100", "nDCG@10", "AP", "queries"}
    assert metrics.pop("queries")["missing_from_run"] == 0
    found = {(line.split()[0], line.split()[2]) for line in lines}
    assert metrics["R@10"] == pytest.approx(
        (("q6", "d6") in found) / 2 + (("q7", "d7") in found) / 2
    )
    assert 0 <= metrics["RR@10"] <= metrics["R@10"]


def test_search_refuses_an_index_of_another_encoder(tmp_path, beir, capsys):
    encoder, tokenizer = make_encoder(), make_tokenizer(tmp_path / "tok")
    for name in ("a", "b"):
        args = RetrievalTrainArguments(
            data_dir=str(beir),
            output_dir=str(tmp_path / name),
            num_train_epochs=1,
            per_device_train_batch_size=3,
            hard_negatives="none",
        )
        train_dual_encoder(args, encoder=encoder, tokenizer=tokenizer)
    assert (
        main(
            [
                "retrieval",
                "index",
                "--data_dir",
                str(beir),
                "--model",
                str(tmp_path / "a"),
                "--output_dir",
                str(tmp_path / "idx"),
            ]
        )
        == 0
    )
    code = main(
        [
            "retrieval",
            "search",
            "--data_dir",
            str(beir),
            "--model",
            str(tmp_path / "b"),
            "--index_dir",
            str(tmp_path / "idx"),
            "--output_dir",
            str(tmp_path / "run"),
        ]
    )
    assert code == 1 and "re-index" in capsys.readouterr().err


def test_unknown_method_is_refused(tmp_path, beir):
    with pytest.raises(ValueError, match="unknown method"):
        train_dual_encoder(
            RetrievalTrainArguments(
                data_dir=str(beir), output_dir=str(tmp_path / "x"), method="bm42"
            )
        )


@pytest.mark.parametrize("retriever", ["bm25", "dense"])
def test_mined_negatives_exclude_positives_and_feed_training(tmp_path, beir, retriever):
    encoder, tokenizer = make_encoder(), make_tokenizer(tmp_path / "tok")
    start = tmp_path / "start"
    train_dual_encoder(
        RetrievalTrainArguments(
            data_dir=str(beir),
            output_dir=str(start),
            num_train_epochs=1,
            per_device_train_batch_size=3,
            hard_negatives="none",
        ),
        encoder=encoder,
        tokenizer=tokenizer,
    )
    negatives = tmp_path / "negs.jsonl"
    argv = [
        "retrieval",
        "mine",
        "--data_dir",
        str(beir),
        "--output",
        str(negatives),
        "--retriever",
        retriever,
        "--k",
        "3",
    ]
    assert main(argv + (["--model", str(start)] if retriever == "dense" else [])) == 0
    rows = [json.loads(line) for line in negatives.read_text().splitlines()]
    assert len(rows) == 6
    for row in rows:
        positive = "d" + row["query_id"][1:]
        assert positive not in row["neg_ids"] and 1 <= len(row["neg_ids"]) <= 3
    args = RetrievalTrainArguments(
        data_dir=str(beir),
        output_dir=str(tmp_path / "next"),
        num_train_epochs=1,
        per_device_train_batch_size=3,
        hard_negatives=str(negatives),
        method="ls-tfidf",
    )
    train_dual_encoder(args, encoder=encoder, tokenizer=tokenizer)
    assert (tmp_path / "next" / "textls_dual_encoder.json").exists()


def _compare_arguments(tmp_path, beir, **options):
    """A retrieval compare from a tiny start encoder saved under ``tmp_path``: one epoch of batch 3
    at learning rate 1e-3, writing into ``tmp_path / "cmp"``."""
    from textls.experiments.retrieval import RetrievalCompareArguments

    start = tmp_path / "start"
    make_encoder().save(start, tokenizer=make_tokenizer(tmp_path / "tok"))
    return RetrievalCompareArguments(
        data_dir=str(beir),
        output_dir=str(tmp_path / "cmp"),
        model=str(start),
        num_train_epochs=1,
        per_device_train_batch_size=3,
        learning_rate=1e-3,
        **options,
    )


def test_retrieval_compare_writes_one_table_for_every_method(tmp_path, beir, caplog):
    from dataclasses import replace

    from textls.experiments.retrieval import run_retrieval_compare

    args = _compare_arguments(tmp_path, beir, methods="none,kwls", seeds=2)
    results = run_retrieval_compare(args)
    assert list(results["methods"]) == ["pretrained", "none", "kwls"]
    assert (
        results["methods"]["pretrained"]["n_seeds"] == 1
        and results["methods"]["kwls"]["n_seeds"] == 2
    )
    saved = json.loads((tmp_path / "cmp" / "results.json").read_text())
    for seed in (0, 1):
        metrics = json.loads((tmp_path / "cmp" / f"kwls-seed{seed}" / "metrics.json").read_text())
        assert saved["methods"]["kwls"]["per_seed"][str(seed)] == metrics
        assert (tmp_path / "cmp" / f"kwls-seed{seed}" / "test.trec").exists()
    assert "Paired comparison" in (tmp_path / "cmp" / "report.md").read_text()

    # run again into its folder: said, and none of the previous runs' folders is left
    again = replace(args, methods="none", seeds=1, include_pretrained=False)
    with caplog.at_level("WARNING", logger="textls.experiments.output_folder"):
        run_retrieval_compare(again)
    assert "holds a previous finished run" in caplog.text
    assert sorted(p.name for p in (tmp_path / "cmp").iterdir()) == [
        "compare-outputs.json",
        "none-seed0",
        "report.md",
        "results.json",
    ]


def test_retrieval_compare_refuses_an_unknown_method_before_anything_is_read(tmp_path):
    from textls.experiments.retrieval import RetrievalCompareArguments

    with pytest.raises(ValueError, match="unknown retrieval method 'bm25'"):
        RetrievalCompareArguments(
            data_dir=str(tmp_path / "missing"), output_dir=str(tmp_path / "o"), methods="none,bm25"
        )


def test_retrieval_compare_gives_each_run_the_trainer_options_and_seeds_from_seed(
    tmp_path, beir, monkeypatch
):
    import textls.retrieval.training as training
    from textls.experiments.retrieval import run_retrieval_compare

    seen = []

    class Recording(training.RetrievalTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self.args)

    monkeypatch.setattr(training, "RetrievalTrainer", Recording)
    args = _compare_arguments(
        tmp_path,
        beir,
        methods="none",
        include_pretrained=False,
        seeds=2,
        seed=3,
        data_seed=7,
        hard_negatives="none",
    )
    results = run_retrieval_compare(args)
    assert [a.seed for a in seen] == [3, 4] and {a.data_seed for a in seen} == {7}
    assert all(a.num_train_epochs == 1 and a.per_device_train_batch_size == 3 for a in seen)
    assert all(a.learning_rate == 1e-3 for a in seen)
    assert [a.output_dir for a in seen] == [
        str(tmp_path / "cmp" / f"none-seed{seed}" / "encoder") for seed in (3, 4)
    ]
    assert set(results["methods"]["none"]["per_seed"]) == {"3", "4"}
    assert "epochs" not in results["config"] and results["config"]["num_train_epochs"] == 1
    saved = json.loads(
        (tmp_path / "cmp" / "none-seed3" / "encoder" / "textls_train_args.json").read_text()
    )
    assert saved["seed"] == 3 and saved["data_seed"] == 7 and "batch_size" not in saved


def _train_guided(tmp_path, beir, **options) -> None:
    """One epoch of ``retrieval train --method guided`` on the tiny corpus, batches of 3."""
    args = RetrievalTrainArguments(
        data_dir=str(beir),
        output_dir=str(tmp_path / "encoder"),
        method="guided",
        num_train_epochs=1,
        per_device_train_batch_size=3,
        **options,
    )
    train_dual_encoder(args, encoder=make_encoder(), tokenizer=make_tokenizer(tmp_path / "tok"))


def _record_fitted_targets(monkeypatch) -> list:
    """The ``CandidateSoftTargets`` that ``fit`` returns from now on, in a list."""
    from textls.retrieval import soft_targets

    fitted = []
    fit = soft_targets.CandidateSoftTargets.fit

    def recording_fit(self, *args, **kwargs):
        fitted.append(fit(self, *args, **kwargs))
        return fitted[-1]

    monkeypatch.setattr(soft_targets.CandidateSoftTargets, "fit", recording_fit)
    return fitted


@pytest.mark.parametrize(("given", "used"), [(None, 0.5), (0.0, 0.0), (0.75, 0.75)])
def test_retrieval_train_hands_its_suspect_quantile_to_the_guided_targets(
    tmp_path, beir, monkeypatch, given, used
):
    """``--suspect_quantile`` reaches the guided targets (default: the library's median) and
    sets their floor over the training pairs' start-model scores."""
    fitted = _record_fitted_targets(monkeypatch)
    _train_guided(tmp_path, beir, suspect_quantile=given, hard_negatives="none")
    (targets,) = fitted
    assert targets.suspect_quantile_ == used
    assert (targets.suspect_floor_ == -float("inf")) == (used == 0)


@pytest.mark.parametrize(("given", "used"), [(None, "mined"), ("all", "all")])
def test_retrieval_train_looks_for_suspects_among_the_negatives_it_mined(
    tmp_path, beir, monkeypatch, given, used
):
    """``--suspects`` reaches the guided targets (default: only mined negatives), and each
    batch's targets are told which candidates are the hard negatives mined for each query."""
    from textls.retrieval import soft_targets

    fitted, masks = _record_fitted_targets(monkeypatch), []
    targets = soft_targets.CandidateSoftTargets.targets

    def recording_targets(self, query_rows, passage_rows, positive_mask, mined_mask=None):
        masks.append((passage_rows, mined_mask))
        return targets(self, query_rows, passage_rows, positive_mask, mined_mask)

    monkeypatch.setattr(soft_targets.CandidateSoftTargets, "targets", recording_targets)
    _train_guided(tmp_path, beir, suspects=given, hard_negatives="bm25")
    assert fitted[0].suspects_ == used
    assert masks
    for passage_rows, mined in masks:
        # the collator lays out every query's positive, then each query's hard negative (one a
        # query, the first of the ten BM25 mined): that passage, wherever it stands in the
        # batch, and no other is query i's mined negative
        n = mined.shape[0]
        for i in range(n):
            assert set(passage_rows[mined[i]]) == {passage_rows[n + i]}


def test_an_unknown_suspects_option_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"--suspects must be one of \('mined', 'all'\)"):
        RetrievalTrainArguments(data_dir="d", output_dir=str(tmp_path), suspects="some")
