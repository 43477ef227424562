"""A dense index on disk is swapped in whole and bound to its corpus (issue 21, items 2 and 3).

Saving over an index never leaves the path empty (one atomic exchange where the file system can);
an index records the fingerprint of the corpus it was built from, and searching it for another
corpus is refused naming both (the command-line path is tested in
``tests/retrieval/test_index_corpus.py``).

Saving replaces only a folder that holds an index and nothing else: the swap deletes the old
folder whole, which once took the user's other files in it along (a bad-input tour of issue 21).
Loading names the file that is damaged or not what saving writes: a garbage ``index.faiss`` gave
FAISS's C++ error, a ``meta.json`` holding a list an ``AttributeError``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from textls.cli import main
from textls.retrieval.data import corpus_fingerprint
from textls.retrieval.encoding import encode_corpus
from textls.retrieval.index import DenseIndex, build_index
from textls.retrieval.index_files import INDEX_FILES


def _saved(tmp_path, n: int, name: str = "idx"):
    rng = np.random.default_rng(n)
    index = DenseIndex(
        build_index(rng.normal(size=(n, 4)).astype(np.float32)),
        [f"d{i}" for i in range(n)],
        encoder="e",
    )
    return index.save(tmp_path / name)


def test_saving_over_an_index_swaps_it_in_one_step(tmp_path, monkeypatch):
    from textls.retrieval import index as module

    _saved(tmp_path, 3)
    swaps, real = [], module.exchange_paths

    def exchange(a, b):
        swaps.append((a, b))
        done = real(a, b)
        assert (tmp_path / "idx" / "meta.json").is_file()  # at once: never an empty path
        return done

    monkeypatch.setattr(module, "exchange_paths", exchange)
    _saved(tmp_path, 5)
    assert len(swaps) == 1 and DenseIndex.load(tmp_path / "idx").meta["count"] == 5
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]  # the old index is gone


def test_without_an_atomic_swap_the_old_index_is_replaced_by_two_renames(tmp_path, monkeypatch):
    from textls.retrieval import index as module

    _saved(tmp_path, 3)
    monkeypatch.setattr(module, "exchange_paths", lambda a, b: False)
    _saved(tmp_path, 5)
    assert DenseIndex.load(tmp_path / "idx").meta["count"] == 5
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]


def test_exchange_paths_swaps_two_folders(tmp_path):
    from textls.retrieval.index_files import exchange_paths

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    (tmp_path / "b").mkdir()
    if not exchange_paths(tmp_path / "a", tmp_path / "b"):
        pytest.skip("this file system cannot swap atomically")
    assert (tmp_path / "b" / "x").read_text() == "a" and not any((tmp_path / "a").iterdir())


def _corpus(texts):
    return {f"d{i}": {"title": "", "text": t} for i, t in enumerate(texts)}


def test_an_index_searches_only_the_corpus_it_was_built_from(tmp_path):
    corpus = _corpus(["red apple", "green pear", "blue plum"])
    vectors = np.eye(3, 4, dtype=np.float32)
    built = DenseIndex(
        build_index(vectors),
        list(corpus),
        encoder="e",
        corpus_fingerprint=corpus_fingerprint(corpus),
    ).save(tmp_path / "idx")
    index = DenseIndex.load(built)
    index.check_corpus(corpus_fingerprint(corpus), str(built), "corpus.jsonl")  # the same: fine
    edited = _corpus(["red apple", "green pear", "yellow plum"])  # same ids, one text changed
    with pytest.raises(ValueError, match=r"was built from another corpus \(3 passages"):
        index.check_corpus(corpus_fingerprint(edited), str(built), "other/corpus.jsonl")
    reordered = dict(reversed(list(corpus.items())))
    with pytest.raises(ValueError, match="another corpus"):
        index.check_corpus(corpus_fingerprint(reordered), str(built), "corpus.jsonl")


def test_an_index_that_does_not_name_its_corpus_is_refused(tmp_path):
    path = DenseIndex(build_index(np.eye(3, 4, dtype=np.float32)), ["a", "b", "c"], encoder="e")
    index = DenseIndex.load(path.save(tmp_path / "idx"))
    with pytest.raises(ValueError, match="does not record which corpus it was built from"):
        index.check_corpus("0" * 64, "idx", "corpus.jsonl")


# --------------------------------------------------------------------- saving over a folder


def test_saving_over_an_index_folder_with_a_foreign_file_is_refused_naming_it(tmp_path):
    _saved(tmp_path, 3)
    (tmp_path / "idx" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"idx holds notes.txt, which an index does not write"):
        _saved(tmp_path, 5)
    assert (tmp_path / "idx" / "notes.txt").read_text() == "mine"
    assert DenseIndex.load(tmp_path / "idx").meta["count"] == 3  # the old index, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]  # no temporary folder left


def test_a_folder_of_many_foreign_files_is_refused_naming_the_first_ones(tmp_path):
    (tmp_path / "idx" / "sub").mkdir(parents=True)
    for name in ("a.txt", "b.txt", "meta.json"):
        (tmp_path / "idx" / name).write_text("{}")
    with pytest.raises(ValueError, match=r"holds a.txt, b.txt, sub, which an index does not"):
        _saved(tmp_path, 3)
    (tmp_path / "idx" / "c.txt").write_text("")
    with pytest.raises(ValueError, match=r"holds a.txt, b.txt, c.txt and 1 more"):
        _saved(tmp_path, 3)


def test_a_folder_under_an_index_file_name_is_foreign_too(tmp_path):
    _saved(tmp_path, 3)
    (tmp_path / "idx" / "doc_ids.json").unlink()
    (tmp_path / "idx" / "doc_ids.json").mkdir()
    with pytest.raises(ValueError, match="idx holds doc_ids.json, which an index does not write"):
        _saved(tmp_path, 5)
    assert (tmp_path / "idx" / "doc_ids.json").is_dir()


def test_a_folder_of_index_files_only_is_replaced(tmp_path):
    _saved(tmp_path, 3)
    assert sorted(p.name for p in (tmp_path / "idx").iterdir()) == sorted(INDEX_FILES)
    _saved(tmp_path, 5)
    assert DenseIndex.load(tmp_path / "idx").meta["count"] == 5


def test_a_link_to_an_index_is_not_replaced(tmp_path):
    target = _saved(tmp_path, 3)
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(FileExistsError, match="link is a link, not a saved index"):
        _saved(tmp_path, 5, name="link")
    assert (tmp_path / "link").is_symlink() and DenseIndex.load(target).meta["count"] == 3


def test_the_index_command_refuses_a_folder_with_a_foreign_file_in_one_line(tmp_path, capsys):
    emb = tmp_path / "emb"
    encode_corpus(
        lambda texts: np.eye(len(texts), 4),
        ["a", "b", "c"],
        ["d0", "d1", "d2"],
        shard_size=2,
        out_dir=emb,
        record={"encoder": "e", "normalize": False},
    )
    argv = ["retrieval", "index", "--embeddings_dir", str(emb), "--output_dir"]
    assert main([*argv, str(tmp_path / "idx")]) == 0
    (tmp_path / "idx" / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert main([*argv, str(tmp_path / "idx")]) == 1
    err = capsys.readouterr().err
    assert f"error: {tmp_path / 'idx'} holds notes.txt, which an index does not write" in err
    assert "Traceback" not in err and (tmp_path / "idx" / "notes.txt").exists()
    assert json.loads((tmp_path / "idx" / "meta.json").read_text())["count"] == 3


# --------------------------------------------------------------------- loading damaged files


def _meta(**changes):
    def change(folder):
        meta = json.loads((folder / "meta.json").read_text())
        for key, value in changes.items():
            if value is None:
                meta.pop(key)
            else:
                meta[key] = value
        (folder / "meta.json").write_text(json.dumps(meta))

    return change


def _write(name, content):
    def change(folder):
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())

    return change


DAMAGE = {
    "garbage index.faiss": (
        _write("index.faiss", b"not a faiss index at all"),
        r"idx/index.faiss cannot be read as a FAISS index: Index type 0x\w+ \(\"not \"\) not",
    ),
    "empty index.faiss": (
        _write("index.faiss", b""),
        r"idx/index.faiss cannot be read as a FAISS index: read error",
    ),
    "no index.faiss": (
        lambda folder: (folder / "index.faiss").unlink(),
        r"idx/index.faiss is missing: .*idx is not a complete index",
    ),
    "meta.json a list": (
        _write("meta.json", "[1, 2]"),
        r"idx/meta.json is not an index record \(it holds a JSON list, not an object\)",
    ),
    "meta.json not JSON": (_write("meta.json", "{dim: 4"), r"idx/meta.json: not valid JSON"),
    "meta.json not UTF-8": (_write("meta.json", b"\xff\xfe{}"), r"idx/meta.json: not UTF-8"),
    "meta.json without dim": (
        _meta(dim=None),
        r"idx/meta.json is not an index record: it lacks 'dim'",
    ),
    "meta.json dim a string": (
        _meta(dim="4"),
        r"idx/meta.json is not an index record: dim is '4', not int",
    ),
    "meta.json normalize a number": (
        _meta(normalize=1),
        r"idx/meta.json is not an index record: normalize is 1, not bool",
    ),
    "meta.json unknown kind": (_meta(kind="lsh"), r"kind 'lsh' is not one of"),
    "meta.json of another kind": (_meta(kind="hnsw"), r"idx: kind='hnsw' but the index is a"),
    "meta.json other count": (_meta(count=7), r"idx: index.faiss holds 3 x 4 but meta.json says 7"),
    "doc_ids.json a dict": (
        _write("doc_ids.json", '{"d0": 0}'),
        r"idx/doc_ids.json holds a JSON object, not the list of doc ids",
    ),
    "doc_ids.json a number id": (
        _write("doc_ids.json", '["d0", 1, "d2"]'),
        r"idx/doc_ids.json: doc_ids\[1\] is 1; ids must be non-empty strings",
    ),
    "doc_ids.json too short": (
        _write("doc_ids.json", '["d0", "d1"]'),
        r"and doc_ids.json lists 2 ids",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_index_file_is_a_value_error_naming_it(tmp_path, case):
    damage, message = DAMAGE[case]
    damage(_saved(tmp_path, 3))
    error = FileNotFoundError if case == "no index.faiss" else ValueError
    with pytest.raises(error, match=message) as raised:
        DenseIndex.load(tmp_path / "idx")
    assert "\n" not in str(raised.value)  # one line on the command line
