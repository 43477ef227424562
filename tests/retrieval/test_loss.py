from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from textls.retrieval.loss import contrastive_soft_target_loss
from textls.retrieval.soft_targets import CandidateSoftTargets, mix_with_positives


def test_soft_target_contrastive_loss_matches_a_hand_computed_case():
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    y = torch.tensor([[0.8, 0.0, 0.2], [0.1, 0.9, 0.0]])
    tau = 0.5
    # query 0 scores: 2, 0, 1.2 ; query 1 scores: 0, 2, 1.6
    lse0 = math.log(math.exp(2) + math.exp(0) + math.exp(1.2))
    lse1 = math.log(math.exp(0) + math.exp(2) + math.exp(1.6))
    l0 = -(0.8 * (2 - lse0) + 0.2 * (1.2 - lse0))
    l1 = -(0.1 * (0 - lse1) + 0.9 * (2 - lse1))
    loss = contrastive_soft_target_loss(q, p, y, temperature=tau)
    assert loss.item() == pytest.approx((l0 + l1) / 2, rel=1e-6)


def test_one_hot_targets_give_infonce():
    torch.manual_seed(0)
    q, p = torch.randn(4, 8), torch.randn(6, 8)
    y = torch.zeros(4, 6)
    y[torch.arange(4), torch.arange(4)] = 1
    expected = torch.nn.functional.cross_entropy(q @ p.T / 0.05, torch.arange(4))
    torch.testing.assert_close(contrastive_soft_target_loss(q, p, y, 0.05), expected)


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match="must be"):
        contrastive_soft_target_loss(torch.randn(2, 3), torch.randn(4, 5), torch.full((2, 4), 0.25))
    with pytest.raises(ValueError, match="shape"):
        contrastive_soft_target_loss(
            torch.randn(2, 3), torch.randn(4, 3), torch.full((2, 3), 1 / 3)
        )


@pytest.mark.parametrize("method", ["ls-classic", "ls-tfidf", "kwls", "ls-distill"])
def test_candidate_targets_are_distributions_with_positive_mass(method):
    queries = ["late goal striker", "rain storm", "party vote"]
    passages = [
        "the striker scored a late goal",
        "storm and rain today",
        "the party won the vote",
        "goal of the season",
    ]
    soft = CandidateSoftTargets(method=method, epsilon=0.2).fit(queries, passages)
    mask = np.eye(3, 4, dtype=bool)
    y = soft.targets(np.arange(3), np.arange(4), mask)
    assert y.shape == (3, 4) and y.dtype == np.float32
    np.testing.assert_allclose(y.sum(1), 1, atol=1e-6)
    assert (y[np.arange(3), np.arange(3)] >= 0.8).all()
    if method == "ls-classic":
        np.testing.assert_allclose(y[0, 1:], 0.05, atol=1e-7)
    if method in ("ls-tfidf", "kwls", "ls-distill"):
        # "goal of the season" shares "goal" with query 0: more mass than the unrelated passages
        assert y[0, 3] > y[0, 1] and y[0, 3] > y[0, 2]
        # the smoothing mass goes to the negatives only: the positive keeps exactly 1 - e
        np.testing.assert_allclose(y[np.arange(3), np.arange(3)], 0.8, atol=1e-6)


def test_teacher_scores_drive_ls_distill():
    import scipy.sparse as sp

    teacher = sp.csr_matrix(np.array([[5.0, 0.0, 4.0], [0.0, 3.0, 0.0]]))
    soft = CandidateSoftTargets(method="ls-distill", epsilon=0.5, temperature=0.1)
    soft.fit(["q0", "q1"], ["a", "b", "c"], teacher_scores=teacher)
    np.testing.assert_allclose(
        soft.scores(np.array([0, 1]), np.array([0, 1, 2])), teacher.toarray()
    )
    y = soft.targets(np.array([0]), np.array([0, 1, 2]), np.array([[True, False, False]]))
    assert y[0, 2] > y[0, 1]


def test_shared_positive_mass_is_split_and_missing_positive_refused():
    y = mix_with_positives(np.full((1, 4), 0.25), np.array([[True, False, True, False]]), 0.2)
    np.testing.assert_allclose(y, [[0.45, 0.05, 0.45, 0.05]], atol=1e-7)
    with pytest.raises(ValueError, match="no positive"):
        mix_with_positives(np.full((1, 2), 0.5), np.array([[False, False]]), 0.1)


def test_a_query_whose_candidates_are_all_positive_keeps_a_distribution():
    soft = CandidateSoftTargets(method="kwls", epsilon=0.3).fit(["goal"], ["a goal", "the goal"])
    y = soft.targets(np.array([0]), np.array([0, 1]), np.array([[True, True]]))
    np.testing.assert_allclose(y, [[0.5, 0.5]], atol=1e-6)


def test_kwls_is_tfidf_on_full_keyword_lists_and_differs_on_few_keywords():
    queries = ["late goal by the striker", "rain and storm warning"]
    passages = [
        "the striker scored a late goal in the league match after the coach changed the team shape",
        "heavy rain and a storm warning for the coast with wind and snow on the hills tonight",
        "the team coach praised the striker and the league leaders after the goal",
    ]
    mask = np.eye(2, 3, dtype=bool)
    tfidf = (
        CandidateSoftTargets(method="ls-tfidf")
        .fit(queries, passages)
        .targets(np.arange(2), np.arange(3), mask)
    )
    full = CandidateSoftTargets(method="kwls", top_k=50, passage_top_k=50).fit(queries, passages)
    np.testing.assert_allclose(full.targets(np.arange(2), np.arange(3), mask), tfidf, atol=1e-6)
    few = CandidateSoftTargets(method="kwls", top_k=3, passage_top_k=3).fit(queries, passages)
    assert np.abs(few.targets(np.arange(2), np.arange(3), mask) - tfidf).max() > 1e-3
