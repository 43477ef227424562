"""Tiny labelled corpora for the cache tests, and a writer for every input format."""

from __future__ import annotations

import numpy as np
import pandas as pd

TOPICS = {
    "sport": "goal match striker league coach season team score keeper derby",
    "politics": "vote election party senate policy minister campaign poll ballot mayor",
    "tech": "software chip cloud startup code device network data robot laptop",
}
SHARED = "today news report week people city year new big local".split()


def make_corpus(n: int = 90, seed: int = 0, int_labels: bool = False) -> tuple[list[str], list]:
    """``n`` short texts: mostly words of their topic, some shared and some borrowed ones."""
    rng = np.random.default_rng(seed)
    names = sorted(TOPICS)
    texts, labels = [], []
    for i in range(n):
        k = i % len(names)
        own = TOPICS[names[k]].split()
        other = TOPICS[names[(k + 1 + i % 2) % len(names)]].split()
        words = list(rng.choice(own, 4)) + list(rng.choice(SHARED, 2)) + list(rng.choice(other, 1))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(k if int_labels else names[k])
    texts[7] = "   "  # a blank text gets uniform relevance
    return texts, labels


def write(frame: pd.DataFrame, path) -> str:
    path = str(path)
    if path.endswith(".csv"):
        frame.to_csv(path, index=False)
    elif path.endswith(".jsonl"):
        frame.to_json(path, orient="records", lines=True)
    elif path.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        from datasets import Dataset

        Dataset.from_pandas(frame, preserve_index=False).save_to_disk(path)
    return path
