#!/usr/bin/env bash
# Times the Python package against the book's NumPy code and the command line.
#
#   1. the book's training script (train_neuralnet.py: 10,000 iterations of
#      batches of 100, the update loop in NumPy, the batch loss every
#      iteration, train and test accuracy every epoch) with
#      manabi.TwoLayerNet, and the same script with the book's NumPy class
#      (python/tests/book.py: float32 images, float64 weights, the book's
#      dtype mix); the loop only, data loaded before;
#   2. manabi.train (the whole loop in Rust) against
#      `manabi train --no-save --quiet`, the training seconds each reports;
#   3. numerical_gradient on a batch of 100, per call: manabi's (median of
#      5 calls a round) and the book's NumPy one (one call in all: ~30 s+).
#
# Rounds are interleaved (manabi, NumPy, NumPy, manabi, …) so a busy moment
# of the machine hurts both alike; the table gives medians, and the median
# of the round-by-round ratios (each pair ran back to back, so a machine
# that changes speed between rounds moves both sides of a ratio alike).
#
#   scripts/bench-python.sh                      # Fashion-MNIST, 3 rounds
#   scripts/bench-python.sh --data-dir DIR --rounds 5
#   scripts/bench-python.sh --iters 2000         # a quicker look
#
# The data: `manabi data path fashion-mnist` (fetch it with `manabi data
# fetch fashion-mnist`, or install Debian's dataset-fashion-mnist). The
# Python: $PYTHON if set, else a virtual environment in target/python-bench
# made here with numpy and ./python.
set -euo pipefail
cd "$(dirname "$0")/.."

data=""
rounds=3
iters=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) data="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --iters) iters="$2"; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-python.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

echo "building manabi (release)…" >&2
cargo build --release --quiet
manabi=target/release/manabi
if [ -z "$data" ]; then
  data=$("$manabi" data path fashion-mnist)
fi
if [ ! -d "$data" ]; then
  echo "bench-python.sh: --data-dir $data: no such folder" >&2
  exit 2
fi

python=${PYTHON:-}
if [ -z "$python" ]; then
  venv=target/python-bench
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet numpy
  fi
  echo "installing ./python into $venv…" >&2
  "$venv/bin/pip" install --quiet ./python
  python=$venv/bin/python
fi

"$python" - "$data" "$rounds" "$iters" "$manabi" <<'EOF'
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join("python", "tests"))
import book  # noqa: E402
import manabi  # noqa: E402

data, rounds, iters, cli = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
(x_train, t_train), (x_test, t_test) = manabi.load_mnist(normalize=True, one_hot_label=True, data_dir=data)


def book_script(TwoLayerNet):
    """ch04/train_neuralnet.py, as the book writes it; seconds of its loop."""
    np.random.seed(0)
    network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    train_size = x_train.shape[0]
    batch_size = 100
    learning_rate = 0.1
    train_loss_list, train_acc_list, test_acc_list = [], [], []
    iter_per_epoch = max(train_size / batch_size, 1)
    start = time.perf_counter()
    for i in range(iters):
        batch_mask = np.random.choice(train_size, batch_size)
        x_batch = x_train[batch_mask]
        t_batch = t_train[batch_mask]
        grad = network.gradient(x_batch, t_batch)
        for key in ("W1", "b1", "W2", "b2"):
            network.params[key] -= learning_rate * grad[key]
        loss = network.loss(x_batch, t_batch)
        train_loss_list.append(loss)
        if i % iter_per_epoch == 0:
            train_acc_list.append(network.accuracy(x_train, t_train))
            test_acc_list.append(network.accuracy(x_test, t_test))
    return time.perf_counter() - start, test_acc_list[-1]


def cli_train():
    out = subprocess.run(
        [cli, "train", "--data-dir", data, "--iters", str(iters), "--no-save", "--quiet"],
        capture_output=True, text=True, check=True,
    ).stdout + ""
    seconds = re.search(r"iterations in ([0-9.]+) s", out)
    if seconds is None:
        raise SystemExit(f"no timing in the command line's output:\n{out}")
    return float(seconds.group(1))


def py_train():
    return manabi.train(data_dir=data, iters_num=iters, progress=False).seconds


np.random.seed(1)
batch = np.random.choice(x_train.shape[0], 100)
x_batch, t_batch = x_train[batch], t_train[batch]
net = manabi.TwoLayerNet(784, 50, 10)


def numerical_manabi():
    times = []
    for _ in range(5):
        start = time.perf_counter()
        net.numerical_gradient(x_batch, t_batch)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


results = {k: [] for k in ("book manabi", "book numpy", "train", "cli", "numerical manabi")}
accuracy = {}
for r in range(rounds):
    order = [("book manabi", manabi.TwoLayerNet), ("book numpy", book.TwoLayerNet)]
    if r % 2:
        order.reverse()
    for name, cls in order:
        seconds, acc = book_script(cls)
        results[name].append(seconds)
        accuracy[name] = acc
        print(f"round {r + 1}: {name}: {seconds:.2f} s (test acc {acc:.4f})", file=sys.stderr)
    for name, f in ((("train", py_train), ("cli", cli_train)) if r % 2 == 0 else (("cli", cli_train), ("train", py_train))):
        results[name].append(f())
        print(f"round {r + 1}: {name}: {results[name][-1]:.3f} s", file=sys.stderr)
    results["numerical manabi"].append(numerical_manabi())
    print(f"round {r + 1}: numerical manabi: {results['numerical manabi'][-1] * 1000:.1f} ms", file=sys.stderr)

book_net = book.TwoLayerNet(784, 50, 10)
start = time.perf_counter()
book_net.numerical_gradient(x_batch, t_batch)
numerical_numpy = time.perf_counter() - start
print(f"numerical numpy: {numerical_numpy:.1f} s (one call)", file=sys.stderr)

med = {k: statistics.median(v) for k, v in results.items()}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print()
print(f"{cpu}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; numpy {np.__version__}; "
      f"{len(x_train):,} train / {len(x_test):,} test images; {iters:,} iterations; "
      f"medians of {rounds} interleaved rounds")
print()


def paired(a, b):
    """Round by round (the two ran back to back), b / a: median (lowest–highest)."""
    r = sorted(y / x for x, y in zip(results[a], results[b]))
    return statistics.median(r), r[0], r[-1]


book_r, book_lo, book_hi = paired("book manabi", "book numpy")
cli_r, cli_lo, cli_hi = paired("cli", "train")
print("| what | manabi | reference | ratio of medians | round by round: median (range) |")
print("| --- | --- | --- | --- | --- |")
print(f"| the book's script, {iters:,} iterations (loop only) | {med['book manabi']:.2f} s (manabi.TwoLayerNet) "
      f"| {med['book numpy']:.2f} s (NumPy TwoLayerNet) | {med['book numpy'] / med['book manabi']:.2f}× faster "
      f"| {book_r:.2f}× ({book_lo:.2f}–{book_hi:.2f}×) |")
print(f"| `manabi.train` vs `manabi train --no-save --quiet` (training seconds) | {med['train']:.3f} s "
      f"| {med['cli']:.3f} s | {100 * (med['train'] / med['cli'] - 1):+.1f} % "
      f"| {100 * (cli_r - 1):+.1f} % ({100 * (cli_lo - 1):+.1f} … {100 * (cli_hi - 1):+.1f} %) |")
print(f"| `numerical_gradient`, batch of 100, per call | {med['numerical manabi'] * 1000:.1f} ms "
      f"| {numerical_numpy:.1f} s (NumPy, one call) | {numerical_numpy / med['numerical manabi']:,.0f}× faster | one NumPy call |")
print()
print(f"last test accuracy of the book's script: manabi {accuracy['book manabi']:.4f}, NumPy {accuracy['book numpy']:.4f}")
EOF
