#!/usr/bin/env bash
# Builds the lab, the chapter in a browser, as a static site: web/dist/
# (or the folder given) holds the page, its JavaScript, the dashboard's
# shared panels and manabi.wasm, with the mnist-10k digits inside it.
# Any static file server on its own origin serves it; nothing is fetched
# from anywhere else. Needs the wasm32-unknown-unknown target:
#   rustup target add wasm32-unknown-unknown
#
#   scripts/web.sh                       # writes web/dist/
#   python3 -m http.server -d web/dist   # then open http://127.0.0.1:8000/
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-web/dist}"

# The engine at the 128-bit SIMD level (simd128), optimised across crates
# and without debug information: what the page loads. Its own target folder,
# so this build never waits for (or invalidates) the native one.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
export CARGO_PROFILE_RELEASE_DEBUG=false
export CARGO_PROFILE_RELEASE_STRIP=true
export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_PROFILE_RELEASE_PANIC=abort
cargo build --release --locked --quiet --target wasm32-unknown-unknown \
  -p manabi-web --target-dir target/web

# Without what only wasm-bindgen reads (scripts/trim-wasm.rs says what),
# trimmed by a one-file program rustc builds.
rustc --edition 2024 -O -o target/web/trim-wasm scripts/trim-wasm.rs

rm -rf "$out"
mkdir -p "$out"
target/web/trim-wasm target/web/wasm32-unknown-unknown/release/manabi_web.wasm "$out/manabi.wasm" > /dev/null
cp web/index.html web/lab.js web/lab.css web/worker.js web/engine.js web/zip.js "$out/"
# The panels shared with the dashboard `manabi train --serve` shows.
cp assets/dashboard/panels.js assets/dashboard/chart.js assets/dashboard/draw.js \
  assets/dashboard/i18n.js assets/dashboard/style.css assets/dashboard/favicon.svg "$out/"

total=$(cat "$out"/* | wc -c)
echo "web: wrote $out ($(ls "$out" | wc -l) files, $((total / 1024)) KiB; manabi.wasm $(($(wc -c < "$out/manabi.wasm") / 1024)) KiB)"
