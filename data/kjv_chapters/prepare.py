"""King James Bible chapters -> data/kjv_chapters/{train,test}.csv with columns text,label.

Source: the Debian packages `bible-kjv-text` (the King James Version of 1611, in the compressed
format of Chip Chapin's Bible Retrieval System) and `bible-kjv` (its reader, GPL-2+, needed only to
decompress the text). The KJV text is in the public domain (in the UK it is under Crown letters
patent), so the outputs are committed. Each row is one of the 1,189 chapters; the label is the
traditional division of its book (Law, History, Wisdom, Major Prophets, Minor Prophets, Gospels,
Acts, Pauline Epistles, General Epistles, Revelation): 10 classes, 22 to 249 chapters each.

The texts are long: a chapter has 664 words on average. To keep the committed files under 2 MB,
each text is cut to its first `--max-words` words (300; 0 keeps whole chapters, 4.4 MB).

    python data/kjv_chapters/prepare.py            # all chapters, first 300 words of each
    python data/kjv_chapters/prepare.py --max-words 0   # whole chapters (do not commit)

`apt-get download` and `dpkg -x` only unpack files; the script then runs the unpacked `bible`
reader (amd64) once to print every verse with its reference.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from prepare_common import add_split_arguments, split_and_write, unpack_debian_packages  # noqa: E402

PACKAGES = ["bible-kjv", "bible-kjv-text"]

# The 66 books in canonical order with their division. The reader abbreviates book names ("Ge",
# "Jdgs", "SSol"), so books are matched by order of appearance, which is checked against this list.
DIVISIONS = {
    "Law": "Genesis Exodus Leviticus Numbers Deuteronomy",
    "History": "Joshua Judges Ruth 1Samuel 2Samuel 1Kings 2Kings 1Chronicles 2Chronicles Ezra "
    "Nehemiah Esther",
    "Wisdom": "Job Psalms Proverbs Ecclesiastes SongOfSolomon",
    "Major Prophets": "Isaiah Jeremiah Lamentations Ezekiel Daniel",
    "Minor Prophets": "Hosea Joel Amos Obadiah Jonah Micah Nahum Habakkuk Zephaniah Haggai "
    "Zechariah Malachi",
    "Gospels": "Matthew Mark Luke John",
    "Acts": "Acts",
    "Pauline Epistles": "Romans 1Corinthians 2Corinthians Galatians Ephesians Philippians "
    "Colossians 1Thessalonians 2Thessalonians 1Timothy 2Timothy Titus Philemon",
    "General Epistles": "Hebrews James 1Peter 2Peter 1John 2John 3John Jude",
    "Revelation": "Revelation",
}
BOOKS = [(book, division) for division, books in DIVISIONS.items() for book in books.split()]
VERSE = re.compile(r"(\d?[A-Za-z]+)(\d+):(\d+) (.*)")  # "1Sm3:10 And the LORD came, ..."


def read_verses(workdir: Path) -> list[str]:
    """Download and unpack both packages into workdir, and print every verse with the reader."""
    root = unpack_debian_packages(PACKAGES, workdir)
    # -f turns pretty-printing off: one verse a line, each led by its reference.
    out = subprocess.run(
        [str(root / "usr/bin/bible"), "-f", "-p", str(root / "usr/lib"), "gen1:1-rev22:21"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


def chapters(lines: list[str]) -> pd.DataFrame:
    """One row per chapter: book, division, chapter number and the verses joined without references."""
    rows: dict[tuple[int, int], list[str]] = {}
    abbrevs: list[str] = []
    for line in lines:
        abbrev, chapter, _, text = VERSE.fullmatch(line).groups()
        if not abbrevs or abbrevs[-1] != abbrev:
            abbrevs.append(abbrev)
        rows.setdefault((len(abbrevs) - 1, int(chapter)), []).append(text)
    if len(abbrevs) != len(BOOKS):
        raise SystemExit(f"expected {len(BOOKS)} books, the reader printed {len(abbrevs)}")
    return pd.DataFrame(
        [(BOOKS[b][0], c, BOOKS[b][1], " ".join(verses)) for (b, c), verses in rows.items()],
        columns=["book", "chapter", "label", "text"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_split_arguments(parser, HERE, max_per_class=0, max_test_per_class=0)
    parser.add_argument(
        "--max-words", type=int, default=300, help="keep the first words of a chapter; 0 = all"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        lines = read_verses(Path(tmp))
    df = chapters(lines)
    print(f"read {len(lines):,} verses in {len(df):,} chapters of {df['book'].nunique()} books")
    # The verse references are already gone, and the text has no book titles or headings, so
    # nothing names the book; only the words of the chapter remain.
    if args.max_words > 0:
        df["text"] = df["text"].str.split().str[: args.max_words].str.join(" ")
    df = df[["text", "label"]]

    split_and_write(df, args, long_tail=True)


if __name__ == "__main__":
    main()
