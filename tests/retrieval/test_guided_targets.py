"""Guided soft targets (false negatives kept as partial positives) and topic-clustered batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from datasets import Dataset
from tiny_st import ROWS, _dataset, tiny_sentence_transformer

from textls.retrieval import (
    CandidateSoftTargets,
    DatasetSoftTargets,
    SoftTargetMNRLoss,
    with_row_ids,
)
from textls.retrieval.batching import clustered_batches, clustered_order
from textls.retrieval.soft_targets import suspected_positive_targets

st = pytest.importorskip("sentence_transformers")


def test_a_query_without_suspects_keeps_mnrls_one_hot_target():
    scores = np.array([[0.9, 0.5, 0.2], [0.1, 0.8, 0.3]])
    mask = np.eye(2, 3, dtype=bool)
    y = suspected_positive_targets(scores, mask, temperature=0.05, margin=0.0, epsilon=1.0)
    np.testing.assert_array_equal(y, mask.astype(np.float32))


def test_a_candidate_the_guide_ranks_above_the_positive_counts_as_much_as_it():
    scores = np.array([[0.8, 0.9, 0.1, 0.78]])
    mask = np.array([[True, False, False, False]])
    y = suspected_positive_targets(scores, mask, temperature=0.05, margin=0.05, epsilon=1.0)
    w = np.exp(-0.02 / 0.05)  # the candidate 0.02 below the positive
    np.testing.assert_allclose(y[0], [1 / (2 + w), 1 / (2 + w), 0.0, w / (2 + w)], rtol=1e-6)
    # GISTEmbed's margin 0: only the candidate above the positive is suspected
    y0 = suspected_positive_targets(scores, mask, temperature=0.05, margin=0.0, epsilon=1.0)
    np.testing.assert_allclose(y0[0], [0.5, 0.5, 0.0, 0.0])


def test_epsilon_caps_the_suspects_share_and_rows_are_distributions():
    rng = np.random.default_rng(0)
    scores = rng.uniform(-1, 1, size=(8, 16))
    mask = np.zeros((8, 16), dtype=bool)
    mask[np.arange(8), np.arange(8)] = True
    mask[0, 9] = True  # a second known positive
    y = suspected_positive_targets(scores, mask, temperature=0.05, margin=0.1, epsilon=0.2)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)
    assert (y >= 0).all() and (y[~mask] <= 0.2 + 1e-6).all()
    assert (y[mask] >= 0.8 / 2 - 1e-6).all()


def _guide(texts):
    """Embeds a text by the bag of its words: texts sharing words are close."""
    words = sorted({w for row in ROWS for t in row for w in t.split()})
    out = np.zeros((len(texts), len(words)), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in t.split():
            out[i, words.index(w)] += 1
    return out


def test_dataset_targets_use_the_guides_embeddings_of_every_text_once():
    calls = []

    def guide(texts):
        calls.append(len(texts))
        return _guide(texts)

    data = _dataset()
    # every suspect kept as a partial positive (positive_margin -inf: none ignored), no floor,
    # any in-batch candidate a suspect
    soft = DatasetSoftTargets(
        method="guided", margin=1.0, positive_margin=-np.inf, suspect_quantile=0, suspects="all"
    )
    soft.fit(data, guide=guide)
    assert calls == [len(set(data["anchor"])), len(set(data["positive"]) | set(data["negative"]))]
    y = soft.batch_targets(np.asarray(data["label"]), 2)
    assert y.shape == (6, 12)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)
    # "reset the router" (row 1's negative, column 7) shares "reset" with query 0's positive text
    assert y[0, 7] > 0 and y[0, 0] == y[0].max()


def test_guided_without_a_guide_or_with_bad_embeddings_is_named():
    with pytest.raises(ValueError, match="needs a guide"):
        DatasetSoftTargets(method="guided").fit(_dataset())
    with pytest.raises(ValueError, match="NaN or infinite"):
        DatasetSoftTargets(method="guided").fit(
            _dataset(), guide=lambda texts: np.full((len(texts), 3), np.nan)
        )
    with pytest.raises(ValueError, match="margin must be a finite number"):
        DatasetSoftTargets(method="guided", margin=float("inf")).fit(_dataset(), guide=_guide)


def test_a_candidate_below_the_floor_is_a_negative_even_above_a_weak_positive():
    """The guide scores the positive low (0.2): the candidate above it at 0.3 is below the
    floor (0.4), so a negative as in MNRL; the one at 0.5 is a suspect and left out."""
    scores = np.array([[0.2, 0.3, 0.5, 0.1]])
    mask = np.array([[True, False, False, False]])
    y = suspected_positive_targets(scores, mask, 0.05, 0.0, 1.0, np.inf, floor=0.4)
    np.testing.assert_array_equal(np.isnan(y[0]), [False, False, True, False])
    np.testing.assert_array_equal(y[0, [0, 1, 3]], [1.0, 0.0, 0.0])
    # no floor (GISTEmbed's rule): both are left out
    y = suspected_positive_targets(scores, mask, 0.05, 0.0, 1.0, np.inf)
    np.testing.assert_array_equal(np.isnan(y[0]), [False, True, True, False])


def test_below_the_floor_a_clear_suspect_is_a_negative_not_a_partial_positive():
    """The floor comes before ``positive_margin``: a candidate far above a weak positive but
    below the floor gets no mass; one above the floor is a partial positive."""
    scores = np.array([[0.1, 0.3, 0.6, 0.05]])
    mask = np.array([[True, False, False, False]])
    y = suspected_positive_targets(scores, mask, 0.05, 0.0, 1.0, -np.inf, floor=0.4)
    assert not np.isnan(y).any()
    np.testing.assert_allclose(y[0], [0.5, 0.0, 0.5, 0.0])
    # quantile 1: the floor is the best labelled pair's score
    data = _dataset()
    top = DatasetSoftTargets(method="guided", suspect_quantile=1).fit(data, guide=_guide)
    fitted = top.soft_targets_
    queries, positives = top.batch_rows(np.asarray(data["label"]), 1)
    best = (fitted.query_vectors_[queries] * fitted.passage_vectors_[positives]).sum(1).max()
    np.testing.assert_allclose(fitted.suspect_floor_, best, rtol=1e-6)


def test_the_floor_is_a_quantile_of_the_guides_scores_on_the_labelled_pairs():
    data = _dataset()
    queries = _guide(list(data["anchor"]))
    positives = _guide(list(data["positive"]))
    cosines = (queries * positives).sum(1) / (
        np.linalg.norm(queries, axis=1) * np.linalg.norm(positives, axis=1)
    )
    soft = DatasetSoftTargets(method="guided", suspects="all").fit(data, guide=_guide)
    assert soft.soft_targets_.suspect_quantile_ == 0.5  # the default: the median
    np.testing.assert_allclose(soft.soft_targets_.suspect_floor_, np.median(cosines), rtol=1e-6)
    quarter = DatasetSoftTargets(method="guided", suspect_quantile=0.25).fit(data, guide=_guide)
    np.testing.assert_allclose(
        quarter.soft_targets_.suspect_floor_, np.quantile(cosines, 0.25), rtol=1e-6
    )
    none = DatasetSoftTargets(method="guided", suspect_quantile=0, suspects="all").fit(
        data, guide=_guide
    )
    assert none.soft_targets_.suspect_floor_ == -np.inf
    # the floor decides: with it, fewer candidates are left out than without it, and those
    # left out all score at least the floor
    rows = np.asarray(data["label"])
    with_floor, without = soft.batch_targets(rows, 2), none.batch_targets(rows, 2)
    assert np.isnan(with_floor).sum() < np.isnan(without).sum()
    scores = soft.soft_targets_.scores(*soft.batch_rows(rows, 2))
    assert (scores[np.isnan(with_floor)] >= soft.soft_targets_.suspect_floor_).all()


def test_by_default_only_a_negative_mined_for_the_query_is_a_suspect():
    """Without a floor, with the same guide and a wide margin: ``suspects="all"`` leaves out
    candidates of every column; the default only the anchors' own hard negatives (the negative
    column of their example), and there exactly what ``"all"`` leaves out."""
    data = _dataset()
    rows = np.asarray(data["label"])
    fits = {
        scope: DatasetSoftTargets(
            method="guided", margin=1.0, suspect_quantile=0, suspects=scope
        ).fit(data, guide=_guide)
        for scope in ("all", None)
    }
    assert fits[None].soft_targets_.suspects_ == "mined"  # the default
    every, mined = (fits[s].batch_targets(rows, 2) for s in ("all", None))
    b = len(rows)
    own = np.zeros_like(every, dtype=bool)
    own[np.arange(b), b + np.arange(b)] = True  # anchor i's own negative: column b + i
    left_out = np.isnan(every)
    assert (left_out & ~own).any() and (left_out & own).any()  # the test means something
    np.testing.assert_array_equal(np.isnan(mined), left_out & own)
    np.testing.assert_array_equal(
        mined[~np.isnan(mined)], np.nan_to_num(every, nan=0.0)[~np.isnan(mined)]
    )


def test_a_querys_mined_negatives_are_its_examples_negatives_wherever_they_stand():
    """Mined for q1: the negatives of both its examples; for q2: its negative, also met as
    q1's positive (there a known positive of q1, a mined negative of q2)."""
    from textls.retrieval.soft_targets import membership_mask

    data = with_row_ids(
        Dataset.from_dict(
            {
                "anchor": ["q1", "q1", "q2"],
                "positive": ["p1", "p1b", "p2"],
                "negative": ["n1", "n2", "p1"],
            }
        )
    )
    soft = DatasetSoftTargets(method="ls-classic").fit(data)
    mined = membership_mask(*soft.batch_rows(np.asarray(data["label"]), 2), soft.negatives_)
    # candidates: p1, p1b, p2, n1, n2, p1
    expected = [[0, 0, 0, 1, 1, 0], [0, 0, 0, 1, 1, 0], [1, 0, 0, 0, 0, 1]]
    np.testing.assert_array_equal(mined, np.asarray(expected, dtype=bool))


def test_on_pairs_without_mined_negatives_the_default_targets_are_mnrls(caplog):
    data = _dataset(negatives=False)
    with caplog.at_level("WARNING", logger="textls.retrieval.dataset_targets"):
        soft = DatasetSoftTargets(method="guided", suspect_quantile=0).fit(data, guide=_guide)
    assert "no hard negative column ['anchor', 'positive']" in caplog.text
    rows = np.asarray(data["label"])
    y = soft.batch_targets(rows, 1)
    np.testing.assert_array_equal(y, np.eye(len(rows), dtype=np.float32))
    every = DatasetSoftTargets(method="guided", suspect_quantile=0, suspects="all")
    assert np.isnan(every.fit(data, guide=_guide).batch_targets(rows, 1)).any()


@pytest.mark.parametrize("suspects", ["some", "", 1])
def test_an_unknown_suspects_scope_is_named(suspects):
    with pytest.raises(ValueError, match=r"suspects must be one of \('mined', 'all'\)"):
        DatasetSoftTargets(method="guided", suspects=suspects).fit(_dataset(), guide=_guide)


def test_a_mined_mask_of_the_wrong_shape_is_named():
    texts, guide = _three_texts()
    targets = CandidateSoftTargets(method="guided").fit(texts, texts, guide_embeddings=guide)
    with pytest.raises(ValueError, match=r"mined_mask has shape \(1, 2\), expected \(2, 3\)"):
        targets.targets(np.arange(2), np.arange(3), np.eye(2, 3, dtype=bool), np.ones((1, 2)))


def _three_texts():
    """Three texts and a guide that embeds each on its own axis."""
    return ["a b", "b c", "c d"], (np.eye(3, dtype=np.float32), np.eye(3, dtype=np.float32))


@pytest.mark.parametrize("quantile", [-0.1, 1.5, "median", float("nan"), True])
def test_a_bad_suspect_quantile_is_named(quantile):
    with pytest.raises(ValueError, match=r"suspect_quantile must be a number in \[0, 1\]"):
        DatasetSoftTargets(method="guided", suspect_quantile=quantile).fit(_dataset(), guide=_guide)


def test_bad_positive_pairs_are_named():
    texts, guide = _three_texts()
    targets = CandidateSoftTargets(method="guided")
    with pytest.raises(ValueError, match="equal, non-zero length"):
        targets.fit(texts, texts, guide_embeddings=guide, positive_pairs=([0, 1], [0]))
    with pytest.raises(ValueError, match="query rows outside 0..2"):
        targets.fit(texts, texts, guide_embeddings=guide, positive_pairs=([-1, 1], [0, 1]))
    with pytest.raises(ValueError, match="passage rows outside 0..2"):
        targets.fit(texts, texts, guide_embeddings=guide, positive_pairs=([0, 1], [0, 3]))
    with pytest.raises(ValueError, match="passage rows of dtype float64: row indices must be"):
        targets.fit(texts, texts, guide_embeddings=guide, positive_pairs=([0, 1], [0.5, 1.0]))
    # without labelled pairs there is no floor
    assert targets.fit(texts, texts, guide_embeddings=guide).suspect_floor_ == -np.inf


def test_the_loss_guides_with_the_model_before_training(tmp_path):
    model = tiny_sentence_transformer(tmp_path)
    data = _dataset()
    loss = SoftTargetMNRLoss(model, data, method="guided", margin=0.5)
    expected = model.encode(
        list(dict.fromkeys(data["anchor"])), convert_to_numpy=True, normalize_embeddings=True
    )
    np.testing.assert_allclose(
        loss.soft_targets.soft_targets_.query_vectors_, expected, rtol=1e-5, atol=1e-6
    )
    features = [model.tokenize(list(data[c])) for c in ("anchor", "positive", "negative")]
    value = loss(features, torch.tensor(data["label"]))
    assert torch.isfinite(value) and value.requires_grad
    assert loss.get_config_dict()["margin"] == 0.5


def test_clustered_batches_come_from_one_cluster_and_cover_every_row_once():
    clusters = np.repeat([0, 1, 2], [10, 7, 3])
    batches = clustered_order(clusters, 4, np.random.default_rng(0))
    rows = sorted(r for b in batches for r in b)
    assert rows == list(range(20))
    full = [b for b in batches if len(b) == 4 and len(set(clusters[b])) == 1]
    assert len(full) == 2 + 1  # 10 rows give 2 batches of 4, 7 rows 1; 2 + 3 + 3 left over
    assert sum(len(b) for b in batches) - sum(len(b) for b in full) == 2 + 3 + 3


def test_the_sampler_feeds_a_sentence_transformers_trainer(tmp_path):
    texts = [f"topic{t} word{i}" for t in range(3) for i in range(8)]
    data = with_row_ids(Dataset.from_dict({"anchor": texts, "positive": texts[::-1]}))

    def guide(batch):
        return np.asarray([[t.startswith(f"topic{k}") for k in range(3)] for t in batch], float)

    sampler_class = clustered_batches(guide, rows_per_cluster=8)
    sampler = sampler_class(
        data, batch_size=4, drop_last=False, generator=torch.Generator().manual_seed(0)
    )
    batches = list(sampler)
    assert len(batches) == len(sampler) == 6
    for batch in batches:  # every batch from one topic
        assert len({data["anchor"][i].split()[0] for i in batch}) == 1
    sampler.set_epoch(1)
    assert [tuple(b) for b in sampler] != [tuple(b) for b in batches]  # another epoch, another mix
    with pytest.raises(ValueError, match="no column 'query'"):
        clustered_batches(guide, column="query")(data, batch_size=4, drop_last=False)


def test_the_default_loss_is_guided_without_a_cap(tmp_path):
    model = tiny_sentence_transformer(tmp_path)
    data = _dataset()
    loss = SoftTargetMNRLoss(model, data)
    config = loss.get_config_dict()
    assert (config["method"], config["epsilon"], config["margin"]) == ("guided", 1.0, 0.0)
    assert config["suspect_quantile"] == 0.5
    assert loss.soft_targets.epsilon is None  # the parameter as given; the mass in use is 1
    # the same targets as guided targets fitted by hand with the model as guide and no cap
    by_hand = DatasetSoftTargets(method="guided", epsilon=1.0).fit(data, guide=model)
    rows = np.asarray(data["label"])
    np.testing.assert_array_equal(
        loss.soft_targets.batch_targets(rows, 2), by_hand.batch_targets(rows, 2)
    )
    # the smoothing methods keep their 0.1 when epsilon is left unset
    kwls = DatasetSoftTargets(method="kwls").fit(data)
    assert kwls.soft_targets_.epsilon_ == 0.1 and kwls.epsilon is None


def test_uncapped_suspects_weigh_as_much_as_the_positive():
    scores = np.array([[0.5, 0.7, 0.1]])  # candidate 1 scores above the positive (0)
    y = suspected_positive_targets(scores, np.array([[True, False, False]]), 0.05, 0.0, 1.0)
    np.testing.assert_allclose(y, [[0.5, 0.5, 0.0]])


def test_a_suspect_the_guide_cannot_tell_from_the_positive_is_ignored():
    """``positive_margin`` d: a suspect at least d above the labelled positive is a positive, one
    within d of it is ignored (NaN: out of the softmax, as GISTEmbed drops it), the rest are
    negatives."""
    scores = np.array([[0.50, 0.60, 0.52, 0.45, 0.10]])  # clearly above, just above, just below
    mask = np.array([[True, False, False, False, False]])
    y = suspected_positive_targets(scores, mask, 0.05, 0.1, 1.0, positive_margin=0.05)
    assert np.isnan(y[0, 2]) and np.isnan(y[0, 3])  # within (r - margin, r + d)
    np.testing.assert_allclose(y[0, [0, 1, 4]], [0.5, 0.5, 0.0])
    # no suspect clearly above: the positive keeps it all, the unclear ones are still ignored
    y = suspected_positive_targets(scores[:, [0, 2, 4]], mask[:, :3], 0.05, 0.0, 1.0, 0.05)
    np.testing.assert_array_equal(np.isnan(y[0]), [False, True, False])
    np.testing.assert_allclose(y[0, [0, 2]], [1.0, 0.0])


def test_an_ignored_candidate_leaves_the_softmax_and_its_gradient_is_zero():
    from textls.retrieval.loss import candidate_cross_entropy

    scores = torch.tensor([[3.0, 2.0, 1.0, -1.0], [0.5, 2.5, 1.5, 0.0]], requires_grad=True)
    targets = torch.tensor([[1.0, float("nan"), 0.0, 0.0], [0.0, 0.5, 0.5, float("nan")]])
    loss = candidate_cross_entropy(scores, targets)
    kept = [[0, 2, 3], [0, 1, 2]]  # the same loss on the candidates that are not ignored
    expected = torch.stack(
        [
            -(targets[i, k] * torch.log_softmax(scores[i, k], dim=0)).sum()
            for i, k in enumerate(kept)
        ]
    ).mean()
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert scores.grad[0, 1] == 0 and scores.grad[1, 3] == 0


def test_the_loss_with_a_positive_margin_trains_and_ignores_unclear_suspects(tmp_path):
    model = tiny_sentence_transformer(tmp_path)
    data = _dataset()
    # every suspect unclear; no floor, so margin 1 makes every candidate with a cosine above
    # r - 1 a suspect
    loss = SoftTargetMNRLoss(model, data, margin=1.0, positive_margin=1.0, suspect_quantile=0)
    rows = np.asarray(data["label"])
    targets = loss.soft_targets.batch_targets(rows, 2)
    ignored = np.isnan(targets)
    assert ignored.any()
    np.testing.assert_allclose(np.nansum(targets, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(targets[np.arange(len(rows)), np.arange(len(rows))], 1.0)
    features = [model.tokenize(list(data[c])) for c in ("anchor", "positive", "negative")]
    value = loss(features, torch.tensor(data["label"]))
    assert torch.isfinite(value)
    value.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
