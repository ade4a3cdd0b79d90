"""manabi.train: the book's loop run by manabi, its history under the book's
names, Ctrl-C, the GIL, the progress display, the run folder and figures."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import manabi

REPO = os.path.join(os.path.dirname(__file__), "..", "..")


def test_the_history_under_the_books_names():
    run = manabi.train(iters_num=300, progress=False)
    assert run.train_loss_list.shape == (300,) and run.train_loss_list.dtype == np.float64
    # mnist-10k: 80 iterations per epoch, evaluated at 0, 80, 160, 240.
    assert run.iter_per_epoch == 80
    assert list(run.epoch_iterations) == [0, 80, 160, 240]
    assert run.train_acc_list.shape == run.test_acc_list.shape == (4,)
    assert run.train_loss_list[-50:].mean() < run.train_loss_list[:10].mean()
    assert run.test_acc_list[-1] > 0.5 > run.test_acc_list[0]
    assert not run.interrupted and run.diverged is None and run.iterations == 300
    # The network returned is the trained one.
    assert isinstance(run.network, manabi.TwoLayerNet)
    (_, _), (x_test, t_test) = manabi.load_mnist()
    assert run.network.accuracy(x_test, t_test) > 0.5
    # The same seed, the same run; another seed, another run.
    again = manabi.train(iters_num=300, progress=False)
    assert np.array_equal(again.train_loss_list, run.train_loss_list)
    other = manabi.train(iters_num=300, seed=7, progress=False)
    assert not np.array_equal(other.train_loss_list, run.train_loss_list)


def test_the_engines_and_gradients_agree():
    fast = manabi.train(iters_num=20, progress=False)
    ref = manabi.train(iters_num=20, engine="reference", progress=False)
    assert np.abs(fast.train_loss_list - ref.train_loss_list).max() < 1e-12
    numerical = manabi.train(iters_num=3, gradient="numerical-fast", progress=False)
    assert np.abs(numerical.train_loss_list - fast.train_loss_list[:3]).max() < 1e-7


def cli():
    """The command line of this clone, built first if it is not yet (a
    package installed from the clone had cargo to build it)."""
    path = os.path.join(REPO, "target", "release", "manabi")
    if not os.path.exists(path) and shutil.which("cargo"):
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "manabi"], cwd=REPO, check=True)
    if os.path.exists(path):
        return path
    not_checked(f"run folders read by the command line ({path} is missing and cargo is not installed)")


def not_checked(what):
    """Says on standard error what this test could not check here, and
    fails under CI=true (where everything it needs is installed)."""
    why = f"not checked: {what}"
    print(why, file=sys.stderr)
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


def test_a_run_folder_like_the_command_lines(tmp_path):
    out = tmp_path / "run"
    run = manabi.train(iters_num=200, save=out, progress=False)
    assert os.path.samefile(run.run_dir, out)
    for name in ("config.json", "metrics.csv", "epochs.csv", "weights.safetensors", "summary.txt", "loss.png", "accuracy.png"):
        assert (out / name).exists(), name
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["iters"] == 200
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 200
    assert np.allclose([float(r["loss"]) for r in rows], run.train_loss_list, rtol=1e-12, atol=0)
    # The command line reads it, and trains the same numbers.
    report = subprocess.run([cli(), "eval", "--run", str(out)], capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    assert "accuracy" in report.stdout.lower()
    same = tmp_path / "cli"
    subprocess.run([cli(), "train", "--iters", "200", "--out", str(same), "--quiet"], check=True, capture_output=True)
    with open(same / "metrics.csv") as f:
        cli_rows = list(csv.DictReader(f))
    assert [r["loss"] for r in cli_rows] == [r["loss"] for r in rows]


def test_ctrl_c_returns_what_was_learned_so_far():
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    start = time.monotonic()
    run = manabi.train(iters_num=10_000_000, progress=False)
    seconds = time.monotonic() - start
    timer.join()
    assert run.interrupted
    assert 0 < run.iterations < 10_000_000
    assert len(run.train_loss_list) == run.iterations
    assert seconds < 10, "it stopped soon after Ctrl-C"
    assert run.network is not None


def test_a_keyboard_interrupt_from_the_progress_display_stops_it_too():
    calls = []

    def progress(iteration, total, loss, epochs, train_acc, test_acc, epoch, finished):
        calls.append(iteration)
        if iteration > 500:
            raise KeyboardInterrupt

    run = manabi.train(iters_num=10_000_000, progress=progress)
    assert run.interrupted and 500 < run.iterations < 10_000_000


def test_an_error_in_the_progress_display_is_raised():
    def progress(*args):
        raise ZeroDivisionError("from the display")

    with pytest.raises(ZeroDivisionError, match="from the display"):
        manabi.train(iters_num=1_000_000, progress=progress)


def test_the_progress_display_is_called_with_the_progress():
    seen = []

    def progress(iteration, total, loss, epochs, train_acc, test_acc, epoch, finished):
        seen.append((iteration, total, loss, epochs, train_acc, test_acc, epoch, finished))

    run = manabi.train(iters_num=2000, progress=progress)
    last = seen[-1]
    assert last[0] == 2000 and last[1] == 2000 and last[7] is True
    assert last[2] == run.train_loss_list[-1]
    assert last[3] == len(run.test_acc_list)
    assert (last[4], last[5]) == (run.train_acc_list[-1], run.test_acc_list[-1])
    assert [s[0] for s in seen] == sorted(s[0] for s in seen)


def test_the_gil_is_released_while_it_trains():
    counted = [0]
    training = threading.Event()
    done = threading.Event()

    def count():
        while not done.is_set():
            if training.is_set():
                counted[0] += 1

    thread = threading.Thread(target=count)
    thread.start()

    def progress(iteration, *rest):
        training.set()

    try:
        manabi.train(iters_num=3000, progress=progress)
    finally:
        done.set()
        thread.join()
    assert counted[0] > 10_000, f"the other thread counted only {counted[0]} while training"


def test_a_bar_in_a_terminal(capsys):
    manabi.train(iters_num=200, progress=True)
    err = capsys.readouterr().err
    assert "200/200" in err and "test acc" in err


def test_divergence_warns_and_returns_the_last_finite_network():
    with pytest.warns(RuntimeWarning, match="diverged"):
        # ReLU units are unbounded: a huge step overflows the scores.
        run = manabi.train(iters_num=300, learning_rate=1e100, activation="relu", progress=False)
    iteration, loss = run.diverged
    assert np.isnan(loss) and run.iterations == iteration + 1 < 300
    assert all(np.isfinite(v).all() for v in run.network.params.values())


def test_figures_4_11_and_4_12():
    run = manabi.train(iters_num=200, progress=False)
    for figure in (run.plot_loss(), run.plot_accuracy()):
        png = figure._repr_png_()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    try:
        import matplotlib
    except ImportError:
        not_checked("figures drawn with Matplotlib (it is not installed)")
    matplotlib.use("Agg")
    fig = run.plot_accuracy(matplotlib=True)
    assert len(fig.axes[0].lines) == 2
