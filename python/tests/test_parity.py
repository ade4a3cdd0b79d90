"""manabi.TwoLayerNet against the book's NumPy TwoLayerNet, seed for seed."""

import weakref

import numpy as np
import pytest

import book
import manabi

KEYS = ("W1", "b1", "W2", "b2")


def pair(seed, sizes=(784, 50, 10), std=0.01):
    np.random.seed(seed)
    ours = manabi.TwoLayerNet(*sizes, weight_init_std=std)
    np.random.seed(seed)
    theirs = book.TwoLayerNet(*sizes, weight_init_std=std)
    return ours, theirs


def trained_pair():
    """A network trained 300 iterations, and the book's class with its weights."""
    ours = manabi.train(iters_num=300, progress=False).network
    theirs = book.TwoLayerNet(784, 50, 10)
    theirs.params = {k: v.copy() for k, v in ours.params.items()}
    return ours, theirs


def worst(a, b):
    return max(np.abs(a[k] - b[k]).max() for k in KEYS)


def test_the_same_seed_draws_the_same_weights():
    ours, theirs = pair(42)
    for k in KEYS:
        assert ours.params[k].dtype == np.float64
        assert ours.params[k].shape == theirs.params[k].shape
        assert np.array_equal(ours.params[k], theirs.params[k]), k
    # And the generator is left where the book leaves it.
    np.random.seed(42)
    manabi.TwoLayerNet(784, 50, 10)
    after_ours = np.random.rand()
    np.random.seed(42)
    book.TwoLayerNet(784, 50, 10)
    assert after_ours == np.random.rand()


@pytest.mark.parametrize("n", [1, 3, 50, 100, 257])
@pytest.mark.parametrize("labels", ["one-hot", "indices"])
def test_losses_and_gradients_agree_to_1e_12(mnist, n, labels):
    (x, t), _ = mnist
    ours, theirs = pair(n, std=0.1)
    idx = np.random.RandomState(n).choice(len(x), n)
    xb, tb = x[idx], t[idx]
    if labels == "indices":
        tb_ours = tb.argmax(axis=1).astype(np.uint8)
    else:
        tb_ours = tb
    assert ours.engine_for(xb) == "fast"
    assert abs(ours.loss(xb, tb_ours) - theirs.loss(xb, tb)) < 1e-12
    assert np.abs(ours.predict(xb) - theirs.predict(xb)).max() < 1e-12
    assert ours.accuracy(xb, tb_ours) == theirs.accuracy(xb, tb)
    g_ours, g_theirs = ours.gradient(xb, tb_ours), theirs.gradient(xb, tb)
    assert set(g_ours) == set(KEYS)
    for k in KEYS:
        assert g_ours[k].shape == g_theirs[k].shape and g_ours[k].dtype == np.float64
    assert worst(g_ours, g_theirs) < 1e-12


@pytest.mark.parametrize(
    "kind",
    ["float64 k/255", "uint8 (normalize=False)", "float64 whole numbers", "other floats"],
)
def test_every_kind_of_image_agrees(mnist, kind):
    (x, t), _ = mnist
    raw = np.rint(x[:64] * 255).astype(np.uint8)
    xb = {
        "float64 k/255": raw / 255.0,
        "uint8 (normalize=False)": raw,
        "float64 whole numbers": raw.astype(np.float64),
        "other floats": np.random.RandomState(1).normal(size=(64, 784)),
    }[kind]
    tb = t[:64]
    ours, theirs = pair(7)
    assert ours.engine_for(xb) == ("reference" if kind == "other floats" else "fast")
    assert abs(ours.loss(xb, tb) - theirs.loss(xb, tb)) < 1e-12
    assert worst(ours.gradient(xb, tb), theirs.gradient(xb, tb)) < 1e-12
    assert ours.accuracy(xb, tb) == theirs.accuracy(xb, tb)


def test_one_image_as_the_book_takes_it(mnist):
    (x, t), _ = mnist
    ours, theirs = pair(3)
    y = ours.predict(x[5])
    assert y.shape == (10,)
    assert np.abs(y - theirs.predict(x[5])).max() < 1e-15
    assert abs(ours.loss(x[5], t[5]) - theirs.loss(x[5], t[5])) < 1e-12


def test_the_update_loop_of_the_book_is_read_by_the_next_call(mnist):
    (x, t), _ = mnist
    ours, theirs = pair(11)
    for step in range(5):
        xb, tb = x[step * 100 : (step + 1) * 100], t[step * 100 : (step + 1) * 100]
        g_ours, g_theirs = ours.gradient(xb, tb), theirs.gradient(xb, tb)
        for key in KEYS:
            ours.params[key] -= 0.1 * g_ours[key]
            theirs.params[key] -= 0.1 * g_theirs[key]
        assert abs(ours.loss(xb, tb) - theirs.loss(xb, tb)) < 1e-12
        # The reference code (images that are not k/255) reads them too.
        xr = xb + 0.001
        assert ours.engine_for(xr) == "reference"
        assert abs(ours.loss(xr, tb) - theirs.loss(xr, tb)) < 1e-12
        assert np.abs(ours.predict(xb[:3]) - theirs.predict(xb[:3])).max() < 1e-12
    # A params dict replaced whole is read too.
    ours.params = {k: v.copy() for k, v in theirs.params.items()}
    for p in (ours.params, theirs.params):
        p["W2"][:] = 0
        p["b2"][:] = 0
    assert abs(ours.loss(x[:100], t[:100]) - np.log(10)) < 1e-6
    assert abs(ours.loss(x[:100], t[:100]) - theirs.loss(x[:100], t[:100])) < 1e-12


@pytest.mark.parametrize("images", ["fast", "reference"])
def test_numerical_gradient_equals_the_books_to_1e_9(mnist, images):
    (x, t), _ = mnist
    # A narrow network: the book's literal loop runs 2 forward passes per parameter.
    ours, theirs = pair(5, sizes=(784, 4, 10), std=0.1)
    xb, tb = x[:20], t[:20]
    if images == "reference":
        xb = xb + 0.001  # no longer k/255: the reference code
    assert ours.engine_for(xb) == images
    g_ours, g_theirs = ours.numerical_gradient(xb, tb), theirs.numerical_gradient(xb, tb)
    assert worst(g_ours, g_theirs) < 1e-9
    # And both are close to backprop (the book's check, gradient_check.py).
    assert worst(g_ours, ours.gradient(xb, tb)) < 1e-6


def test_a_training_loop_of_the_books_shape_learns_the_same(mnist):
    (x_train, t_train), (x_test, t_test) = mnist
    ours, theirs = pair(2024)
    rng_state = np.random.get_state()
    learning_rate, batch_size = 0.1, 100
    runs = {}
    for name, network in (("manabi", ours), ("numpy", theirs)):
        np.random.set_state(rng_state)
        losses, train_acc, test_acc = [], [], []
        for i in range(300):
            batch_mask = np.random.choice(x_train.shape[0], batch_size)
            x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]
            grad = network.gradient(x_batch, t_batch)
            for key in KEYS:
                network.params[key] -= learning_rate * grad[key]
            losses.append(network.loss(x_batch, t_batch))
            if i % 100 == 0 or i == 299:
                train_acc.append(network.accuracy(x_train, t_train))
                test_acc.append(network.accuracy(x_test, t_test))
        runs[name] = (np.array(losses), train_acc, test_acc)
    (l1, tr1, te1), (l2, tr2, te2) = runs["manabi"], runs["numpy"]
    assert np.abs(l1 - l2).max() < 1e-10
    assert tr1 == tr2 and te1 == te2
    assert te1[-1] > 0.5, "it learned"


def test_loops_of_other_shapes_after_the_books_get_the_books_answers(mnist):
    """After a few iterations of the book's loop the binding takes its
    update ahead (see python/src/ahead.rs); whatever the caller does next,
    every answer is still the book's."""
    (x, t), _ = mnist
    ours, theirs = pair(11)
    velocity = {}

    def iteration(network, xb, tb, how):
        grad = network.gradient(xb, tb)
        seen = {}
        if how == "predict first":
            seen["predict"] = network.predict(xb[:3])
        if how != "no update":
            lr = 0.3 if how == "another rate" else 0.1
            for key in KEYS:
                if how == "momentum":
                    v = velocity.setdefault((id(network), key), np.zeros_like(grad[key]))
                    v *= 0.9
                    v -= lr * grad[key]
                    network.params[key] += v
                else:
                    network.params[key] -= lr * grad[key]
            if how == "one weight more":
                network.params["W1"][3, 7] += 1e-9
        seen["loss"] = network.loss(xb, tb)
        seen["W1"] = grad["W1"].copy()
        return seen

    shapes = ["book"] * 4 + [
        "no update", "book", "book", "predict first", "book", "one weight more",
        "book", "another rate", "another rate", "book", "momentum", "momentum", "book",
        "no update", "no update", "book",
    ]
    for i, how in enumerate(shapes):
        xb, tb = x[100 * i:][:100], t[100 * i:][:100]
        a, b = iteration(ours, xb, tb, how), iteration(theirs, xb, tb, how)
        for key in a:
            assert np.abs(a[key] - b[key]).max() < 1e-12, (i, how, key)
    assert worst(ours.params, theirs.params) < 1e-12


def test_images_changed_in_place_are_read_again(mnist):
    (x, t), _ = mnist
    ours, theirs = pair(8)
    xb, tb = x[:100].copy(), t[:100]
    first = ours.loss(xb, tb)
    assert ours.loss(xb, tb) == first
    xb[:50] = x[100:150]
    assert abs(ours.loss(xb, tb) - theirs.loss(xb, tb)) < 1e-12
    assert ours.loss(xb, tb) != first
    # The same bytes standing for other values are another batch too.
    raw = np.rint(xb * 255).astype(np.uint8)
    assert abs(ours.loss(raw, tb) - theirs.loss(raw, tb)) < 1e-12


def test_the_loaded_batch_given_again_is_read_as_given(mnist):
    (x, t), _ = mnist
    ours, theirs = pair(9)
    xb, tb = x[200:300].copy(), t[200:300]
    ours.gradient(xb, tb)
    assert abs(ours.loss(xb, tb) - theirs.loss(xb, tb)) < 1e-12
    # The same images with other labels, and one image of them as (784,).
    rolled = np.roll(tb, 1, axis=0)
    assert abs(ours.loss(xb, rolled) - theirs.loss(xb, rolled)) < 1e-12
    ours.loss(xb[:1], tb[:1])
    assert abs(ours.loss(xb[0], tb[0]) - theirs.loss(xb[0], tb[0])) < 1e-12
    # One value changed in place to one that is not k / 255: computed by
    # the reference code, and still the book's number.
    ours.loss(xb, tb)
    xb[5, 300] = 0.5
    assert ours.engine_for(xb) == "reference"
    assert abs(ours.loss(xb, tb) - theirs.loss(xb, tb)) < 1e-12
    g_ours, g_theirs = ours.gradient(xb, tb), theirs.gradient(xb, tb)
    assert worst(g_ours, g_theirs) < 1e-12


def test_accuracy_on_a_split_given_again_or_changed_in_place(mnist):
    (x, t), (x_test, t_test) = mnist
    ours, theirs = trained_pair()
    # 3,000 images: over a million values, made into bytes chunk by chunk.
    xs, ts = x[:3000].copy(), t[:3000].copy()
    first = ours.accuracy(xs, ts)
    assert first == theirs.accuracy(xs, ts) and first > 0.5
    ours.accuracy(x_test, t_test)
    assert ours.accuracy(xs, ts) == first
    # Other labels for the same images, then other images in the same array.
    rolled = np.roll(ts, 1, axis=0)
    assert ours.accuracy(xs, rolled) == theirs.accuracy(xs, rolled) < first - 0.2
    xs[::2] = xs[1::2]
    changed = ours.accuracy(xs, ts)
    assert changed == theirs.accuracy(xs, ts) < first - 0.2


def test_accuracy_on_a_split_of_any_kind_counts_as_the_book(mnist):
    # A split of the book's float32 images is made into bytes chunk by
    # chunk while it is counted; anything else takes the general path, also
    # when the odd value comes after many chunks were counted.
    (x, t), _ = mnist
    ours, theirs = trained_pair()
    xs, ts = x[:6000].copy(), t[:6000].copy()
    first = ours.accuracy(xs, ts)
    assert first == theirs.accuracy(xs, ts) and first > 0.5
    odd = xs.copy()
    odd[5500, 400] = 0.123456  # not k/255: the reference code's arithmetic
    fortran = np.asfortranarray(xs)
    whole = np.rint(xs * 255).astype(np.float32)  # the bytes' own values
    labels = ts.argmax(axis=1).astype(np.uint8)
    cases = [
        ("not k/255", odd, ts),
        ("Fortran order", fortran, ts),
        ("whole numbers", whole, ts),
        ("labels 0-9", xs, labels),
        ("a strided view", xs[::2], ts[::2]),
    ]
    for what, xk, tk in cases:
        with np.errstate(over="ignore"):  # the book's sigmoid on whole numbers
            assert ours.accuracy(xk, tk) == theirs.accuracy(xk, tk), what
    assert ours.accuracy(fortran, ts) == first and ours.accuracy(xs, labels) == first


def test_gradients_held_or_changed_in_place_are_never_written_again(mnist):
    """A gradient's arrays are written again only once nothing else holds
    them: a held dict, a view, or an array changed in place keeps its own."""
    (x, t), _ = mnist
    ours, theirs = pair(10)
    batches = [(x[i * 100:(i + 1) * 100], t[i * 100:(i + 1) * 100]) for i in range(6)]
    held = ours.gradient(*batches[0])
    kept = {k: v.copy() for k, v in held.items()}
    view = ours.gradient(*batches[1])["W1"][3]
    view_kept = view.copy()
    reshaped = ours.gradient(*batches[2])
    reshaped["W1"].shape = (50, 784)
    frozen = ours.gradient(*batches[3])
    frozen["b1"].flags.writeable = False
    # Weak references: they do not hold the arrays.
    changed = [weakref.ref(reshaped["W1"]), weakref.ref(frozen["b1"])]
    del reshaped, frozen
    seen = []
    for xb, tb in batches[4:] * 3:
        g = ours.gradient(xb, tb)
        assert worst(g, theirs.gradient(xb, tb)) < 1e-12
        for k, shape in zip(KEYS, [(784, 50), (50,), (50, 10), (10,)]):
            assert g[k].shape == shape and g[k].dtype == np.float64
            assert g[k].flags.c_contiguous and g[k].flags.writeable
        assert all(r() is None or r() is not g[k] for r, k in zip(changed, ("W1", "b1")))
        seen.append(id(g["W1"]))
    for k in KEYS:
        assert np.array_equal(held[k], kept[k]), k
    assert np.array_equal(view, view_kept)
    # The book's loop holds one gradient while the next is made: two sets
    # of arrays take turns.
    assert len(set(seen[2:])) == 2
