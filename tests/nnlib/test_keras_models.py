"""nnlib.keras_models (the appendix): the numpy convolution, pooling and parameter counts against
Keras 3 as the oracle, the CNN's shape, the dropout facts, the heartbeat and the explorer."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import keras_models as km

RNG = np.random.default_rng(11)


def _ints(shape, lo=-3, hi=4):
    """Small integers as float32: Keras's float32 sums of their products are exact."""
    return RNG.integers(lo, hi, shape).astype(np.float32)


# --- convolution and pooling against Keras ---------------------------------------------------

@pytest.mark.parametrize("n, k, c_in, c_out", [(7, 3, 1, 1), (12, 5, 2, 4), (9, 9, 3, 2), (10, 1, 2, 3)])
def test_conv1d_is_keras_conv1d(keras, n, k, c_in, c_out):
    x, w, b = _ints((n, c_in)), _ints((k, c_in, c_out), -2, 3), _ints((c_out,))
    layer = keras.layers.Conv1D(c_out, k)
    layer.build((None, n, c_in))
    layer.set_weights([w, b])
    expected = keras.ops.convert_to_numpy(layer(x[None]))[0]
    np.testing.assert_array_equal(km.conv1d(x, w, b), expected)


def test_conv1d_flat_form_and_the_worked_example():
    assert km.conv1d([0, 1, 2, 3, 2, 1, 0], [1, 0, -1]).tolist() == [-2, -2, 0, 2, 2]
    # not flipped: a cross-correlation (a true convolution would give the negatives)
    assert km.conv1d([0, 1], [1, 0]).tolist() == [0]


@pytest.mark.parametrize("shape, kernel, c_out", [((6, 6, 1), (3, 3), 1), ((7, 5, 2), (3, 2), 3),
                                                  ((4, 4, 3), (4, 4), 2)])
def test_conv2d_is_keras_conv2d(keras, shape, kernel, c_out):
    x, w, b = _ints(shape), _ints((*kernel, shape[2], c_out), -2, 3), _ints((c_out,))
    layer = keras.layers.Conv2D(c_out, kernel)
    layer.build((None, *shape))
    layer.set_weights([w, b])
    expected = keras.ops.convert_to_numpy(layer(x[None]))[0]
    np.testing.assert_array_equal(km.conv2d(x, w, b), expected)


def test_conv2d_edge_example():
    image = np.zeros((6, 6))
    image[:, :3] = 1
    out = km.conv2d(image, np.array([[1, 0, -1]] * 3))
    assert out.tolist() == [[0, 3, 3, 0]] * 4


@pytest.mark.parametrize("shape, size", [((9, 2), 2), ((10,), 3), ((7, 6, 2), 2), ((6, 6, 1), 3)])
def test_max_pool_is_keras_max_pooling(keras, shape, size):
    x = _ints(shape, -9, 10)
    pool = keras.layers.MaxPooling2D(size) if len(shape) == 3 else keras.layers.MaxPooling1D(size)
    x_in = x if len(shape) > 1 else x[:, None]
    expected = keras.ops.convert_to_numpy(pool(x_in[None]))[0]
    np.testing.assert_array_equal(km.max_pool(x, size), expected if len(shape) > 1 else expected[:, 0])


def test_max_pool_of_a_one_channel_image_needs_spatial_2():
    feature = np.array([[0, 3, 3, 0]] * 4, float)
    assert km.max_pool(feature, 2, spatial=2).tolist() == [[3, 3], [3, 3]]
    assert km.max_pool(feature, 2).shape == (2, 4)          # pooled over rows only


def test_output_size_and_parameter_counts_against_keras(keras):
    assert [km.conv_output_size(n, k, s) for n, k, s in [(100, 5, 1), (26, 2, 2), (11, 2, 2), (7, 7, 1)]] \
        == [96, 13, 5, 1]
    for layer, shape, ours in [(keras.layers.Conv1D(8, 5), (None, 100, 1), km.conv_params(5, 1, 8)),
                               (keras.layers.Conv2D(16, 3), (None, 28, 28, 8), km.conv_params((3, 3), 8, 16)),
                               (keras.layers.Conv2D(16, 5), (None, 32, 32, 3), km.conv_params((5, 5), 3, 16)),
                               (keras.layers.Dense(96), (None, 100), km.dense_params(100, 96))]:
        layer.build(shape)
        assert layer.count_params() == ours
    assert (km.conv_params((5, 5), 3, 16), km.dense_params(3072, 12544)) == (1216, 38547712)


def test_mnist_cnn_shapes_and_parameters(keras):
    cnn = km.mnist_cnn()
    assert cnn.count_params() == 2346 == (km.conv_params((3, 3), 1, 4) + km.conv_params((3, 3), 4, 8)
                                          + km.dense_params(200, 10))
    assert [tuple(layer.output.shape) for layer in cnn.layers] == [
        (None, 26, 26, 4), (None, 13, 13, 4), (None, 11, 11, 8), (None, 5, 5, 8), (None, 200), (None, 10)]
    assert km.mnist_cnn(filters=[8]).count_params() == 80 + 13 * 13 * 8 * 10 + 10


def test_as_images():
    X = np.arange(2 * 784, dtype=np.float32).reshape(2, 784)
    images = km.as_images(X)
    assert images.shape == (2, 28, 28, 1) and images[1, 0, 1, 0] == 785
    with pytest.raises(ValueError, match="X must have shape"):
        km.as_images(np.zeros((2, 28, 28)))


# --- dropout ---------------------------------------------------------------------------------

def test_dropout_facts_on_keras_dropout(keras):
    x = np.arange(1, 201, dtype=np.float32).reshape(4, 50)
    for rate in (0.2, 0.5, 0.75):
        y = keras.ops.convert_to_numpy(keras.layers.Dropout(rate, seed=3)(x, training=True))
        facts = km.dropout_facts(x, y, rate)
        assert facts["kept_scaled"] and facts["total"] == 200 and 0 < facts["kept"] < 200
        assert facts["kept"] == np.count_nonzero(y)


def test_dropout_facts_catch_a_wrong_scale():
    x = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    assert km.dropout_facts(x, [2, 0, 6, 0], 0.5) == {"kept": 2, "total": 4, "kept_scaled": True}
    assert not km.dropout_facts(x, [1, 0, 3, 0], 0.5)["kept_scaled"]      # kept but not scaled
    with pytest.raises(ValueError, match="no zeros"):
        km.dropout_facts([0.0, 1.0], [0.0, 2.0], 0.5)
    with pytest.raises(ValueError, match="rate must be a number in"):
        km.dropout_facts(x, x, 1.0)


# --- heartbeat, kernels, the explorer --------------------------------------------------------

def test_heartbeat_spikes_every_period_and_the_spike_kernel_finds_them():
    s = km.heartbeat()
    assert s.shape == (100,) and s.dtype == np.float32
    assert np.flatnonzero(s > 0.8).tolist() == [12, 37, 62, 87]
    out = km.conv1d(s, km.kernel("spike", 5))
    assert (np.flatnonzero(out > 0.5) + 2).tolist() == [12, 37, 62, 87]
    assert np.array_equal(km.heartbeat(seed=3), km.heartbeat(seed=3))
    assert not np.array_equal(km.heartbeat(seed=3), km.heartbeat(seed=4))


def test_kernels():
    assert km.kernel("average", 4).tolist() == [0.25] * 4
    assert km.kernel("difference", 5).tolist() == [-0.5, -0.5, 0, 0.5, 0.5]
    assert km.kernel("spike", 5).tolist() == [-0.25, -0.25, 1, -0.25, -0.25]
    for name in km.KERNELS:   # average sums to 1; difference and spike ignore a constant signal
        assert km.kernel(name, 7).sum() == pytest.approx(1.0 if name == "average" else 0.0, abs=1e-12)
    with pytest.raises(ValueError, match="name must be one of"):
        km.kernel("gauss", 3)


def test_explorer_frames():
    import matplotlib.pyplot as plt

    ex = km.explorer()
    assert ex.web == "keras_models"
    assert ex.defaults() == {"name": "spike", "width": 5, "noise": 0.05}
    data = ex.web_data()
    clean, draws = np.array(data["clean"]), np.array(data["draws"])
    assert np.array_equal((clean + 0.05 * draws).astype(np.float32), km.heartbeat())
    fig = ex.figure(name="average", width=11)
    assert "90 out" in fig.axes[0].get_title() and len(fig.axes[1].lines[0].get_ydata()) == 90
    plt.close(fig)


# --- argument checks -------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: km.conv1d(np.ones((5, 2)), np.ones((3, 1, 1))), "w has 1 input channels, x has 2"),
    (lambda: km.conv1d(np.ones(3), np.ones(4)), "kernel_size must be at most n = 3"),
    (lambda: km.conv1d([1, np.nan], [1]), "x must be finite"),
    (lambda: km.conv2d(np.ones(3), np.ones((1, 1))), "x must have 2 or 3 dimensions"),
    (lambda: km.max_pool(np.ones((4, 4)), 2, spatial=3), "spatial must be 1 or 2"),
    (lambda: km.max_pool(np.ones(4), 0), "size must be an integer >= 1"),
    (lambda: km.conv_output_size(5, 2, 0), "stride must be an integer >= 1"),
    (lambda: km.conv_params((), 1, 1), "kernel_size must be an int or a non-empty tuple"),
    (lambda: km.dense_params(0, 3), "num_inputs must be an integer >= 1"),
    (lambda: km.heartbeat(period=0), "period must be an integer >= 1"),
    (lambda: km.mnist_cnn(filters=4), "filters must be a non-empty list"),
])
def test_bad_arguments_name_themselves(call, match):
    with pytest.raises(ValueError, match=match):
        call()
