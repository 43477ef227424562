"""Tiny labelled corpora shared by the tests: two topics, or three with cooking added, and
:func:`make_corpus`, a seeded generator of any size (the cache tests').

Import them by name (``from corpora import TWO_TOPIC_TEXTS as TEXTS``); ``tests/`` is on the
import path because it holds a ``conftest.py``.
"""

from __future__ import annotations

import numpy as np

TWO_TOPIC_TEXTS = [
    "the striker scored a late goal in the football match",
    "the football league match ended with a penalty goal",
    "the coach praised the striker after the league win",
    "fans cheered the goal as the team won the match",
    "the party won the election after a close vote",
    "voters backed the party in the parliament election",
    "the minister called a vote in parliament on the budget",
    "the election campaign focused on the minister and the budget",
]
TWO_TOPIC_LABELS = ["sport"] * 4 + ["politics"] * 4

THREE_TOPIC_TEXTS = TWO_TOPIC_TEXTS + [
    "bake the bread in a hot oven with butter and flour",
    "whisk the eggs with flour and butter for the cake",
    "the recipe calls for butter sugar and a hot oven",
    "knead the dough and bake the bread until golden",
]
# Three classes: with two, every method's target is the same (the off-gold mass has one place to go).
THREE_TOPIC_LABELS = TWO_TOPIC_LABELS + ["cooking"] * 4

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
