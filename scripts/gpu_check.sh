#!/usr/bin/env bash
# One short GPU check (minutes): bf16 training throughput of textls's soft-target loss against
# sentence-transformers' MNRL on the packaged MiniLM, a cached (GradCache) batch of 1024, and the
# retrieval-quality benchmark of issue 22 at batch 1024 on every gcide_reverse training query
# (10,003, one labelled sense each, one mined hard negative) over the whole 136,727-passage corpus.
# Run from the repository root on a machine with a CUDA GPU; results go to $OUT (default
# scripts/results/) as st_throughput_gpu.json and st_cached_1024_gpu.json. A machine without network
# cannot run data/gcide_reverse/prepare.py (apt-get): bring data/gcide_reverse/{corpus.jsonl,
# queries.jsonl,qrels} along (the device tool's carry).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-scripts/results}"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU'; print(torch.cuda.get_device_name(0))"
[ -f data/gcide_reverse/corpus.jsonl ] || python data/gcide_reverse/prepare.py
python scripts/benchmark_st_throughput.py --bf16 --batch-size 256 --steps 30 --max-length 64 \
    --losses mnrl,textls-kwls,textls-ls-tfidf --output "$OUT/st_throughput_gpu.json"
python scripts/benchmark_st_throughput.py --bf16 --batch-size 1024 --mini-batch-size 256 --steps 6 \
    --max-length 64 --losses cached-mnrl,textls-cached-kwls --output "$OUT/st_cached_1024_gpu.json"
# the same three losses as the CPU runs, cached; 3 epochs so each loss takes ~30 steps
python scripts/benchmark_st_losses.py --bf16 --corpora gcide_reverse --labels one \
    --hard-negatives dense --max-train-queries 0 --mining-pool 20000 --distractors 0 \
    --batch-size 1024 --mini-batch-size 256 --epochs 3 --seeds 3 \
    --losses cached-mnrl,cached-gist,textls-cached-default --results-dir "$OUT"
