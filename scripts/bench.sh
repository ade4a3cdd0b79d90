#!/usr/bin/env bash
# Times manabi against NumPy and PyTorch on the seed workload, side by side.
#
# The workload: chapter 4's experiment (784-50-10 sigmoid, SGD lr 0.1, batch 100
# with replacement, 10,000 iterations, batch loss after every update, train and
# test accuracy every epoch) on a full-size MNIST-layout data set, whole process
# (start-up and loading included). Every implementation runs once per round,
# rounds interleaved (A B C A B C …), so a busy moment hurts all alike; the
# table gives each one's median and its ratio to manabi.
#
#   scripts/bench.sh                         # Fashion-MNIST, 3 rounds
#   scripts/bench.sh --dataset mnist --rounds 5
#   scripts/bench.sh --data-dir DIR          # any folder of MNIST-layout files
#   scripts/bench.sh --numerical             # also: seconds per iteration of the numerical gradient
#   scripts/bench.sh --numerical-fast        # also: a whole run by --gradient numerical-fast (minutes)
#   scripts/bench.sh --levels                # each kernel level against NumPy at the same level
#
# --levels: manabi at each kernel level this processor has (MANABI_SIMD) against
# NumPy with OpenBLAS forced to the same level (OPENBLAS_CORETYPE: avx512 =
# SkylakeX, avx2 = Haswell, baseline = Nehalem; checked with threadpoolctl), and
# both as they come ("default"), f32 and f64, with each ratio also taken
# round by round (median and range), and over the rounds where both runs had
# the machine's first two cores on one L3 cache ("one L3", benches/cores.rs:
# a virtual machine's two cores may be moved apart, which slows both sides).
# It needs numpy and threadpoolctl: from $PYTHON, python3, or a virtual
# environment it makes in target/bench-venv (pip install numpy threadpoolctl).
#
# --dataset NAME (default fashion-mnist) is found where `manabi train --dataset
# NAME` finds it (`manabi data fetch NAME`, or Debian's dataset-fashion-mnist).
# References: bench/reference_numpy.py (needs numpy) and bench/reference_torch.py
# (needs torch), run by $PYTHON, python3 or target/bench-venv (the first with
# numpy); whichever is missing is reported and left out.
set -euo pipefail
cd "$(dirname "$0")/.."

dataset=fashion-mnist
data=
rounds=3
numerical=0
numerical_fast=0
levels=0
iters=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --dataset) dataset="$2"; shift 2 ;;
    --data-dir) data="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --iters) iters="$2"; shift 2 ;;
    --numerical) numerical=1; shift ;;
    --numerical-fast) numerical_fast=1; shift ;;
    --levels) levels=1; shift ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

echo "building manabi (release)…" >&2
cargo build --release --quiet
manabi=target/release/manabi
if [ -z "$data" ]; then
  if [ "$dataset" = mnist-10k ]; then
    data=data/mnist-10k
  else
    data=$("$manabi" data path "$dataset") || exit 2
  fi
elif [ ! -d "$data" ]; then
  echo "bench.sh: --data-dir $data: no such folder; give a folder of MNIST-layout files (e.g. Fashion-MNIST)" >&2
  exit 2
fi
# The Python for the references: $PYTHON, python3, or the virtual
# environment `--levels` makes (target/bench-venv), the first with numpy.
python=$(command -v python3 || true)
for py in "${PYTHON:-}" python3 target/bench-venv/bin/python; do
  if [ -n "$py" ] && [ -x "$(command -v "$py")" ] && "$py" -c "import numpy" 2> /dev/null; then
    python=$(command -v "$py")
    break
  fi
done

# A Python with numpy and threadpoolctl (--levels): $PYTHON, python3, or a
# virtual environment made for it.
numpy_python() {
  local py
  for py in "${PYTHON:-}" "$python" target/bench-venv/bin/python; do
    if [ -n "$py" ] && [ -x "$(command -v "$py")" ] && "$py" -c "import numpy, threadpoolctl" 2> /dev/null; then
      echo "$py"
      return
    fi
  done
  echo "bench.sh --levels: installing numpy and threadpoolctl in target/bench-venv…" >&2
  python3 -m venv target/bench-venv > /dev/null &&
    target/bench-venv/bin/pip install --quiet numpy threadpoolctl >&2 &&
    echo target/bench-venv/bin/python
}

# name|command, one per implementation that can run here.
variants=(
  "manabi f64|$manabi train --data-dir $data --iters $iters --no-save --quiet"
  "manabi f32|$manabi train --data-dir $data --iters $iters --no-save --quiet --precision f32"
)
# Where f32's x·W1 runs on AMX, also the FMA kernels that run without it.
if grep -q amx_int8 /proc/cpuinfo 2>/dev/null; then
  variants+=("manabi f32 no AMX|MANABI_SIMD=avx512 $manabi train --data-dir $data --iters $iters --no-save --quiet --precision f32")
fi
if [ "$levels" = 1 ]; then :; elif [ -n "$python" ] && "$python" -c "import numpy" 2>/dev/null; then
  variants+=(
    "numpy f64|$python bench/reference_numpy.py --data-dir $data --iters $iters --dtype float64"
    "numpy f32|$python bench/reference_numpy.py --data-dir $data --iters $iters --dtype float32"
  )
else
  echo "bench.sh: NumPy not found (pip install numpy): timing without it" >&2
fi
if [ "$levels" = 1 ]; then :; elif [ -n "$python" ] && "$python" -c "import torch" 2>/dev/null; then
  variants+=(
    "torch f32 autograd|$python bench/reference_torch.py --data-dir $data --iters $iters --grad autograd"
    "torch f32 manual|$python bench/reference_torch.py --data-dir $data --iters $iters --grad manual"
  )
else
  echo "bench.sh: PyTorch not found (pip install torch): timing without it" >&2
fi

if [ "$levels" = 1 ]; then
  python=$(numpy_python) || {
    echo "bench.sh --levels: no Python with numpy and threadpoolctl (set PYTHON=…, or make python3 -m venv work)" >&2
    exit 2
  }
  probe=$(mktemp -d)
  "$manabi" train --iters 1 --quiet --precision f32 --out "$probe/run" > /dev/null
  best=$(sed -n 's/.*"kernels": "\([a-z0-9]*\)".*/\1/p' "$probe/run/config.json")
  rm -rf "$probe"
  case "$best" in
    amx|avx512) rows=(default avx512 avx2 baseline) ;;
    avx2) rows=(default avx2 baseline) ;;
    *) rows=(default baseline) ;;
  esac
  variants=()
  for level in "${rows[@]}"; do
    case "$level" in
      default) simd=; core= ;;
      avx512) simd=avx512; core=SkylakeX ;;
      avx2) simd=avx2; core=Haswell ;;
      *) simd=baseline; core=Nehalem ;;
    esac
    if [ -n "$core" ]; then
      got=$(OPENBLAS_CORETYPE=$core "$python" -c "import numpy, threadpoolctl; print(' '.join(str(i.get('architecture')) for i in threadpoolctl.threadpool_info() if i.get('internal_api') == 'openblas'))")
      if [ "${got,,}" != "${core,,}" ]; then
        echo "bench.sh --levels: OPENBLAS_CORETYPE=$core gave OpenBLAS '$got': its row compares other levels" >&2
      fi
    fi
    for precision in f32 f64; do
      dtype=float${precision#f}
      variants+=(
        "manabi $level $precision|MANABI_SIMD=$simd $manabi train --data-dir $data --iters $iters --no-save --quiet --precision $precision"
        "numpy $level $precision|${core:+OPENBLAS_CORETYPE=$core }$python bench/reference_numpy.py --data-dir $data --iters $iters --dtype $dtype"
      )
    done
  done
fi

timer=()
if [ -x /usr/bin/time ]; then timer=(/usr/bin/time -f "%e %M"); fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT

run_once() { # name command → appends "name|seconds|rss_kib|cores"; a failed run ends the benchmark, saying which
  local name=$1 cmd=$2 out log seconds rss before=$last_l3
  log=$(mktemp)
  failed() {
    echo "bench.sh: $name failed: $cmd" >&2
    tail -n 5 "$log" >&2
    rm -f "$log" "$log.time"
    exit 1
  }
  if [ ${#timer[@]} -gt 0 ]; then
    "${timer[@]}" -o "$log.time" bash -c "$cmd" > /dev/null 2> "$log" || failed
    out=$(tail -n 1 "$log.time")
    seconds=${out% *} rss=${out#* }
  else
    local t0 t1
    t0=$(date +%s.%N)
    bash -c "$cmd" > /dev/null 2> "$log" || failed
    t1=$(date +%s.%N)
    seconds=$(echo "$t1 - $t0" | bc) rss="?"
  fi
  last_l3=$(cores_l3)
  echo "$name|$seconds|$rss|$(placement "$before" "$last_l3")" >> "$results"
  rm -f "$log" "$log.time"
}

# How far apart the two cores are (benches/cores.rs): on a virtual machine
# they may share an L3 cache at one moment and not the next, which moves
# every two-thread time (manabi's and NumPy's) by some 40 %. Measured before
# and after every run: a run is "one" (the probe found one L3 cache both
# times), "two" (two, both times) or "mixed".
# Without the probe (a failed build, a processor that cannot be pinned) the
# runs are timed all the same, their cores "?".
cores_bin=$(cargo bench --no-run --bench cores 2>&1 | sed -n 's/.*(\(.*cores-[0-9a-f]*\)).*/\1/p' | tail -n 1) || true
cores() { if [ -x "$cores_bin" ]; then "$cores_bin" 2> /dev/null | tail -n 1 || true; fi; }
# The probe's own verdict ("one" or "two" L3 caches), not its figure again.
verdict() { sed -n 's/.*(\(one\|two\) L3 cache.*/\1/p'; }
cores_l3() { cores | verdict; }
placement() { # before, after → one / two / mixed (or ? unmeasured)
  if [ -z "$1" ] || [ -z "$2" ]; then echo "?"
  elif [ "$1" = "$2" ]; then echo "$1"
  else echo mixed; fi
}
cores_before=$(cores)
# Where the cores were when the last run ended: the next run's "before"
# (runs follow each other at once, so one probe serves both).
last_l3=$(echo "$cores_before" | verdict)

echo "warm-up…" >&2
warm=("${variants[@]}")
# --levels: one run of each program is enough to bring the data in.
[ "$levels" = 1 ] && warm=("${variants[@]:0:2}")
for v in "${warm[@]}"; do run_once "warmup" "${v#*|}"; done
: > "$results"
for r in $(seq "$rounds"); do
  echo "round $r of $rounds…" >&2
  for v in "${variants[@]}"; do run_once "${v%%|*}" "${v#*|}"; done
done

echo
echo "seed workload on $(basename "$data"), $iters iterations, whole process; median of $rounds interleaved rounds"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "$cores_before" ] && echo "before the rounds, $cores_before; after them, $(cores)"
echo
if [ "$levels" = 1 ]; then
  awk -F'|' '
    { t[$1] = t[$1] " " $2; pl[$1] = pl[$1] " " $4; split($1, w, " "); if (!(w[2] in seen)) { seen[w[2]] = 1; order[++n] = w[2] } }
    function median(list,   a, k, i, j, x) {
      k = split(list, a, " ")
      for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
      return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    END {
      core["default"] = "as it comes"; core["avx512"] = "SkylakeX"; core["avx2"] = "Haswell"; core["baseline"] = "Nehalem"
      printf "| level | OPENBLAS_CORETYPE | manabi f32 s | NumPy f32 s | NumPy / manabi f32 | round by round f32 | one L3 f32 | manabi f64 s | NumPy f64 s | NumPy / manabi f64 | round by round f64 | one L3 f64 |\n"
      printf "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
      for (i = 1; i <= n; i++) {
        l = order[i]
        m32 = median(t["manabi " l " f32"]); n32 = median(t["numpy " l " f32"])
        m64 = median(t["manabi " l " f64"]); n64 = median(t["numpy " l " f64"])
        printf "| %s | %s | %.2f | %.2f | %.2f× | %s | %s | %.2f | %.2f | %.2f× | %s | %s |\n", l, core[l], m32, n32, n32 / m32, paired(l, "f32"), near(l, "f32"), m64, n64, n64 / m64, paired(l, "f64"), near(l, "f64")
      }
    }
    # The ratio in each round (manabi, then NumPy at its level, back to
    # back), over every round or (one) only those whose two runs both had
    # the two cores on one L3 cache before and after (benches/cores.rs): a
    # list, with its lowest, highest and length in lo, hi and kept.
    function ratios(l, p, one,   m, q, a, b, k, i, r, x) {
      k = split(t["manabi " l " " p], m, " "); split(t["numpy " l " " p], q, " ")
      split(pl["manabi " l " " p], a, " "); split(pl["numpy " l " " p], b, " ")
      r = ""; lo = 1e9; hi = 0; kept = 0; rounds = k
      for (i = 1; i <= k; i++) if (!one || (a[i] == "one" && b[i] == "one")) {
        x = q[i] / m[i]; r = r " " x; kept++
        if (x < lo) lo = x; if (x > hi) hi = x
      }
      return r
    }
    # Every round: median (lowest–highest). A machine that changes speed
    # between rounds moves both sides of these alike.
    function paired(l, p,   r) {
      r = ratios(l, p, 0)
      return sprintf("%.2f× (%.2f–%.2f)", median(r), lo, hi)
    }
    # The rounds on one L3 cache: median (rounds).
    function near(l, p,   r) {
      r = ratios(l, p, 1)
      return kept ? sprintf("%.2f× (%d of %d)", median(r), kept, rounds) : sprintf("– (0 of %d)", rounds)
    }' "$results"
  exit 0
fi
awk -F'|' '
  { t[$1] = t[$1] " " $2; if ($3 > rss[$1]) rss[$1] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  function median(list,   a, k, i, j, x) {
    k = split(list, a, " ")
    for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  function span(list,   a, k, i, lo, hi) {
    k = split(list, a, " "); lo = a[1]; hi = a[1]
    for (i = 2; i <= k; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
    return sprintf("%.2f–%.2f", lo, hi)
  }
  END {
    for (i = 1; i <= n; i++) m[order[i]] = median(t[order[i]])
    printf "| %-20s | %9s | %11s | %9s | %15s | %15s |\n", "implementation", "median s", "range s", "peak MiB", "× manabi f64", "× manabi f32"
    printf "| %-20s | %9s | %11s | %9s | %15s | %15s |\n", "---", "---:", "---:", "---:", "---:", "---:"
    for (i = 1; i <= n; i++) {
      name = order[i]
      printf "| %-20s | %9.2f | %11s | %9.0f | %15.2f | %15.2f |\n", name, m[name], span(t[name]), rss[name] / 1024, m[name] / m["manabi f64"], m[name] / m["manabi f32"]
    }
  }' "$results"

if [ "$numerical" = 1 ]; then
  echo
  echo "numerical gradient, the book's way (every parameter nudged, two full forward passes each), batch 100, f64:"
  t0=$(date +%s.%N)
  $manabi train --data-dir "$data" --iters 3 --no-save --quiet --gradient numerical > /dev/null
  t1=$(date +%s.%N)
  echo "  manabi --gradient numerical: $(echo "scale=2; ($t1 - $t0) / 3" | bc) s per iteration (3 iterations, load and 1 evaluation included)"
  if [ -n "$python" ] && "$python" -c "import numpy" 2>/dev/null; then
    echo "  numpy:                       $("$python" bench/reference_numpy.py --data-dir "$data" --numerical 1 | sed 's/.*"seconds_per_iteration": \[\([0-9.]*\).*/\1/') s per iteration"
  fi
fi
if [ "$numerical_fast" = 1 ]; then
  echo
  echo "a whole run trained by the incremental numerical gradient (f64):"
  /usr/bin/time -f "  manabi --gradient numerical-fast: %e s wall, %M KiB peak" \
    $manabi train --data-dir "$data" --iters "$iters" --no-save --quiet --gradient numerical-fast | tail -n 2
fi
