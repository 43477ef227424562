"""Pick a model and tokenizer by name: the packaged MiniLM, a from-scratch model, or any HF model."""

from __future__ import annotations

from pathlib import Path

from transformers import AutoModelForSequenceClassification, AutoTokenizer

from textls._utils import default_model_path
from textls.classification.models import (
    FastTextConfig,
    FastTextForSequenceClassification,
    TextCNNConfig,
    TextCNNForSequenceClassification,
)

FROM_SCRATCH = {
    "fasttext": (FastTextConfig, FastTextForSequenceClassification),
    "textcnn": (TextCNNConfig, TextCNNForSequenceClassification),
}
# AdamW learning rates that suit each family; a fine-tuned transformer needs a far smaller step.
DEFAULT_LEARNING_RATE = {"fasttext": 5e-3, "textcnn": 1e-3, "transformer": 5e-5}


def resolve(name: str) -> str:
    """``"minilm"`` -> the packaged model's folder; other names unchanged."""
    return str(default_model_path()) if name == "minilm" else name


def load_tokenizer(model: str):
    """The tokenizer of ``model``; from-scratch models use the packaged MiniLM's WordPiece."""
    source = resolve("minilm" if model in FROM_SCRATCH else model)
    return AutoTokenizer.from_pretrained(source)


def make_model_factory(model: str, classes, tokenizer):
    """A zero-argument callable building a fresh model (called after the seed is set)."""
    labels = {i: str(c) for i, c in enumerate(classes)}
    common = {
        "num_labels": len(classes),
        "id2label": labels,
        "label2id": {v: k for k, v in labels.items()},
    }
    if model in FROM_SCRATCH:
        config_cls, model_cls = FROM_SCRATCH[model]
        config = config_cls(
            vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id or 0, **common
        )
        return lambda: model_cls(config)
    source = resolve(model)
    if not Path(source).exists() and "/" not in source:
        raise ValueError(
            f"unknown model {model!r}: use minilm, fasttext, textcnn, a local folder or a hub id"
        )
    return lambda: AutoModelForSequenceClassification.from_pretrained(source, **common)


def default_learning_rate(model: str) -> float:
    return DEFAULT_LEARNING_RATE.get(model, DEFAULT_LEARNING_RATE["transformer"])
