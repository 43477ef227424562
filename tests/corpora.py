"""Tiny labelled corpora shared by the tests: two topics, or three with cooking added.

Import them by name (``from corpora import TWO_TOPIC_TEXTS as TEXTS``); ``tests/`` is on the
import path because it holds a ``conftest.py``.
"""

from __future__ import annotations

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
