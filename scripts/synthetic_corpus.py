"""Synthetic labelled corpora whose words come from a real corpus (the bundled news passages).

Each class draws from a mixture of a shared Zipf background over the real vocabulary and a
class-specific Zipf over its own random ranking of the same vocabulary, so classes overlap the way
topics do, with a long-tailed word distribution like real text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def real_vocabulary(max_words: int = 30_000) -> np.ndarray:
    """Distinct lower-cased words of the bundled news corpus, most frequent first."""
    counts: dict[str, int] = {}
    with open(ROOT / "data" / "news_titles" / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            for word in re.findall(r"[a-z]{2,}", json.loads(line)["text"].lower()):
                counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=lambda w: -counts[w])
    return np.array(words[:max_words])


def make_corpus(
    n_docs: int, n_classes: int, words_per_doc: int = 60, topic_share: float = 0.3, seed: int = 0
) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    vocab = real_vocabulary()
    v = len(vocab)
    zipf = 1.0 / np.arange(1, v + 1)
    zipf /= zipf.sum()
    rankings = np.stack([rng.permutation(v) for _ in range(n_classes)])
    labels = rng.integers(0, n_classes, n_docs)
    lengths = rng.poisson(words_per_doc, n_docs).clip(5)
    total = int(lengths.sum())
    background = rng.choice(v, size=total, p=zipf)
    topical = rng.choice(v, size=total, p=zipf)
    owner = np.repeat(labels, lengths)
    words = np.where(rng.random(total) < topic_share, rankings[owner, topical], background)
    ends = np.cumsum(lengths)
    tokens = vocab[words]
    texts = [" ".join(doc) for doc in np.split(tokens, ends[:-1])]
    return texts, labels
