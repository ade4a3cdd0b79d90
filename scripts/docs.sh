#!/usr/bin/env bash
# Regenerates what the docs show: runs every command of docs/tour.md,
# docs/tour.ja.md, README.md and README.ja.md (the slow ones too), writes what each
# prints into the output block below it, and copies the figures the commands
# draw into docs/figures/tour/. Run it after any change that alters an
# output; `git diff docs/ README.md README.ja.md` then shows what moved.
#
# The same test, without MANABI_DOCS_UPDATE, is the check that `cargo test
# --release` runs: it fails when a page and the program disagree.
#
# Timings in the outputs are this machine's; run on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# The examples are not built by `cargo test --test docs` alone.
cargo build --release --bins --examples
MANABI_DOCS_UPDATE=1 cargo test --release --test docs -- --test-threads 1 --nocapture

# Keep only the figures the pages still show.
shown=$(grep -ho 'figures/tour/[A-Za-z0-9_.-]*\.png' docs/tour.md docs/tour.ja.md README.ja.md | sort -u)
for f in docs/figures/tour/*.png; do
  [ -e "$f" ] || continue
  if ! grep -qx "${f#docs/}" <<< "$shown"; then
    echo "docs.sh: removing $f (no page shows it)"
    rm "$f"
  fi
done
echo "docs.sh: outputs and figures regenerated; review with: git diff --stat docs/ README.md README.ja.md"
