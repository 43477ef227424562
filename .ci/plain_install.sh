#!/usr/bin/env bash
# Packaging check: in a plain venv (no system site-packages), install the CPU torch wheel and then
# textls *without extras*, and run the commands that must work with the declared dependencies only:
# `textls --help`, `textls smooth` (KWLS, lexical: no packaged model) and `textls retrieval evaluate`
# (reads TREC runs itself; ir-measures is only the tests' oracle). Everything runs from a temporary
# folder so the installed package is imported, not the checkout.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

python -m venv "$work/venv"
venv="$work/venv/bin"
"$venv/python" -m pip install --quiet torch==2.13.0
# Build from a copy of the files git would check out, not the checkout: setuptools' build/ folder
# keeps modules that were since renamed or removed, and would ship them.
mkdir "$work/src"
git -C "$repo" ls-files -z --cached --others --exclude-standard -- pyproject.toml README.md textls \
    | (cd "$repo" && xargs -0 tar -cf -) | tar -C "$work/src" -xf -
"$venv/python" -m pip install --quiet "$work/src"
cd "$work"

"$venv/textls" --help >/dev/null

cat >train.csv <<'EOF'
text,label
cheap flights to rome and paris,travel
hotel deals in rome for the weekend,travel
cheap hotel near the beach,travel
flights and hotel deals for paris,travel
football scores from the weekend,sport
tennis scores and football results,sport
the football team won the final,sport
tennis final results from paris,sport
new laptop deals this weekend,tech
cheap laptop and phone reviews,tech
phone reviews and laptop scores,tech
the new phone beats every laptop,tech
EOF
"$venv/textls" smooth --input train.csv --output soft.csv --method kwls
"$venv/python" - <<'EOF'
import csv

rows = list(csv.DictReader(open("soft.csv")))
assert len(rows) == 12, f"soft.csv has {len(rows)} rows, expected 12"
for row in rows:
    total = sum(float(v) for k, v in row.items() if k.startswith("soft:"))
    assert abs(total - 1) < 1e-5, f"soft labels of row {row} sum to {total}"
EOF

mkdir -p beir/qrels
cat >beir/corpus.jsonl <<'EOF'
{"_id": "d1", "title": "", "text": "building permits are granted by the municipality"}
{"_id": "d2", "title": "", "text": "a permit takes about ten weeks"}
{"_id": "d3", "title": "", "text": "facade changes need a permit"}
EOF
cat >beir/queries.jsonl <<'EOF'
{"_id": "q1", "text": "who grants a building permit"}
{"_id": "q2", "text": "do facade changes need a permit"}
EOF
printf 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n' >beir/qrels/test.tsv
cat >run.trec <<'EOF'
q1 Q0 d1 1 3.0 tiny
q1 Q0 d2 2 2.0 tiny
q2 Q0 d2 1 5.0 tiny
q2 Q0 d3 2 4.0 tiny
EOF
"$venv/textls" retrieval evaluate --data_dir beir --run run.trec --output_dir eval
"$venv/python" - <<'EOF'
import json

metrics = json.load(open("eval/metrics.json"))
assert abs(metrics["RR@10"] - 0.75) < 1e-9, metrics  # q1 at rank 1, q2 at rank 2
EOF
"$venv/python" -c "import importlib.util as u; assert u.find_spec('ir_measures') is None" \
    || { echo "ir_measures is installed without extras"; exit 1; }
echo "plain install: textls --help, smooth and retrieval evaluate ran without extras"
