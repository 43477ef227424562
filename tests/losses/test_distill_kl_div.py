from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textls import distill_kl_div


def random_case(seed: int, n: int = 5, c: int = 4):
    g = torch.Generator().manual_seed(seed)
    student = torch.randn(n, c, generator=g, dtype=torch.float64) * 2
    teacher = torch.softmax(torch.randn(n, c, generator=g, dtype=torch.float64) * 2, dim=1)
    return student, teacher


def tempered(p: torch.Tensor, temperature: float) -> torch.Tensor:
    q = p ** (1 / temperature)
    return q / q.sum(dim=1, keepdim=True)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0, 4.0])
def test_equals_t_squared_torch_kl_div(seed, temperature):
    student, teacher = random_case(seed)
    expected = temperature**2 * F.kl_div(
        F.log_softmax(student / temperature, dim=1),
        tempered(teacher, temperature),
        reduction="batchmean",
    )
    got = distill_kl_div(student, teacher, temperature=temperature)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("temperature", [1.0, 3.0])
def test_reductions(temperature):
    student, teacher = random_case(2)
    per_row = distill_kl_div(student, teacher, temperature, reduction="none")
    assert per_row.shape == (5,)
    expected = temperature**2 * F.kl_div(
        F.log_softmax(student / temperature, dim=1),
        tempered(teacher, temperature),
        reduction="none",
    ).sum(dim=1)
    torch.testing.assert_close(per_row, expected)
    torch.testing.assert_close(
        distill_kl_div(student, teacher, temperature, reduction="sum"), per_row.sum()
    )
    torch.testing.assert_close(distill_kl_div(student, teacher, temperature), per_row.mean())


def test_zero_when_the_student_matches_the_teacher():
    student, _ = random_case(3)
    teacher = torch.softmax(student, dim=1)
    assert distill_kl_div(student, teacher).item() == pytest.approx(0.0, abs=1e-12)
    assert distill_kl_div(student, teacher, temperature=2.0).item() == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("temperature", [1.0, 2.0])
def test_zero_teacher_probabilities_give_finite_loss_and_gradients(temperature):
    student, _ = random_case(4, n=3, c=3)
    teacher = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.2, 0.8, 0.0]], dtype=torch.float64)
    student.requires_grad_(True)
    loss = distill_kl_div(student, teacher, temperature=temperature)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(student.grad).all()
    expected = temperature**2 * F.kl_div(
        F.log_softmax(student.detach() / temperature, dim=1),
        tempered(teacher, temperature),
        reduction="batchmean",
    )
    torch.testing.assert_close(loss.detach(), expected)
    # d/dz of T^2 KL(p || softmax(z/T)) / N is T (softmax(z/T) - p) / N.
    grad = (
        temperature
        * (torch.softmax(student.detach() / temperature, dim=1) - tempered(teacher, temperature))
        / 3
    )
    torch.testing.assert_close(student.grad, grad)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"temperature": 0.0}, "temperature"),
        ({"temperature": -1.0}, "temperature"),
        ({"reduction": "batchmean"}, "reduction"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    student, teacher = random_case(0)
    with pytest.raises(ValueError, match=match):
        distill_kl_div(student, teacher, **kwargs)


def test_invalid_teacher_raises():
    student, teacher = random_case(0)
    with pytest.raises(ValueError, match="shape"):
        distill_kl_div(student, teacher[:, :3])
    bad = teacher.clone()
    bad[1, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        distill_kl_div(student, bad)
    with pytest.raises(ValueError, match="sums to"):
        distill_kl_div(student, teacher * 0.5)
