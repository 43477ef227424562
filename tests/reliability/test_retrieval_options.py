"""A retrieval loss's scale or temperature is a finite number > 0 (issue 21, a bad-input tour).

``SoftTargetMNRLoss(model, d, scale=float("inf"))`` trained on a NaN loss: ``not scale > 0`` lets
``inf`` through (and ``nan`` past ``<= 0``). Every scale and temperature of the retrieval losses,
trainer and soft targets is now refused, naming it, unless finite and positive.
"""

from __future__ import annotations

import math

import pytest
import torch

from textls.retrieval.loss import candidate_scores, contrastive_soft_target_loss
from textls.retrieval.soft_targets import CandidateSoftTargets, DatasetSoftTargets
from textls.retrieval.trainer import RetrievalTrainer

BAD = [math.inf, -math.inf, math.nan, 0.0, -1.0, True, "20"]


@pytest.mark.parametrize("scale", BAD)
def test_soft_target_mnrl_refuses_a_scale_that_is_not_finite_and_positive(scale):
    pytest.importorskip("sentence_transformers")
    from textls.retrieval import SoftTargetMNRLoss

    with pytest.raises(ValueError, match=r"scale must be a finite number > 0, got"):
        SoftTargetMNRLoss(None, soft_targets=DatasetSoftTargets(), scale=scale)


@pytest.mark.parametrize("temperature", BAD)
def test_the_contrastive_loss_refuses_a_temperature_that_is_not_finite_and_positive(temperature):
    queries, passages = torch.eye(2, 4), torch.eye(3, 4)
    with pytest.raises(ValueError, match=r"temperature must be a finite number > 0, got"):
        candidate_scores(queries, passages, temperature)
    with pytest.raises(ValueError, match=r"temperature must be a finite number > 0, got"):
        contrastive_soft_target_loss(queries, passages, torch.eye(2, 3), temperature=temperature)


@pytest.mark.parametrize("temperature", [math.inf, math.nan, 0.0])
def test_the_retrieval_trainer_refuses_such_a_temperature_before_it_is_built(temperature):
    with pytest.raises(ValueError, match=r"temperature must be a finite number > 0, got"):
        RetrievalTrainer(temperature=temperature)  # refused before the Trainer needs a model


@pytest.mark.parametrize("temperature", [math.inf, math.nan, 0.0, -0.5])
def test_soft_targets_refuse_a_relevance_temperature_that_is_not_finite_and_positive(temperature):
    with pytest.raises(ValueError, match=r"temperature must be a finite number > 0, got"):
        CandidateSoftTargets(temperature=temperature).fit(["a b"], ["a b", "c d"])


def test_a_finite_positive_scale_and_temperature_give_a_finite_loss():
    queries, passages = torch.eye(2, 4), torch.eye(3, 4)
    loss = contrastive_soft_target_loss(queries, passages, torch.eye(2, 3), temperature=0.05)
    assert torch.isfinite(loss)
