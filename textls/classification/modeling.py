"""Pick a model and tokenizer by name: the packaged MiniLM, a from-scratch model, or any HF model."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from transformers.utils import logging as hf_logging

from textls._utils import resolve_model
from textls.classification.models import (
    FastTextConfig,
    FastTextForSequenceClassification,
    TextCNNConfig,
    TextCNNForSequenceClassification,
)

logger = logging.getLogger(__name__)

#: First names of the weights a sequence-classification head adds on top of an encoder (BERT,
#: RoBERTa, DistilBERT, DeBERTa, ELECTRA ...): missing from a sentence encoder's checkpoint, as
#: they should be.
HEAD_PREFIXES = ("classifier", "score", "pre_classifier", "logits_proj")

FROM_SCRATCH = {
    "fasttext": (FastTextConfig, FastTextForSequenceClassification),
    "textcnn": (TextCNNConfig, TextCNNForSequenceClassification),
}
# Examples per optimiser step that suit each family.  fastText's step costs O(vocab x dim) whatever
# the batch (AdamW over the whole embedding table, cut to the training texts' tokens by
# make_model_factory; compare uses the fused AdamW, several times faster on a CPU).  On health tweets (5 epochs) batch 128 matches batch 64's accuracy at about
# twice its speed; 256 and 512 are faster still but lose about one point of accuracy
# (scripts/results/fasttext_speed.json).
DEFAULT_BATCH_SIZE = {"fasttext": 128, "textcnn": 32, "transformer": 32}
# AdamW learning rates that suit each family at its default batch size; a fine-tuned transformer
# needs a far smaller step.
DEFAULT_LEARNING_RATE = {"fasttext": 7e-3, "textcnn": 1e-3, "transformer": 5e-5}
# fastText's best learning rate by batch size (health tweets, 5 epochs, 2-3 seeds; no simple
# sqrt or linear rule fitted): a smaller batch uses the row of the largest batch not above it.
FASTTEXT_LEARNING_RATE = {64: 5e-3, 128: 7e-3, 256: 1e-2, 512: 2e-2}


def check_model(model: str) -> None:
    """Raise ``ValueError`` unless ``model`` is a from-scratch name, ``minilm``, a folder or a hub id."""
    if model in FROM_SCRATCH or model == "minilm" or Path(model).exists() or "/" in model:
        return
    raise ValueError(
        f"unknown model {model!r}: use minilm, {', '.join(FROM_SCRATCH)}, a local model folder "
        "or a hub id (org/name)"
    )


def load_tokenizer(model: str):
    """The tokenizer of ``model``; from-scratch models use the packaged MiniLM's WordPiece."""
    check_model(model)
    source = resolve_model("minilm" if model in FROM_SCRATCH else model)
    return AutoTokenizer.from_pretrained(source)


def make_model_factory(model: str, classes, tokenizer, train_token_ids=None):
    """A zero-argument callable building a fresh model (called after the seed is set).

    ``train_token_ids``: the training texts' ``input_ids`` (lists or arrays of ints).  fastText then gives an
    embedding row only to the tokens they contain (``FastTextConfig.kept_token_ids``); other models
    ignore it."""
    labels = {i: str(c) for i, c in enumerate(classes)}
    common = {
        "num_labels": len(classes),
        "id2label": labels,
        "label2id": {v: k for k, v in labels.items()},
    }
    if model == "fasttext" and train_token_ids is not None:
        rows = [np.asarray(row, dtype=np.int64) for row in train_token_ids]
        common["kept_token_ids"] = np.unique(np.concatenate(rows)).tolist() if rows else []
    if model in FROM_SCRATCH:
        config_cls, model_cls = FROM_SCRATCH[model]
        config = config_cls(
            vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id or 0, **common
        )
        return lambda: model_cls(config)
    check_model(model)
    source = resolve_model(model)
    said = []

    def factory():
        built, info = load_quietly(source, **common)
        if not said:  # once per compare, not once per run
            said.append(True)
            report_loading(source, info)
        return built

    return factory


def load_quietly(source: str, **kwargs):
    """``AutoModelForSequenceClassification.from_pretrained(source, output_loading_info=True)``
    without transformers' per-load "LOAD REPORT" table and progress bar (a compare loads the model
    once per run); returns the model and its loading info for :func:`report_loading`."""
    # transformers' own verbosity (its root logger), not the modeling_utils logger: that one's
    # level switches on a tensor-parallel check that warns about every layer.
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            source, output_loading_info=True, **kwargs
        )
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def report_loading(source: str, info: dict) -> None:
    """One line for what a fine-tuning run expects (a fresh classification head); a warning
    naming the keys for anything else (weights missing outside the head, unexpected or
    mismatched ones)."""
    missing = sorted(info.get("missing_keys") or ())
    head = [k for k in missing if k.split(".")[0] in HEAD_PREFIXES]
    other = {
        "missing": [k for k in missing if k not in head],
        "unexpected": sorted(info.get("unexpected_keys") or ()),
        "mismatched": sorted(str(k) for k in info.get("mismatched_keys") or ()),
    }
    if head:
        logger.info(
            "%s: new classification head (%s), trained from scratch", source, ", ".join(head)
        )
    for kind, keys in other.items():
        if keys:
            logger.warning(
                "%s: %d %s weight(s) when loading it: %s%s",
                source,
                len(keys),
                kind,
                ", ".join(keys[:8]),
                " ..." if len(keys) > 8 else "",
            )


def default_batch_size(model: str) -> int:
    """Examples per optimiser step for ``model`` (``DEFAULT_BATCH_SIZE``; transformers for any HF model)."""
    return DEFAULT_BATCH_SIZE.get(model, DEFAULT_BATCH_SIZE["transformer"])


def default_learning_rate(model: str, batch_size: int | None = None) -> float:
    """AdamW learning rate for ``model`` at ``batch_size`` (default: ``default_batch_size(model)``).

    Only fastText's depends on the batch size (``FASTTEXT_LEARNING_RATE``)."""
    if model == "fasttext" and batch_size is not None:
        fitting = [b for b in FASTTEXT_LEARNING_RATE if b <= batch_size] or [
            min(FASTTEXT_LEARNING_RATE)
        ]
        return FASTTEXT_LEARNING_RATE[max(fitting)]
    return DEFAULT_LEARNING_RATE.get(model, DEFAULT_LEARNING_RATE["transformer"])
