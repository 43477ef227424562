from __future__ import annotations

import hashlib

import numpy as np
import pytest

from textls.retrieval.encoding import encode_corpus, load_shards

DIM = 16


def ids(n: int, prefix: str = "d") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


class CountingEncoder:
    """A deterministic fake encoder: a text's vector comes from its hash; calls are counted."""

    def __init__(self, dim: int = DIM):
        self.dim = dim
        self.calls = 0
        self.texts_seen: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts_seen.extend(texts)
        seeds = [int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little") for t in texts]
        return np.stack([np.random.default_rng(s).normal(size=self.dim) for s in seeds])


def test_encode_corpus_in_memory_matches_batches():
    texts = [f"text number {i}" for i in range(10)]
    encoder = CountingEncoder()
    emb = encode_corpus(encoder, texts, ids(10), batch_size=4, progress=False)
    assert emb.shape == (10, DIM) and emb.dtype == np.float32
    assert encoder.calls == 3
    np.testing.assert_allclose(emb, CountingEncoder()(texts), rtol=1e-6)


def test_encode_corpus_shards_and_resume(tmp_path):
    texts = [f"passage {i:03d}" for i in range(25)]
    doc_ids = ids(25)
    encoder = CountingEncoder()
    paths = encode_corpus(
        encoder, texts, doc_ids, batch_size=4, shard_size=10, out_dir=tmp_path, progress=False
    )
    assert [p.name for p in paths] == ["shard-00000.npy", "shard-00001.npy", "shard-00002.npy"]
    emb, back_ids = load_shards(tmp_path)
    assert back_ids == doc_ids
    np.testing.assert_allclose(emb, CountingEncoder()(texts), rtol=1e-6)

    # Simulate a run that died while writing shard 1: its ids file (the completion mark) is gone.
    (tmp_path / "shard-00001.ids.json").unlink()
    with pytest.raises(ValueError, match="incomplete"):
        load_shards(tmp_path)
    resumed = CountingEncoder()
    encode_corpus(
        resumed, texts, doc_ids, batch_size=4, shard_size=10, out_dir=tmp_path, progress=False
    )
    assert resumed.texts_seen == texts[10:20]  # shards 0 and 2 were not recomputed
    assert resumed.calls == 3
    emb2, _ = load_shards(tmp_path)
    np.testing.assert_array_equal(emb, emb2)
    assert not list(tmp_path.glob(".*"))  # no temporary files left


def test_encode_corpus_refuses_a_folder_of_another_corpus(tmp_path):
    texts = [f"passage {i}" for i in range(6)]
    encode_corpus(CountingEncoder(), texts, ids(6), shard_size=3, out_dir=tmp_path, progress=False)
    for other_texts, other_ids in ((texts, ids(6, "x")), (texts[:3], ids(3))):
        with pytest.raises(ValueError, match="shards of another encoding run"):
            encode_corpus(CountingEncoder(), other_texts, other_ids, shard_size=3, out_dir=tmp_path)


def test_encode_corpus_refuses_shards_of_another_shard_size(tmp_path):
    texts = [f"passage {i}" for i in range(6)]
    encode_corpus(CountingEncoder(), texts, ids(6), shard_size=3, out_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="other ids than shard 0"):
        encode_corpus(CountingEncoder(), texts, ids(6), shard_size=2, out_dir=tmp_path)
    with pytest.raises(ValueError, match="beyond the 1 shard"):
        encode_corpus(CountingEncoder(), texts, ids(6), shard_size=6, out_dir=tmp_path)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (lambda texts: np.zeros((len(texts) + 1, DIM)), "returned 5 rows for 4 texts"),
        (lambda texts: np.full((len(texts), DIM), np.nan), "has NaN"),
        (lambda texts: np.zeros(len(texts)), "2-dimensional"),
    ],
)
def test_encode_corpus_checks_encoder_output(output, message):
    with pytest.raises(ValueError, match=message):
        encode_corpus(output, ["a", "b", "c", "d"], ids(4), batch_size=4, progress=False)


def test_encode_corpus_checks_inputs():
    with pytest.raises(ValueError, match="len\\(texts\\) = 2 but len\\(ids\\) = 1"):
        encode_corpus(CountingEncoder(), ["a", "b"], ["d0"], progress=False)
    with pytest.raises(ValueError, match="repeats the id 'd0'"):
        encode_corpus(CountingEncoder(), ["a", "b"], ["d0", "d0"], progress=False)
    with pytest.raises(ValueError, match=r"texts\[1\] \(id 'd1'\)"):
        encode_corpus(CountingEncoder(), ["a", " "], ids(2), progress=False)
    with pytest.raises(ValueError, match="give both or neither"):
        encode_corpus(CountingEncoder(), ["a"], ids(1), shard_size=2, progress=False)
