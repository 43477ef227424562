"""An index is bound to the corpus it was built from: searching it for another corpus (other
passages, the same ids with other texts, or an index that does not say) is refused by name."""

from __future__ import annotations

import json

import pytest
from tiny_retrieval import PASSAGES, make_encoder, make_tokenizer, write_beir

from textls.cli import main
from textls.retrieval.training import RetrievalTrainArguments, train_dual_encoder


@pytest.fixture
def model(tmp_path):
    beir = write_beir(tmp_path / "train-beir", PASSAGES)
    args = RetrievalTrainArguments(
        data_dir=str(beir),
        output_dir=str(tmp_path / "enc"),
        num_train_epochs=1,
        per_device_train_batch_size=3,
        hard_negatives="none",
    )
    train_dual_encoder(args, encoder=make_encoder(), tokenizer=make_tokenizer(tmp_path / "tok"))
    return tmp_path / "enc"


def _index(model, beir, out):
    argv = ["retrieval", "index", "--data_dir", str(beir), "--model", str(model)]
    assert main([*argv, "--output_dir", str(out)]) == 0


def _search(model, beir, index, out):
    return main(
        [
            "retrieval",
            "search",
            "--data_dir",
            str(beir),
            "--model",
            str(model),
            "--index_dir",
            str(index),
            "--output_dir",
            str(out),
        ]
    )


def test_an_index_searches_the_corpus_it_was_built_from(tmp_path, model):
    beir = write_beir(tmp_path / "a", PASSAGES)
    _index(model, beir, tmp_path / "idx")
    assert _search(model, beir, tmp_path / "idx", tmp_path / "run") == 0


def test_an_index_of_another_corpus_is_refused(tmp_path, model, capsys):
    built = write_beir(tmp_path / "a", PASSAGES)
    # the same ids and count, other texts: a stale index would answer with the wrong passages
    other = write_beir(tmp_path / "b", [p + " revised" for p in PASSAGES])
    _index(model, built, tmp_path / "idx")
    capsys.readouterr()
    assert _search(model, other, tmp_path / "idx", tmp_path / "run") == 1
    err = capsys.readouterr().err
    assert "was built from another corpus" in err and "b/corpus.jsonl" in err
    assert not (tmp_path / "run").exists()


def test_an_index_that_does_not_say_its_corpus_is_refused(tmp_path, model, capsys):
    beir = write_beir(tmp_path / "a", PASSAGES)
    _index(model, beir, tmp_path / "idx")
    meta = json.loads((tmp_path / "idx" / "meta.json").read_text())
    meta.pop("corpus_fingerprint")
    (tmp_path / "idx" / "meta.json").write_text(json.dumps(meta))
    capsys.readouterr()
    assert _search(model, beir, tmp_path / "idx", tmp_path / "run") == 1
    assert "does not record which corpus it was built from" in capsys.readouterr().err


def test_an_index_built_from_an_embeddings_folder_carries_the_corpus(tmp_path, model):
    beir = write_beir(tmp_path / "a", PASSAGES)
    argv = ["retrieval", "encode", "--data_dir", str(beir), "--model", str(model)]
    assert main([*argv, "--output_dir", str(tmp_path / "emb")]) == 0
    argv = ["retrieval", "index", "--embeddings_dir", str(tmp_path / "emb")]
    assert main([*argv, "--output_dir", str(tmp_path / "idx")]) == 0
    assert _search(model, beir, tmp_path / "idx", tmp_path / "run") == 0
