#!/usr/bin/env python3
"""The seed workload in PyTorch (CPU), for timing manabi against.

The same experiment as reference_numpy.py (784-50-10 sigmoid network, SGD
lr 0.1, batches of 100 drawn with replacement, 10,000 iterations, the batch
loss recomputed after each update, train and test accuracy once per epoch),
in float32 by default, with the gradient from autograd or (--grad manual)
from the book's hand-written backprop.

    python3 bench/reference_torch.py --grad autograd                 # Fashion-MNIST, found as --dataset finds it
    python3 bench/reference_torch.py --data-dir DIR --grad manual    # any MNIST-layout folder
"""
import time

START = time.perf_counter()

import argparse
import gzip
import json
import os
import struct

import manabi_data

import numpy as np
import torch


def read_idx(path):
    for candidate in (path + ".gz", path):
        if os.path.exists(candidate):
            with open(candidate, "rb") as f:
                raw = f.read()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            ndim = struct.unpack(">I", raw[:4])[0] & 0xFF
            dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
            data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
            return data.reshape(dims[0], -1) if ndim > 1 else data
    raise SystemExit(f"{path}[.gz]: not found; give --data-dir a folder of MNIST-layout files")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    manabi_data.add_arguments(ap)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float32")
    ap.add_argument("--grad", choices=["autograd", "manual"], default="autograd")
    ap.add_argument("--iters", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    a.data = manabi_data.data_dir(a.dataset, a.data_dir)
    if a.threads:
        torch.set_num_threads(a.threads)
    dtype = getattr(torch, a.dtype)
    g = torch.Generator().manual_seed(a.seed)

    def images(name):
        return torch.from_numpy(read_idx(os.path.join(a.data, name)).copy()).to(dtype) / 255

    def labels(name):
        return torch.from_numpy(read_idx(os.path.join(a.data, name)).astype(np.int64))

    x_train, t_train = images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")
    x_test, t_test = images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")
    load_s = time.perf_counter() - START

    W1 = (0.01 * torch.randn(784, 50, generator=g)).to(dtype).requires_grad_(a.grad == "autograd")
    b1 = torch.zeros(50, dtype=dtype, requires_grad=a.grad == "autograd")
    W2 = (0.01 * torch.randn(50, 10, generator=g)).to(dtype).requires_grad_(a.grad == "autograd")
    b2 = torch.zeros(10, dtype=dtype, requires_grad=a.grad == "autograd")
    params = [W1, b1, W2, b2]

    def forward(x):
        z1 = torch.sigmoid(x @ W1 + b1)
        return z1, torch.softmax(z1 @ W2 + b2, dim=1)

    def loss_of(y, t):
        return -torch.log(y[torch.arange(len(t)), t] + 1e-7).sum() / len(t)

    def accuracy(x, t):
        with torch.no_grad():
            return float((forward(x)[1].argmax(dim=1) == t).to(torch.float64).mean())

    n = len(x_train)
    iter_per_epoch = max(n // 100, 1)
    train_s = eval_s = 0.0
    train_acc = test_acc = loss = None
    for i in range(a.iters):
        t0 = time.perf_counter()
        mask = torch.randint(0, n, (100,), generator=g)
        x, t = x_train[mask], t_train[mask]
        if a.grad == "autograd":
            z1, y = forward(x)
            grads = torch.autograd.grad(loss_of(y, t), params)
        else:
            with torch.no_grad():
                z1, y = forward(x)
                dy = y.clone()
                dy[torch.arange(len(t)), t] -= 1
                dy /= len(t)
                da1 = (dy @ W2.T) * (1 - z1) * z1
                grads = [x.T @ da1, da1.sum(0), z1.T @ dy, dy.sum(0)]
        with torch.no_grad():
            for p, d in zip(params, grads):
                p -= 0.1 * d
            loss = float(loss_of(forward(x)[1], t))
        t1 = time.perf_counter()
        train_s += t1 - t0
        if i % iter_per_epoch == 0:
            train_acc, test_acc = accuracy(x_train, t_train), accuracy(x_test, t_test)
            eval_s += time.perf_counter() - t1
    print(json.dumps({
        "impl": f"torch-{a.grad}", "torch": torch.__version__, "dtype": a.dtype, "threads": torch.get_num_threads(),
        "load_s": round(load_s, 3), "train_s": round(train_s, 3), "eval_s": round(eval_s, 3),
        "total_s": round(time.perf_counter() - START, 3), "train_acc": train_acc, "test_acc": test_acc, "loss": loss,
    }))


if __name__ == "__main__":
    main()
