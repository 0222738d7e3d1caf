#!/usr/bin/env bash
# Measures every weight format on synthetic matrices and writes
# bench/results/format-error.md (JSON next to the build): relative error, bits per weight
# from the stored bytes, encode time; weighting and grid-rule ablations; the
# 4096x14336 itq3_s encode time on 2 threads.
#   bench/format-error.sh                  # full size, 4096x4096
#   ROWS=512 COLS=2048 bench/format-error.sh
# A hand-written "## Discussion" section already in the .md is kept (update
# it when the numbers move).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ITQ3_BUILD_DIR:-$root/build}
rows=${ROWS:-4096}
cols=${COLS:-4096}
bin=$build/bin/itq3-bench
[[ -x $bin ]] || { echo "format-error: build itq3-bench first (scripts/setup)" >&2; exit 1; }

out=$root/bench/results/format-error.md
json=$build/format-error.json
args=(formats --rows "$rows" --cols "$cols" --threads 2 --json "$json")
load=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date -u '+%Y-%m-%d %H:%M UTC')
tables=$("$bin" "${args[@]}")
discussion=""
[[ -f $out ]] && discussion=$(sed -n '/^## Discussion/,$p' "$out")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
{
  echo "# Weight formats: reconstruction error and encode speed"
  echo
  echo "- date: $start"
  echo "- machine: $cpu, $(nproc) cores visible, encode on 2 threads;" \
       "shared with other builds (load average at start: $load), so times are indicative"
  echo "- commit: $(git -C "$root" rev-parse --short HEAD)"
  echo "- command: \`bench/format-error.sh\` = \`itq3-bench ${args[*]/#$build/<build>}\`"
  echo "- relative error = ||W^ - W|| / ||W|| in the weight domain; bits/weight = stored bytes * 8 / weights"
  echo "- matrices (sigma 0.02): gaussian; student-t4 (t with 4 degrees of freedom);" \
       "outlier-cols (gaussian, 1% of the columns times 20)"
  echo "$tables" | sed '1d'
  if [[ -n $discussion ]]; then
    echo
    echo "$discussion"
  fi
} > "$out.new"
mv "$out.new" "$out"
echo "format-error: wrote ${out#$root/}"
