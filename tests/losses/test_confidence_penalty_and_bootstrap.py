"""Confidence penalty and bootstrapping, each against a direct computation of its formula."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from textls.losses import bootstrap_loss, confidence_penalty_loss, prediction_entropy


def _batch(seed=0, n=5, c=4):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, generator=gen, dtype=torch.float64, requires_grad=True)
    targets = torch.softmax(torch.randn(n, c, generator=gen, dtype=torch.float64), dim=1)
    return logits, targets


def test_entropy_matches_its_definition_row_by_row():
    logits, _ = _batch()
    logits = logits.detach()
    for row, h in zip(logits, prediction_entropy(logits), strict=True):
        q = [math.exp(v) for v in row.tolist()]
        q = [v / sum(q) for v in q]
        assert float(h) == pytest.approx(-sum(v * math.log(v) for v in q), rel=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.1, 2.0])
def test_confidence_penalty_is_cross_entropy_minus_beta_entropy(beta):
    logits, targets = _batch()
    q = torch.softmax(logits, dim=1)
    expected = -(targets * q.log()).sum(1) + beta * (q * q.log()).sum(1)
    got = confidence_penalty_loss(logits, targets, beta=beta, reduction="none")
    torch.testing.assert_close(got, expected)
    grad = torch.autograd.grad(got.sum(), logits)[0]
    torch.testing.assert_close(grad, torch.autograd.grad(expected.sum(), logits)[0])


def test_confidence_penalty_at_zero_is_torch_cross_entropy_with_hard_labels():
    logits, _ = _batch()
    labels = torch.tensor([0, 3, 1, 2, 2])
    onehot = F.one_hot(labels, 4).double()
    torch.testing.assert_close(
        confidence_penalty_loss(logits, onehot, beta=0.0), F.cross_entropy(logits, labels)
    )


@pytest.mark.parametrize("beta", [0.0, 0.8, 0.95, 1.0])
def test_soft_bootstrapping_is_the_papers_mixed_target_with_gradient_through_q(beta):
    logits, targets = _batch(1)
    q = torch.softmax(logits, dim=1)
    expected = -((beta * targets + (1 - beta) * q) * q.log()).sum(1)
    got = bootstrap_loss(logits, targets, beta=beta, reduction="none")
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(
        torch.autograd.grad(got.sum(), logits)[0],
        torch.autograd.grad(expected.sum(), logits)[0],
    )
    # = beta CE(t, q) + (1 - beta) H(q)
    torch.testing.assert_close(
        got, beta * -(targets * q.log()).sum(1) + (1 - beta) * prediction_entropy(logits)
    )


def test_hard_bootstrapping_uses_the_one_hot_argmax_without_gradient_through_it():
    logits, targets = _batch(2)
    q = torch.softmax(logits, dim=1)
    z = F.one_hot(q.argmax(1), 4).double()
    expected = -((0.8 * targets + 0.2 * z) * q.log()).sum(1)
    got = bootstrap_loss(logits, targets, hard=True, reduction="none")
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(
        torch.autograd.grad(got.sum(), logits)[0],
        torch.autograd.grad(expected.sum(), logits)[0],
    )


def test_default_betas_are_the_papers():
    logits, targets = _batch(3)
    torch.testing.assert_close(
        bootstrap_loss(logits, targets), bootstrap_loss(logits, targets, 0.95)
    )
    torch.testing.assert_close(
        bootstrap_loss(logits, targets, hard=True), bootstrap_loss(logits, targets, 0.8, hard=True)
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda z, t: confidence_penalty_loss(z, t, beta=-0.1), "beta must be >= 0"),
        (lambda z, t: bootstrap_loss(z, t, beta=1.5), r"beta must be in \[0, 1\]"),
        (lambda z, t: bootstrap_loss(z, t * 2), "sums to"),
        (lambda z, t: confidence_penalty_loss(z, t[:, :3]), "targets have shape"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, message):
    logits, targets = _batch()
    with pytest.raises(ValueError, match=message):
        call(logits, targets)
