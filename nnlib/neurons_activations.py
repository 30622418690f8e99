"""Chapter 1 (neurons and activations): what a neuron computes, and the functions it applies.

A neuron computes ``f(sum_i x_i w_i + b)``; a dense layer does that for many neurons at once,
``f(X @ W + b)``. This module holds, in float32 numpy:

- the activation functions ``f`` of the chapter and their derivatives ``f'`` (TensorFlow's
  formulas, so values agree with ``keras.activations`` to float32 rounding);
- counting a network's layers and parameters from its layer sizes, e.g. ``[3, 4, 2]`` -> 26;
- folding a stack of linear layers into one (why hidden layers need a non-linearity);
- a network with one hidden layer trained by full-batch gradient descent, which records how
  many hidden units are "off" for every input (the dying-ReLU demonstration).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ._check import finite_array, non_negative_int, positive_number

__all__ = [
    "NAMES", "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "swish",
    "silu", "derivative", "get", "keras_value_and_grad", "dense", "num_layers", "layer_shapes", "param_counts",
    "compose_linear", "MLP", "toy_regression", "init_mlp", "forward", "off_units", "TrainRun", "train",
]

F32 = np.float32
ONE = F32(1)

# The activations of chapter 1, by the name ``get`` and ``derivative`` accept.
NAMES = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "swish")
_ALIASES = {"linear": "identity", "silu": "swish"}
# TensorFlow's softplus switches formula beyond |z| = -(log(float32 eps) + 2) ~ 13.94.
_SOFTPLUS_T = F32(np.log(np.finfo(np.float32).eps) + 2)


# --- argument checks -----------------------------------------------------------------------

def _z(z, name="z") -> np.ndarray:
    return finite_array(name, z, np.float32)


def _alpha(alpha, name, lo_closed: bool, hi=None) -> np.float32:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not np.isfinite(alpha):
        raise ValueError(f"{name} must be a finite number, got {alpha!r}")
    ok = (alpha >= 0 if lo_closed else alpha > 0) and (hi is None or alpha < hi)
    if not ok:
        allowed = ("0 <= " if lo_closed else "0 < ") + name + (f" < {hi}" if hi is not None else "")
        raise ValueError(f"{name} must satisfy {allowed}, got {alpha!r}")
    return F32(alpha)


# --- the activations (unchecked float32 kernels, shared with the trainer) ------------------

def _sigmoid(z):
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, ONE / (ONE + e), e / (ONE + e)).astype(F32)


def _softplus(z):
    # tensorflow/core/kernels/softplus_op.h: z beyond the threshold, exp(z) below it, else log1p
    e = np.exp(np.minimum(z, -_SOFTPLUS_T))
    return np.where(z > -_SOFTPLUS_T, z, np.where(z < _SOFTPLUS_T, e, np.log(e + ONE))).astype(F32)


def _elu(z, alpha):
    neg = np.expm1(np.minimum(z, F32(0)))
    return np.where(z > 0, z, neg if alpha == 1 else alpha * neg).astype(F32)


_KERNELS = {
    "identity": (lambda z, a: z.astype(F32),
                 lambda z, a: np.ones_like(z, dtype=F32)),
    "sigmoid": (lambda z, a: _sigmoid(z),
                lambda z, a: (lambda s: s * (ONE - s))(_sigmoid(z))),
    "tanh": (lambda z, a: np.tanh(z).astype(F32),
             lambda z, a: (lambda t: ONE - t * t)(np.tanh(z).astype(F32))),
    "relu": (lambda z, a: np.maximum(z, F32(0)),
             lambda z, a: (z > 0).astype(F32)),
    "leaky_relu": (lambda z, a: np.maximum(a * z, z).astype(F32),
                   lambda z, a: np.where(z > 0, ONE, a).astype(F32)),
    # d/dz elu = alpha * e^z = elu(z) + alpha for z < 0; TF computes (elu(z) + 1), times alpha
    "elu": (lambda z, a: _elu(z, a),
            lambda z, a: np.where(z > 0, ONE, a * (np.expm1(np.minimum(z, F32(0))) + ONE)).astype(F32)),
    "softplus": (lambda z, a: _softplus(z),
                 lambda z, a: _sigmoid(z)),
    # tf.nn.silu's gradient: s * (1 + z * (1 - s))
    "swish": (lambda z, a: (z * _sigmoid(z)).astype(F32),
              lambda z, a: (lambda s: s * (ONE + z * (ONE - s)))(_sigmoid(z)).astype(F32)),
}


def _resolve(name, alpha):
    """Canonical name and float32 alpha (None where the activation has none)."""
    if not isinstance(name, str) or _ALIASES.get(name, name) not in _KERNELS:
        raise ValueError(f"name must be one of {NAMES + tuple(_ALIASES)}, got {name!r}")
    name = _ALIASES.get(name, name)
    if name == "leaky_relu":
        return name, _alpha(0.01 if alpha is None else alpha, "alpha", lo_closed=True, hi=1)
    if name == "elu":
        return name, _alpha(1.0 if alpha is None else alpha, "alpha", lo_closed=False)
    if alpha is not None:
        raise ValueError(f"alpha is only used by leaky_relu and elu, got alpha={alpha!r} for {name!r}")
    return name, None


# --- public activations ---------------------------------------------------------------------

def identity(z):
    """The linear activation g(z) = z, i.e. "no activation" (chapter 1)."""
    return _KERNELS["identity"][0](_z(z), None)


def sigmoid(z):
    """The logistic function 1 / (1 + e^-z), computed without overflow (chapter 1)."""
    return _sigmoid(_z(z))


def tanh(z):
    """The hyperbolic tangent, in float32 (chapter 1)."""
    return _KERNELS["tanh"][0](_z(z), None)


def relu(z):
    """The rectified linear unit max(0, z) (chapter 1)."""
    return _KERNELS["relu"][0](_z(z), None)


def leaky_relu(z, alpha=0.01):
    """Leaky ReLU max(alpha z, z) for 0 <= alpha < 1; note 001's default alpha is 0.01 (chapter 1)."""
    return _KERNELS["leaky_relu"][0](_z(z), _resolve("leaky_relu", alpha)[1])


def elu(z, alpha=1.0):
    """ELU: z for z > 0, alpha (e^z - 1) otherwise; it tends to -alpha as z -> -inf (chapter 1)."""
    return _elu(_z(z), _resolve("elu", alpha)[1])


def softplus(z):
    """softplus log(1 + e^z), a smooth ReLU, with TensorFlow's three-piece formula (chapter 1)."""
    return _softplus(_z(z))


def swish(z):
    """Swish / SiLU z * sigmoid(z) (chapter 1)."""
    return _KERNELS["swish"][0](_z(z), None)


silu = swish


def derivative(name, z, alpha=None):
    """The derivative f'(z) of activation ``name``, as TensorFlow's gradient computes it (chapter 1).

    At the kinks TensorFlow's convention: relu'(0) = 0, leaky_relu'(0) = alpha, elu'(0) = alpha.
    """
    name, a = _resolve(name, alpha)
    return _KERNELS[name][1](_z(z), a)


def get(name, alpha=None):
    """``(f, f')`` for activation ``name`` (one of NAMES, or 'linear'/'silu'), alpha bound (chapter 1)."""
    name, a = _resolve(name, alpha)
    f, df = _KERNELS[name]
    return (lambda z: f(_z(z), a)), (lambda z: df(_z(z), a))


def keras_value_and_grad(name, z, alpha=None):
    """``(f(z), f'(z))`` from ``keras.activations`` and a GradientTape, as numpy float32 (chapter 1).

    The oracle for this module's activations. Imports TensorFlow lazily (quietly; no reseeding).
    """
    import os

    from .tfsetup import QUIET_ENV

    name, a = _resolve(name, alpha)
    z = _z(z)
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    import keras
    import tensorflow as tf

    fn = {"identity": keras.activations.linear, "sigmoid": keras.activations.sigmoid,
          "tanh": keras.activations.tanh, "relu": keras.activations.relu,
          "leaky_relu": lambda x: keras.activations.leaky_relu(x, negative_slope=float(a)),
          "elu": lambda x: keras.activations.elu(x, alpha=float(a) if a is not None else 1.0),
          "softplus": keras.activations.softplus, "swish": keras.activations.silu}[name]
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        out = fn(zt)
    return out.numpy(), tape.gradient(out, zt).numpy()


# --- neurons, layers, parameters ------------------------------------------------------------

def dense(X, W, b, activation="identity", alpha=None):
    """One dense layer: activation(X @ W + b), every neuron f(sum_i x_i w_i + b) at once (chapter 1)."""
    X, W, b = _z(X, "X"), _z(W, "W"), _z(b, "b")
    if X.ndim != 2 or W.ndim != 2 or b.ndim != 1:
        raise ValueError(f"need X of shape (n, n_in), W (n_in, n_out), b (n_out,); got X {X.shape}, "
                         f"W {W.shape}, b {b.shape}")
    if X.shape[1] != W.shape[0] or W.shape[1] != b.shape[0]:
        raise ValueError(f"shapes do not fit: X {X.shape} @ W {W.shape} + b {b.shape}")
    name, a = _resolve(activation, alpha)
    return _KERNELS[name][0]((X @ W + b).astype(F32), a)


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
    weights, biases = list(weights), list(biases)
    if not weights or len(weights) != len(biases):
        raise ValueError(f"need as many bias vectors as weight matrices (at least one), got "
                         f"{len(weights)} and {len(biases)}")
    W = _z(weights[0], "weights[0]")
    b = _z(biases[0], "biases[0]")
    for k, (Wk, bk) in enumerate(zip(weights[1:], biases[1:]), start=1):
        Wk, bk = _z(Wk, f"weights[{k}]"), _z(bk, f"biases[{k}]")
        if Wk.ndim != 2 or Wk.shape[0] != W.shape[1] or bk.shape != (Wk.shape[1],):
            raise ValueError(f"weights[{k}] {Wk.shape} / biases[{k}] {bk.shape} do not follow "
                             f"a layer with {W.shape[1]} outputs")
        W, b = (W @ Wk).astype(F32), (b @ Wk + bk).astype(F32)
    return W, b


# --- a one-hidden-layer network and the dying-ReLU demonstration -----------------------------

@dataclass
class MLP:
    """Weights of a network input -> hidden (activation) -> one linear output, float32 (chapter 1)."""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    def copy(self) -> "MLP":
        """An independent copy (training updates arrays in place)."""
        return MLP(self.W1.copy(), self.b1.copy(), self.W2.copy(), self.b2.copy())


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


def init_mlp(n_in, units, seed=0, out_scale=1.0) -> MLP:
    """He-normal hidden weights, zero biases, N(0, out_scale^2 / units) output weights (chapter 1)."""
    n_in, units = non_negative_int("n_in", n_in), non_negative_int("units", units)
    if n_in < 1 or units < 1:
        raise ValueError(f"n_in and units must be >= 1, got n_in={n_in}, units={units}")
    out_scale = positive_number("out_scale", out_scale)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    W1 = (rng.standard_normal((n_in, units)) * np.sqrt(2.0 / n_in)).astype(F32)
    W2 = (rng.standard_normal((units, 1)) * (out_scale / np.sqrt(units))).astype(F32)
    return MLP(W1, np.zeros(units, F32), W2, np.zeros(1, F32))


def _check_data(X, y, net):
    X, y = _z(X, "X"), _z(y, "y")
    if X.ndim != 2 or X.shape[1] != net.W1.shape[0]:
        raise ValueError(f"X must have shape (n, {net.W1.shape[0]}), got {X.shape}")
    if y.shape != (X.shape[0], 1):
        raise ValueError(f"y must have shape ({X.shape[0]}, 1) to match X, got {y.shape}")
    return X, y


def forward(net: MLP, X, activation="relu", alpha=None):
    """``(Z, yhat)``: hidden pre-activations and the network's output for inputs X (chapter 1)."""
    X = _z(X, "X")
    name, a = _resolve(activation, alpha)
    Z = (X @ net.W1 + net.b1).astype(F32)
    return Z, (_KERNELS[name][0](Z, a) @ net.W2 + net.b2).astype(F32)


def off_units(Z) -> np.ndarray:
    """Which hidden units have pre-activation <= 0 for every input (rows of Z) (chapter 1).

    For ReLU such a unit outputs 0 for every input and gets a zero gradient: it is dead.
    """
    Z = np.asarray(Z)
    if Z.ndim != 2:
        raise ValueError(f"Z must be a 2-d array (inputs, units), got shape {Z.shape}")
    return np.all(Z <= 0, axis=0)


@dataclass
class TrainRun:
    """A training run: loss and share of "off" hidden units before each step, and the end state.

    ``ever_off`` marks the units that were off for every input at some recorded step, ``off``
    those off at the last one; ``revived`` counts units that were off and came back.
    """

    loss: np.ndarray
    off_share: np.ndarray
    net: MLP
    diverged_at: int | None
    ever_off: np.ndarray
    off: np.ndarray

    @property
    def revived(self) -> int:
        """How many hidden units were off for every input at some step but are on again at the end."""
        return int(np.sum(self.ever_off & ~self.off))

    @property
    def status(self) -> str:
        """'diverged at step k' or 'finite after n steps'."""
        if self.diverged_at is not None:
            return f"diverged at step {self.diverged_at}"
        return f"finite after {len(self.loss) - 1} steps"


def train(net: MLP, X, y, activation="relu", lr=0.01, num_steps=100, alpha=None) -> TrainRun:
    """Full-batch gradient descent on the mean squared error, as Keras SGD does it (chapter 1).

    Records, before every step and after the last, the loss and the share of hidden units that
    are off for every input. ``net`` is not modified; a run that overflows stops (a result).
    """
    if not isinstance(net, MLP):
        raise ValueError(f"net must be an nnlib.neurons_activations.MLP (see init_mlp), got {type(net).__name__}")
    X, y = _check_data(X, y, net)
    name, a = _resolve(activation, alpha)
    lr = F32(positive_number("lr", lr))
    num_steps = non_negative_int("num_steps", num_steps)
    f, df = _KERNELS[name]
    net = net.copy()
    n = F32(X.shape[0])
    losses, off, diverged = [], [], None
    ever_off = np.zeros(net.W1.shape[1], bool)
    now_off = ever_off.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(num_steps + 1):
            Z = (X @ net.W1 + net.b1).astype(F32)
            H = f(Z, a)
            err = (H @ net.W2 + net.b2).astype(F32) - y
            loss = np.mean(np.square(err), dtype=F32)
            if not np.isfinite(loss):
                diverged = step
                break
            losses.append(loss)
            now_off = off_units(Z)
            ever_off |= now_off
            off.append(np.mean(now_off))
            if step == num_steps:
                break
            g = F32(2) * err / n                       # d loss / d yhat
            dZ = (g @ net.W2.T) * df(Z, a)             # back through the output layer and f
            grads = (X.T @ dZ, dZ.sum(0), H.T @ g, g.sum(0))
            for p, gp in zip((net.W1, net.b1, net.W2, net.b2), grads):
                p -= lr * gp.astype(F32)
    return TrainRun(np.array(losses, F32), np.array(off, F32), net, diverged, ever_off, now_off)
