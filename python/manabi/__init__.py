"""manabi: chapter 4 of *Deep Learning from Scratch* (ゼロから作るDeep Learning),
computed by manabi's Rust library.

The book's script keeps working with one import changed::

    import numpy as np
    from manabi import TwoLayerNet, load_mnist

    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)
    network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    grad = network.gradient(x_train[:100], t_train[:100])
    for key in ('W1', 'b1', 'W2', 'b2'):
        network.params[key] -= 0.1 * grad[key]

and the whole loop runs in Rust with :func:`train`.

- :class:`TwoLayerNet` — the book's class: the same initial weights from
  NumPy's generator, the same ``params`` dict, ``predict``, ``loss``,
  ``accuracy``, ``numerical_gradient`` and ``gradient``.
- :func:`load_mnist` — the book's function: the same shapes and dtypes.
- :func:`train` — ``train_neuralnet.py``'s loop at the speed of
  ``manabi train``, with a progress bar, figures 4-11 and 4-12, and
  Ctrl-C returning what was learned so far.
"""

import operator
import os
import sys
import time

import numpy as np

from . import _manabi

__all__ = [
    "TwoLayerNet",
    "load_mnist",
    "data_path",
    "train",
    "Training",
    "Figure",
    "plot_loss",
    "plot_accuracy",
]

__version__ = "0.1.0"

#: The seed ``manabi train`` and :func:`train` use unless given another.
DEFAULT_SEED = _manabi.DEFAULT_SEED


def _size(name, value):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be a whole number, not {type(value).__name__}") from None
    if value < 1:
        raise ValueError(f"{name} is {value}: a layer needs at least 1 unit")
    return value


class TwoLayerNet:
    """The book's two-layer network (``ch04/two_layer_net.py``), computed by manabi.

    y = softmax(sigmoid(x·W1 + b1)·W2 + b2)

    The weights are drawn as the book draws them, from NumPy's global
    generator: after ``np.random.seed(s)`` either class starts from the
    same numbers. ``params`` is a dict of float64 arrays W1, b1, W2, b2 that
    every method reads when called, so the book's update loop
    ``network.params[key] -= learning_rate * grad[key]`` works unchanged.

    Images ``x`` are (N, input_size) or one image (input_size,); labels
    ``t`` are class indices (N,) or one-hot rows (N, output_size). Images
    whose values are all float32 or float64 ``k / 255`` (as ``load_mnist``
    gives them) or whole numbers 0–255 are computed by manabi's fast
    engine; any other values by its reference code (the book's formulas in
    float64, slower).

    >>> import numpy as np, manabi
    >>> np.random.seed(0)
    >>> net = manabi.TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    >>> (x, t), _ = manabi.load_mnist(one_hot_label=True)
    >>> round(net.loss(x[:100], t[:100]), 2)
    2.3
    """

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        input_size = _size("input_size", input_size)
        hidden_size = _size("hidden_size", hidden_size)
        output_size = _size("output_size", output_size)
        self._net = _manabi.Net(input_size, hidden_size, output_size)
        # 重みの初期化, exactly as the book.
        self.params = {}
        self.params["W1"] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)

    @classmethod
    def from_params(cls, params):
        """A network with the given W1, b1, W2, b2 (copied); draws no random numbers."""
        w1 = np.asarray(params["W1"], dtype=np.float64)
        w2 = np.asarray(params["W2"], dtype=np.float64)
        if w1.ndim != 2 or w2.ndim != 2 or w1.shape[1] != w2.shape[0]:
            raise ValueError(
                f"params: W1 {w1.shape} and W2 {w2.shape} must be (input, hidden) and (hidden, output)"
            )
        net = cls.__new__(cls)
        net._net = _manabi.Net(w1.shape[0], w1.shape[1], w2.shape[1])
        net.params = {
            "W1": w1.copy(),
            "b1": np.array(params["b1"], dtype=np.float64),
            "W2": w2.copy(),
            "b2": np.array(params["b2"], dtype=np.float64),
        }
        return net

    def predict(self, x):
        """y = softmax(sigmoid(x·W1 + b1)·W2 + b2): (N, output_size), or (output_size,) for one image."""
        return self._net.predict(self.params, x)

    def loss(self, x, t):
        """L = −Σₙ log(yₙ[tₙ] + 1e-7) / N: the cross-entropy error of the batch."""
        return self._net.loss(self.params, x, t)

    def accuracy(self, x, t):
        """#{n : argmaxₖ yₙₖ = tₙ} / N: the fraction of images classified right."""
        return self._net.accuracy(self.params, x, t)

    def numerical_gradient(self, x, t):
        """∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h for every parameter θ, h = 1e-4.

        The book's central differences, computed incrementally (a nudge of
        one weight changes one hidden unit or one output, so only that part
        of the loss is recomputed): the same numbers as the literal loop to
        ~1e-12, hundreds of times sooner. Returns a dict like the book's.
        """
        return self._net.numerical_gradient(self.params, x, t)

    def gradient(self, x, t):
        """∂L/∂W1, ∂L/∂b1, ∂L/∂W2, ∂L/∂b2 by backpropagation, as the book's dict."""
        return self._net.gradient(self.params, x, t)

    def engine_for(self, x):
        """Which of manabi's engines computes images ``x``: ``"fast"`` or ``"reference"``."""
        return self._net.path_for(x)

    def __repr__(self):
        w1, w2 = self.params["W1"], self.params["W2"]
        return f"TwoLayerNet(input_size={w1.shape[0]}, hidden_size={w1.shape[1]}, output_size={w2.shape[1]})"


def load_mnist(normalize=True, flatten=True, one_hot_label=False, *, dataset=None, data_dir=None):
    """The book's ``load_mnist``: ``(x_train, t_train), (x_test, t_test)``.

    - ``normalize``: pixels as float32 ``k / 255`` (else uint8 0–255);
    - ``flatten``: images as rows (N, 784) (else (N, 1, 28, 28));
    - ``one_hot_label``: labels as float64 one-hot rows (N, 10) (else uint8 (N,)).

    ``dataset`` is ``"mnist-10k"`` (the 10,000 digits inside manabi, the
    default: 8,004 train / 1,996 test), ``"mnist"`` or ``"fashion-mnist"``,
    found where ``manabi train --dataset`` finds them: ``$MANABI_DATA/NAME``,
    the cache (``~/.cache/manabi/NAME``, filled by ``manabi data fetch NAME``)
    or Debian's ``/usr/share/datasets``; ``data_dir`` is a folder of the four
    MNIST-layout files.

    >>> (x_train, t_train), (x_test, t_test) = load_mnist()
    >>> x_train.shape, x_train.dtype, t_train.dtype
    ((8004, 784), dtype('float32'), dtype('uint8'))
    """
    return _manabi.load_mnist(
        bool(normalize), bool(flatten), bool(one_hot_label), dataset, _path(data_dir)
    )


def data_path(dataset):
    """The folder ``dataset`` is read from (``None`` for the embedded mnist-10k).

    Raises ``FileNotFoundError``, saying how to fetch it, when it is nowhere.
    """
    return _manabi.data_path(dataset)


def _path(p):
    return None if p is None else os.fspath(p)


# ----------------------------------------------------------------------------
# Figures


class Figure:
    """A PNG picture: shown inline by Jupyter, written by :meth:`save`."""

    def __init__(self, png, name):
        self.png = png
        self.name = name

    def _repr_png_(self):
        return self.png

    def save(self, path):
        """Writes the PNG to ``path``."""
        with open(path, "wb") as f:
            f.write(self.png)
        return path

    def __repr__(self):
        return f"<manabi.Figure {self.name}: {len(self.png):,} bytes of PNG>"


def plot_loss(train_loss_list, title="", matplotlib=False):
    """Figure 4-11: the loss of every iteration, the whole run and its first 1,000.

    Drawn by manabi (a :class:`Figure`), or by Matplotlib with ``matplotlib=True``.
    """
    loss = np.asarray(train_loss_list, dtype=np.float64).ravel()
    if matplotlib:
        import matplotlib.pyplot as plt

        fig, (whole, first) = plt.subplots(1, 2, figsize=(12, 4.8))
        for ax, n in ((whole, len(loss)), (first, min(len(loss), 1000))):
            ax.plot(np.arange(n), loss[:n], linewidth=0.6)
            ax.set_xlabel("iteration")
            ax.set_ylabel("loss")
        whole.set_title(f"loss over all {len(loss):,} iterations")
        first.set_title(f"the first {min(len(loss), 1000):,} iterations")
        fig.suptitle(title)
        plt.close(fig)
        return fig
    return Figure(_manabi.loss_png(loss.tolist(), title), "loss (figure 4-11)")


def plot_accuracy(train_acc_list, test_acc_list, title="", matplotlib=False):
    """Figure 4-12: train (solid) and test (dashed) accuracy at each epoch.

    Drawn by manabi (a :class:`Figure`), or by Matplotlib with ``matplotlib=True``.
    """
    train_acc = np.asarray(train_acc_list, dtype=np.float64).ravel()
    test_acc = np.asarray(test_acc_list, dtype=np.float64).ravel()
    if matplotlib:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.6, 5.2))
        x = np.arange(len(train_acc))
        ax.plot(x, train_acc, label="train acc")
        ax.plot(x, test_acc, label="test acc", linestyle="--")
        ax.set_xlabel("epochs")
        ax.set_ylabel("accuracy")
        ax.set_ylim(0, 1.0)
        ax.legend(loc="lower right")
        ax.set_title(title)
        plt.close(fig)
        return fig
    return Figure(
        _manabi.accuracy_png(train_acc.tolist(), test_acc.tolist(), title),
        "accuracy (figure 4-12)",
    )


# ----------------------------------------------------------------------------
# Training


def _in_notebook():
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except AttributeError:
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


class _Progress:
    """One line that redraws itself: in a notebook, a display updated in
    place; in a terminal, a carriage return; elsewhere (a log, a pipe),
    one line per epoch."""

    WIDTH = 24

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.notebook = _in_notebook()
        self.tty = not self.notebook and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.handle = None
        self.drawn = 0.0
        self.start = time.monotonic()

    def line(self, iteration, total, loss, epochs, train_acc, test_acc):
        done = iteration / total if total else 1.0
        fill = int(round(done * self.WIDTH))
        bar = "█" * fill + "·" * (self.WIDTH - fill)
        seconds = time.monotonic() - self.start
        text = f"{bar} {iteration:,}/{total:,}"
        if iteration:
            text += f"  loss {loss:.4f}  {iteration / max(seconds, 1e-9):,.0f} it/s"
        if train_acc is not None:
            text += f"  epoch {epochs - 1}: train acc {train_acc:.4f}, test acc {test_acc:.4f}"
        return text

    def __call__(self, iteration, total, loss, epochs, train_acc, test_acc, epoch, finished):
        now = time.monotonic()
        if not (finished or epoch or now - self.drawn >= 0.1):
            return
        self.drawn = now
        text = self.line(iteration, total, loss, epochs, train_acc, test_acc)
        if self.notebook:
            from IPython.display import display

            if self.handle is None:
                self.handle = display({"text/plain": text}, raw=True, display_id=True)
            else:
                self.handle.update({"text/plain": text}, raw=True)
        elif self.tty:
            self.stream.write("\r" + text)
            if finished:
                self.stream.write("\n")
            self.stream.flush()
        elif epoch or finished:
            self.stream.write(text + "\n")
            self.stream.flush()


class Training:
    """What :func:`train` learned and measured.

    - ``train_loss_list``: the batch loss after every iteration (float64);
    - ``train_acc_list``, ``test_acc_list``: accuracy at every epoch;
    - ``network``: the trained :class:`TwoLayerNet`;
    - ``run_dir``: the run folder (``save=``), readable by ``manabi eval --run``;
    - ``iterations``; ``interrupted`` (Ctrl-C); ``diverged`` (``(iteration, loss)``
      when the loss stopped being a number); ``seconds``.
    """

    def __init__(self, raw):
        self.train_loss_list = raw["train_loss_list"]
        self.train_acc_list = raw["train_acc_list"]
        self.test_acc_list = raw["test_acc_list"]
        self.epoch_iterations = raw["epoch_iterations"]
        params = raw["params"]
        self.network = None if params is None else TwoLayerNet.from_params(params)
        self.run_dir = raw["run_dir"]
        self.iterations = raw["iterations"]
        self.interrupted = raw["interrupted"]
        self.diverged = raw["diverged"]
        self.seconds = raw["seconds"]
        self.dataset = raw["dataset"]
        self.train_size = raw["train_size"]
        self.iter_per_epoch = raw["iter_per_epoch"]
        self.kernels = raw["kernels"]

    def _title(self):
        return f"{self.dataset}: {self.iterations:,} iterations"

    def plot_loss(self, matplotlib=False):
        """Figure 4-11 for this run."""
        return plot_loss(self.train_loss_list, self._title(), matplotlib)

    def plot_accuracy(self, matplotlib=False):
        """Figure 4-12 for this run."""
        return plot_accuracy(self.train_acc_list, self.test_acc_list, self._title(), matplotlib)

    def __repr__(self):
        state = "interrupted" if self.interrupted else "diverged" if self.diverged else "done"
        text = f"<manabi.Training {state}: {self.iterations:,} iterations on {self.dataset} in {self.seconds:.2f} s"
        if len(self.test_acc_list):
            text += f"; train acc {self.train_acc_list[-1]:.4f}, test acc {self.test_acc_list[-1]:.4f}"
        return text + ">"


def train(
    dataset=None,
    *,
    data_dir=None,
    iters_num=10000,
    batch_size=100,
    learning_rate=0.1,
    hidden_size=50,
    weight_init_std=0.01,
    train_size=None,
    seed=None,
    gradient="backprop",
    precision="f64",
    engine="fast",
    activation="sigmoid",
    shuffle=False,
    save=False,
    progress=True,
):
    """``ch04/train_neuralnet.py``, run by manabi at the speed of ``manabi train``.

    The book's defaults: 10,000 iterations of mini-batches of 100 drawn
    with replacement, learning rate 0.1, 50 hidden units, weights 0.01·N(0, 1),
    train and test accuracy once per epoch. ``dataset`` and ``data_dir`` as
    in :func:`load_mnist`; ``train_size`` keeps the first N training images;
    ``seed`` (manabi's generator, as ``manabi train --seed``); ``gradient``:
    ``"backprop"``, ``"numerical"`` or ``"numerical-fast"``; ``precision``:
    ``"f64"`` or ``"f32"``; ``engine``: ``"fast"`` or ``"reference"``;
    ``shuffle``: walk a shuffled order each epoch instead.

    ``save=True`` writes a run folder under ``runs/`` (``save="DIR"``: there),
    as ``manabi train`` does. ``progress`` shows a bar (``False``: nothing;
    a callable: called with the progress instead).

    Python threads run while it trains (the GIL is released). Ctrl-C
    (``KeyboardInterrupt``, or a notebook's interrupt) stops it before the
    next iteration and returns what was learned so far, with
    ``interrupted=True``.

    >>> run = train(iters_num=300, progress=False)
    >>> len(run.train_loss_list), run.train_loss_list[-1] < run.train_loss_list[0]
    (300, True)
    """
    if save is True:
        out = _manabi.timestamped_run_dir("runs")
    elif save is False or save is None:
        out = None
    else:
        out = os.fspath(save)
    if progress is True:
        callback = _Progress()
    elif progress is False or progress is None:
        callback = None
    elif callable(progress):
        callback = progress
    else:
        raise TypeError("progress must be True, False or a callable")
    raw = _manabi.train(
        dataset=dataset,
        data_dir=_path(data_dir),
        iters_num=iters_num,
        batch_size=batch_size,
        learning_rate=learning_rate,
        hidden_size=hidden_size,
        weight_init_std=weight_init_std,
        train_size=train_size,
        seed=DEFAULT_SEED if seed is None else seed,
        gradient=gradient,
        precision=precision,
        engine=engine,
        activation=activation,
        shuffle=bool(shuffle),
        out=out,
        progress=callback,
    )
    result = Training(raw)
    if result.diverged is not None:
        import warnings

        iteration, loss = result.diverged
        warnings.warn(
            f"the loss became {loss} at iteration {iteration}: learning diverged; "
            "try a smaller learning_rate. "
            + (
                "The network returned is the last one evaluated with finite weights."
                if result.network is not None
                else "No network had finite weights at an evaluation: none is returned."
            ),
            RuntimeWarning,
            stacklevel=2,
        )
    return result
