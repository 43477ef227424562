"""A reverse dictionary from GCIDE -> data/gcide_reverse/, a BEIR-style retrieval set of 100k+ passages.

Source: the Debian package `dict-gcide` (GCIDE, the GNU Collaborative International Dictionary of
English, from Webster's 1913 with later additions; GPL-2 or later).  The GPL asks for the licence
to travel with every copy and the outputs are ~30 MB, so they are not committed (git-ignored): this
script fetches the package at run time.  `apt-get download` and `dpkg -x` only unpack files;
nothing from the package is run.

The task: given a definition, find the word it defines.
* **Passages**: every sense of every headword, as "headword: definition" (one passage a sense).
* **Queries**: for each headword with at least ``--min-senses`` senses, one sense chosen at random
  is held out of the corpus; its definition, with the headword and its inflections masked
  ("___"), is the query.
* **Relevant passages**: every remaining sense of the same headword (graded 1), so a query has
  several relevant passages; other words' senses with the same meaning (synonyms) are real,
  unlabelled near-relevant passages.  Training on (query, one relevant sense) pairs with in-batch
  negatives, another pair of the same headword in the batch is a false negative.

Parsing: a dictd block holds one or more entries ("Bank \\Bank\\, n. [etymology] 1. ... 2. ...");
numbered senses (with their (a), (b) parts) are senses; an entry without numbers has one.  Dropped:
quotations and their authors, "Syn:" and "Note:" paragraphs, sub-entries ({Poison ash} ...), senses
under 4 words, and every paragraph GCIDE marks as taken from WordNet (a "[WordNet 1.5]" source tag
or an inline "[WordNet sense 2]"): WordNet is reserved for independent checks of textls.  Markup is simplified ("a[\"e]roplane" -> "aeroplane",
"{Bench}" -> "Bench").

Writes, like BEIR:
    corpus.jsonl    {"_id", "title", "text"}  title is ""
    queries.jsonl   {"_id", "text"}           all queries, whatever their split
    qrels/{train,dev,test}.tsv                query-id, corpus-id, score (always 1)

    python data/gcide_reverse/prepare.py
    python data/gcide_reverse/prepare.py --deb dict-gcide_0.48.5+nmu2_all.deb   # a saved .deb
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from prepare_common import debian_dictd_blocks, split_queries, write_beir  # noqa: E402

PACKAGE = "dict-gcide"

HEADER = re.compile(r"^([^\s\\{\[][^\\\n]*?) \\")  # "Bank \Bank\ ..." at column 0
SENSE = re.compile(r"^\s{3}(\d+)\.\s+")  # "   3. The margin of ..."
SOURCE = re.compile(r"^\s*\[([^\]]*(?:Webster|PJC|WordNet|Century|Chambers|Online)[^\]]*)\]\s*$")
CITATION = re.compile(r"\s--\s?[A-Z].*$", re.DOTALL)  # "--Shak.", "-- Ir`re*veal"a*bly, adv."
ETYMOLOGY = re.compile(r"^\s*\[[^\]]*\]\s*")  # "[AS. -en; akin to Goth. -eins.] An adjectival ..."
ACCENT = re.compile(r"\[\"?([A-Za-z]{1,2})[\^=.\-`~,\"]*\]")  # [a^], ["e], [=u], [ng]
BRACES = re.compile(r"[{}]")
SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    text = ACCENT.sub(r"\1", text)
    text = BRACES.sub("", text)
    return SPACE.sub(" ", text).strip()


def headword(header: str) -> str:
    return clean(re.sub(r"[*\"`']", "", header)).lower()


def entries(block: str) -> list[tuple[str, list[str]]]:
    """``(headword, senses)`` of every entry in a dictd block."""
    found = []
    lines = block.splitlines()
    starts = [i for i, line in enumerate(lines) if HEADER.match(line)]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        word = headword(HEADER.match(lines[start]).group(1))
        body = lines[start + 1 : end]
        # the header's etymology may run on: skip to where its bracket closes
        depth = lines[start].count("[") - lines[start].count("]")
        while depth > 0 and body:
            depth += body[0].count("[") - body[0].count("]")
            body = body[1:]
        found.append((word, senses("\n".join(body))))
    return found


def senses(body: str) -> list[str]:
    """The definitions of one entry's body (see the module docstring for what is kept)."""
    kept, numbered, unnumbered = [], False, None
    for paragraph in re.split(r"\n\s*\n", body):
        lines = [line for line in paragraph.splitlines() if line.strip()]
        if not lines:
            continue
        if "wordnet" in paragraph.lower():  # "[WordNet 1.5]", "[Wordnet 1.6]", "[WordNet sense 2]"
            continue
        lines = [line for line in lines if not SOURCE.match(line)]
        if not lines:
            continue
        first = lines[0]
        indent = len(first) - len(first.lstrip())
        stripped = first.lstrip()
        if SENSE.match(first):
            numbered = True
            lines[0] = SENSE.sub("", first)
        elif indent > 6 or stripped.startswith(("{", "Syn:", "Syn.", "Note:", "--")):
            continue  # a quotation, synonyms, a note or a sub-entry
        elif numbered or unnumbered is not None:
            continue  # only numbered senses, or the one definition of an unnumbered entry
        else:
            unnumbered = True
        text = " ".join(line.strip() for line in lines if len(line) - len(line.lstrip()) <= 6)
        text = ETYMOLOGY.sub("", CITATION.sub("", BRACES.sub("", text)))
        text = clean(text)
        if len(text.split()) >= 4:
            kept.append(text)
    return kept


def mask(definition: str, word: str) -> str:
    """The definition with the headword and words starting with it replaced by ``___``."""
    pattern = r"\b" + r"\s+".join(re.escape(w) for w in word.split()) + r"\w*"
    return re.sub(pattern, "___", definition, flags=re.IGNORECASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deb", type=Path, default=None, help="a saved dict-gcide .deb")
    parser.add_argument("--out-dir", type=Path, default=HERE)
    parser.add_argument("--min-senses", type=int, default=3, help="senses a query's word needs")
    parser.add_argument("--dev-frac", type=float, default=0.02)
    parser.add_argument("--test-frac", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    by_word: dict[str, list[str]] = defaultdict(list)
    for block in debian_dictd_blocks(PACKAGE, "gcide", args.deb):
        for word, defs in entries(block):
            by_word[word].extend(d for d in defs if d not in by_word[word])
    rng = np.random.default_rng(args.seed)
    words = sorted(w for w, defs in by_word.items() if defs)
    held_out = {
        w: int(rng.integers(len(by_word[w]))) for w in words if len(by_word[w]) >= args.min_senses
    }
    corpus, passages_of = {}, defaultdict(list)
    for w in words:
        for i, definition in enumerate(by_word[w]):
            if held_out.get(w) == i:
                continue
            did = f"d{len(corpus)}"
            corpus[did] = f"{w}: {definition}"
            passages_of[w].append(did)
    queried = sorted(held_out)
    queries = {f"q{i}": mask(by_word[w][held_out[w]], w) for i, w in enumerate(queried)}
    split = split_queries(len(queried), args.dev_frac, args.test_frac, args.seed)
    pairs = pd.DataFrame(
        [
            {"qid": f"q{i}", "did": did, "split": split[i]}
            for i, w in enumerate(queried)
            for did in passages_of[w]
        ]
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_beir(args.out_dir, corpus, queries, pairs)
    relevant = pairs.groupby("qid").size()
    print(
        f"corpus.jsonl: {len(corpus):,} passages of {len(words):,} headwords; "
        f"queries.jsonl: {len(queries):,} queries, relevant passages per query: "
        f"median {int(relevant.median())}, mean {relevant.mean():.1f}, max {relevant.max()}"
    )


if __name__ == "__main__":
    main()
