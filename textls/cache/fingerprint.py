"""The fingerprint of a labelled corpus: which texts, which labels, in which order.

A cache records the fingerprint of the data it was built from, and every consumer recomputes it
before trusting the cache.  It is a SHA-256 over the text and label columns (labels as their
decimal or string form, so ``3`` read from a CSV and ``3`` read from Parquet agree), computed in one
streaming pass of vectorised updates:

    fingerprint = sha256("textls-data-v1" || n || H(len(text_i)) || H(text bytes) || H(len(label_i)) || H(label bytes))

where each ``H`` is a SHA-256 over the whole column, fed batch by batch.  The result depends on the
rows and their order only, never on how the rows were batched.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_DOMAIN = b"textls-data-v1"


class Fingerprinter:
    """Streaming fingerprint: ``update(texts, labels)`` batch by batch, then ``hexdigest()``."""

    def __init__(self):
        self.num_rows = 0
        self._hashes = [hashlib.sha256() for _ in range(4)]

    def update(self, texts: pa.Array, labels: pa.Array) -> None:
        """Add rows; ``texts`` are strings, ``labels`` strings or integers, neither with nulls."""
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        for column, (lengths, data) in zip(
            (texts, _as_strings(labels)), (self._hashes[:2], self._hashes[2:]), strict=True
        ):
            _update_column(_large_string(column), lengths, data)
        self.num_rows += len(texts)

    def hexdigest(self) -> str:
        digest = hashlib.sha256(_DOMAIN)
        digest.update(int(self.num_rows).to_bytes(8, "little"))
        for h in self._hashes:
            digest.update(h.digest())
        return "sha256:" + digest.hexdigest()


def data_fingerprint(texts, labels) -> str:
    """The fingerprint of in-memory ``texts`` and ``labels`` (what a trainer holds)."""
    fp = Fingerprinter()
    labels = list(labels)
    fp.update(
        pa.array(list(texts), type=pa.large_string()),
        pa.array([str(_plain(v)) for v in labels], type=pa.large_string()),
    )
    return fp.hexdigest()


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _as_strings(labels: pa.Array) -> pa.Array:
    if pa.types.is_integer(labels.type):
        return pc.cast(labels, pa.large_string())
    return labels


def _large_string(column) -> pa.LargeStringArray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise TypeError(f"expected a string column, got {column.type}")
    if column.null_count:
        raise ValueError("cannot fingerprint a column with missing values")
    return column.cast(pa.large_string())


def _update_column(column: pa.LargeStringArray, lengths_hash, data_hash) -> None:
    n = len(column)
    if n == 0:
        return
    _, offsets_buffer, data_buffer = column.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[column.offset : column.offset + n + 1]
    lengths_hash.update(np.diff(offsets).astype("<i8").tobytes())
    if data_buffer is not None and offsets[-1] > offsets[0]:
        data_hash.update(memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])])
