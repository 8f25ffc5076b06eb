#!/usr/bin/env bash
# Open-ended fuzzing of every libFuzzer target (make fuzz). `make test` runs
# each one for a bounded number of iterations; this keeps going.
#   tools/fuzz.sh [target-name]     (default: every target, in turn)
#   FUZZ_SECONDS=N                  per target; 0 (default with a name) = until Ctrl-C
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$root/build}"
mapfile -t targets < <(find "$build/tests/fuzz" "$build/tests/host" -name '*_fuzz' -type f -perm -u+x 2>/dev/null | sort)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets built under $build (run make build first)" >&2
  exit 1
fi
if [ $# -gt 0 ]; then
  sel=()
  for t in "${targets[@]}"; do [[ "$(basename "$t")" == "$1"_fuzz || "$(basename "$t")" == "$1" ]] && sel+=("$t"); done
  [ ${#sel[@]} -gt 0 ] || { echo "fuzz: no target named $1; have: $(for t in "${targets[@]}"; do basename "$t"; done | tr '\n' ' ')" >&2; exit 1; }
  targets=("${sel[@]}")
  seconds="${FUZZ_SECONDS:-0}"
else
  seconds="${FUZZ_SECONDS:-300}"
fi
for t in "${targets[@]}"; do
  name="$(basename "$t" _fuzz)"
  corpus="$build/fuzz-corpus/$name"
  mkdir -p "$corpus"
  seeds=()
  for d in "$root/tests/fuzz/corpus/$name" "$root/tests/fuzz/$name/corpus"; do [ -d "$d" ] && seeds+=("$d"); done
  echo "fuzz: $name for ${seconds}s (0 = until interrupted); corpus $corpus"
  "$t" -max_total_time="$seconds" "$corpus" "${seeds[@]}"
done
