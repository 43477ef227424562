"""A writer of the test corpora (:mod:`corpora`) in every input format the cache reads."""

from __future__ import annotations

import pandas as pd


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
