#!/usr/bin/env bash
# Same numbers? Trains eight configurations on the embedded digits at every
# kernel level this processor has and prints one hash per run: the SHA-256 of
# metrics.csv (every iteration's loss, shortest round-trip form) and of
# epochs.csv without its timing column. A change that is meant to keep the
# arithmetic as it was must leave every line of this output as it was.
#
#   scripts/same-numbers.sh              # all levels the processor has
#   scripts/same-numbers.sh avx2         # one level (amx, avx512, avx2, baseline)
#   scripts/same-numbers.sh > before.txt; …; scripts/same-numbers.sh | diff before.txt -
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/manabi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name | flags (on the embedded mnist-10k)
configs=(
  "f64-sigmoid|--iters 2000"
  "f32-sigmoid|--iters 2000 --precision f32"
  "f64-relu|--iters 1000 --activation relu"
  "f32-relu-odd|--iters 1000 --precision f32 --activation relu --hidden 37 --batch 53"
  "f64-shuffle-odd|--iters 600 --shuffle --batch 64 --hidden 100 --train-size 1000"
  "f32-wide|--iters 300 --precision f32 --hidden 200 --batch 200 --lr 0.5"
  "f64-numerical-fast|--iters 60 --gradient numerical-fast --hidden 20"
  "f64-lr100|--iters 200 --lr 100"
)

# The levels the processor has, best first; amx only where f32 uses it.
if [ $# -gt 0 ]; then
  levels=("$@")
else
  "$bin" train --iters 1 --precision f32 --quiet --out "$tmp/probe" > /dev/null
  best=$(sed -n 's/.*"kernels": "\([a-z0-9]*\)".*/\1/p' "$tmp/probe/config.json")
  case "$best" in
    amx) levels=(amx avx512 avx2 baseline) ;;
    avx512) levels=(avx512 avx2 baseline) ;;
    avx2) levels=(avx2 baseline) ;;
    *) levels=(baseline) ;;
  esac
fi

for level in "${levels[@]}"; do
  simd=$level
  [ "$level" = amx ] && simd=""
  for c in "${configs[@]}"; do
    name=${c%%|*}
    flags=${c#*|}
    out="$tmp/$level-$name"
    # shellcheck disable=SC2086
    MANABI_SIMD=$simd "$bin" train $flags --quiet --out "$out" > /dev/null
    m=$(sha256sum < "$out/metrics.csv" | cut -c1-16)
    e=$(cut -d, -f1-4 "$out/epochs.csv" | sha256sum | cut -c1-16)
    printf '%-9s %-20s metrics %s  epochs %s\n' "$level" "$name" "$m" "$e"
  done
done
