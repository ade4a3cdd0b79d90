#!/usr/bin/env bash
# The lab's speed, side by side in one headless Chromium on this machine:
# the seed workload on mnist-10k (10,000 iterations, 125 evaluations) by
# the lab page (manabi.wasm, simd128, in a Web Worker), by TensorFlow.js
# (the same network and loop in its ops, bench/tfjs/) with each backend
# that runs here, and by the command line on one thread at the same kernel
# level (MANABI_SIMD=baseline RAYON_NUM_THREADS=1). Interleaved rounds;
# prints a table of medians (the numbers in docs/PERFORMANCE.md).
#
#   scripts/bench-web.sh            # 3 rounds
#   scripts/bench-web.sh 5          # 5 rounds
#   MANABI_BENCH=lab,native scripts/bench-web.sh
#
# Needs chromium, chromedriver, the wasm32-unknown-unknown target and npm
# (TensorFlow.js is installed into bench/tfjs/node_modules from its lock file).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
if [ ! -d bench/tfjs/node_modules/@tensorflow ]; then
  (cd bench/tfjs && npm ci --no-audit --no-fund)
fi
MANABI_BENCH_ROUNDS="$rounds" cargo test --release --test web -- \
  --ignored speed --nocapture --test-threads=1
