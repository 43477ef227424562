from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textls import auxiliary_soft_target_loss, soft_target_cross_entropy


def random_case(seed: int, n: int = 6, c: int = 3):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, generator=g, dtype=torch.float64) * 2
    labels = torch.randint(0, c, (n,), generator=g)
    soft = torch.softmax(torch.randn(n, c, generator=g, dtype=torch.float64), dim=1)
    return logits, labels, soft


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_lam_zero_is_cross_entropy_and_lam_one_is_soft_cross_entropy(reduction):
    logits, labels, soft = random_case(0)
    torch.testing.assert_close(
        auxiliary_soft_target_loss(logits, labels, soft, lam=0.0, reduction=reduction),
        F.cross_entropy(logits, labels, reduction=reduction),
    )
    torch.testing.assert_close(
        auxiliary_soft_target_loss(logits, labels, soft, lam=1.0, reduction=reduction),
        soft_target_cross_entropy(logits, soft, reduction=reduction),
    )


@pytest.mark.parametrize("lam", [0.25, 0.5, 0.9])
def test_interpolates_linearly(lam):
    logits, labels, soft = random_case(1)
    expected = (1 - lam) * F.cross_entropy(logits, labels) + lam * soft_target_cross_entropy(
        logits, soft
    )
    torch.testing.assert_close(auxiliary_soft_target_loss(logits, labels, soft, lam=lam), expected)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"lam": -0.1}, "lam"), ({"lam": 1.5}, "lam"), ({"reduction": "avg"}, "reduction")],
)
def test_bad_arguments_raise(kwargs, match):
    logits, labels, soft = random_case(2)
    with pytest.raises(ValueError, match=match):
        auxiliary_soft_target_loss(logits, labels, soft, **kwargs)


def test_shape_checks():
    logits, labels, soft = random_case(3)
    with pytest.raises(ValueError, match="labels have shape"):
        auxiliary_soft_target_loss(logits, labels[:-1], soft)
    with pytest.raises(ValueError, match="targets have shape"):
        auxiliary_soft_target_loss(logits, labels, soft[:, :2])
    with pytest.raises(ValueError, match="sums to"):
        auxiliary_soft_target_loss(logits, labels, soft * 2)
