#!/usr/bin/env python3
"""The seed workload in NumPy, for timing manabi against.

Chapter 4's experiment as the book's code runs it (TwoLayerNet with the
chapter-5 backprop gradient): a 784-50-10 network, sigmoid hidden layer,
softmax + cross-entropy, weights 0.01*N(0, 1), biases 0; SGD with learning
rate 0.1 on batches of 100 drawn with replacement (np.random.choice);
10,000 iterations; the batch loss recomputed after every update (the
book's train_loss_list); accuracy on the whole train and test sets when
i % iter_per_epoch == 0, with iter_per_epoch a whole number of iterations.

Prints one JSON object: seconds spent loading, training, evaluating and in
all (from interpreter start), and the final accuracies.

    python3 bench/reference_numpy.py --dtype float32                 # Fashion-MNIST, found as --dataset finds it
    python3 bench/reference_numpy.py --dataset mnist-10k             # or --data-dir DIR: any MNIST-layout folder
    python3 bench/reference_numpy.py --numerical 1      # seconds per iteration of the naive numerical gradient
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


def read_idx(path):
    """An MNIST-layout IDX file (gzip or raw) as a uint8 array."""
    for candidate in (path + ".gz", path):
        if os.path.exists(candidate):
            with open(candidate, "rb") as f:
                raw = f.read()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            magic = struct.unpack(">I", raw[:4])[0]
            dims = struct.unpack(">" + "I" * (magic & 0xFF), raw[4 : 4 + 4 * (magic & 0xFF)])
            data = np.frombuffer(raw, np.uint8, offset=4 + 4 * len(dims))
            return data.reshape(dims[0], -1) if len(dims) > 1 else data
    raise SystemExit(f"{path}[.gz]: not found; give --data-dir a folder of MNIST-layout files")


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


class Net:
    def __init__(self, dtype, rng):
        self.p = {
            "W1": (0.01 * rng.standard_normal((784, 50))).astype(dtype),
            "b1": np.zeros(50, dtype),
            "W2": (0.01 * rng.standard_normal((50, 10))).astype(dtype),
            "b2": np.zeros(10, dtype),
        }

    def forward(self, x):
        z1 = sigmoid(x @ self.p["W1"] + self.p["b1"])
        return z1, softmax(z1 @ self.p["W2"] + self.p["b2"])

    def loss(self, x, t):
        y = self.forward(x)[1]
        return -np.sum(np.log(y[np.arange(len(t)), t] + 1e-7)) / len(t)

    def accuracy(self, x, t):
        return float(np.mean(np.argmax(self.forward(x)[1], axis=1) == t))

    def gradient(self, x, t):
        z1, y = self.forward(x)
        dy = y.copy()
        dy[np.arange(len(t)), t] -= 1
        dy /= len(t)
        dz1 = dy @ self.p["W2"].T
        da1 = dz1 * (1 - z1) * z1
        return {"W1": x.T @ da1, "b1": da1.sum(axis=0), "W2": z1.T @ dy, "b2": dy.sum(axis=0)}

    def numerical_gradient(self, x, t, h=1e-4):
        grads = {}
        for key, w in self.p.items():
            g = np.zeros_like(w)
            flat, gflat = w.reshape(-1), g.reshape(-1)
            for i in range(flat.size):
                tmp = flat[i]
                flat[i] = tmp + h
                l1 = self.loss(x, t)
                flat[i] = tmp - h
                l2 = self.loss(x, t)
                flat[i] = tmp
                gflat[i] = (l1 - l2) / (2 * h)
            grads[key] = g
        return grads


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    manabi_data.add_arguments(ap)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--iters", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--numerical", type=int, default=0, help="time N iterations of the naive numerical gradient instead")
    a = ap.parse_args()
    a.data = manabi_data.data_dir(a.dataset, a.data_dir)
    dtype = np.dtype(a.dtype)
    rng = np.random.default_rng(a.seed)

    x_train = read_idx(os.path.join(a.data, "train-images-idx3-ubyte")).astype(dtype) / dtype.type(255)
    t_train = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte")).astype(np.int64)
    x_test = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte")).astype(dtype) / dtype.type(255)
    t_test = read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte")).astype(np.int64)
    load_s = time.perf_counter() - START

    net = Net(dtype, rng)
    train_size = len(x_train)
    iter_per_epoch = max(train_size // a.batch, 1)
    train_s = eval_s = 0.0
    train_acc = test_acc = loss = None
    if a.numerical:
        per_iter = []
        for _ in range(a.numerical):
            mask = rng.choice(train_size, a.batch)
            t0 = time.perf_counter()
            grads = net.numerical_gradient(x_train[mask], t_train[mask])
            for k in net.p:
                net.p[k] -= dtype.type(a.lr) * grads[k]
            per_iter.append(time.perf_counter() - t0)
        print(json.dumps({"impl": "numpy", "dtype": a.dtype, "mode": "numerical", "seconds_per_iteration": per_iter}))
        return
    for i in range(a.iters):
        t0 = time.perf_counter()
        mask = rng.choice(train_size, a.batch)
        x, t = x_train[mask], t_train[mask]
        grads = net.gradient(x, t)
        for k in net.p:
            net.p[k] -= dtype.type(a.lr) * grads[k]
        loss = float(net.loss(x, t))
        t1 = time.perf_counter()
        train_s += t1 - t0
        if i % iter_per_epoch == 0:
            train_acc, test_acc = net.accuracy(x_train, t_train), net.accuracy(x_test, t_test)
            eval_s += time.perf_counter() - t1
    total_s = time.perf_counter() - START
    print(json.dumps({
        "impl": "numpy", "numpy": np.__version__, "dtype": a.dtype,
        "load_s": round(load_s, 3), "train_s": round(train_s, 3), "eval_s": round(eval_s, 3),
        "total_s": round(total_s, 3), "train_acc": train_acc, "test_acc": test_acc, "loss": loss,
    }))


if __name__ == "__main__":
    main()
