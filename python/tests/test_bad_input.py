"""Bad input is a Python exception naming the argument, never a crash;
arrays in other layouts and dtypes are converted."""

import numpy as np
import pytest

import manabi


@pytest.fixture
def net():
    np.random.seed(0)
    return manabi.TwoLayerNet(784, 50, 10)


@pytest.fixture
def batch(mnist):
    (x, t), _ = mnist
    return x[:20], t[:20]


METHODS = ["loss", "accuracy", "gradient", "numerical_gradient"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "x, error, words",
    [
        (np.zeros((20, 783), np.float32), ValueError, ["x", "783", "784"]),
        (np.zeros((20, 1, 28, 28), np.float32), ValueError, ["x", "shape", "(N, 784)"]),
        (np.zeros((0, 784), np.float32), ValueError, ["x", "empty"]),
        (np.full((20, 784), np.nan), ValueError, ["x[0, 0] is NaN", "finite"]),
        (np.full((20, 784), np.inf, np.float32), ValueError, ["x[0, 0]", "inf", "finite"]),
        (np.zeros((20, 784), np.complex128), TypeError, ["x", "complex128"]),
        (np.full((20, 784), "a"), TypeError, ["x", "<U1"]),
    ],
)
def test_bad_images_are_refused_by_name(net, batch, method, x, error, words):
    _, t = batch
    with pytest.raises(error) as e:
        getattr(net, method)(x, t)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_predict_refuses_bad_images_too(net):
    with pytest.raises(ValueError, match=r"x\[3, 5\].*finite"):
        x = np.zeros((4, 784))
        x[3, 5] = np.nan
        net.predict(x)
    with pytest.raises(ValueError, match="x is empty"):
        net.predict(np.zeros((0, 784)))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "t, error, words",
    [
        (np.arange(19) % 10, ValueError, ["t", "shape", "20"]),
        (np.full(20, 10), ValueError, ["t[0] is 10", "0 to 9"]),
        (np.full(20, -1), ValueError, ["t[0] is -1"]),
        (np.full(20, 1.0), TypeError, ["t", "float64", "integers"]),
        (np.full((20, 10), 0.1), ValueError, ["t[0]", "not one-hot"]),
        (np.zeros((20, 9)), ValueError, ["t", "shape"]),
        (np.full(20, "a"), TypeError, ["t", "<U1"]),
    ],
)
def test_bad_labels_are_refused_by_name(net, batch, method, t, error, words):
    x, _ = batch
    with pytest.raises(error) as e:
        getattr(net, method)(x, t)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


@pytest.mark.parametrize(
    "change, error, words",
    [
        (lambda p: p.pop("b1"), ValueError, ["params['b1']", "missing"]),
        (lambda p: p.__setitem__("W1", np.zeros((50, 784))), ValueError, ["params['W1']", "(50, 784)", "(784, 50)"]),
        (lambda p: p.__setitem__("b2", np.zeros(11)), ValueError, ["params['b2']", "(11,)"]),
        (lambda p: p.__setitem__("W2", "weights"), TypeError, ["params['W2']"]),
    ],
)
def test_bad_params_are_refused_by_name(net, batch, change, error, words):
    change(net.params)
    with pytest.raises(error) as e:
        net.loss(*batch)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_params_must_be_a_dict(net, batch):
    net.params = [1, 2, 3]
    with pytest.raises(TypeError, match="params must be a dict"):
        net.gradient(*batch)


def test_other_layouts_and_dtypes_are_converted(net, batch):
    x, t = batch
    want_loss, want_grad = net.loss(x, t), net.gradient(x, t)
    variants = {
        "fortran": np.asfortranarray(x),
        "strided": np.ascontiguousarray(np.repeat(x, 2, axis=0))[::2],
        "reversed": np.ascontiguousarray(x[::-1])[::-1],
        "list": x.tolist(),
    }
    for name, xv in variants.items():
        assert abs(net.loss(xv, t) - want_loss) < 1e-15, name
    assert not variants["strided"].flags.c_contiguous
    # Labels: other integer types, a list, Fortran one-hot rows.
    labels = t.argmax(axis=1)
    for tv in (labels.astype(np.int64), labels.astype(np.int8), labels.tolist(), np.asfortranarray(t)):
        assert abs(net.loss(x, tv) - want_loss) < 1e-15
    # Params: float32, Fortran order and lists are read as float64.
    f32 = {k: v.astype(np.float32) for k, v in net.params.items()}
    np.random.seed(0)
    other = manabi.TwoLayerNet(784, 50, 10)
    other.params = {k: np.asfortranarray(v.astype(np.float64)) for k, v in f32.items()}
    want = other.loss(x, t)
    other.params = {k: v.tolist() for k, v in f32.items()}
    assert other.loss(x, t) == want
    g = net.gradient(np.asfortranarray(x), t)
    assert max(np.abs(g[k] - want_grad[k]).max() for k in g) < 1e-15


@pytest.mark.parametrize(
    "args, error, words",
    [
        ((0, 50, 10), ValueError, ["input_size", "0"]),
        ((784, -1, 10), ValueError, ["hidden_size", "-1"]),
        ((784, 50, 2.5), TypeError, ["output_size", "float"]),
    ],
)
def test_bad_sizes_are_refused_by_name(args, error, words):
    with pytest.raises(error) as e:
        manabi.TwoLayerNet(*args)
    for w in words:
        assert w in str(e.value)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"learning_rate": -1.0}, ValueError, ["learning_rate", "positive"]),
        ({"learning_rate": float("nan")}, ValueError, ["learning_rate"]),
        ({"batch_size": 0}, ValueError, ["batch_size"]),
        ({"hidden_size": 0}, ValueError, ["hidden_size"]),
        ({"iters_num": 0}, ValueError, ["iters_num"]),
        ({"gradient": "exact"}, ValueError, ["gradient", "backprop"]),
        ({"precision": "f16"}, ValueError, ["precision"]),
        ({"precision": "f32", "gradient": "numerical"}, ValueError, ["precision", "f64"]),
        ({"dataset": "cifar"}, ValueError, ["dataset", "cifar", "fashion-mnist"]),
        ({"train_size": 10**9}, ValueError, ["train_size", "8,004"]),
        ({"batch_size": -5}, OverflowError, []),
        ({"progress": 3}, TypeError, ["progress"]),
    ],
)
def test_bad_training_arguments_are_refused_by_name(kwargs, error, words):
    with pytest.raises(error) as e:
        manabi.train(iters_num=kwargs.pop("iters_num", 10), **kwargs)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_a_missing_data_folder_is_an_os_error(tmp_path):
    with pytest.raises(OSError, match="train-images"):
        manabi.load_mnist(data_dir=tmp_path)


def test_empty_figures_are_refused():
    with pytest.raises(ValueError, match="train_loss_list is empty"):
        manabi.plot_loss([])
    with pytest.raises(ValueError, match="one value per epoch"):
        manabi.plot_accuracy([0.5], [])
