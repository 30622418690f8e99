"""Chapter 10 (weight initialization): how to draw the first weights of a deep network.

1. **Initializers**, in float32 numpy, with Keras's rules: the general :func:`variance_scaling`,
   its named cases (Glorot and He, uniform and normal), plus the N(0, 1) scheme and the
   "standard" U(-1/sqrt(n), 1/sqrt(n)) heuristic Glorot & Bengio started from; by name in
   :data:`SCHEMES`. Like Keras, the normal ones draw from a normal *truncated at two standard
   deviations* and first divide by its standard deviation :data:`TRUNCATED_STDDEV` (0.8796...).
   :func:`orthogonal` follows Keras's ``Orthogonal``; :func:`lsuv` rescales kernels layer by
   layer on a batch (Mishkin & Matas 2016); :func:`symmetry_run` shows why the start must be
   random (units that start equal stay equal).
2. **A probe**: :func:`probe` sends a batch through a deep stack at initialization and back,
   keeping every layer's activations and gradients (the Glorot & Bengio observation).
3. **A small trainer**: :func:`train_deep` trains a deep fully connected classifier by mini-batch
   SGD, to compare activations on a real task.

Nothing here imports TensorFlow. The probe and the trainer compute in float32 with
:mod:`nnlib.portable`, so a training curve, which amplifies last-bit differences, comes out the
same on every CPU.
"""
from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from . import network, portable
from ._check import finite_array, non_negative_int, one_of, positive_int, positive_number
from .neurons_activations import kernels, off_units

__all__ = [
    "TRUNCATED_STDDEV", "MODES", "DISTRIBUTIONS", "ACTIVATIONS",
    "SCHEMES", "truncated_stddev", "compute_fans", "init_scale", "variance_scaling",
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "random_normal",
    "standard_uniform", "orthogonalize", "orthogonal", "lsuv", "SymmetryRun", "symmetry_run",
    "initialize", "Probe", "probe", "propagate", "DeepRun", "train_deep", "train_deep_seeds", "format_layers",
    "ResidualProbe", "residual_probe",
]

F32 = np.float32

#: Standard deviation of N(0, 1) truncated to [-2, 2] (Keras's constant; see :func:`truncated_stddev`).
TRUNCATED_STDDEV = 0.87962566103423978
MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform", "normal")  # normal: truncated, as Keras

#: The probe's and the trainer's activations (from :mod:`nnlib.neurons_activations`, note 001's
#: default slopes: leaky ReLU alpha 0.01 (lines 59, 75, 84), ELU alpha 1 (line 75)).
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")


# --- argument checks -----------------------------------------------------------------------

def _shape(shape) -> tuple[int, ...]:
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"shape must be a tuple of positive integers, got {shape!r}") from None
    if not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in dims):
        raise ValueError(f"shape must be a tuple of positive integers, got {shape!r}")
    return tuple(int(d) for d in dims)


# --- 1. initializers -------------------------------------------------------------------------

def truncated_stddev(bound: float = 2.0) -> float:
    """Standard deviation of N(0, 1) truncated to [-bound, bound]; 0.8796... at 2 (chapter 10).

    For a standard normal cut at +-b, Var = 1 - 2 b phi(b) / (2 Phi(b) - 1).
    """
    b = positive_number("bound", bound)
    phi = math.exp(-b * b / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(b / math.sqrt(2))  # 2 Phi(b) - 1
    return math.sqrt(1 - 2 * b * phi / mass)


def compute_fans(shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shape, by Keras's rules (chapter 10).

    A dense kernel ``(n_in, n_out)`` gives ``(n_in, n_out)``; a vector ``(n,)`` gives ``(n, n)``;
    a convolution kernel ``(k1, ..., c_in, c_out)`` multiplies both by the receptive field.
    """
    dims = _shape(shape)
    if len(dims) == 0:
        return 1, 1
    if len(dims) == 1:
        return dims[0], dims[0]
    receptive = math.prod(dims[:-2])
    return dims[-2] * receptive, dims[-1] * receptive


def init_scale(shape, scale=1.0, mode="fan_in", distribution="truncated_normal") -> float:
    """The parameter :func:`variance_scaling` draws with: the limit r (uniform) or the stddev (chapter 10).

    ``n`` is fan_in, fan_out or their mean; the target variance is ``scale / n``. Uniform on
    [-r, r] has variance r^2/3, so r = sqrt(3 scale / n); an untruncated normal uses
    sqrt(scale / n); the truncated normal uses sqrt(scale / n) / 0.8796... so that, after the
    tails beyond two of its standard deviations are cut off, the variance is scale / n again.
    """
    scale = positive_number("scale", scale)
    mode = one_of("mode", mode, MODES)
    distribution = one_of("distribution", distribution, DISTRIBUTIONS)
    fan_in, fan_out = compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    variance = scale / max(1.0, n)
    if distribution == "uniform":
        return math.sqrt(3.0 * variance)
    if distribution == "untruncated_normal":
        return math.sqrt(variance)
    return math.sqrt(variance) / TRUNCATED_STDDEV


def _truncated_standard_normal(rng, shape) -> np.ndarray:
    """N(0, 1) redrawn wherever it falls outside [-2, 2] (what tf.random.truncated_normal does)."""
    x = rng.standard_normal(shape)
    bad = np.abs(x) > 2
    while bad.any():
        x[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(x) > 2
    return x


def variance_scaling(shape, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=0):
    """Weights with variance ``scale / n``, n = fan_in, fan_out or their mean; like Keras (chapter 10).

    ``distribution``: ``"uniform"`` on [-r, r], ``"untruncated_normal"``, or ``"truncated_normal"``
    (alias ``"normal"``, as in Keras: values beyond two standard deviations are redrawn).
    Returns a float32 array of ``shape``; the same ``seed`` gives the same weights.
    """
    dims = _shape(shape)
    param = init_scale(dims, scale, mode, distribution)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    if distribution == "uniform":
        return rng.uniform(-param, param, dims).astype(F32)
    if distribution == "untruncated_normal":
        return (param * rng.standard_normal(dims)).astype(F32)
    return (param * _truncated_standard_normal(rng, dims)).astype(F32)


def _named(name, scale, mode, distribution, doc):
    """A named case of :func:`variance_scaling`: ``name(shape, seed=0)`` with this docstring."""
    def initializer(shape, seed=0):
        return variance_scaling(shape, scale, mode, distribution, seed)

    initializer.__name__ = initializer.__qualname__ = name
    initializer.__doc__ = doc
    return initializer


glorot_uniform = _named("glorot_uniform", 1.0, "fan_avg", "uniform",
                        "Xavier/Glorot uniform: U(-r, r), r = sqrt(6 / (fan_in + fan_out)) (chapter 10).")
glorot_normal = _named("glorot_normal", 1.0, "fan_avg", "truncated_normal", "Xavier/Glorot normal: stddev "
                       "sqrt(2 / (fan_in + fan_out)), truncated as Keras does (chapter 10).")
he_uniform = _named("he_uniform", 2.0, "fan_in", "uniform",
                    "He uniform: U(-r, r), r = sqrt(6 / fan_in) (chapter 10).")
he_normal = _named("he_normal", 2.0, "fan_in", "truncated_normal",
                   "He normal: stddev sqrt(2 / fan_in), truncated as Keras does (chapter 10).")
standard_uniform = _named("standard_uniform", 1.0 / 3.0, "fan_in", "uniform",
                          'U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the "standard" heuristic of Glorot & Bengio '
                          "(chapter 10): variance 1 / (3 fan_in).")


def random_normal(shape, stddev=1.0, seed=0):
    """Plain N(0, stddev^2) weights; stddev 1 is the scheme note 001 line 21 blames (chapter 10)."""
    stddev = positive_number("stddev", stddev)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    return (stddev * rng.standard_normal(_shape(shape))).astype(F32)


def orthogonalize(a, gain=1.0) -> np.ndarray:
    """Keras's Orthogonal recipe on a tall draw ``a``: ``gain`` times Q of ``a = QR``, signed by diag(R) (chapter 10).

    Returns float64 ``rows x cols`` with orthonormal columns times ``gain``; :func:`orthogonal`
    applies it to a numpy draw, and fed Keras's own normal draw it gives Keras's matrix.
    """
    a = finite_array("a", a, np.float64)
    if a.ndim != 2 or a.shape[0] < a.shape[1]:
        raise ValueError(f"a must be a 2-D matrix with at least as many rows as columns, got shape {a.shape}")
    gain = positive_number("gain", gain)
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    return gain * q


def orthogonal(shape, gain=1.0, seed=0):
    """Orthogonal weights times ``gain``, Keras's ``Orthogonal`` recipe (chapter 10; Saxe et al. 2014).

    A ``rows x cols`` matrix (rows: the product of all but the last dimension) has orthonormal
    columns if it is tall, orthonormal rows if it is wide: every singular value equals ``gain``,
    so the layer keeps the length of every input (square case). Drawn as Keras does: the Q factor
    of a standard-normal matrix, each column's sign fixed by the diagonal of R.
    """
    dims = _shape(shape)
    if len(dims) < 2:
        raise ValueError(f"shape must have at least 2 dimensions for an orthogonal matrix, got {shape!r}")
    gain = positive_number("gain", gain)
    rows, cols = math.prod(dims[:-1]), dims[-1]
    rng = np.random.default_rng(non_negative_int("seed", seed))
    q = orthogonalize(rng.standard_normal((max(rows, cols), min(rows, cols))), gain)
    return (q if rows >= cols else q.T).reshape(dims).astype(F32)


#: The schemes :func:`initialize` and :func:`probe` know, by name.
SCHEMES = {
    "normal": random_normal,
    "standard": standard_uniform,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "orthogonal": orthogonal,
}


def lsuv(weights, X, activation="relu", tol=0.01, max_iter=10):
    """Layer-sequential unit-variance init (Mishkin & Matas 2016), in float32 (chapter 10).

    Starting from ``weights`` (orthogonal in the paper), layer by layer from the input: send
    the batch ``X`` through, measure the variance of the layer's pre-activations ``z = a W``
    and divide ``W`` by its square root, until it is within ``tol`` of 1 (at most ``max_iter``
    times). Returns ``(weights, rescalings)``: new float32 kernels and how often each was scaled.
    """
    one_of("activation", activation, ACTIVATIONS)
    tol = positive_number("tol", tol)
    max_iter = positive_int("max_iter", max_iter)
    prev = finite_array("X", X)
    ws = [finite_array(f"weights[{k}]", w).copy() for k, w in enumerate(weights)]
    if not ws or prev.ndim != 2 or any(w.ndim != 2 for w in ws) or any(
            w.shape[0] != n for w, n in zip(ws, [prev.shape[1]] + [w.shape[1] for w in ws[:-1]])):
        raise ValueError("weights must be a non-empty list of kernels (inputs x units) that fit X "
                         f"{prev.shape} and each other")
    f, _ = kernels(activation)
    counts = []
    with np.errstate(over="ignore", invalid="ignore"):
        for w in ws:
            count = 0
            z = portable.dot(prev, w)
            while count < max_iter and abs(float(np.var(z, dtype=np.float64)) - 1) > tol:
                w *= F32(1 / math.sqrt(float(np.var(z, dtype=np.float64))))
                count += 1
                z = portable.dot(prev, w)
            counts.append(count)
            prev = f(z)
    return ws, counts


def initialize(scheme, shape, seed=0, gain=1.0):
    """Weights of ``shape`` from a scheme of :data:`SCHEMES`, times ``gain`` (chapter 10)."""
    one_of("scheme", scheme, tuple(SCHEMES))
    gain = positive_number("gain", gain)
    w = SCHEMES[scheme](shape, seed=seed)
    return w if gain == 1.0 else (F32(gain) * w).astype(F32)


# --- 2. the probe: a deep stack at initialization ---------------------------------------------

@dataclass(frozen=True)
class Probe:
    """One forward and backward pass through a deep stack at initialization (chapter 10).

    ``z[l]`` and ``a[l]`` are layer l+1's pre-activations and activations (samples x units);
    ``grad_z[l]`` the back-propagated gradient dL/dz per sample; ``grad_w[l]`` dL/dW of the
    layer's kernel, averaged over the batch (computed on first use). The loss is ``mean over
    samples of r . a_top`` with a fixed random direction ``r``, so every sample starts the
    backward pass with a N(0, 1) vector; ``x`` holds the inputs.
    """

    activation: str
    scheme: str
    gain: float
    z: list = field(repr=False)
    a: list = field(repr=False)
    grad_z: list = field(repr=False)
    x: np.ndarray = field(repr=False)

    @functools.cached_property
    def grad_w(self) -> list:
        """dL/dW of each layer's kernel, averaged over the samples: ``input.T @ dL/dz / samples``."""
        inputs = [self.x] + self.a[:-1]  # layer l's input
        with np.errstate(over="ignore", invalid="ignore"):
            return [portable.dot(a.T, g) / F32(len(self.x)) for a, g in zip(inputs, self.grad_z)]

    @property
    def depth(self) -> int:
        """Number of layers."""
        return len(self.a)

    def act_std(self) -> np.ndarray:
        """Standard deviation of each layer's activations (all samples and units pooled)."""
        return np.array([float(np.std(a, dtype=np.float64)) for a in self.a])

    def pre_std(self) -> np.ndarray:
        """Standard deviation of each layer's pre-activations z = a_prev W."""
        return np.array([float(np.std(z, dtype=np.float64)) for z in self.z])

    def grad_std(self) -> np.ndarray:
        """Standard deviation of each layer's back-propagated gradient dL/dz (per sample)."""
        return np.array([float(np.std(g, dtype=np.float64)) for g in self.grad_z])

    def input_std(self) -> np.ndarray:
        """How much each layer still depends on the input: per unit, the std over the samples, averaged.

        ``act_std`` pools all units; when every unit sits at its own nearly fixed value (set by
        its weights, not by the input), ``act_std`` stays large while this falls towards 0.
        """
        return np.array([float(np.mean(np.std(a, axis=0, dtype=np.float64))) for a in self.a])

    def saturated(self, tol=0.01) -> np.ndarray:
        """Share of units, per layer, within ``tol`` of a flat end (sigmoid: 0 or 1; tanh: +-1).

        For ReLU-like activations it is the share with z <= 0, where ReLU's slope is 0.
        """
        out = []
        for z, a in zip(self.z, self.a):
            if self.activation == "sigmoid":
                s = (a < tol) | (a > 1 - tol)
            elif self.activation == "tanh":
                s = np.abs(a) > 1 - tol
            else:
                s = z <= 0
            out.append(float(np.mean(s)))
        return np.array(out)


def probe(activation="tanh", scheme="glorot_uniform", depth=10, width=256, num_samples=1000,
          gain=1.0, seed=0) -> Probe:
    """Activations and gradients of a ``depth``-layer stack at initialization (chapter 10).

    Inputs are ``num_samples`` standard-normal vectors of ``width`` features; every layer is
    ``a = f(a_prev @ W)`` with a ``width x width`` kernel from ``scheme`` (times ``gain``;
    ``"lsuv"``: orthogonal kernels rescaled by :func:`lsuv` on this batch) and zero bias (Keras's default). Layer l's kernel uses seed ``seed + l``, so all schemes see the
    same inputs and the same random direction for the backward pass.
    """
    one_of("activation", activation, ACTIVATIONS)
    one_of("scheme", scheme, tuple(SCHEMES) + ("lsuv",))
    depth, width = positive_int("depth", depth), positive_int("width", width)
    num_samples = positive_int("num_samples", num_samples)
    gain = positive_number("gain", gain)
    seed = non_negative_int("seed", seed)
    rng = np.random.default_rng(seed + 10_000)
    x = rng.standard_normal((num_samples, width)).astype(F32)
    r = rng.standard_normal((num_samples, width)).astype(F32)  # dL/da_top per sample
    if scheme == "lsuv":   # orthogonal kernels, rescaled on this batch, then times gain
        weights, _ = lsuv([orthogonal((width, width), 1.0, seed + l) for l in range(depth)], x, activation)
        weights = [(F32(gain) * w).astype(F32) for w in weights]
    else:
        weights = [initialize(scheme, (width, width), seed + l, gain) for l in range(depth)]
    return Probe(activation, scheme, gain, *propagate(x, r, weights, activation), x)


def propagate(x, r, weights, activation):
    """The probe's two passes on given inputs ``x``, top gradients ``r`` and kernels (chapter 10):
    ``(z, a, grad_z)``, one float32 array per layer, with :func:`nnlib.portable.dot`'s fixed order.
    :func:`probe` draws its own; the chapter's in-browser explorer draws in the page, and a browser
    test hands its draws to this function to compare the bits."""
    one_of("activation", activation, ACTIVATIONS)
    x, r = finite_array("x", x), finite_array("r", r)
    weights = [finite_array(f"weights[{k}]", w) for k, w in enumerate(weights)]
    f, df = kernels(activation)
    zs, acts, prev = [], [], x
    with np.errstate(over="ignore", invalid="ignore"):
        for w in weights:
            z = portable.dot(prev, w)
            prev = f(z)
            zs.append(z)
            acts.append(prev)
        grad_z, g_a = [None] * len(weights), r
        for l in reversed(range(len(weights))):
            grad_z[l] = g_a * df(zs[l], acts[l])
            if l:  # dL/da of the layer below (the input's is not needed)
                g_a = portable.dot(grad_z[l], weights[l].T)
    return zs, acts, grad_z


# --- 3. a small trainer: deep fully connected classifier, mini-batch SGD ----------------------

@dataclass
class DeepRun:
    """Per-epoch record of :func:`train_deep` (chapter 10).

    ``loss``: mean training cross-entropy over the epoch's batches; ``val_acc``: accuracy on the
    held-out set after the epoch; ``dead``: share of hidden units that output 0 for every
    training example (only ReLU can have them); ``off``: which units those are, a boolean
    ``depth x width`` array per epoch (row l: hidden layer l + 1); ``first_grad``/``last_grad``:
    the norm of the first and the last hidden kernel's gradient on the epoch's first batch;
    ``net``: the trained :class:`nnlib.network.Network`.
    """

    activation: str
    scheme: str
    net: network.Network = field(repr=False)
    loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    dead: list = field(default_factory=list)
    off: list = field(default_factory=list, repr=False)
    first_grad: list = field(default_factory=list)
    last_grad: list = field(default_factory=list)

    def dead_per_layer(self, epoch=-1) -> np.ndarray:
        """Number of dead units in each hidden layer after ``epoch`` (default: the last)."""
        return self.off[epoch].sum(axis=1)

    def ever_dead_per_layer(self) -> np.ndarray:
        """Per hidden layer: how many units were dead after at least one epoch."""
        return np.any(self.off, axis=0).sum(axis=1)

    def revived_per_layer(self) -> np.ndarray:
        """Per hidden layer: how many units were dead after one epoch and alive after a later one."""
        was_dead = np.zeros_like(self.off[0])
        revived = np.zeros_like(self.off[0])
        for off in self.off:
            revived |= was_dead & ~off
            was_dead |= off
        return revived.sum(axis=1)


def _deep_net(num_inputs, num_classes, activation, scheme, depth, width, gain, seed) -> network.Network:
    """train_deep's network: ``scheme`` (times ``gain``) hidden kernels, a Glorot uniform output, zero biases."""
    sizes = [num_inputs] + [width] * depth + [num_classes]
    weights = [initialize(scheme, (sizes[k], sizes[k + 1]), seed * 1000 + k, gain) for k in range(depth)]
    weights.append(glorot_uniform((sizes[-2], sizes[-1]), seed * 1000 + depth))
    return network.Network(weights, [np.zeros(n, F32) for n in sizes[1:]], activation, loss="softmax_ce",
                           dot=portable.dot)


def _record_epoch(run: DeepRun, net: network.Network, losses, X, X_val, y_val) -> None:
    """Append one epoch to ``run``: mean batch loss, validation accuracy, dead units of ``net``."""
    run.loss.append(float(np.mean(losses)))
    run.val_acc.append(net.accuracy(X_val, y_val))
    # a unit is dead if it outputs 0 for every training example (only ReLU's can)
    if run.activation == "relu":
        run.off.append(np.array([off_units(z) for z in net.forward(X).zs[:-1]]))
    else:
        run.off.append(np.zeros((len(net.weights) - 1, net.weights[0].shape[1]), bool))
    run.dead.append(float(np.mean(run.off[-1])))


def train_deep(X, y, X_val, y_val, activation="relu", scheme="he_normal", depth=10, width=64, gain=1.0,
               lr=0.05, batch_size=32, num_epochs=5, seed=0) -> DeepRun:
    """Train ``depth`` hidden layers of ``width`` units + a softmax output by plain SGD (chapter 10).

    Hidden kernels come from ``scheme`` (times ``gain``), the output kernel from Glorot uniform,
    biases start at 0 (Keras's defaults for everything but the hidden kernels). The network is a
    :class:`nnlib.network.Network` with :func:`nnlib.portable.dot` products, trained by
    :func:`nnlib.network.train`: each epoch visits the training set once in a shuffled order
    (seeded), in mini-batches; the loss is the mean softmax cross-entropy. After every epoch the
    accuracy on the held-out ``X_val``, ``y_val`` is recorded.
    """
    one_of("activation", activation, ACTIVATIONS)
    depth, width = positive_int("depth", depth), positive_int("width", width)
    seed = non_negative_int("seed", seed)
    y, y_val = np.asarray(y), np.asarray(y_val)
    num_classes = int(max(np.max(y, initial=0), np.max(y_val, initial=0))) + 1
    net = _deep_net(np.shape(X)[-1], num_classes, activation, scheme, depth, width, gain, seed)
    X, y = net.check(X, y)
    X_val, y_val = net.check(X_val, y_val, "X_val", "y_val")
    run = DeepRun(activation, scheme, net)

    def diverged():
        return np.isnan(net.weights[0].flat[0]) and all(np.isnan(a).all() for a in net.weights + net.biases)

    def gradient_norms(epoch, batch, grads):
        if batch == 0:
            run.first_grad.append(float(portable.norm(grads.dW[0])))
            run.last_grad.append(float(portable.norm(grads.dW[depth - 1])))
        elif diverged():
            # every weight turned NaN during this epoch: the rest of it only computes NaN, and
            # its mean loss is NaN whatever comes; record the epoch now, as it would end
            return record(epoch, [grads.loss])

    def record(epoch, losses):
        _record_epoch(run, net, losses, X, X_val, y_val)
        if diverged():
            # diverged: every weight is NaN, so every later epoch repeats this one exactly
            # (NaN loss and gradients, the same constant predictions); skip computing them
            rest = num_epochs - epoch - 1
            for values in (run.loss, run.val_acc, run.dead, run.off):
                values.extend(values[-1:] * rest)
            for grads in (run.first_grad, run.last_grad):
                grads.extend([float("nan")] * rest)
            return True

    network.train(X, y, net, lr, batch_size, num_epochs, seed, on_batch=gradient_norms, on_epoch=record)
    return run


def train_deep_seeds(X, y, X_val, y_val, activation="relu", scheme="he_normal", seeds=(0, 1, 2), depth=10,
                     width=64, gain=1.0, lr=0.05, batch_size=32, num_epochs=5) -> list[DeepRun]:
    """:func:`train_deep` for several seeds side by side: the same runs, bit for bit, faster (chapter 10).

    Returns ``[train_deep(..., seed=s) for s in seeds]``: every network, loss, accuracy, dead
    share and gradient norm has the bits :func:`train_deep` gives it alone
    (``tests/nnlib/test_initialization.py`` checks it, a diverging run included). The networks
    are trained together by :func:`nnlib.network.train_together`, which pays Python's overhead
    once per step for all of them (mini-batches only: ``batch_size`` is a number). Each epoch's
    first-batch gradient norms are computed by :meth:`nnlib.network.Network._gradients` on that
    batch, at the weights the update starts from. A diverging run costs more here than alone:
    :func:`train_deep` stops computing once every weight is NaN, this goes on.
    """
    one_of("activation", activation, ACTIVATIONS)
    depth, width = positive_int("depth", depth), positive_int("width", width)
    if isinstance(seeds, (str, bytes)) or np.ndim(seeds) != 1 or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of integers >= 0, got {seeds!r:.60}")
    seeds = [non_negative_int(f"seeds[{i}]", s) for i, s in enumerate(seeds)]
    lr = positive_number("lr", lr)
    batch_size = positive_int("batch_size", batch_size)
    num_epochs = non_negative_int("num_epochs", num_epochs)
    y, y_val = np.asarray(y), np.asarray(y_val)
    num_classes = int(max(np.max(y, initial=0), np.max(y_val, initial=0))) + 1
    nets = [_deep_net(np.shape(X)[-1], num_classes, activation, scheme, depth, width, gain, s) for s in seeds]
    X, y = nets[0].check(X, y)
    X_val, y_val = nets[0].check(X_val, y_val, "X_val", "y_val")
    runs = [DeepRun(activation, scheme, net) for net in nets]
    # each run's shuffles, drawn as network.train draws them: one permutation per epoch
    orders = []
    for s in seeds:
        rng = np.random.default_rng(s)
        orders.append([rng.permutation(len(X))[:batch_size] for _ in range(num_epochs)])

    def first_batch_norms(r, epoch):
        idx = orders[r][epoch]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            grads = nets[r]._gradients(X[idx], y[idx])
        runs[r].first_grad.append(float(portable.norm(grads.dW[0])))
        runs[r].last_grad.append(float(portable.norm(grads.dW[depth - 1])))

    def on_epoch(r, epoch, losses):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            _record_epoch(runs[r], nets[r], losses, X, X_val, y_val)
        if epoch + 1 < num_epochs:
            first_batch_norms(r, epoch + 1)

    if num_epochs:
        for r in range(len(nets)):
            first_batch_norms(r, 0)
    network.train_together(X, y, nets, [lr] * len(nets), batch_size, num_epochs, seeds, on_epoch=on_epoch)
    return runs


# --- printing ---------------------------------------------------------------------------------

@dataclass
class SymmetryRun:
    """Per-epoch record of :func:`symmetry_run` (chapter 10).

    ``spread``: largest difference between any hidden unit's incoming weights and unit 0's
    (0: all hidden units are still the same unit); ``val_acc``: validation accuracy.
    """

    init: str
    spread: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)


def symmetry_run(X, y, X_val, y_val, value=None, hidden=16, activation="tanh", lr=0.1,
                 batch_size=32, num_epochs=10, seed=0) -> SymmetryRun:
    """One hidden layer trained by SGD from constant or random weights (chapter 10).

    ``value=None``: Glorot uniform kernels; a number: every weight starts at ``value``. Biases
    start at 0, the loss is softmax cross-entropy, products are :func:`nnlib.portable.dot`, so
    units that start equal get bit-identical updates. Records the spread of the hidden units'
    weights and the validation accuracy after every epoch (and before training, at index 0).
    """
    hidden = positive_int("hidden", hidden)
    one_of("activation", activation, ACTIVATIONS)
    X, X_val = finite_array("X", X), finite_array("X_val", X_val)
    classes = int(max(np.max(y), np.max(y_val))) + 1
    sizes = (X.shape[1], hidden, classes)
    if value is None:
        weights = [glorot_uniform(sizes[k:k + 2], seed * 1000 + k) for k in range(2)]
        name = "Glorot uniform"
    else:
        if not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(f"value must be None (random) or a finite number, got {value!r}")
        weights = [np.full(sizes[k:k + 2], value, F32) for k in range(2)]
        name = f"all {value:g}"
    net = network.Network(weights, [np.zeros(n, F32) for n in sizes[1:]], activation,
                          loss="softmax_ce", dot=portable.dot)
    run = SymmetryRun(name)

    def record(*_):
        w = net.weights[0]
        run.spread.append(float(np.max(np.abs(w - w[:, :1]))))
        run.val_acc.append(net.accuracy(X_val, y_val))

    record()
    network.train(X, y, net, lr, batch_size, num_epochs, seed, on_epoch=record)
    return run


def format_layers(columns: dict, title="layer", fmt="{:>10.3g}") -> list[str]:
    """Aligned text, one row per layer and one column per entry of ``columns`` (chapter 10).

    ``columns`` maps a short heading (at most 9 characters) to one value per layer; the first
    line is ``title`` and the headings, then ``layer 1``, ``layer 2``, ... with the values
    (the first column is 10 characters wide, or wider for a long ``title``).
    """
    values = [np.asarray(v, dtype=float) for v in columns.values()]
    if not values or len({len(v) for v in values}) != 1:
        raise ValueError(f"columns must hold equally long sequences, one value per layer, got "
                         f"lengths {[len(v) for v in values]}")
    first = max(10, len(title) + 1)
    lines = [f"{title:<{first}}" + "".join(f"{str(h):>10}" for h in columns)]
    for layer in range(len(values[0])):
        lines.append(f"{'layer ' + str(layer + 1):<{first}}" + "".join(fmt.format(v[layer]) for v in values))
    return lines


# --- 4. residual connections: the gradient through a deep stack with and without skips ---------

@dataclass
class ResidualProbe:
    """What :func:`residual_probe` measured: per block ``l`` (1 = next to the input), the spread of
    its output ``h_l``, the norm of ``dL/dh_(l-1)`` (the gradient that reaches the block's input,
    over all samples) and of ``dL/dW_l`` (chapter 11)."""
    activation: str
    skip: bool
    weights: list
    h_std: np.ndarray
    h_grad: np.ndarray
    grad_norm: np.ndarray
    grads: list
    loss: float


def residual_probe(activation="tanh", scheme="glorot_uniform", depth=30, width=64, num_samples=256,
                   skip=True, seed=0, weights=None) -> ResidualProbe:
    """A deep dense stack at initialization, ``h <- h + f(h W)`` (``skip``) or ``h <- f(h W)`` (chapter 11).

    Inputs are ``num_samples`` standard-normal rows of ``width`` features and the loss is
    ``mean over samples of r . h_depth`` for a fixed random ``r`` (as :func:`probe` draws its
    backward direction), so the gradient is that of one random direction at the top. Kernel
    ``l`` is ``initialize(scheme, (width, width), seed + l)``, unless ``weights`` (a list of
    ``width x width`` kernels) is given. Float32 with :func:`nnlib.portable.dot`: the same bits
    on every CPU. Returns a :class:`ResidualProbe` with the gradient of every kernel.
    """
    one_of("activation", activation, ACTIVATIONS)
    one_of("scheme", scheme, tuple(SCHEMES))
    num_samples = positive_int("num_samples", num_samples)
    seed = non_negative_int("seed", seed)
    if not isinstance(skip, (bool, np.bool_)):
        raise ValueError(f"skip must be True or False, got {skip!r}")
    if weights is None:
        depth, width = positive_int("depth", depth), positive_int("width", width)
        weights = [initialize(scheme, (width, width), seed + l) for l in range(depth)]
    else:
        weights = [finite_array("weights", w).astype(F32) for w in weights]
        if not weights or any(w.ndim != 2 or w.shape != (w.shape[0],) * 2 for w in weights) \
                or len({w.shape for w in weights}) != 1:
            raise ValueError(f"weights must be a non-empty list of equal square kernels, got shapes "
                             f"{[w.shape for w in weights]}")
        depth, width = len(weights), weights[0].shape[0]
    rng = np.random.default_rng(seed + 10_000)
    x = rng.standard_normal((num_samples, width)).astype(F32)
    r = rng.standard_normal((num_samples, width)).astype(F32)
    f, df = kernels(activation)
    hs, zs, acts = [x], [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for w in weights:
            z = portable.dot(hs[-1], w)
            a = f(z)
            zs.append(z)
            acts.append(a)
            hs.append((hs[-1] + a).astype(F32) if skip else a)
        loss = float(np.sum(hs[-1].astype(np.float64) * r) / num_samples)
        g = (r / F32(num_samples)).astype(F32)  # dL/dh_depth
        grads, h_grad = [None] * depth, np.zeros(depth)
        for l in reversed(range(depth)):
            gz = g * df(zs[l], acts[l])
            grads[l] = portable.dot(hs[l].T, gz)
            back = portable.dot(gz, weights[l].T)
            g = (g + back).astype(F32) if skip else back
            h_grad[l] = np.sqrt(np.sum(g.astype(np.float64) ** 2))
    h_std = np.array([h.std() for h in hs[1:]], dtype=np.float64)
    grad_norm = np.array([np.sqrt(np.sum(gr.astype(np.float64) ** 2)) for gr in grads])
    return ResidualProbe(activation, bool(skip), weights, h_std, h_grad, grad_norm, grads, loss)
