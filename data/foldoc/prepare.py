"""FOLDOC computing-dictionary entries -> data/foldoc/{train,test}.csv with columns text,label.

Source: the Debian package `dict-foldoc` (FOLDOC, the Free On-line Dictionary of Computing, edited
by Denis Howe; GNU FDL 1.1 or later). Most entries open with a subject field in angle brackets,
e.g. "<networking> A protocol ...". The label is that field; the text is the definition with the
field removed. Only entries with exactly one distinct field are kept, and only fields with at least
`--min-class-size` such entries, which leaves about 40 classes with a natural long tail.

The FDL asks for the licence to travel with every copy, so the outputs are not committed (they are
git-ignored): this script fetches the package at run time. `apt-get download` and `dpkg -x` only
unpack files; nothing from the package is run.

    python data/foldoc/prepare.py                  # all rows (the default: the corpus is small)
    python data/foldoc/prepare.py --deb dict-foldoc_20230119-1_all.deb   # offline, a saved .deb
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from prepare_common import add_split_arguments, debian_dictd_blocks, split_and_write  # noqa: E402

PACKAGE = "dict-foldoc"

# A subject field: "<networking>", "<hardware, virtual reality>", "<operating system>".
FIELD = re.compile(r"<([a-z][a-z0-9 ,/&'.-]*)>")
SENSE = re.compile(r"(?:^|\s)\d+\.\s")  # "1. <body> ... 2. <processor> ..."
URL = re.compile(r"\(?\b(?:https?|ftp|mailto|gopher|telnet|news):\S+", re.IGNORECASE)
DATE = re.compile(r"\(\d{4}-\d{2}-\d{2}\)")  # the "last updated" stamp at the end of an entry
EMAIL = re.compile(r"<?\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b>?")
NOTE = re.compile(r"\[[^\[\]]*\]")  # editorial notes and sources: "[{Jargon File}]", "[Full name?]"


def parse(entry: str) -> tuple[str, set[str]]:
    """Split an entry into (definition body, set of its subject fields)."""
    # Headwords (one or more, aliases joined by "%%%") stand flush left; the body is indented.
    body = "\n".join(line for line in entry.splitlines() if line.startswith((" ", "\t")))
    fields = {f.strip() for m in FIELD.findall(body) for f in m.split(",") if f.strip()}
    return body, fields


def clean(body: str) -> str:
    # The field names the label outright, so every field tag goes, not only the first one.
    text = FIELD.sub(" ", body)
    text = URL.sub(" ", text)
    text = EMAIL.sub(" ", text)  # contributors' addresses: noise, and personal data
    # "[{Jargon File}]"-style source notes strongly mark some classes (jargon, humour); editor
    # queries ("[Full name?]") are not part of the definition.
    text = NOTE.sub(" ", text)
    text = DATE.sub(" ", text)
    # {Cross references} are plain words once their braces go.
    text = text.replace("{", "").replace("}", "")
    text = re.sub(r"\s+", " ", text).strip()
    # A link alone inside parentheses leaves "()" behind.
    return re.sub(r"\(\s*\)", " ", text).replace("  ", " ").strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_split_arguments(parser, HERE, max_per_class=0, max_test_per_class=0)
    parser.add_argument(
        "--deb", type=Path, help="a downloaded dict-foldoc .deb (default: apt-get download)"
    )
    parser.add_argument("--min-words", type=int, default=8, help="drop shorter definitions (stubs)")
    parser.add_argument(
        "--min-class-size", type=int, default=25, help="drop fields with fewer usable entries"
    )
    args = parser.parse_args()

    # every distinct entry: the index maps many headwords (aliases) to one entry
    entries = debian_dictd_blocks(PACKAGE, "foldoc", args.deb)
    print(f"read {len(entries):,} distinct entries from {PACKAGE}")

    rows, n_fields = [], {0: 0, 1: 0, 2: 0}
    for entry in entries:
        body, fields = parse(entry)
        n_fields[min(len(fields), 2)] += 1
        # Entries with two fields ("<hardware, graphics>", or senses under different fields) have
        # no single right answer; entries with none have no label.
        if len(fields) == 1:
            rows.append((clean(body), fields.pop()))
    print(
        f"entries with one field: {n_fields[1]:,} (no field: {n_fields[0]:,}, several: {n_fields[2]:,})"
    )

    df = pd.DataFrame(rows, columns=["text", "label"])
    df = df[df["text"].str.split().str.len() >= args.min_words]
    print(f"with at least {args.min_words} words: {len(df):,}")
    n_labels = df.groupby("text")["label"].transform("nunique")
    df = df[n_labels == 1].drop_duplicates("text")
    sizes = df["label"].value_counts()
    df = df[df["label"].map(sizes) >= args.min_class_size]
    print(
        f"after dropping duplicates and fields with < {args.min_class_size} entries: {len(df):,} rows, "
        f"{df['label'].nunique()} classes"
    )

    split_and_write(df, args, long_tail=True)


if __name__ == "__main__":
    main()
