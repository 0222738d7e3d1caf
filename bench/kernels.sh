#!/usr/bin/env bash
# Times the compiled CPU kernels on Llama-3-8B shapes and writes
# bench/results/kernels-cpu.md (and .json). GPU tables come from
# scripts/gpu-check on a machine with an NVIDIA GPU.
#   bench/kernels.sh [--m 1,16] [--reps 5]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ITQ3_BUILD_DIR:-$root/build}
"$root/scripts/setup" >/dev/null
out=$root/bench/results/kernels-cpu.md
cpu=$(sed -n 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n1)
# These machines pin OpenBLAS to an old kernel for safety; the baseline runs
# its native one.
table=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$build/bin/itq3-bench" kernels --json "$root/bench/results/kernels-cpu.json" "$@")
{
  echo "# CPU kernels: compiled itq3 matmuls vs OpenBLAS and a plain f32 loop"
  echo
  echo "Measured $(date -u +%Y-%m-%d) on $cpu ($(nproc) cores, all used by both sides), by"
  echo "\`bench/kernels.sh $*\` (\`itq3-bench kernels\`). Median of the runs after"
  echo "one warm-up. Kernels are JIT-compiled through \`--itq3-to-cpu-llvm\`;"
  echo "GB/s = (packed weight + activation + output bytes) / time; the"
  echo "\"peak\" is the same threads summing a 512 MiB buffer on the same machine."
  echo "Baselines over dense f32 weights (no quantization): OpenBLAS (sgemv for"
  echo "M = 1, sgemm otherwise, on the same number of threads, its native kernel:"
  echo "the table's header names it), and a plain C++ triple loop compiled -O3,"
  echo "rows split over the same threads."
  echo
  echo "$table"
} > "$out"
echo "wrote $out"
