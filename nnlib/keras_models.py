"""Building models in Keras 3 (the appendix): what convolution and pooling compute, in numpy.

The appendix builds models with Keras; this module holds the arithmetic it checks Keras against
and the few pieces it reuses: the reference 1-D and 2-D convolution (Keras's ``Conv1D`` and
``Conv2D``: "valid" padding, stride 1, channels last, a cross-correlation) and max pooling, the
parameter counts of dense and convolutional layers, a synthetic heartbeat signal, the small
convolutional network for the MNIST sample, the facts a dropout mask must satisfy, and the
chapter's explorer (a 1-D convolution over the heartbeat). ``import nnlib`` stays TensorFlow-free:
Keras is imported inside the functions that need it.
"""
from __future__ import annotations

import math

import numpy as np

from . import _check

__all__ = ["conv1d", "conv2d", "max_pool", "conv_output_size", "dense_params", "conv_params",
           "heartbeat", "heartbeat_parts", "KERNELS", "kernel", "mnist_cnn", "as_images", "dropout_facts",
           "conv_figure", "explorer"]


def _array(name, value, ndims) -> np.ndarray:
    a = _check.finite_array(name, value, np.float64)
    if a.ndim not in ndims:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndims))} dimensions, got shape {a.shape}")
    return a


def conv_output_size(n, kernel_size, stride=1) -> int:
    """Length of a "valid" convolution or pooling output along one axis: ⌊(n − k)/s⌋ + 1 (appendix)."""
    n = _check.positive_int("n", n)
    k = _check.positive_int("kernel_size", kernel_size)
    s = _check.positive_int("stride", stride)
    if k > n:
        raise ValueError(f"kernel_size must be at most n = {n}, got {k}")
    return (n - k) // s + 1


def conv1d(x, w, b=0.0) -> np.ndarray:
    """Keras's ``Conv1D`` ("valid", stride 1) in float64: ``x`` (n, c_in), ``w`` (k, c_in, c_out),
    ``b`` (c_out,) give (n − k + 1, c_out); a 1-D ``x`` and ``w`` give a 1-D result (appendix).

    Output position t is Σ_j x[t + j] · w[j] + b: a cross-correlation, the kernel not flipped.
    """
    x, w = _array("x", x, (1, 2)), _array("w", w, (1, 3))
    flat = x.ndim == 1 and w.ndim == 1
    if x.ndim == 1:
        x = x[:, None]
    if w.ndim == 1:
        w = w[:, None, None]
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w has {w.shape[1]} input channels, x has {x.shape[1]}")
    m = conv_output_size(x.shape[0], w.shape[0])
    out = np.zeros((m, w.shape[2])) + np.asarray(b, np.float64)
    for j in range(w.shape[0]):          # one kernel tap at a time: a fixed order of additions
        for c in range(x.shape[1]):
            out += x[j:j + m, c, None] * w[j, c]
    return out[:, 0] if flat else out


def conv2d(x, w, b=0.0) -> np.ndarray:
    """Keras's ``Conv2D`` ("valid", stride 1) in float64: ``x`` (h, w, c_in), ``w`` (kh, kw, c_in,
    c_out), ``b`` (c_out,) give (h − kh + 1, w − kw + 1, c_out); a 2-D ``x`` and ``w`` (one channel
    in and out) give a 2-D result (appendix)."""
    x, w = _array("x", x, (2, 3)), _array("w", w, (2, 4))
    flat = x.ndim == 2 and w.ndim == 2
    if x.ndim == 2:
        x = x[:, :, None]
    if w.ndim == 2:
        w = w[:, :, None, None]
    if w.shape[2] != x.shape[2]:
        raise ValueError(f"w has {w.shape[2]} input channels, x has {x.shape[2]}")
    mh, mw = conv_output_size(x.shape[0], w.shape[0]), conv_output_size(x.shape[1], w.shape[1])
    out = np.zeros((mh, mw, w.shape[3])) + np.asarray(b, np.float64)
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            for c in range(x.shape[2]):
                out += x[i:i + mh, j:j + mw, c, None] * w[i, j, c]
    return out[:, :, 0] if flat else out


def max_pool(x, size=2, spatial=None) -> np.ndarray:
    """Keras's ``MaxPooling1D``/``MaxPooling2D`` ("valid", stride = size) over the leading
    ``spatial`` axes of ``x``; the axes after them (channels) are kept (appendix).

    By default ``x`` of shape (n,) or (n, c) pools over n and (h, w, c) over h and w; a
    one-channel image (h, w) needs ``spatial=2``.
    """
    x = _array("x", x, (1, 2, 3))
    s = _check.positive_int("size", size)
    if spatial is None:
        spatial = 2 if x.ndim == 3 else 1
    if spatial not in (1, 2) or spatial > x.ndim:
        raise ValueError(f"spatial must be 1 or 2 (and at most x.ndim = {x.ndim}), got {spatial!r}")
    shape = [conv_output_size(n, s, s) for n in x.shape[:spatial]]
    cut = x[tuple(slice(0, m * s) for m in shape)]
    blocks = cut.reshape(*[v for m in shape for v in (m, s)], *x.shape[spatial:])
    return blocks.max(axis=(1, 3) if spatial == 2 else 1)


def dense_params(num_inputs, units) -> int:
    """Weights and biases of a ``Dense(units)`` layer on ``num_inputs`` inputs: n·u + u (appendix)."""
    return _check.positive_int("num_inputs", num_inputs) * _check.positive_int("units", units) + units


def conv_params(kernel_size, in_channels, filters) -> int:
    """Weights and biases of a convolution: k₁·k₂·…·c_in·filters + filters, whatever the input's
    length or size (appendix). ``kernel_size`` is an int (1-D) or a tuple (2-D)."""
    sizes = (kernel_size,) if isinstance(kernel_size, (int, np.integer)) else tuple(kernel_size)
    if not sizes:
        raise ValueError("kernel_size must be an int or a non-empty tuple of ints, got ()")
    k = math.prod(_check.positive_int("kernel_size", s) for s in sizes)
    return k * _check.positive_int("in_channels", in_channels) * _check.positive_int("filters", filters) + filters


def heartbeat_parts(num_samples=100, period=25, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """The two float64 parts of :func:`heartbeat`: the noise-free signal (a spike every ``period``
    samples on a slow wave) and the standard normal draws that ``noise`` scales (appendix)."""
    n = _check.positive_int("num_samples", num_samples)
    p = _check.positive_int("period", period)
    t = np.arange(n)
    phase = (t - p // 2) % p
    spike = np.where(phase == 0, 1.0, np.where((phase == 1) | (phase == p - 1), 0.35, 0.0))
    dip = np.where((phase == 2) | (phase == p - 2), -0.25, 0.0)
    wave = 0.15 * np.sin(2 * np.pi * t / p)
    rng = np.random.default_rng(_check.non_negative_int("seed", seed))
    return spike + dip + wave, rng.standard_normal(n)


def heartbeat(num_samples=100, period=25, noise=0.05, seed=0) -> np.ndarray:
    """A synthetic electrocardiogram-like signal, float32 (appendix): a sharp spike (the "R wave")
    every ``period`` samples on a slow wave, plus Gaussian noise of standard deviation ``noise``."""
    noise = _check.non_negative_number("noise", noise)
    clean, draws = heartbeat_parts(num_samples, period, seed)
    return (clean + noise * draws).astype(np.float32)


#: the explorer's kernels, as functions of the width k: an average (smooths), a difference of two
#: halves (responds to rises and falls), and a spike detector (a peak minus its surroundings)
KERNELS = ("average", "difference", "spike")


def kernel(name, width) -> np.ndarray:
    """One of :data:`KERNELS` with ``width`` taps (appendix)."""
    if name not in KERNELS:
        raise ValueError(f"name must be one of {KERNELS}, got {name!r}")
    k = _check.positive_int("width", width)
    if name == "average":
        return np.full(k, 1.0 / k)
    if name == "difference":
        half = k // 2
        return np.concatenate([-np.ones(half), np.zeros(k - 2 * half), np.ones(half)]) / max(half, 1)
    w = np.full(k, -1.0 / max(k - 1, 1))
    w[k // 2] = 1.0
    return w


def mnist_cnn(filters=(4, 8), kernel_size=3, pool=2):
    """A small convolutional network for 28×28×1 images (appendix): for each entry of ``filters`` a
    ``Conv2D`` (ReLU) then ``MaxPooling2D(pool)``, then ``Flatten`` and ``Dense(10)`` logits."""
    import keras

    filters = tuple(filters) if isinstance(filters, (list, tuple)) else None
    if not filters:
        raise ValueError(f"filters must be a non-empty list of channel counts, got {filters!r}")
    layers = [keras.Input((28, 28, 1))]
    for f in filters:
        layers += [keras.layers.Conv2D(_check.positive_int("filters", f), kernel_size, activation="relu"),
                   keras.layers.MaxPooling2D(_check.positive_int("pool", pool))]
    layers += [keras.layers.Flatten(), keras.layers.Dense(10)]
    return keras.Sequential(layers, name="cnn")


def as_images(X) -> np.ndarray:
    """Rows of 784 pixels as (n, 28, 28, 1) images, the layout ``Conv2D`` reads (appendix)."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 784:
        raise ValueError(f"X must have shape (n, 784), got {X.shape}")
    return X.reshape(-1, 28, 28, 1)


def dropout_facts(x, y, rate) -> dict:
    """What a ``Dropout(rate)`` output ``y`` of input ``x`` (no zeros in ``x``) must satisfy in
    training (appendix): every entry is 0 or x/(1 − rate). Returns the number kept, the total,
    and whether each kept entry equals x/(1 − rate) in float32, as Keras computes it."""
    rate = _check.unit_interval("rate", rate)
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    if not np.all(x != 0):
        raise ValueError("x must have no zeros (a zero input cannot show whether it was kept)")
    kept = y != 0
    scaled = x / np.float32(1 - rate)
    return {"kept": int(kept.sum()), "total": int(x.size),
            "kept_scaled": bool(np.array_equal(y[kept], scaled[kept]))}


def conv_figure(signal, name="spike", width=5):
    """The heartbeat and its convolution with one of :data:`KERNELS` (the appendix's picture)."""
    import matplotlib.pyplot as plt

    signal = _array("signal", signal, (1,))
    w = kernel(name, width)
    out = conv1d(signal, w)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 3.8), sharex=True)
    t = np.arange(len(signal))
    top.plot(t, signal, color="#333", lw=1.2)
    top.axvspan(0, width - 1, color="#1f77b4", alpha=0.18, label=f"the window of output 0 ({width} samples)")
    top.set_ylabel("input")
    top.set_title(f"1-D convolution, {name} kernel of width {width}: "
                  f"{len(signal)} samples in, {len(out)} out, {width} + 1 parameters")
    top.legend(loc="upper right", fontsize=8, frameon=False)
    bottom.plot(np.arange(len(out)) + (width - 1) / 2, out, color="#d62728", lw=1.5)
    bottom.axhline(0, color="#999", lw=0.6)
    bottom.set_ylabel("output")
    bottom.set_xlabel("sample (each output drawn at the centre of its window)")
    bottom.set_xlim(-1, len(signal))
    fig.tight_layout()
    return fig


def explorer():
    """The appendix's explorer: the heartbeat, at any noise level, convolved with each kernel at
    any odd width. In the book it computes in the browser (``nnlib/web/nnlib-web/keras_models.js``:
    the same float64 arithmetic as :func:`heartbeat` and :func:`conv1d`, from the noise-free signal
    and the draws sent with the page)."""
    from . import explore

    clean, draws = heartbeat_parts()
    return explore.Explorer(
        "conv1d",
        lambda name, width, noise: conv_figure(heartbeat(noise=noise), name, width), [
            explore.choice("name", KERNELS, default="spike", label="kernel"),
            explore.int_slider("width", 3, 31, 5, grid=[3, 5, 11], step=2, label="width"),
            explore.slider("noise", 0.0, 0.5, 0.005, 0.05, grid=[0.05], label="noise"),
        ], web="keras_models", web_data=lambda: {"clean": clean.tolist(), "draws": draws.tolist()})
