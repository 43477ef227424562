"""A one-layer BERT of width 16 and a tokenizer over a word list, for tests that run in seconds.

tests/classification/tiny_models.py and tests/retrieval/tiny_retrieval.py build their models and
tokenizers from these; ``tests/`` is on the import path because it holds a ``conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

from transformers import BertConfig, BertTokenizerFast

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def make_word_tokenizer(folder: Path, words: list[str]) -> BertTokenizerFast:
    """A lower-casing WordPiece tokenizer whose vocabulary is BERT's special tokens and ``words``."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join([*SPECIAL_TOKENS, *words]) + "\n")
    return BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)


def tiny_bert_config(vocab_size: int, **overrides) -> BertConfig:
    """One layer, hidden size 16, two heads, no dropout; ``overrides`` (e.g. ``num_labels``) win."""
    settings = {
        "hidden_size": 16,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 32,
        "max_position_embeddings": 64,
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
    }
    return BertConfig(vocab_size=vocab_size, **{**settings, **overrides})
