from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textls import SoftTargetCrossEntropyLoss, soft_target_cross_entropy


def random_case(seed: int, n: int = 6, c: int = 4):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, generator=g, dtype=torch.float64) * 3
    targets = torch.softmax(torch.randn(n, c, generator=g, dtype=torch.float64), dim=1)
    labels = torch.randint(0, c, (n,), generator=g)
    return logits, targets, labels


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_one_hot_targets_equal_cross_entropy(seed, reduction):
    logits, _, labels = random_case(seed)
    onehot = F.one_hot(labels, logits.shape[1]).double()
    got = soft_target_cross_entropy(logits, onehot, reduction=reduction)
    expected = F.cross_entropy(logits, labels, reduction=reduction)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 5, 10])
@pytest.mark.parametrize("epsilon", [0.05, 0.1, 0.4])
def test_uniform_smoothing_equals_torch_label_smoothing(n_classes, epsilon):
    logits, _, labels = random_case(n_classes, n=8, c=n_classes)
    targets = (1 - epsilon) * F.one_hot(labels, n_classes).double() + epsilon / n_classes
    expected = torch.nn.CrossEntropyLoss(label_smoothing=epsilon)(logits, labels)
    torch.testing.assert_close(
        soft_target_cross_entropy(logits, targets), expected, rtol=0, atol=1e-10
    )


def test_soft_targets_match_torch_probability_targets_and_reductions():
    logits, targets, _ = random_case(3)
    per_row = soft_target_cross_entropy(logits, targets, reduction="none")
    assert per_row.shape == (6,)
    torch.testing.assert_close(per_row, F.cross_entropy(logits, targets, reduction="none"))
    torch.testing.assert_close(
        soft_target_cross_entropy(logits, targets, reduction="sum"), per_row.sum()
    )
    torch.testing.assert_close(soft_target_cross_entropy(logits, targets), per_row.mean())
    manual = -(targets * torch.log_softmax(logits, dim=1)).sum(dim=1)
    torch.testing.assert_close(per_row, manual)


def test_gradient_is_softmax_minus_targets():
    logits, targets, _ = random_case(4)
    logits.requires_grad_(True)
    soft_target_cross_entropy(logits, targets).backward()
    expected = (torch.softmax(logits.detach(), dim=1) - targets) / logits.shape[0]
    torch.testing.assert_close(logits.grad, expected, rtol=0, atol=1e-12)


def test_gradcheck():
    logits, targets, _ = random_case(5, n=3, c=3)
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda z: soft_target_cross_entropy(z, targets), (logits,))


def test_float32_targets_with_float64_logits_and_the_module_form():
    logits, targets, _ = random_case(6)
    module = SoftTargetCrossEntropyLoss(reduction="sum")
    got = module(logits.float(), targets.float())
    assert got.dtype == torch.float32
    torch.testing.assert_close(
        got.double(), soft_target_cross_entropy(logits, targets, "sum"), atol=1e-4, rtol=1e-5
    )


def test_docstring_example():
    got = soft_target_cross_entropy(torch.tensor([[2.0, 0.0]]), torch.tensor([[0.9, 0.1]]))
    assert got.item() == pytest.approx(0.3269, abs=1e-4)


@pytest.mark.parametrize(
    "logits, targets, match",
    [
        (torch.zeros(2, 3), torch.full((2, 4), 0.25), "shape"),
        (torch.zeros(3), torch.full((3,), 1 / 3), r"\(N, C\)"),
        (
            torch.zeros(2, 2),
            torch.tensor([[0.5, 0.5], [float("nan"), 1.0]]),
            r"NaN or inf \(row 1\)",
        ),
        (torch.zeros(2, 2), torch.tensor([[1.5, -0.5], [0.5, 0.5]]), r"negative value \(row 0\)"),
        (torch.zeros(2, 2), torch.tensor([[0.5, 0.5], [0.5, 0.4]]), "row 1 sums to 0.9"),
    ],
)
def test_invalid_targets_raise(logits, targets, match):
    with pytest.raises(ValueError, match=match):
        soft_target_cross_entropy(logits, targets)


def test_validate_false_skips_the_checks():
    logits = torch.zeros(1, 2)
    targets = torch.tensor([[0.5, 0.4]])
    got = soft_target_cross_entropy(logits, targets, validate=False)
    assert got.item() == pytest.approx(0.9 * torch.log(torch.tensor(2.0)).item())


def test_unknown_reduction_raises():
    logits, targets, _ = random_case(0)
    with pytest.raises(ValueError, match="reduction"):
        soft_target_cross_entropy(logits, targets, reduction="batchmean")
