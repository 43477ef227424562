"""Topic-clustered batches for in-batch-negative training (TAS-B, Hofstätter et al., SIGIR 2021).

Random batches drawn from a large training set hold candidates that have little to do with the
anchor, so in-batch negatives are easy and a false negative (an unlabelled positive of the anchor
in the batch) is rare.  TAS-B draws each batch from one cluster of the queries' embeddings: the
negatives are on the anchor's topic, harder, and false negatives more frequent, which is the
setting informative soft targets are meant for.

``ClusteredBatchSampler`` is a sentence-transformers batch sampler: pass the class made by
:func:`clustered_batches` as ``SentenceTransformerTrainingArguments(batch_sampler=...)``::

    from textls.retrieval import clustered_batches
    args = SentenceTransformerTrainingArguments(
        ..., batch_sampler=clustered_batches(guide_model, column="anchor")
    )
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["clustered_batches", "cluster_rows"]


def cluster_rows(embeddings: np.ndarray, rows_per_cluster: int, seed: int = 0) -> np.ndarray:
    """A cluster id per row: k-means (scikit-learn's ``MiniBatchKMeans``, cosine through
    normalisation) into ``ceil(n / rows_per_cluster)`` clusters."""
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.preprocessing import normalize

    embeddings = np.asarray(embeddings, dtype=np.float32)
    if embeddings.ndim != 2 or not len(embeddings):
        raise ValueError(f"need (n, d) embeddings, got shape {embeddings.shape}")
    if rows_per_cluster < 1:
        raise ValueError(f"rows_per_cluster must be >= 1, got {rows_per_cluster!r}")
    k = max(1, -(-len(embeddings) // rows_per_cluster))
    if k == 1:
        return np.zeros(len(embeddings), dtype=np.int64)
    kmeans = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=1024)
    return kmeans.fit_predict(normalize(embeddings)).astype(np.int64)


def clustered_order(clusters: np.ndarray, batch_size: int, rng: np.random.Generator) -> list:
    """Batches of row indices, each from one cluster where it can be: every cluster's rows are
    shuffled and cut into full batches; the rows left over (a cluster's last partial batch) are
    shuffled together and cut into batches of their own; the batches' order is shuffled."""
    batches, rest = [], []
    for cluster in np.unique(clusters):
        rows = rng.permutation(np.flatnonzero(clusters == cluster))
        full = len(rows) // batch_size * batch_size
        batches += [rows[i : i + batch_size].tolist() for i in range(0, full, batch_size)]
        rest += rows[full:].tolist()
    rest = rng.permutation(np.asarray(rest, dtype=np.int64))
    batches += [rest[i : i + batch_size].tolist() for i in range(0, len(rest), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def clustered_batches(guide, column: str | None = None, rows_per_cluster: int | None = None):
    """A sentence-transformers batch sampler class that draws each batch from one topic cluster.

    Parameters
    ----------
    guide : SentenceTransformer or callable
        Embeds the ``column`` texts once, when the trainer makes its data loader (a callable takes
        a list of texts and returns their embeddings).
    column : str, optional
        The text column clustered; by default the dataset's first.
    rows_per_cluster : int, optional
        Cluster size; by default 4 batches' worth (``4 * batch_size``), so a batch is a quarter
        of a topic and successive epochs see other mixes.

    Returns
    -------
    type
        A ``DefaultBatchSampler`` subclass to pass as ``batch_sampler=``.
    """
    from sentence_transformers.base.sampler import DefaultBatchSampler

    from textls.retrieval.dataset_targets import embed_texts

    class ClusteredBatchSampler(DefaultBatchSampler):
        """Batches drawn from topic clusters of the anchors (see :func:`clustered_batches`)."""

        def __init__(self, dataset, batch_size: int, drop_last: bool, **kwargs) -> None:
            super().__init__(dataset, batch_size=batch_size, drop_last=drop_last, **kwargs)
            name = column or dataset.column_names[0]
            if name not in dataset.column_names:
                raise ValueError(
                    f"clustered_batches: no column {name!r} in the dataset ({dataset.column_names})"
                )
            size = rows_per_cluster or 4 * batch_size
            self.clusters = cluster_rows(
                embed_texts(guide, list(dataset[name])), size, seed=self.seed
            )

        def _batches(self) -> list:
            rng = np.random.default_rng([self.seed, self.epoch])
            if self.generator is not None:  # the trainer's seeded generator, when it gives one
                rng = np.random.default_rng(
                    [int(torch.randint(0, 2**31, (1,), generator=self.generator)), self.epoch]
                )
            batches = clustered_order(self.clusters, self.batch_size, rng)
            if self.drop_last:
                batches = [b for b in batches if len(b) == self.batch_size]
            return batches

        def __iter__(self):
            yield from self._batches()

        def __len__(self) -> int:
            counts = np.bincount(self.clusters)
            full = int((counts // self.batch_size).sum())
            rest = int((counts % self.batch_size).sum())
            if self.drop_last:
                return full + rest // self.batch_size
            return full + -(-rest // self.batch_size)

    return ClusteredBatchSampler
