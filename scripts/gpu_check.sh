#!/usr/bin/env bash
# One short GPU check (minutes): bf16 training throughput of textls's soft-target loss against
# sentence-transformers' MNRL on the packaged MiniLM, and a cached (GradCache) batch of 1024.
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
