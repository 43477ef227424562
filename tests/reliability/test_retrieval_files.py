"""The retrieval commands never mix, lose or misread files (issue 21, a bad-input tour).

1. A resumed ``textls retrieval encode`` reuses shards only of the same corpus, encoder and
   settings: a folder of another run (other passage texts under the same ids, another model,
   retrained weights, another passage length) or shards without a record is refused naming the
   folder and what differs; it once wrote the new corpus's fingerprint over the old vectors.
3. ``textls retrieval search`` of a damaged index prints one line naming the file (FAISS's C++
   traceback, an ``AttributeError`` before; the cases are in ``test_index_files.py``).
4. ``textls retrieval index --embeddings_dir`` names the shard or record it cannot use (a pickled
   object array said only "Object arrays cannot be loaded when allow_pickle=False").
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
from textls.retrieval.encoding import encode_corpus, load_shards

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


# --------------------------------------------------------------------- 4. unreadable shards


def _shards(folder):
    """Two shards of three ids in ``folder``, with a record an index can be built from."""
    encode_corpus(
        lambda texts: np.ones((len(texts), 4)),
        ["a", "b", "c", "d", "e", "f"],
        [f"d{i}" for i in range(6)],
        shard_size=3,
        out_dir=folder,
        record={"encoder": "e", "normalize": True},
    )
    return folder


def _save(array, **kwargs):
    return lambda path: np.save(path, array, **kwargs)


def _text(content):
    return lambda path: path.write_bytes(content)


SHARD = "shard-00001.npy"
IDS = "shard-00001.ids.json"
UNREADABLE = {
    "pickled object array": (
        SHARD,
        _save(np.array([{"x": 1}] * 3, dtype=object), allow_pickle=True),
        f"{SHARD} cannot be read as a shard of embeddings (Object arrays cannot be loaded",
    ),
    "garbage": (SHARD, _text(b"not numpy"), f"{SHARD} cannot be read as a shard of embeddings"),
    "empty": (SHARD, _text(b""), f"{SHARD} cannot be read as a shard of embeddings"),
    "integers": (SHARD, _save(np.ones((3, 4), dtype=int)), f"{SHARD} holds a int64 array"),
    "one dimension": (SHARD, _save(np.ones(3)), f"{SHARD} holds a float64 array of shape (3,)"),
    "a NaN": (SHARD, _save(np.full((3, 4), np.nan)), f"{SHARD} row 0 has NaN or inf"),
    "ids not JSON": (IDS, _text(b"[d3"), f"{IDS}: not a JSON list of ids"),
    "ids an object": (IDS, _text(b"{}"), f"{IDS} holds a JSON dict, not the list"),
    "ids a number": (IDS, _text(b'["d3", 4, "d5"]'), f"{IDS}[1] is 4; ids must be"),
    "ids repeated": (IDS, _text(b'["d3", "d0", "d5"]'), "emb repeats the id 'd0'"),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_index_names_the_shard_it_cannot_read(tmp_path, capsys, case):
    name, damage, said = UNREADABLE[case]
    damage(_shards(tmp_path / "emb") / name)
    with pytest.raises(ValueError, match="."):
        load_shards(tmp_path / "emb")
    argv = ["index", "--embeddings_dir", tmp_path / "emb", "--output_dir", tmp_path / "idx"]
    code, err = run(capsys, argv)
    assert code == 1 and said in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "idx").exists()


def test_a_resumed_encode_names_an_unreadable_shard_it_would_reuse(tmp_path):
    emb = _shards(tmp_path / "emb")
    np.save(emb / "shard-00000.npy", np.array([None] * 3, dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"shard-00000.npy cannot be read as a shard"):
        _shards(emb)


@pytest.mark.parametrize(
    ("record", "said"),
    [
        ("[]", "encoder.json holds a JSON list, not the record of an embeddings folder"),
        ('{"encoder": "e", "normalize": "false"}', "encoder.json: encoder must be a string"),
    ],
)
def test_index_names_an_encoder_record_it_cannot_use(tmp_path, capsys, record, said):
    emb = _shards(tmp_path / "emb")
    (emb / "encoder.json").write_text(record)
    argv = ["index", "--embeddings_dir", emb, "--output_dir", tmp_path / "idx"]
    code, err = run(capsys, argv)
    assert code == 1 and f"{emb}/{said}" in err
