"""KL divergence to a teacher distribution at a temperature (knowledge distillation)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from textls._utils import check_positive_finite
from textls.losses._checks import check_soft_targets, reduce


def distill_kl_div(
    student_logits: torch.Tensor,
    teacher_probs: torch.Tensor,
    temperature: float = 1.0,
    reduction: str = "mean",
    validate: bool = True,
) -> torch.Tensor:
    r"""``T^2 * KL(p^T || q^T)`` between the tempered teacher and student distributions.

    .. math::
        p^T_{ik} \propto p_{ik}^{1/T}, \qquad q^T_i = \mathrm{softmax}(z_i / T), \qquad
        \mathcal{L}_i = T^2 \sum_k p^T_{ik} (\ln p^T_{ik} - \ln q^T_{ik})

    The :math:`T^2` factor keeps gradient magnitudes comparable across temperatures
    (Hinton et al., 2015).  Zero teacher probabilities contribute zero (``0 ln 0 = 0``).

    Parameters
    ----------
    student_logits : Tensor of shape (N, C)
    teacher_probs : Tensor of shape (N, C)
        Rows summing to one (e.g. an LS-Distill relevance).
    temperature : float, default 1.0
        ``T > 0``.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` over examples (``batchmean``), ``"sum"`` or ``"none"``.
    """
    check_positive_finite(temperature, "temperature")
    if validate:
        check_soft_targets(student_logits, teacher_probs)
    log_p = torch.log(teacher_probs.to(student_logits.dtype).clamp_min(0)) / temperature
    log_p = log_p - torch.logsumexp(log_p, dim=-1, keepdim=True)
    log_q = F.log_softmax(student_logits / temperature, dim=-1)
    p = log_p.exp()
    # where(), not nan_to_num: a zero teacher probability must give a zero term and a zero gradient.
    loss = torch.where(p > 0, p * (log_p - log_q), 0.0).sum(dim=-1) * temperature**2
    return reduce(loss, reduction)
