#!/usr/bin/env bash
# Training throughput with the dashboard: plain `train`, `--serve` with no
# page open, with one event-stream client (curl), and with the page open in
# headless Chromium. Runs are interleaved (the order rotates each round) and
# the median of the "done: … in X s" times is reported per setting.
#
#   scripts/bench-serve.sh [ROUNDS] [-- extra train flags]
#   e.g. scripts/bench-serve.sh 5 -- --dataset mnist-10k --precision f32
#
# The data set is Fashion-MNIST (`--dataset fashion-mnist`: after `manabi data
# fetch fashion-mnist`, or Debian's dataset-fashion-mnist) unless the extra
# flags name one with --dataset or --data-dir.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
shift || true
[ "${1:-}" = "--" ] && shift
extra=("$@")
case " ${extra[*]} " in
  *" --dataset "*|*" --data-dir "*) ;;
  *) extra=(--dataset fashion-mnist "${extra[@]}") ;;
esac
# MANABI=path/to/manabi measures that binary instead of building one.
bin=${MANABI:-target/release/manabi}
[ -n "${MANABI:-}" ] || cargo build --release --quiet
if [ "${extra[0]}" = --dataset ] && [ "${extra[1]}" != mnist-10k ]; then
  "$bin" data path "${extra[1]}" > /dev/null || exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One run; prints its training time in seconds. Its output is read line by
# line through a pipe, the same way in every setting: no polling that would
# take CPU from the run being measured.
run() {
  local mode=$1 log=$tmp/log.$RANDOM fifo=$tmp/fifo.$RANDOM pid client= line
  mkfifo "$fifo"
  if [ "$mode" = plain ]; then
    "$bin" train --no-save --quiet "${extra[@]}" > "$fifo" &
  else
    "$bin" train --no-save --quiet --serve 127.0.0.1:0 "${extra[@]}" > "$fifo" &
  fi
  pid=$!
  while IFS= read -r line; do
    echo "$line" >> "$log"
    case $line in
      "watch it learn: "*)
        local url=${line#watch it learn: }
        case $mode in
          events) curl -sN "${url}api/live/events" > /dev/null & client=$! ;;
          browser) chromium --headless --no-sandbox --disable-gpu --no-first-run \
                     --disable-background-networking --disable-component-update --disable-sync \
                     --user-data-dir="$tmp/profile.$RANDOM" --window-size=1280,900 "$url" \
                     > /dev/null 2>&1 & client=$! ;;
        esac ;;
      # --serve keeps the page up after the run: the measurement is over.
      "the page stays up"*) kill "$pid" ;;
    esac
  done < "$fifo"
  wait "$pid" 2>/dev/null || true
  if [ -n "$client" ]; then kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true; fi
  sed -n 's/^done: .* in \([0-9.]*\) s;.*/\1/p' "$log"
}

modes=(plain serve events browser)
declare -A times
for ((r = 0; r < rounds; r++)); do
  for ((k = 0; k < ${#modes[@]}; k++)); do
    m=${modes[$(((k + r) % ${#modes[@]}))]}
    t=$(run "$m")
    times[$m]+="$t "
    echo "round $((r + 1)) $m: $t s"
  done
done
echo
for m in "${modes[@]}"; do
  median=$(tr ' ' '\n' <<< "${times[$m]}" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  echo "$m: median $median s over $rounds runs (${times[$m]% })"
done
