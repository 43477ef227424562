"""The retrieval commands never mix, lose or misread files (issue 21, a bad-input tour).

1. A resumed ``textls retrieval encode`` reuses shards only of the same corpus, encoder and
   settings: a folder of another run (other passage texts under the same ids, another model,
   retrained weights, another passage length) or shards without a record is refused naming the
   folder and what differs; it once wrote the new corpus's fingerprint over the old vectors.
3. ``textls retrieval search`` of a damaged index prints one line naming the file (FAISS's C++
   traceback, an ``AttributeError`` before; the cases are in ``test_index_files.py``).
"""

from __future__ import annotations

import json
import os
import socket

import numpy as np
import pytest
from tiny_bert import SPECIAL_TOKENS, make_word_tokenizer, tiny_bert_config
from transformers import BertModel

from textls.cli import main
from textls.retrieval.encoder import DualEncoder
from textls.retrieval.encoding import encode_corpus

PASSAGES = ["red apple pie", "green pear tart", "blue plum jam", "ripe fig cake"] * 2
WORDS = sorted({w for p in PASSAGES for w in p.split()} | {"fresh"})


def beir(folder, passages=PASSAGES):
    (folder / "qrels").mkdir(parents=True)
    rows = [{"_id": f"d{i}", "title": "", "text": t} for i, t in enumerate(passages)]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q0", "text": "apple pie"}) + "\n")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq0\td0\t1\n")
    return folder


def encoder(folder, seed: int = 0):
    """A saved one-layer textls encoder (different weights for another ``seed``)."""
    import torch

    torch.manual_seed(seed)
    model = BertModel(tiny_bert_config(len(SPECIAL_TOKENS) + len(WORDS)))
    DualEncoder.from_models(model).save(folder, make_word_tokenizer(folder / "vocab", WORDS))
    return folder


@pytest.fixture
def model(tmp_path):
    return encoder(tmp_path / "enc")


def run(capsys, argv) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["retrieval", *map(str, argv)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def encode(capsys, data, model, out, *more) -> tuple[int, str]:
    argv = ["encode", "--data_dir", data, "--model", model, "--output_dir", out]
    return run(capsys, [*argv, "--shard_size", 4, *more])


# --------------------------------------------------------------------- 1. resumed encodes


def test_a_resumed_encode_of_another_corpus_is_refused_naming_the_folder(tmp_path, model, capsys):
    emb = tmp_path / "emb"
    assert encode(capsys, beir(tmp_path / "a"), model, emb)[0] == 0
    record = (emb / "encoder.json").read_text()
    shards = {p.name: p.read_bytes() for p in emb.glob("shard-*")}
    # the same ids, other texts: its shards' ids all match, its vectors would not
    other = beir(tmp_path / "b", [p.replace("red", "fresh") for p in PASSAGES])
    code, err = encode(capsys, other, model, emb)
    assert code == 1
    assert f"{emb} holds the shards of another encoding run" in err
    assert "corpus_fingerprint (the passages, ids and texts) was 'sha256:" in err
    assert "to start afresh" in err
    assert (emb / "encoder.json").read_text() == record  # nothing rewritten, nothing mixed
    assert {p.name: p.read_bytes() for p in emb.glob("shard-*")} == shards


@pytest.mark.parametrize("change", ["another model", "retrained in place", "passage length"])
def test_a_resumed_encode_with_another_encoder_or_setting_is_refused(
    tmp_path, model, capsys, change
):
    data, emb = beir(tmp_path / "a"), tmp_path / "emb"
    assert encode(capsys, data, model, emb)[0] == 0
    (emb / "shard-00001.ids.json").unlink()  # interrupted: shard 1 is not finished
    more, said = [], {"passage length": "passage_max_length was 128, now 16"}.get(change)
    if change == "another model":
        model, said = encoder(tmp_path / "other", seed=1), "encoder was"
    elif change == "retrained in place":
        encoder(model, seed=1)
        said = "weights (the encoder's weights) was 'sha256:"
    else:
        more = ["--passage_max_length", 16]
    code, err = encode(capsys, data, model, emb, *more)
    assert code == 1 and f"{emb} holds the shards of another encoding run" in err and said in err
    assert not (emb / "shard-00001.ids.json").exists()


def test_a_resumed_encode_of_the_same_run_keeps_its_finished_shards(tmp_path, model, capsys):
    data, emb = beir(tmp_path / "a"), tmp_path / "emb"
    assert encode(capsys, data, model, emb)[0] == 0
    first = np.load(emb / "shard-00000.npy")
    before = (emb / "shard-00000.npy").stat().st_mtime_ns
    (emb / "shard-00001.ids.json").unlink()
    assert encode(capsys, data, model, emb)[0] == 0
    assert (emb / "shard-00000.npy").stat().st_mtime_ns == before  # reused, not rewritten
    np.testing.assert_array_equal(np.load(emb / "shard-00000.npy"), first)
    assert (emb / "shard-00001.ids.json").is_file()


def test_shards_without_a_record_are_not_reused(tmp_path, model, capsys):
    data, emb = beir(tmp_path / "a"), tmp_path / "emb"
    assert encode(capsys, data, model, emb)[0] == 0
    (emb / "encoder.json").unlink()
    code, err = encode(capsys, data, model, emb)
    assert code == 1
    assert f"{emb} holds shard-00000.ids.json but no encoder.json saying which corpus" in err


def test_a_record_of_an_older_textls_is_refused_naming_the_key_it_lacks(tmp_path, model, capsys):
    data, emb = beir(tmp_path / "a"), tmp_path / "emb"
    assert encode(capsys, data, model, emb)[0] == 0
    record = json.loads((emb / "encoder.json").read_text())
    del record["passage_max_length"], record["weights"]
    (emb / "encoder.json").write_text(json.dumps(record))
    code, err = encode(capsys, data, model, emb)
    assert code == 1 and "passage_max_length is not recorded (an older textls?)" in err


def test_a_record_that_is_not_a_json_object_is_refused_naming_it(tmp_path, model, capsys):
    data, emb = beir(tmp_path / "a"), tmp_path / "emb"
    assert encode(capsys, data, model, emb)[0] == 0
    (emb / "encoder.json").write_text("[]")
    code, err = encode(capsys, data, model, emb)
    assert code == 1 and f"{emb / 'encoder.json'} holds a JSON list" in err


def test_encode_corpus_binds_its_shards_to_the_record_it_is_given(tmp_path):
    def vectors(texts):
        return np.ones((len(texts), 3))

    texts, ids = ["a b", "c d", "e f"], ["x", "y", "z"]
    encode_corpus(vectors, texts, ids, shard_size=2, out_dir=tmp_path, record={"model": "m1"})
    (tmp_path / "shard-00001.ids.json").unlink()
    with pytest.raises(ValueError, match=r"another encoding run.*model was 'm1', now 'm2'"):
        encode_corpus(vectors, texts, ids, shard_size=2, out_dir=tmp_path, record={"model": "m2"})
    encode_corpus(vectors, texts, ids, shard_size=2, out_dir=tmp_path, record={"model": "m1"})
    assert json.loads((tmp_path / "encoder.json").read_text())["model"] == "m1"


def test_a_second_encode_into_a_folder_being_written_is_refused(tmp_path, model, capsys):
    emb = tmp_path / "emb"
    emb.mkdir()
    owner = {"pid": os.getpid(), "host": socket.gethostname()}  # a live process holds it
    (emb / "encode.lock").write_text(json.dumps(owner))
    code, err = encode(capsys, beir(tmp_path / "a"), model, emb)
    assert code == 1 and f"another encode (pid {os.getpid()}" in err and str(emb) in err
    assert not list(emb.glob("shard-*"))


# --------------------------------------------------------------------- 3. damaged index files


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("index.faiss", "garbage", "idx/index.faiss cannot be read as a FAISS index: Index type"),
        ("meta.json", "[]", "idx/meta.json is not an index record (it holds a JSON list"),
    ],
)
def test_search_of_a_damaged_index_says_which_file_in_one_line(
    tmp_path, model, capsys, name, content, said
):
    data = beir(tmp_path / "a")
    argv = ["index", "--data_dir", data, "--model", model, "--output_dir", tmp_path / "idx"]
    assert run(capsys, argv)[0] == 0
    (tmp_path / "idx" / name).write_text(content)
    argv = ["search", "--data_dir", data, "--model", model, "--index_dir", tmp_path / "idx"]
    code, err = run(capsys, [*argv, "--output_dir", tmp_path / "run"])
    lines = [line for line in err.splitlines() if "error" in line]
    assert code == 1 and len(lines) == 1 and f"error: {tmp_path}/{said}" in lines[0]
    assert not (tmp_path / "run").exists()
