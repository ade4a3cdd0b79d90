"""Where a data set named as manabi names it lives: the folder that
`manabi train --dataset NAME` reads, found the same way.

- mnist-10k: the four files in this repository's data/mnist-10k;
- mnist, fashion-mnist: $MANABI_DATA/NAME if MANABI_DATA is set, else the
  platform cache (~/.cache/manabi/NAME on Linux) after
  `manabi data fetch NAME`; fashion-mnist also where Debian's
  dataset-fashion-mnist package puts it (/usr/share/datasets/fashion-mnist).
"""
import os
import sys

NAMES = ("mnist-10k", "mnist", "fashion-mnist")
FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def _complete(folder):
    return all(
        os.path.exists(os.path.join(folder, f + ".gz")) or os.path.exists(os.path.join(folder, f))
        for f in FILES
    )


def _cache():
    env = os.environ.get("MANABI_DATA")
    if env:
        return env
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/manabi")
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "manabi")


def data_dir(name, folder=None):
    """The folder to read: `folder` if given, else where `--dataset name` reads."""
    if folder:
        if not os.path.isdir(folder):
            raise SystemExit(f"--data-dir {folder}: no such folder; give a folder of MNIST-layout files")
        return folder
    if name not in NAMES:
        raise SystemExit(f"--dataset {name}: not a data set manabi knows; use one of {', '.join(NAMES)}")
    if name == "mnist-10k":
        return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mnist-10k")
    candidates = [os.path.join(_cache(), name)]
    if name == "fashion-mnist":
        candidates.append("/usr/share/datasets/fashion-mnist")
    for c in candidates:
        if _complete(c):
            return c
    how = f"`manabi data fetch {name}`"
    if name == "fashion-mnist":
        how += " or `apt-get install dataset-fashion-mnist`"
    raise SystemExit(
        f"--dataset {name}: not found (looked in {' and '.join(candidates)}); get it with {how}, "
        "or name a folder of its files with --data-dir"
    )


def add_arguments(ap):
    """--dataset NAME (default fashion-mnist) and --data-dir DIR on an argparse parser."""
    ap.add_argument("--dataset", default="fashion-mnist", choices=NAMES,
                    help="a data set by name, found where `manabi train --dataset` finds it")
    ap.add_argument("--data-dir", help="a folder of MNIST-layout files instead")
