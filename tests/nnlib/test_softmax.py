"""nnlib.softmax: softmax, log-softmax and sparse cross-entropy, checked against TensorFlow/Keras."""
from __future__ import annotations


import numpy as np
import pytest

from nnlib import softmax as sm
from nnlib.softmax import log_softmax, softmax, sparse_categorical_cross_entropy


def _random_cases(seed=0):
    """Random logits from tame to extreme (scale up to 1e4), with labels."""
    rng = np.random.default_rng(seed)
    for scale in (1.0, 10.0, 100.0, 1e4):
        for n in (2, 3, 10, 37):
            z = (rng.normal(size=(64, n)) * scale).astype(np.float32)
            yield z, rng.integers(0, n, size=64)
    z = np.array([[1e4, 0, -1e4], [-1e4, 1e4, 0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]], np.float32)
    yield z, np.array([2, 0, 1, 1])


def _close(ours, theirs, z):
    """Agreement to float32 rounding, relative to the size of the logits."""
    theirs = np.asarray(theirs)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=4e-7 * max(1.0, float(np.abs(z).max())))


def test_softmax_and_log_softmax_match_tensorflow(tf):
    for z, _ in _random_cases():
        _close(softmax(z), tf.nn.softmax(z), z)
        _close(log_softmax(z), tf.nn.log_softmax(z), z)


def test_loss_from_logits_matches_tensorflow_and_keras(tf):
    import keras

    for z, y in _random_cases(1):
        ours = sparse_categorical_cross_entropy(y, z)
        _close(ours, tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z), z)
        _close(ours, keras.losses.sparse_categorical_crossentropy(y, z, from_logits=True), z)
        mean = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, z).numpy()
        np.testing.assert_allclose(ours.mean(), mean, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(z).max()))


def test_loss_from_probabilities_matches_keras_clipping(tf):
    import keras

    for z, y in _random_cases(2):
        p = softmax(z)
        ours = sparse_categorical_cross_entropy(y, p, from_logits=False)
        _close(ours, keras.losses.sparse_categorical_crossentropy(y, p), np.float32(17))
        assert ours.max() <= np.float32(-np.log(np.float32(sm.EPSILON))) + 1e-5


def test_extreme_logits_give_exact_losses(tf):
    z = np.array([[1e4, 0.0, -1e4]], np.float32)
    for label, expected in enumerate([0.0, 1e4, 2e4]):
        assert sparse_categorical_cross_entropy([label], z)[0] == expected
    np.testing.assert_array_equal(softmax(z), [[1, 0, 0]])
    np.testing.assert_array_equal(log_softmax(z), [[0, -1e4, -2e4]])


def test_probabilities_form_a_distribution_and_ignore_a_shift():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(100, 5)).astype(np.float32) * 5
    a = softmax(z)
    assert np.all(a > 0)
    np.testing.assert_allclose(a.sum(axis=1), 1, atol=1e-6)
    np.testing.assert_allclose(softmax(z + np.float32(7)), a, atol=1e-6)
    np.testing.assert_allclose(np.exp(log_softmax(z)), a, rtol=1e-5)
    assert np.array_equal(np.argsort(z, axis=1), np.argsort(a, axis=1))


def test_the_trainers_loss_and_gradient_match_tensorflow(tf):
    rng = np.random.default_rng(1)
    z = tf.Variable(rng.normal(size=(5, 4)).astype(np.float32))
    y = np.array([0, 3, 1, 2, 2])
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z))
    ours, grad = sm._cross_entropy_and_grad(z.numpy(), y)
    assert ours == pytest.approx(float(loss), rel=1e-6)
    np.testing.assert_allclose(grad, tape.gradient(loss, z).numpy(), atol=1e-7)
    np.testing.assert_allclose(grad, (softmax(z.numpy()) - np.eye(4)[y]) / 5, atol=1e-7)


Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]], np.float32)
P = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], np.float32)


def test_label_forms_keras_accepts():
    ref = sparse_categorical_cross_entropy(np.array([2, 0]), Z)
    assert ref.shape == (2,)
    np.testing.assert_array_equal(sparse_categorical_cross_entropy([[2], [0]], Z), ref)   # (m, 1)
    np.testing.assert_array_equal(sparse_categorical_cross_entropy([2.0, 0.0], Z), ref)   # whole floats
    np.testing.assert_array_equal(sparse_categorical_cross_entropy(np.int32([2, 0]), Z), ref)
    assert sparse_categorical_cross_entropy(1, Z[0]).shape == ()                           # one example
    z3 = np.zeros((2, 4, 3), np.float32)                                                   # sequences
    np.testing.assert_allclose(sparse_categorical_cross_entropy(np.zeros((2, 4), int), z3), np.log(3))


@pytest.mark.parametrize("call, words", [
    (lambda: sparse_categorical_cross_entropy([0, 1, 2], Z), "y_true must have shape (2,)"),
    (lambda: sparse_categorical_cross_entropy(np.eye(3)[[0, 2]], Z), "look like one-hot rows"),
    (lambda: sparse_categorical_cross_entropy([[0, 1]], Z), "got shape (1, 2)"),
    (lambda: sparse_categorical_cross_entropy([0, 3], Z), "class indices in [0, 2] for 3 classes, got [3]"),
    (lambda: sparse_categorical_cross_entropy([-1, 0], Z), "class indices in [0, 2] for 3 classes, got [-1]"),
    (lambda: sparse_categorical_cross_entropy([0, 1.5], Z), "integer class indices (0, 1, 2, ...), got [0, 1.5]"),
    (lambda: sparse_categorical_cross_entropy([0, np.nan], Z), "integer class indices"),
    (lambda: sparse_categorical_cross_entropy(["a", "b"], Z), "y_true must hold integer class indices, got dtype"),
    (lambda: sparse_categorical_cross_entropy([True, False], Z), "got dtype bool"),
    (lambda: sparse_categorical_cross_entropy([0, 1], Z, from_logits=False), "probabilities in [0, 1]"),
    (lambda: sparse_categorical_cross_entropy([0, 1], P * 0.5, from_logits=False), "rows must sum to 1"),
    (lambda: sparse_categorical_cross_entropy([0, 1], P, from_logits="yes"), "from_logits must be True or False"),
    (lambda: sparse_categorical_cross_entropy([0, 1], [[1.0, np.nan], [0, 0]]), "y_pred must be finite"),
    (lambda: sparse_categorical_cross_entropy([0, 1], "logits"), "y_pred must be a number or an array"),
    (lambda: softmax(3.0), "z must have at least one class on its last axis, got shape ()"),
    (lambda: softmax(np.zeros((2, 0))), "got shape (2, 0)"),
    (lambda: softmax([1.0, np.inf]), "z must be finite (no NaN or inf)"),
])
def test_bad_input_is_refused_with_the_reason(call, words):
    with pytest.raises(ValueError) as err:
        call()
    assert words in str(err.value)


def test_the_loss_by_method_table():
    from nnlib.plots import softmax as plots_softmax

    table = plots_softmax.loss_by_method([5, 100, 110])
    np.testing.assert_allclose(table["from logits"], [5.0067153, 100, 110], rtol=1e-6)
    assert np.isinf(table["-log(naive softmax)"][1]) and np.isinf(table["-log(stable softmax)"][2])
    np.testing.assert_allclose(table["clipped probabilities (Keras)"][1:], 16.118095, rtol=1e-6)


def test_the_below_4_bound_holds_against_tensorflow_and_catches_a_real_error(tf):
    """Chapter 3 prints 'below 4' float32 steps (at max(1, |z|)) for nnlib vs TensorFlow; an exp
    off by one part in a million, or a softmax without the max shift, breaks the bound."""
    from nnlib import portable

    eps = np.finfo(np.float32).eps
    rng = np.random.default_rng(9)
    for scale in (1.0, 10.0, 100.0, 1e4):
        zs = (rng.normal(size=(200, 10)) * scale).astype(np.float32)
        worst = np.max(np.abs(softmax(zs) - tf.nn.softmax(zs).numpy())) / max(1.0, float(np.abs(zs).max()))
        assert portable.below(worst / eps, 4) == "below 4"
    zs = rng.normal(size=(200, 10)).astype(np.float32)
    off = softmax(zs) * np.float32(1 + 1e-6)
    worst = np.max(np.abs(off - tf.nn.softmax(zs).numpy()))
    assert "NOT below 4" in portable.below(worst / eps, 4)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(zs * 100) / np.exp(zs * 100).sum(axis=1, keepdims=True)
    worst = np.max(np.abs(naive - tf.nn.softmax(zs * 100).numpy())) / 100
    assert "NOT below 4" in portable.below(worst / eps, 4)


# --- the decision-regions section: four_blobs and the plots ---------------------------------------

def test_four_blobs_are_seeded_balanced_and_centred():
    X, y = sm.four_blobs(num_per_class=500, seed=3)
    assert X.shape == (2000, 2) and X.dtype == np.float32 and np.array_equal(np.bincount(y), [500] * 4)
    for k, centre in enumerate(sm.CENTERS):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centre, atol=0.1)
        np.testing.assert_allclose(X[y == k].std(axis=0), 0.75, rtol=0.1)
    again, _ = sm.four_blobs(num_per_class=500, seed=3)
    other, _ = sm.four_blobs(num_per_class=500, seed=4)
    assert np.array_equal(X, again) and not np.array_equal(X, other)
    with pytest.raises(ValueError, match="num_per_class"):
        sm.four_blobs(num_per_class=0)
    with pytest.raises(ValueError, match="spread"):
        sm.four_blobs(spread=-1.0)


def test_decision_regions_are_the_argmax_of_the_logits():
    from nnlib.plots import softmax as plots_softmax

    # logits (x1, -x1, x2): each grid point goes to the largest of the three
    W = np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
    xs, ys, z, labels = plots_softmax.decision_regions(lambda P: P @ W, (-2.0, 2.0), (-1.0, 3.0), num=5)
    assert xs.tolist() == [-2, -1, 0, 1, 2] and ys.tolist() == [-1, 0, 1, 2, 3]
    assert z.shape == (5, 5, 3) and labels.shape == (5, 5)
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            np.testing.assert_array_equal(z[i, j], [xv, -xv, yv])
            assert labels[i, j] == int(np.argmax([xv, -xv, yv]))
    assert labels[0, 0] == 1 and labels[0, -1] == 0 and labels[-1, 2] == 2


def test_regions_figure_draws_one_panel_per_classifier():
    import matplotlib.pyplot as plt

    from nnlib.plots import softmax as plots_softmax

    X, y = sm.four_blobs(num_per_class=10)
    W = np.array([[0.0, 0.0, -1.0, 1.0], [0.0, 1.0, -0.5, -0.5]], np.float32)
    fig = plots_softmax.regions_figure(X, y, {"a": lambda P: P @ W, "b": lambda P: -(P @ W)}, num=50)
    try:
        axes = fig.axes
        assert [ax.get_title() for ax in axes] == ["a", "b"]
        for ax in axes:
            assert len(ax.images) == 1 and len(ax.collections) >= 4   # the regions, 4 point sets, lines
            assert ax.get_xlim() == (-5.0, 5.0)
        assert [t.get_text() for t in fig.legends[0].get_texts()] == [f"label {k}" for k in range(4)]
    finally:
        plt.close(fig)
