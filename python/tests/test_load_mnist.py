"""manabi.load_mnist returns what the book's load_mnist returns."""

import gzip
import os

import numpy as np
import pytest

import manabi


def test_the_books_defaults():
    (x_train, t_train), (x_test, t_test) = manabi.load_mnist()
    assert x_train.shape == (8004, 784) and x_test.shape == (1996, 784)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert t_train.shape == (8004,) and t_train.dtype == np.uint8
    assert t_test.shape == (1996,) and t_test.dtype == np.uint8
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert set(np.unique(t_train)) == set(range(10))
    assert x_train.flags.c_contiguous and x_train.flags.writeable


def test_normalize_is_the_books_float32_division():
    (raw, _), (raw_test, _) = manabi.load_mnist(normalize=False)
    assert raw.dtype == np.uint8 and raw.max() == 255
    (x, _), (x_test, _) = manabi.load_mnist(normalize=True)
    # The book: x.astype(np.float32); x /= 255.0
    want = raw.astype(np.float32)
    want /= 255.0
    assert np.array_equal(x.view(np.uint32), want.view(np.uint32))
    assert np.array_equal(x_test, raw_test.astype(np.float32) / np.float32(255.0))


def test_flatten_false_is_one_channel_of_28_by_28():
    (x, t), _ = manabi.load_mnist(flatten=False)
    (flat, _), _ = manabi.load_mnist()
    assert x.shape == (8004, 1, 28, 28) and x.dtype == np.float32
    assert np.array_equal(x.reshape(8004, 784), flat)


def test_one_hot_labels_are_float64_rows():
    (_, t), (_, t_test) = manabi.load_mnist(one_hot_label=True)
    (_, labels), (_, labels_test) = manabi.load_mnist()
    assert t.shape == (8004, 10) and t.dtype == np.float64
    assert np.array_equal(t.argmax(axis=1), labels)
    assert np.array_equal(t.sum(axis=1), np.ones(8004))
    assert np.array_equal(t_test.argmax(axis=1), labels_test)


def test_every_array_is_numpys_own_as_the_books_loader_makes_them():
    # Allocated by NumPy (which asks Linux for large pages for big arrays,
    # so the batches' random rows are found faster), not borrowed from Rust.
    for normalize in (True, False):
        for one_hot_label in (True, False):
            (x, t), (x_test, t_test) = manabi.load_mnist(
                normalize=normalize, flatten=normalize, one_hot_label=one_hot_label
            )
            for a in (x, t, x_test, t_test):
                assert a.flags.owndata and a.base is None, (normalize, one_hot_label, a.dtype)
                assert a.flags.c_contiguous and a.flags.writeable


REPO = os.path.join(os.path.dirname(__file__), "..", "..")


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def test_the_values_are_the_embedded_files_bytes():
    folder = os.path.join(REPO, "data", "mnist-10k")
    (x, t), (x_test, t_test) = manabi.load_mnist(normalize=False)
    for prefix, xs, ts in (("train", x, t), ("t10k", x_test, t_test)):
        images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), 16)
        labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), 8)
        assert np.array_equal(xs.ravel(), images)
        assert np.array_equal(ts, labels)


def write_idx(folder, images, labels):
    """Four gzip files of the MNIST layout holding `images` (N, 28, 28) u8."""
    os.makedirs(folder, exist_ok=True)
    n = len(labels)
    img = (2051).to_bytes(4, "big") + n.to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    lab = (2049).to_bytes(4, "big") + n.to_bytes(4, "big")
    for prefix in ("train", "t10k"):
        with gzip.open(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), "wb") as f:
            f.write(img + images.tobytes())
        with gzip.open(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
            f.write(lab + labels.tobytes())


def test_a_named_set_is_found_where_the_command_line_finds_it(tmp_path, monkeypatch):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(30, 28, 28)).astype(np.uint8)
    labels = (np.arange(30) % 10).astype(np.uint8)
    write_idx(tmp_path / "fashion-mnist", images, labels)
    monkeypatch.setenv("MANABI_DATA", str(tmp_path))
    assert manabi.data_path("fashion-mnist") == tmp_path / "fashion-mnist"
    (x, t), (x_test, _) = manabi.load_mnist(dataset="fashion-mnist", normalize=False)
    assert np.array_equal(x.reshape(30, 28, 28), images)
    assert np.array_equal(t, labels) and len(x_test) == 30
    (x2, _), _ = manabi.load_mnist(data_dir=tmp_path / "fashion-mnist")
    assert np.array_equal(x2, images.reshape(30, 784).astype(np.float32) / np.float32(255))
    run = manabi.train(dataset="fashion-mnist", iters_num=3, batch_size=10, progress=False)
    assert run.dataset == "fashion-mnist" and run.train_size == 30


def test_a_set_that_is_nowhere_says_how_to_fetch_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MANABI_DATA", str(tmp_path))
    if os.path.isdir("/usr/share/datasets/mnist"):
        pytest.fail("this test expects no Debian MNIST package on the machine")
    with pytest.raises(FileNotFoundError, match="manabi data fetch mnist"):
        manabi.load_mnist(dataset="mnist")
    with pytest.raises(FileNotFoundError, match="manabi data fetch mnist"):
        manabi.data_path("mnist")
    assert manabi.data_path("mnist-10k") is None


def test_dataset_and_data_dir_together_are_refused(tmp_path):
    with pytest.raises(ValueError, match="dataset or data_dir"):
        manabi.load_mnist(dataset="mnist", data_dir=tmp_path)
