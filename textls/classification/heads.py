"""The classification head of a sequence classifier: what mixup mixes and the representation
figure reads."""

from __future__ import annotations

import torch

#: Attribute names of the classification head of a Hugging Face sequence classifier (BERT,
#: DistilBERT, RoBERTa, DeBERTa, ELECTRA: ``classifier``; decoder models: ``score``) and of textls's
#: own models.
HEAD_NAMES = ("classifier", "score")


def classification_head(model: torch.nn.Module) -> torch.nn.Module:
    """The module that turns the pooled representation into logits (``model.classifier`` or
    ``model.score``); mixup mixes its input.  A ``ValueError`` names what was looked for."""
    for name in HEAD_NAMES:
        head = getattr(model, name, None)
        if isinstance(head, torch.nn.Module):
            return head
    raise ValueError(
        f"mixup needs the classification head of {type(model).__name__}: no module attribute "
        f"named {' or '.join(HEAD_NAMES)}"
    )


def check_head_input(model: torch.nn.Module, hidden: torch.Tensor) -> None:
    """Refuse a head whose input is not one vector per row, unless it is a ``classifier`` that
    pools the first token itself (RoBERTa, ELECTRA): mixing every position along the batch then
    mixes that token.  A decoder's ``score`` head runs on every token and the model picks each
    row's last non-padding one afterwards, which mixing the positions would scramble."""
    if hidden.dim() == 2 or (hidden.dim() == 3 and getattr(model, "classifier", None) is not None):
        return
    raise ValueError(
        f"{type(model).__name__}'s classification head takes inputs of shape "
        f"{tuple(hidden.shape)}, not one pooled vector per row: mixup (and the representation "
        "figure) support heads fed a pooled vector or pooling the first token themselves"
    )
