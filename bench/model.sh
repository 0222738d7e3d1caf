#!/usr/bin/env bash
# A compiled model end to end on the CPU, in one run: compile time and peak
# memory of itq3-compile, then itq3-bench model on the bundle (prefill and
# decode tok/s, time per function, weight bytes per token against the
# streaming-read bound of the same run), then the fp32 reference forward
# pass's speed on the same machine, then perplexity of the bundle and of the
# reference under the same simulated quantization.
#   bench/model.sh [MODEL.gguf] [FORMAT]   (default: Qwen2.5-Coder-1.5B, itq3_s)
# Needs scripts/get-eval-assets. Prints everything; bench/results/model-cpu.md
# records a run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ITQ3_BUILD_DIR:-$root/build}/bin
cache=${ITQ3_CACHE:-$HOME/.cache/itq3}
model=${1:-$cache/models/Qwen2.5-Coder-1.5B-Instruct.Q4_K_M.gguf}
format=${2:-itq3_s}
text=$cache/texts/emma.txt
bundle=$(mktemp --suffix=.itq3)
trap 'rm -f "$bundle"' EXIT

echo "== compile"
/usr/bin/time -f "wall %e s, peak RSS %M KB" \
  "$bin/itq3-compile" --model "$model" --format "$format" --ctx 1024 --threads 2 -o "$bundle"
echo "== the bundle's speed (2 threads, batch 1)"
"$bin/itq3-bench" model --bundle "$bundle" --prompt-tokens 64 --decode-tokens 16 --threads 2
echo "== the fp32 reference forward pass (2 threads): a 60-token prompt, 16 decode steps"
"$bin/itq3-run" --model "$model" --threads 2 -n 16 \
  --prompt "$(printf 'word %.0s' $(seq 60))" | tail -n 1
echo "== perplexity, ctx 512, the first 1024 tokens of Emma"
"$bin/itq3-run" --bundle "$bundle" --threads 2 --perplexity "$text" --ctx 512 --max-tokens 1024
same=(--format "$format" --head-format q8 --embedding-format q8)
"$bin/itq3-run" --model "$model" "${same[@]}" --act-quant --threads 2 \
  --perplexity "$text" --ctx 512 --max-tokens 1024
"$bin/itq3-run" --model "$model" "${same[@]}" --threads 2 \
  --perplexity "$text" --ctx 512 --max-tokens 1024
