"""Chapter 1 (neurons and activations): what a neuron computes, and the functions it applies.

A neuron computes ``f(sum_i x_i w_i + b)``; a dense layer ``f(X @ W + b)``. Here, in float32 numpy:
the activations and their derivatives (TensorFlow's formulas; the table every numpy network of
the course uses), layer and parameter counts, folding linear layers into one, and the dying-ReLU
demonstration on dense networks (:class:`nnlib.network.Network`) with one or more
hidden layers.
"""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np

from . import network, portable
from ._check import finite_array, non_negative_int, one_of, positive_int, positive_number

__all__ = [
    "NAMES", "sigmoid", "leaky_relu", "elu", "LEAKY_ALPHA", "ELU_ALPHA", "prelu", "prelu_grad",
    "RRELU_RANGE", "rrelu", "kernels", "get", "derivative",
    "keras_value_and_grad", "dense", "num_layers", "layer_shapes", "param_counts", "compose_linear",
    "toy_regression", "init_mlp", "off_units", "DeadUnitRun", "train", "train_many",
]

F32 = np.float32
ONE = F32(1)

# The activations of chapter 1, by the name ``get`` and ``derivative`` accept.
NAMES = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "swish")
_ALIASES = {"linear": "identity", "silu": "swish"}
#: Note 001's default slopes: leaky ReLU alpha 0.01, ELU alpha 1 (what ``alpha=None`` means).
LEAKY_ALPHA = 0.01
ELU_ALPHA = 1.0
# TensorFlow's softplus switches formula beyond |z| = -(log(float32 eps) + 2) ~ 13.94.
_SOFTPLUS_T = F32(np.log(np.finfo(np.float32).eps) + 2)


# --- the activations: the one table every numpy network of the course uses --------------------
# name -> (f(z, alpha), f'(z, a, alpha)), unchecked float32 kernels; f' also gets a = f(z), which
# sigmoid and tanh reuse. exp, log, expm1, tanh and sigmoid come from nnlib.portable: the same
# bits on every CPU, within one float32 ulp of the true value.

def _softplus(z, alpha=None):
    # tensorflow/core/kernels/softplus_op.h: z beyond the threshold, exp(z) below it, else log(1 + e^z)
    e = portable.exp(np.minimum(z, -_SOFTPLUS_T))
    return np.where(z > -_SOFTPLUS_T, z, np.where(z < _SOFTPLUS_T, e, portable.log(e + ONE))).astype(F32)


def _elu(z, alpha):
    # expm1 only where it is used (z <= 0, or NaN): elementwise, so the same bits as on all of z
    z = np.asarray(z)
    on_neg = ~(z > 0)
    neg = np.zeros(z.shape, F32)
    neg[on_neg] = portable.expm1(np.minimum(z[on_neg], F32(0)))
    return np.where(z > 0, z, neg if alpha == 1 else alpha * neg).astype(F32)


def _elu_grad(z, a, alpha):
    # d/dz elu = alpha e^z for z < 0; TF computes (e^z - 1 + 1), times alpha
    neg = a + ONE if alpha == 1 else alpha * (portable.expm1(np.minimum(z, F32(0))) + ONE)
    return np.where(z > 0, ONE, neg).astype(F32)


def _swish_grad(z, a, alpha):
    s = portable.sigmoid(z)
    return (s * (ONE + z * (ONE - s))).astype(F32)  # tf.nn.silu's gradient


_KERNELS = {
    "identity": (lambda z, al: z.astype(F32), lambda z, a, al: np.ones_like(z, dtype=F32)),
    "sigmoid": (lambda z, al: portable.sigmoid(z), lambda z, a, al: a * (ONE - a)),
    "tanh": (lambda z, al: portable.tanh(z), lambda z, a, al: ONE - a * a),
    "relu": (lambda z, al: np.maximum(z, F32(0)), lambda z, a, al: (z > 0).astype(F32)),
    "leaky_relu": (lambda z, al: np.maximum(al * z, z).astype(F32),
                   lambda z, a, al: np.where(z > 0, ONE, al).astype(F32)),
    "elu": (_elu, _elu_grad),
    "softplus": (_softplus, lambda z, a, al: portable.sigmoid(z)),
    "swish": (lambda z, al: (z * portable.sigmoid(z)).astype(F32), _swish_grad),
}


def _resolve(name, alpha):
    """Canonical name and float32 alpha (None where the activation has none)."""
    name = one_of("name", name, NAMES + tuple(_ALIASES))
    name = _ALIASES.get(name, name)
    if name == "leaky_relu":
        alpha = LEAKY_ALPHA if alpha is None else alpha
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 <= alpha < 1:
            raise ValueError(f"alpha must satisfy 0 <= alpha < 1, got {alpha!r}")  # chapter 1 prints it
        return name, F32(alpha)
    if name == "elu":
        return name, F32(positive_number("alpha", ELU_ALPHA if alpha is None else alpha))
    if alpha is not None:
        raise ValueError(f"alpha is only used by leaky_relu and elu, got alpha={alpha!r} for {name!r}")
    return name, None


# --- public activations: the ones the chapters call by name; get(name) gives any of NAMES ------

def sigmoid(z):
    """The logistic function 1 / (1 + e^-z), computed without overflow (chapter 1)."""
    return get("sigmoid")[0](z)


def leaky_relu(z, alpha=LEAKY_ALPHA):
    """Leaky ReLU max(alpha z, z) for 0 <= alpha < 1; note 001's default alpha is 0.01 (chapter 1)."""
    return get("leaky_relu", alpha)[0](z)


def elu(z, alpha=ELU_ALPHA):
    """ELU: z for z > 0, alpha (e^z - 1) otherwise; it tends to -alpha as z -> -inf (chapter 1)."""
    return get("elu", alpha)[0](z)


# --- a learned slope and a random slope: PReLU and RReLU ----------------------------------------

#: RReLU's range of negative slopes in training, [1/8, 1/3], as PyTorch's ``RReLU``. Xu et al.
#: (2015) divide z < 0 by a random divisor in [3, 8] and at inference by its mean 5.5 (slope 2/11);
#: drawing the slope itself uniformly, as here, gives the mean slope 11/48 at inference.
RRELU_RANGE = (1 / 8, 1 / 3)


def _prelu_args(z, slope):
    z, slope = finite_array("z", z), finite_array("slope", slope)
    try:
        np.broadcast_shapes(z.shape, slope.shape)
    except ValueError:
        raise ValueError(f"slope must broadcast against z (one slope per unit, the last axes of z), "
                         f"got shapes {slope.shape} and {z.shape}") from None
    return z, slope


def prelu(z, slope):
    """PReLU: z for z > 0, ``slope * z`` otherwise, the slope a parameter learned with the weights (chapter 1).

    He et al. (2015) learn one slope per unit (or per channel); ``slope`` broadcasts against ``z``
    as ``keras.layers.PReLU``'s ``alpha`` does (shape ``z.shape[1:]``: one per unit). Float32, the
    bits of ``keras.layers.PReLU`` (which computes ``relu(z) - alpha * relu(-z)``).
    """
    z, slope = _prelu_args(z, slope)
    return np.where(z > 0, z, slope * z).astype(F32)


def prelu_grad(z, slope, upstream):
    """``(dL/dz, dL/dslope)`` of PReLU, given ``upstream`` = dL/d output, shaped like ``z`` (chapter 1).

    ``dL/dz = upstream * f'(z)`` with ``f'(z)`` 1 for z > 0, ``slope`` for z < 0 and 0 at z = 0
    (TensorFlow's convention, as for ReLU); ``dL/dslope = sum(upstream * min(z, 0))`` over the
    axes along which ``slope`` was broadcast (the batch), so it has the shape of ``slope``.
    """
    z, slope = _prelu_args(z, slope)
    upstream = finite_array("upstream", upstream)
    if upstream.shape != z.shape:
        raise ValueError(f"upstream must have the shape of z {z.shape}, got {upstream.shape}")
    dz = upstream * np.where(z > 0, ONE, np.where(z < 0, slope, F32(0)))
    g = upstream * np.minimum(z, F32(0))
    lead = g.ndim - slope.ndim
    axes = tuple(range(lead)) + tuple(lead + k for k, n in enumerate(slope.shape) if n == 1 and g.shape[lead + k] != 1)
    dslope = g.sum(axis=axes, keepdims=True).reshape(slope.shape) if axes else g.reshape(slope.shape)
    return dz.astype(F32), dslope.astype(F32)


def rrelu(z, lower=RRELU_RANGE[0], upper=RRELU_RANGE[1], training=False, seed=0):
    """RReLU: z for z >= 0, ``a * z`` otherwise, with a random slope ``a`` in training (chapter 1).

    In training (``training=True``) every entry of ``z`` gets its own slope drawn uniformly from
    ``[lower, upper]`` by ``numpy.random.default_rng(seed)``, a new draw for every batch (pass a
    new seed); at inference the slope is the mean, ``(lower + upper) / 2``, so the output is
    deterministic (Xu et al. 2015, in PyTorch's form: see :data:`RRELU_RANGE`).
    """
    z = finite_array("z", z)
    lower, upper = finite_array("lower", lower, np.float64), finite_array("upper", upper, np.float64)
    if lower.ndim or upper.ndim or not 0 <= lower <= upper < 1:
        raise ValueError(f"lower and upper must be numbers with 0 <= lower <= upper < 1, got "
                         f"lower={float(lower) if not lower.ndim else lower!r}, "
                         f"upper={float(upper) if not upper.ndim else upper!r}")
    if not isinstance(training, bool):
        raise ValueError(f"training must be True or False, got {training!r}")
    if training:
        a = np.random.default_rng(non_negative_int("seed", seed)).uniform(lower, upper, z.shape).astype(F32)
    else:
        a = F32((lower + upper) / 2)
    return np.where(z >= 0, z, a * z).astype(F32)


def kernels(name, alpha=None):
    """Unchecked float32 kernels ``(f(z), f'(z, a))`` of ``name``, ``a = f(z)``, for trainers (chapter 1)."""
    name, a = _resolve(name, alpha)
    f, df = _KERNELS[name]
    return (lambda z: f(z, a)), (lambda z, out: df(z, out, a))


def get(name, alpha=None):
    """``(f, f')`` for activation ``name`` (one of NAMES, or 'linear'/'silu'), alpha bound (chapter 1)."""
    f, df = kernels(name, alpha)

    def grad(z):
        z = finite_array("z", z)
        return df(z, f(z))

    return (lambda z: f(finite_array("z", z))), grad


def derivative(name, z, alpha=None):
    """The derivative f'(z) of activation ``name``, as TensorFlow's gradient computes it (chapter 1).

    At the kinks TensorFlow's convention: relu'(0) = 0, leaky_relu'(0) = alpha, elu'(0) = alpha.
    """
    return get(name, alpha)[1](z)


def keras_value_and_grad(name, z, alpha=None):
    """``(f(z), f'(z))`` from ``keras.activations`` and a GradientTape, as numpy float32 (chapter 1).

    The oracle for this module's activations. Imports TensorFlow lazily (quietly; no reseeding).
    """
    import os

    from .tfsetup import QUIET_ENV

    name, a = _resolve(name, alpha)
    z = finite_array("z", z)
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    import keras
    import tensorflow as tf

    fn = getattr(keras.activations, {"identity": "linear", "swish": "silu"}.get(name, name))
    alpha_name = {"leaky_relu": "negative_slope", "elu": "alpha"}.get(name)  # Keras's name for alpha
    kwargs = {alpha_name: float(a)} if alpha_name else {}
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        out = fn(zt, **kwargs)
    return out.numpy(), tape.gradient(out, zt).numpy()


# --- neurons, layers, parameters ------------------------------------------------------------

def dense(X, W, b, activation="identity", alpha=None):
    """One dense layer: activation(X @ W + b), every neuron f(sum_i x_i w_i + b) at once (chapter 1)."""
    X, W, b = finite_array("X", X), finite_array("W", W), finite_array("b", b)
    if X.ndim != 2 or W.ndim != 2 or b.ndim != 1:
        raise ValueError(f"need X of shape (n, n_in), W (n_in, n_out), b (n_out,); got X {X.shape}, "
                         f"W {W.shape}, b {b.shape}")
    if X.shape[1] != W.shape[0] or W.shape[1] != b.shape[0]:
        raise ValueError(f"shapes do not fit: X {X.shape} @ W {W.shape} + b {b.shape}")
    return kernels(activation, alpha)[0]((X @ W + b).astype(F32))


def _sizes(sizes):
    try:
        sizes = list(sizes)
    except TypeError:
        raise ValueError(f"sizes must be a list of layer widths like [3, 4, 2], got {sizes!r}") from None
    if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1
                             for s in sizes):
        raise ValueError(f"sizes must list at least two integers >= 1 (input, ..., output), got {sizes!r}")
    return [int(s) for s in sizes]


def num_layers(sizes) -> int:
    """Layers as note 000 counts them: hidden layers + the output layer, not the input (chapter 1)."""
    return len(_sizes(sizes)) - 1


def layer_shapes(sizes) -> list[tuple[tuple[int, int], tuple[int]]]:
    """``[(W shape, b shape), ...]`` of a dense network with these layer widths (chapter 1)."""
    s = _sizes(sizes)
    return [((a, b), (b,)) for a, b in zip(s[:-1], s[1:])]


def param_counts(sizes) -> list[int]:
    """Trainable parameters per dense layer, n_in * n_out weights + n_out biases (chapter 1)."""
    return [w[0] * w[1] + b[0] for w, b in layer_shapes(sizes)]


def compose_linear(weights, biases):
    """Fold linear layers x -> x W1 + b1 -> ... into one (W, b) (chapter 1).

    ``(x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2)``, and so on down the stack.
    """
    net = network.Network(weights, biases, "identity")  # checks that the layers follow each other
    W, b = net.weights[0], net.biases[0]
    for Wk, bk in zip(net.weights[1:], net.biases[1:]):
        W, b = (W @ Wk).astype(F32), (b @ Wk + bk).astype(F32)
    return W, b


# --- a one-hidden-layer network and the dying-ReLU demonstration -----------------------------

def toy_regression(n=256, n_in=8, seed=1):
    """Inputs X ~ N(0, 1) of shape (n, n_in) and a standardized non-linear target y (chapter 1).

    ``y`` is ``|x1| - x2^2 / 2 + sin(2 x2)`` scaled to mean 0 and variance 1; the other inputs
    are noise the network has to learn to ignore.
    """
    n, n_in = non_negative_int("n", n), non_negative_int("n_in", n_in)
    if n < 2 or n_in < 2:
        raise ValueError(f"need n >= 2 and n_in >= 2, got n={n}, n_in={n_in}")
    rng = np.random.default_rng(non_negative_int("seed", seed))
    X = rng.standard_normal((n, n_in)).astype(F32)
    y = np.abs(X[:, :1]) - X[:, 1:2] ** 2 / 2 + np.sin(2 * X[:, 1:2])
    return X, ((y - y.mean()) / y.std()).astype(F32)


def init_mlp(n_in, units, activation="relu", alpha=None, out_scale=1.0, seed=0,
             dot=None) -> network.Network:
    """A :class:`nnlib.network.Network` input -> hidden layer(s) -> one linear output, MSE (chapter 1).

    ``units`` is the width of the one hidden layer, or a list of widths, one per hidden layer.
    He-normal hidden weights N(0, 2 / fan_in), zero biases, N(0, out_scale^2 / units) output
    weights; ``dot`` multiplies matrices (default numpy's ``@``; :func:`nnlib.portable.dot` for
    the same bits on every CPU).
    """
    n_in = positive_int("n_in", n_in)
    widths = [units] if isinstance(units, numbers.Integral) else list(units) if \
        isinstance(units, (list, tuple)) else None
    if not widths or any(isinstance(u, bool) or not isinstance(u, numbers.Integral) or u < 1
                         for u in widths):
        raise ValueError(f"units must be an integer >= 1 or a list of them (one per hidden "
                         f"layer), got {units!r}")
    out_scale = positive_number("out_scale", out_scale)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    fan_in = [n_in] + widths[:-1]
    weights = [(rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(F32)
               for a, b in zip(fan_in, widths)]
    weights.append((rng.standard_normal((widths[-1], 1))
                    * (out_scale / np.sqrt(widths[-1]))).astype(F32))
    biases = [np.zeros(b, F32) for b in widths] + [np.zeros(1, F32)]
    return network.Network(weights, biases, activation, alpha, dot=dot)


def off_units(Z) -> np.ndarray:
    """Which hidden units have pre-activation <= 0 for every input (rows of Z) (chapter 1).

    For ReLU such a unit outputs 0 for every input and gets a zero gradient: it is dead.
    """
    Z = np.asarray(Z)
    if Z.ndim != 2:
        raise ValueError(f"Z must be a 2-d array (inputs, units), got shape {Z.shape}")
    return np.all(Z <= 0, axis=0)


@dataclass
class DeadUnitRun:
    """A training run: loss and share of "off" hidden units before each step, and the end state (chapter 1).

    ``ever_off`` marks the units (of the watched hidden layer) that were off for every input at
    some recorded step, ``off`` those off at the last one; ``revived`` counts units that were
    off and came back.
    """

    loss: np.ndarray
    off_share: np.ndarray
    net: network.Network
    diverged_at: int | None
    ever_off: np.ndarray
    off: np.ndarray

    @property
    def revived(self) -> int:
        """How many hidden units were off for every input at some step but are on again at the end."""
        return int(np.sum(self.ever_off & ~self.off))


def train(X, y, net: network.Network, lr=0.01, num_steps=100, layer=0, frozen=0) -> DeadUnitRun:
    """Full-batch gradient descent on the mean squared error, as Keras SGD does it (chapter 1).

    Records, before every step and after the last, the loss and the share of hidden units of
    hidden layer ``layer`` (0: the first) that are off for every input. ``frozen`` layers at
    the bottom keep their weights (their gradients are set to 0 before each update). ``net`` is
    not modified; a run that overflows stops (a result). The steps are
    :func:`nnlib.network.train`'s, with one full batch per epoch.
    """
    if not isinstance(net, network.Network):
        raise ValueError(f"net must be an nnlib.network.Network (see init_mlp), got {type(net).__name__}")
    num_steps = non_negative_int("num_steps", num_steps)
    hidden = len(net.weights) - 1
    layer, frozen = non_negative_int("layer", layer), non_negative_int("frozen", frozen)
    if layer >= hidden or frozen > len(net.weights):
        raise ValueError(f"need layer < {hidden} (hidden layers) and frozen <= {len(net.weights)} "
                         f"(layers), got layer={layer}, frozen={frozen}")
    net = net.copy()
    losses, off, diverged = [], [], []
    ever_off = np.zeros(net.sizes[layer + 1], bool)
    now_off = ever_off.copy()

    def record(step, _, grads):
        if not np.isfinite(grads.loss):
            diverged.append(step)
            return True
        losses.append(grads.loss)
        now_off[:] = off_units(grads.forward.zs[layer])
        ever_off[:] |= now_off
        off.append(np.mean(now_off))
        for g in grads.dW[:frozen] + grads.db[:frozen]:  # network.train then adds lr * 0
            g[...] = 0
        return step == num_steps  # the last record comes after the last step

    network.train(X, y, net, lr, num_epochs=num_steps + 1, on_batch=record)
    return DeadUnitRun(np.array(losses, F32), np.array(off, F32), net, (diverged or [None])[0],
                       ever_off, now_off)


def train_many(X, y, starts, lr=0.01, num_steps=100, layer=0, frozen=0) -> list[DeadUnitRun]:
    """``[train(X, y, net, lr, num_steps, layer, frozen) for net in starts]``, the runs shared out
    among forked workers where that is safe (:func:`nnlib.parallel.fork_map`) (chapter 1).

    Each run is the one :func:`train` makes alone, bit for bit (the workers run the same code on
    the same data); only the weights travel back, and each run's ``net`` is rebuilt here.
    ``frozen`` may also be a list, one entry per start.
    """
    from .parallel import fork_map

    starts = list(starts) if isinstance(starts, (list, tuple)) else None
    if not starts or not all(isinstance(n, network.Network) for n in starts):
        raise ValueError("starts must be a non-empty list of nnlib.network.Network (see init_mlp)")
    frozen = list(frozen) if isinstance(frozen, (list, tuple)) else [frozen] * len(starts)
    if len(frozen) != len(starts):
        raise ValueError(f"frozen must be an integer or one per start ({len(starts)}), got {len(frozen)}")
    for net, f in zip(starts, frozen):  # the arguments' errors here, not in a worker
        train(X, y, net, lr, 0, layer, f)

    def one(job):
        run = train(X, y, *job[:1], lr, num_steps, layer, job[1])
        return dataclasses.replace(run, net=None), run.net.weights, run.net.biases

    runs = []
    for start, (run, weights, biases) in zip(starts, fork_map(one, list(zip(starts, frozen)))):
        net = start.copy()
        net.weights, net.biases = weights, biases
        runs.append(dataclasses.replace(run, net=net))
    return runs


