"""Batches for dual-encoder training: queries, their positives, then every hard negative."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class RetrievalCollator:
    """Tokenise a batch of ``{"query_row", "positive_row", "negative_rows"}`` examples.

    Candidates are laid out as ``[positive_0 .. positive_{B-1}, negatives of 0, negatives of 1, ...]``
    so the positive of query ``i`` is column ``i``; ``passage_rows`` carries the corpus row of every
    candidate (for soft targets and for duplicates across the batch).

    Parameters
    ----------
    tokenizer : PreTrainedTokenizerBase
        Hugging Face tokenizer.
    query_texts : list of str
        Query text by row.
    passage_texts : list of str
        Passage text by row.
    query_max_length, passage_max_length : int, default 32 and 128
        Truncation lengths.
    negatives_per_query : int, default 0
        Hard negatives taken per query, the first ones of its list (mined lists are ranked); a
        query with fewer is topped up from the start of its list.
    """

    tokenizer: object
    query_texts: list[str]
    passage_texts: list[str]
    query_max_length: int = 32
    passage_max_length: int = 128
    negatives_per_query: int = 0

    def __call__(self, features: list[dict]) -> dict:
        query_rows = [int(f["query_row"]) for f in features]
        passage_rows = [int(f["positive_row"]) for f in features]
        for f in features:
            negatives = list(f.get("negative_rows") or [])
            if self.negatives_per_query and not negatives:
                raise ValueError(f"query row {f['query_row']} has no hard negatives to sample")
            for k in range(self.negatives_per_query):
                passage_rows.append(int(negatives[k % len(negatives)]))
        return {
            "query": self._tokenize(self.query_texts, query_rows, self.query_max_length),
            "passage": self._tokenize(self.passage_texts, passage_rows, self.passage_max_length),
            "query_rows": torch.tensor(query_rows, dtype=torch.long),
            "passage_rows": torch.tensor(passage_rows, dtype=torch.long),
        }

    def _tokenize(self, texts: list[str], rows: list[int], max_length: int) -> dict:
        """The texts of ``rows``, padded to the longest and truncated to ``max_length`` tokens."""
        encoded = self.tokenizer(
            [texts[r] for r in rows],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        )
        return dict(encoded)
