from __future__ import annotations

import json

import numpy as np
import pytest

from textls.retrieval.index import DenseIndex, build_index
from textls.retrieval.metrics import evaluate_run

DIM = 16


def random_vectors(seed: int, n: int, dim: int = DIM) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)


def ids(n: int, prefix: str = "d") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def brute_force(docs: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    scores = queries.astype(np.float64) @ docs.T.astype(np.float64)
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def test_flat_is_exact():
    docs, queries = random_vectors(0, 500), random_vectors(1, 20)
    index = DenseIndex.build(docs, ids(500), encoder="fake")
    scores, found = index.search(queries, k=10)
    expected = brute_force(docs, queries, 10)
    assert found.tolist() == [[f"d{j}" for j in row] for row in expected]
    np.testing.assert_allclose(
        scores, np.take_along_axis(queries @ docs.T, expected, axis=1), rtol=1e-5
    )
    assert scores.dtype == np.float32


def test_normalize_gives_cosine():
    docs, queries = random_vectors(0, 200), random_vectors(1, 5)
    index = DenseIndex.build(docs, ids(200), encoder="fake", normalize=True)
    scores, rows = index.search_rows(queries * 7.0, k=3)  # query scale must not matter
    unit = docs / np.linalg.norm(docs, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    np.testing.assert_array_equal(rows, brute_force(unit, q, 3))
    assert np.all(scores <= 1.0 + 1e-5)


@pytest.mark.parametrize(
    ("kind", "params", "floor"),
    [
        ("ivf", {"nprobe": 64}, 0.9),
        ("hnsw", {"ef_search": 256}, 0.9),
        ("ivfpq", {"nprobe": 64, "m": 16}, 0.85),  # one byte per dimension: still lossy
    ],
)
def test_approximate_recall_vs_flat(kind, params, floor):
    # Unclustered random vectors: the hard case for IVF cells (clustered data scores ~1.0).
    docs, queries = random_vectors(0, 2000), random_vectors(1, 100)
    exact = DenseIndex.build(docs, ids(2000), encoder="fake", normalize=True)
    approx = DenseIndex.build(docs, ids(2000), encoder="fake", normalize=True, kind=kind, **params)
    _, truth = exact.search_rows(queries, 10)
    _, got = approx.search_rows(queries, 10)
    recall = np.mean([len(set(t) & set(g)) / 10 for t, g in zip(truth, got, strict=True)])
    assert recall > floor, recall


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw", "ivfpq"])
def test_save_load_round_trip(tmp_path, kind):
    docs, queries = random_vectors(0, 600), random_vectors(1, 15)
    index = DenseIndex.build(docs, ids(600), encoder="enc-A", kind=kind)
    before = index.search(queries, k=7)
    index.save(tmp_path / "idx")
    loaded = DenseIndex.load(tmp_path / "idx", expected_dim=DIM, expected_encoder="enc-A")
    after = loaded.search(queries, k=7)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])
    assert loaded.meta == index.meta
    meta = json.loads((tmp_path / "idx" / "meta.json").read_text())
    assert meta["dim"] == DIM and meta["count"] == 600 and meta["kind"] == kind
    assert meta["encoder"] == "enc-A" and meta["textls_version"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]  # no temporary folders left


def test_save_replaces_an_index_but_not_other_folders(tmp_path):
    docs = random_vectors(0, 50)
    DenseIndex.build(docs, ids(50), encoder="A").save(tmp_path / "idx")
    DenseIndex.build(docs[:20], ids(20), encoder="B").save(tmp_path / "idx")
    assert len(DenseIndex.load(tmp_path / "idx")) == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(ValueError, match="mine holds thesis.tex, which an index does not write"):
        DenseIndex.build(docs, ids(50), encoder="A").save(tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_load_refuses_other_dim_or_encoder(tmp_path):
    DenseIndex.build(random_vectors(0, 50), ids(50), encoder="enc-A").save(tmp_path / "idx")
    with pytest.raises(ValueError, match="holds 16-dimensional .* but 32-dimensional"):
        DenseIndex.load(tmp_path / "idx", expected_dim=32)
    with pytest.raises(ValueError, match="built with encoder 'enc-A', not 'enc-B'"):
        DenseIndex.load(tmp_path / "idx", expected_encoder="enc-B")
    with pytest.raises(FileNotFoundError, match="not a saved textls index"):
        DenseIndex.load(tmp_path)


def test_search_refuses_bad_queries():
    index = DenseIndex.build(random_vectors(0, 50), ids(50), encoder="A")
    with pytest.raises(ValueError, match="dimension 8, the index holds dimension 16"):
        index.search(random_vectors(1, 3, dim=8), k=2)
    bad = random_vectors(1, 3)
    bad[2, 4] = np.nan
    with pytest.raises(ValueError, match="row 2 has NaN"):
        index.search(bad, k=2)
    with pytest.raises(ValueError, match="2-dimensional"):
        index.search(random_vectors(1, 1)[0], k=2)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        index.search(random_vectors(1, 3), k=0)


def test_k_beyond_the_corpus_pads():
    index = DenseIndex.build(random_vectors(0, 3), ids(3), encoder="A")
    scores, found = index.search(random_vectors(1, 2), k=5)
    assert found.shape == (2, 5) and found[:, 3:].tolist() == [[None, None], [None, None]]
    assert np.isneginf(scores[:, 3:]).all()
    run = index.search_run(["q0", "q1"], random_vectors(1, 2), k=5)
    assert all(len(docs) == 3 for docs in run.values())


def test_search_run_feeds_evaluate_run():
    docs = random_vectors(0, 100)
    index = DenseIndex.build(docs, ids(100), encoder="A", normalize=True)
    run = index.search_run(["q0", "q1"], docs[[5, 9]] + 0.01, k=10)
    assert next(iter(run["q0"])) == "d5"
    assert evaluate_run(run, {"q0": {"d5": 1}, "q1": {"d9": 1}}, ["RR@10"]) == {"RR@10": 1.0}


def test_build_index_options():
    docs = random_vectors(0, 300)
    assert build_index(docs, kind="ivfpq", m=4).pq.M == 4
    assert build_index(docs, kind="ivfpq").pq.M == 2  # largest divisor of 16 that is <= 16 / 8
    assert build_index(docs, kind="ivf", nlist=10).nlist == 10
    assert build_index(docs, kind="flat", metric="l2").metric_type == 1  # faiss.METRIC_L2
    with pytest.raises(ValueError, match="m = 5 must divide the dimension 16"):
        build_index(docs, kind="ivfpq", m=5)
    with pytest.raises(ValueError, match="needs at least 256 vectors"):
        build_index(docs[:100], kind="ivfpq")
    with pytest.raises(ValueError, match="kind must be one of"):
        build_index(docs, kind="lsh")
    with pytest.raises(ValueError, match="nlist = 500 needs"):
        build_index(docs, kind="ivf", nlist=500)


def direct_index(kind: str, metric: str, *, nlist: int, m: int, nbits: int, hnsw_m: int):
    """The index build_index makes, constructed class by class (its search parameters unset)."""
    import faiss

    faiss_metric = faiss.METRIC_INNER_PRODUCT if metric == "ip" else faiss.METRIC_L2

    def flat():
        return faiss.IndexFlatIP(DIM) if metric == "ip" else faiss.IndexFlatL2(DIM)

    if kind == "flat":
        return flat()
    if kind == "hnsw":
        return faiss.IndexHNSWFlat(DIM, hnsw_m, faiss_metric)
    if kind == "ivf":
        return faiss.IndexIVFFlat(flat(), DIM, nlist, faiss_metric)
    return faiss.IndexIVFPQ(flat(), DIM, nlist, m, nbits, faiss_metric)


@pytest.mark.parametrize("metric", ["ip", "l2"])
@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw", "ivfpq"])
def test_factory_built_index_matches_direct_construction(kind, metric):
    from textls.retrieval.index import set_search_params

    docs, queries = random_vectors(0, 600), random_vectors(1, 20)
    options = {"nlist": 20, "m": 4, "nbits": 8, "hnsw_m": 16}
    built = build_index(docs, kind=kind, metric=metric, use_gpu=False, nprobe=5, **options)
    direct = direct_index(kind, metric, **options)
    direct.train(docs)
    direct.add(docs)
    if kind in ("ivf", "ivfpq"):
        set_search_params(direct, nprobe=5)
    elif kind == "hnsw":
        set_search_params(direct, ef_search=128)
    assert built.metric_type == direct.metric_type and built.ntotal == direct.ntotal
    if kind == "ivfpq":  # the factory's default polysemous training would only cost time
        assert built.do_polysemous_training == direct.do_polysemous_training
    for got, expected in zip(built.search(queries, 10), direct.search(queries, 10), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_use_gpu_true_without_gpu_is_an_error():
    import faiss

    if faiss.get_num_gpus() > 0:
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="FAISS sees no GPU"):
        build_index(random_vectors(0, 10), use_gpu=True)


def test_wrapping_a_prebuilt_index(tmp_path):
    docs = random_vectors(0, 400)
    index = DenseIndex(build_index(docs, kind="ivf", nlist=20, nprobe=5), ids(400), encoder="A")
    assert index.meta["kind"] == "ivf" and index.meta["metric"] == "ip"
    assert (index.meta["nlist"], index.meta["nprobe"]) == (20, 5)
    index.set_search_params(nprobe=20)
    index.save(tmp_path / "idx")
    loaded = DenseIndex.load(tmp_path / "idx")
    assert loaded.meta["nprobe"] == 20 and loaded.index.nprobe == 20
    with pytest.raises(ValueError, match="kind='hnsw' but the index is a IndexIVFFlat"):
        DenseIndex(build_index(docs, kind="ivf"), ids(400), encoder="A", kind="hnsw")
    with pytest.raises(ValueError, match="holds 400 vectors but 3 doc ids"):
        DenseIndex(build_index(docs), ids(3), encoder="A")
    with pytest.raises(ValueError, match="ef_search applies to hnsw"):
        index.set_search_params(ef_search=10)
