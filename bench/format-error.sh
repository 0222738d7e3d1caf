#!/usr/bin/env bash
# Measures every weight format on synthetic matrices and writes
# bench/results/format-error.md (and .json): relative error, bits per weight
# from the stored bytes, encode time; weighting and grid-rule ablations; the
# 4096x14336 itq3_s encode time on 2 threads.
#   bench/format-error.sh                  # full size, 4096x4096
#   ROWS=512 COLS=2048 bench/format-error.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ITQ3_BUILD_DIR:-$root/build}
rows=${ROWS:-4096}
cols=${COLS:-4096}
bin=$build/bin/itq3-bench
[[ -x $bin ]] || { echo "format-error: build itq3-bench first (scripts/setup)" >&2; exit 1; }

out=$root/bench/results/format-error.md
json=$root/bench/results/format-error.json
args=(formats --rows "$rows" --cols "$cols" --threads 2 --json "$json")
tables=$("$bin" "${args[@]}")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
{
  echo "# Weight formats: reconstruction error and encode speed"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $cpu, $(nproc) cores visible, encode on 2 threads;" \
       "shared with other builds (load average at start: $(cut -d' ' -f1-3 /proc/loadavg)), so times are indicative"
  echo "- commit: $(git -C "$root" rev-parse --short HEAD)"
  echo "- command: \`bench/format-error.sh\` = \`itq3-bench ${args[*]/#$root\//}\`"
  echo "- relative error = ||W^ - W|| / ||W|| in the weight domain; bits/weight = stored bytes * 8 / weights"
  echo "- matrices (sigma 0.02): gaussian; student-t4 (t with 4 degrees of freedom);" \
       "outlier-cols (gaussian, 1% of the columns times 20)"
  echo "$tables" | sed '1d'
  if [[ -f $root/bench/format-error.discussion.md ]]; then
    echo
    cat "$root/bench/format-error.discussion.md"
  fi
} > "$out"
echo "format-error: wrote ${out#$root/}"
