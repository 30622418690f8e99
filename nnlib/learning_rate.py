"""Gradient descent, step by step, in float32: the one descent loop of the course (chapter 4).

The notes ran their examples with TensorFlow 1 on float32 variables. Doing every operation
in float32, in the order TensorFlow does it, reproduces their printed digits exactly:
``w <- w - lr * g`` with ``g = (w + 1) * 2`` for the loss ``(w + 1)^2``.

:func:`gd_trace` is the loop every chapter's descent runs through: chapter 4 gives it one
learning rate, chapter 6 a rate per step from a schedule (:func:`nnlib.lr_decay.decayed_gd_trace`),
chapter 8 another update rule (:mod:`nnlib.optimizers`). An update rule is a frozen dataclass
whose fields are its hyperparameters, with three methods: ``init(w)``, the state it starts from;
``step(w, g, state, t, lr)``, one update (``t`` counts from 1), returning ``(w, state)``; and
``rate(state, t, lr)``, each weight's learning rate after that update. :class:`SGD` is the plain
rule; the loop returns a :class:`Trace`.

Beyond one weight (the chapter's later sections): :func:`quadratic_rates` and :func:`contraction`
give the learning rates a quadratic bowl allows and how fast each converges, :func:`bowl` makes a
2-D bowl with given curvatures; :func:`double_well_loss` and :func:`plateau_loss` (with their
gradients) are the 1-D pictures of a local minimum and a plateau; :func:`example_gradients` and
:func:`gradient_noise` measure how far a mini-batch gradient strays from the full one; and
:func:`lr_range_test` runs the learning-rate range test on a network of :mod:`nnlib.network`
(:func:`lr_range_tests` on several at once, with :func:`nnlib.network.train_together`, which
also trains the chapter's grid of networks at once, each exactly as on its own).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar, NamedTuple

import numpy as np

from . import _check

__all__ = ["SGD", "Trace", "gd_trace", "quadratic_loss", "quadratic_grad", "regime",
           "slope_grad", "QuadraticRates", "quadratic_rates", "contraction", "Bowl", "bowl",
           "double_well_loss", "double_well_grad", "plateau_loss", "plateau_grad",
           "example_gradients", "GradientNoise", "gradient_noise", "RangeTest", "lr_range_test",
           "lr_range_tests", "train_grid"]

F32 = np.float32


def quadratic_loss(w):
    """The notes' example loss ``(w + 1)^2`` in float32 (chapter 4)."""
    w = np.asarray(w, dtype=F32)
    return np.square(w + F32(1))


def quadratic_grad(w):
    """Its gradient ``2w + 2``, computed as TensorFlow does: ``(w + 1) * 2`` in float32 (chapter 4)."""
    w = np.asarray(w, dtype=F32)
    return (w + F32(1)) * F32(2)


@dataclass(frozen=True)
class SGD:
    """Plain gradient descent, ``w - lr*g`` in float32, as ``keras.optimizers.SGD()``: no hyperparameters, no state (chapter 4)."""

    name: ClassVar[str] = "sgd"

    def init(self, w):
        """No state."""
        return ()

    def step(self, w, g, state, t, lr):
        """``(w - lr*g, state)``."""
        return w - lr * g, state

    def rate(self, state, t, lr):
        """The learning rate itself."""
        return lr


@dataclass(frozen=True, eq=False)
class Trace:
    """A gradient-descent run: ``w[0]`` is the start, ``w[k]`` the value after k updates (chapter 4).

    ``rule`` is the update rule with its hyperparameters (:class:`SGD` or a rule of
    :mod:`nnlib.optimizers`); ``lr[k]`` is the float32 learning rate at global step ``k`` for
    ``k = 0 .. num_steps`` (update ``k`` uses ``lr[k]``; a constant rate repeats); ``rate[k]``
    is each weight's learning rate after update ``k``, the factor in front of the gradient (for
    SGD the learning rate; for the adaptive rules of chapter 8 it differs per weight).
    ``diverged_at`` is the 0-based index of the update that first produced a non-finite value
    (the note's "After k steps" numbering); the trace stops before it. ``None`` if it never did.
    """

    w: np.ndarray
    rule: object
    lr: np.ndarray
    rate: np.ndarray
    num_steps: int
    diverged_at: int | None = None

    @property
    def status(self) -> str:
        """'diverged at step k' or 'finite after N steps'."""
        if self.diverged_at is not None:
            return f"diverged at step {self.diverged_at}"
        return f"finite after {self.num_steps} steps"

    @property
    def final(self) -> np.ndarray:
        """The last finite value of w."""
        return self.w[-1]

    def __repr__(self) -> str:
        lr = f"lr={self.lr[0]:g}" + ("" if np.all(self.lr == self.lr[0]) else f" to {self.lr[-1]:g}")
        return (f"Trace({self.rule!r}, {lr}, num_steps={self.num_steps}, {self.status}, "
                f"final w={self.final.tolist()!r})")


def _rates(lr, num_steps) -> np.ndarray:
    """``num_steps + 1`` float32 learning rates: one number repeated, or a schedule's values."""
    if isinstance(lr, np.ndarray) and lr.ndim == 1:
        if lr.shape != (num_steps + 1,) or not np.all(np.isfinite(lr) & (lr >= 0)):
            raise ValueError(f"lr must be a number > 0 or num_steps + 1 = {num_steps + 1} rates >= 0 "
                             f"(one per global step), got an array of shape {lr.shape}")
        return lr.astype(F32)
    return np.full(num_steps + 1, _check.positive_number("lr", lr), dtype=F32)


def gd_trace(grad: Callable, w0, lr, num_steps, rule=SGD()) -> Trace:
    """Run ``num_steps`` updates of ``rule`` (plain ``w <- w - lr * grad(w)``) in float32 (chapter 4).

    ``grad`` maps a float32 array to its gradient. ``lr`` is a number, or an array of
    ``num_steps + 1`` rates, one per global step (a schedule, chapter 6). Bad arguments raise
    ``ValueError``; a run that blows up is a result: the trace ends at the last finite value and
    ``status`` says where.
    """
    if not callable(grad):
        raise ValueError(f"grad must be a function of w, got {grad!r}")
    num_steps = _check.non_negative_int("num_steps", num_steps)
    lrs = _rates(lr, num_steps)
    w = _check.finite_array("w0", w0)
    state = rule.init(w)
    ws, rates, diverged_at = [w.copy()], [], None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(num_steps):
            g = np.asarray(grad(w), dtype=F32)
            w, state = rule.step(w, g, state, k + 1, lrs[k])
            w = np.asarray(w, dtype=F32)
            if not np.all(np.isfinite(w)):
                diverged_at = k
                break
            ws.append(w)
            rates.append(np.broadcast_to(rule.rate(state, k + 1, lrs[k]), w.shape))
    rate = np.stack(rates).astype(F32) if rates else np.zeros((0,) + w.shape, F32)
    return Trace(w=np.stack(ws), rule=rule, lr=lrs, rate=rate, num_steps=num_steps,
                 diverged_at=diverged_at)


def slope_grad(loss: Callable, h: float = 1e-4) -> Callable:
    """A gradient function for ``loss`` by central differences, one weight at a time (chapter 4).

    ``(loss(w + h e_i) - loss(w - h e_i)) / 2h`` in float64, with ``h`` scaled by ``max(1, |w_i|)``:
    what :func:`gd_trace` needs when only the loss is known (the explorers' own functions).
    Chapter 5 explains why networks use backpropagation instead: this costs two evaluations of the
    loss per weight.
    """
    if not callable(loss):
        raise ValueError(f"loss must be a function of w, got {loss!r}")
    h = _check.positive_number("h", h)

    def grad(w):
        w = np.asarray(w, dtype=np.float64)
        g = np.empty_like(w)
        for i in np.ndindex(w.shape):
            step = h * max(1.0, abs(float(w[i])))
            up, down = w.copy(), w.copy()
            up[i] += step
            down[i] -= step
            g[i] = (float(np.asarray(loss(up)).sum()) - float(np.asarray(loss(down)).sum())) / (2 * step)
        return g

    return grad


def regime(lr) -> str:
    """For the loss ``(w + 1)^2``: 'converges', 'oscillates' or 'diverges' at this lr (chapter 4).

    Each step multiplies the distance to the minimum by ``1 - 2 lr``; its size decides.
    """
    lr = _check.positive_number("lr", lr)
    factor = abs(1.0 - 2.0 * lr)
    if np.isclose(factor, 1.0, rtol=0, atol=1e-12):
        return "oscillates"
    return "converges" if factor < 1 else "diverges"



# --- many weights: a quadratic bowl -----------------------------------------------------------

def _eigenvalues(eigenvalues) -> np.ndarray:
    lam = _check.finite_array("eigenvalues", eigenvalues, np.float64).ravel()
    if not lam.size or np.any(lam <= 0):
        raise ValueError(f"eigenvalues must be one or more curvatures > 0, got {eigenvalues!r}")
    return lam


class QuadraticRates(NamedTuple):
    """What a quadratic bowl allows: the largest stable rate, the best fixed rate, its factor (chapter 4)."""

    lr_max: float   #: 2 / lambda_max: at or above it the steepest direction does not shrink
    lr_best: float  #: 2 / (lambda_min + lambda_max): the slowest direction shrinks fastest
    rate: float     #: (kappa - 1) / (kappa + 1): the factor per step at lr_best
    kappa: float    #: lambda_max / lambda_min, the condition number


def quadratic_rates(eigenvalues) -> QuadraticRates:
    """For a bowl whose Hessian has these eigenvalues: ``2/λmax``, ``2/(λmin+λmax)``, ``(κ-1)/(κ+1)``, ``κ`` (chapter 4)."""
    lam = _eigenvalues(eigenvalues)
    lo, hi = float(lam.min()), float(lam.max())
    kappa = hi / lo
    return QuadraticRates(2.0 / hi, 2.0 / (lo + hi), (kappa - 1.0) / (kappa + 1.0), kappa)


def contraction(lr, eigenvalues) -> float:
    """``max_i |1 - lr * λ_i|``: the factor by which the slowest direction shrinks per step (chapter 4).

    Below 1 gradient descent converges on the bowl; at or above 1 it does not.
    """
    lr = _check.positive_number("lr", lr)
    return float(np.max(np.abs(1.0 - lr * _eigenvalues(eigenvalues))))


@dataclass(frozen=True, eq=False)
class Bowl:
    """The 2-D bowl ``L(w) = ½ wᵀHw`` (minimum at 0) with Hessian ``H = Q diag(λ) Qᵀ`` (chapter 4).

    ``eigenvalues`` are the curvatures, ``Q``'s columns the eigen-directions (float64);
    :meth:`grad` is ``Hw`` in float32, written as two multiply-adds (the same bits on every CPU).
    """

    eigenvalues: np.ndarray
    Q: np.ndarray
    H: np.ndarray

    def loss(self, w):
        """½ wᵀHw for each w along the last axis (float64)."""
        w = np.asarray(w, dtype=np.float64)
        Hw = w[..., :1] * self.H[0] + w[..., 1:] * self.H[1]
        return 0.5 * np.sum(w * Hw, axis=-1)

    def grad(self, w):
        """``Hw`` in float32, for w of shape (..., 2)."""
        w = np.asarray(w, dtype=F32)
        H = self.H.astype(F32)
        return w[..., :1] * H[0] + w[..., 1:] * H[1]

    def coordinates(self, w):
        """w in the eigen-directions: ``u = Qᵀw`` (float64), one column per direction."""
        w = np.asarray(w, dtype=np.float64)
        return w[..., :1] * self.Q[0] + w[..., 1:] * self.Q[1]


def bowl(eigenvalues, angle=0.0) -> Bowl:
    """A 2-D :class:`Bowl` with curvatures ``eigenvalues`` along directions turned by ``angle`` degrees (chapter 4)."""
    lam = _eigenvalues(eigenvalues)
    if lam.size != 2:
        raise ValueError(f"eigenvalues must be two curvatures for a 2-D bowl, got {eigenvalues!r}")
    a = np.deg2rad(float(_check.finite_array("angle", angle, np.float64)))
    Q = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return Bowl(lam, Q, (Q * lam) @ Q.T)


# --- beyond the bowl: a local minimum and a plateau (1-D pictures) ----------------------------

def double_well_loss(w):
    """``(w² - 1)² + 0.3 w`` in float32: a lower minimum near -1.04, a higher one near 0.96 (chapter 4)."""
    w = np.asarray(w, dtype=F32)
    return np.square(w * w - F32(1)) + F32(0.3) * w


def double_well_grad(w):
    """Its gradient ``4w(w² - 1) + 0.3`` in float32 (chapter 4)."""
    w = np.asarray(w, dtype=F32)
    return F32(4) * w * (w * w - F32(1)) + F32(0.3)


def plateau_loss(w):
    """``(σ(w) - 1)²`` in float32: almost flat for very negative w (a saturated sigmoid) (chapter 4)."""
    from .portable import sigmoid

    return np.square(sigmoid(np.asarray(w, dtype=F32)) - F32(1))


def plateau_grad(w):
    """Its gradient ``2(σ(w) - 1)σ(w)(1 - σ(w))``, about ``-2eʷ`` on the plateau (chapter 4)."""
    from .portable import sigmoid

    s = sigmoid(np.asarray(w, dtype=F32))
    return F32(2) * (s - F32(1)) * s * (F32(1) - s)


# --- mini-batches: how noisy is the gradient ---------------------------------------------------

def _softmax_network(net):
    from .network import Network

    if not isinstance(net, Network) or net.loss != "softmax_ce" or any(n is not None for n in net.norms):
        raise ValueError("net must be an nnlib.network.Network with loss='softmax_ce' and no "
                         f"normalization layers, got {net!r}")
    return net


def _flat(grads) -> np.ndarray:
    return np.concatenate([g.ravel() for g in list(grads.dW) + list(grads.db)]).astype(np.float64)


def example_gradients(net, X, y) -> np.ndarray:
    """Every example's own gradient of its loss, one row each, in float64 (chapter 4).

    ``net`` is a softmax cross-entropy :class:`nnlib.network.Network`; a row holds the weights'
    gradients layer by layer, then the biases' (the order of ``dW + db``). Their mean is the
    full-batch gradient. The backward pass per example is chapter 5's, written with one row per
    example: ``δ = softmax(z) - onehot(y)`` at the output, ``δ W_kᵀ ⊙ f'(z)`` below it, and
    ``∂ℓ/∂W = aᵀδ`` as an outer product per example.
    """
    from . import neurons_activations, softmax

    net = _softmax_network(net)
    X, y = net.check(X, y)
    fwd = net.forward(X)
    delta = softmax.softmax(fwd.zs[-1]).astype(np.float64)
    delta[np.arange(len(y)), y] -= 1.0
    dW, db = [], []
    for k in range(len(net.weights) - 1, -1, -1):
        if k < len(net.weights) - 1:
            delta = (delta @ net.weights[k + 1].T.astype(np.float64)) * neurons_activations.derivative(
                net.activation, fwd.zs[k], net.alpha).astype(np.float64)
        a = fwd.acts[k].astype(np.float64)
        dW.insert(0, (a[:, :, None] * delta[:, None, :]).reshape(len(y), -1))
        db.insert(0, delta)
    return np.concatenate(dW + db, axis=1)


class GradientNoise(NamedTuple):
    """How far mini-batch gradients stray from the full gradient ``g`` (chapter 4).

    ``noise``: the mean of ``|g_B - g|²`` over the batches; ``bias``: ``|mean of g_B - g|²``,
    which shrinks like ``noise / num_batches`` when ``g_B`` is unbiased; ``cosine``: the mean
    cosine between ``g_B`` and ``g``.
    """

    noise: float
    bias: float
    cosine: float


def gradient_noise(net, X, y, batch_size, num_batches=200, seed=0) -> GradientNoise:
    """Draw ``num_batches`` mini-batches of ``batch_size`` examples without replacement and compare
    each one's gradient with the full-batch gradient of ``net`` on ``(X, y)`` (chapter 4)."""
    net = _softmax_network(net)
    X, y = net.check(X, y)
    batch_size = _check.batch_size(batch_size, len(y))
    num_batches = _check.positive_int("num_batches", num_batches)
    rng = np.random.default_rng(_check.non_negative_int("seed", seed))
    full = _flat(net.gradients(X, y))
    gs = np.stack([_flat(net.gradients(X[idx], y[idx]))
                   for idx in (rng.choice(len(y), batch_size, replace=False)
                               for _ in range(num_batches))])
    dist = np.sum((gs - full) ** 2, axis=1)
    cos = gs @ full / (np.linalg.norm(gs, axis=1) * np.linalg.norm(full))
    return GradientNoise(float(dist.mean()), float(np.sum((gs.mean(axis=0) - full) ** 2)),
                         float(cos.mean()))


# --- choosing the learning rate: the range test ------------------------------------------------

class RangeTest(NamedTuple):
    """A learning-rate range test: ``lr[k]`` is the rate of update k, ``loss[k]`` the training loss
    just before it (chapter 4). A run that overflows ends at its first non-finite loss."""

    lr: np.ndarray
    loss: np.ndarray

    @property
    def lowest(self) -> tuple[float, float]:
        """``(lr, loss)`` where the recorded loss is lowest: its update made no more progress after it."""
        k = int(np.nanargmin(np.where(np.isfinite(self.loss), self.loss, np.nan)))
        return float(self.lr[k]), float(self.loss[k])

    @property
    def blowup(self) -> float | None:
        """The rate of the first update after the lowest loss whose loss is above the starting loss
        (``None`` if none): the rate at which training has been undone."""
        k = int(np.nanargmin(np.where(np.isfinite(self.loss), self.loss, np.nan)))
        above = np.nonzero(~(self.loss[k:] <= self.loss[0]))[0]
        return float(self.lr[k + above[0]]) if len(above) else None


def _range_rates(lr_min, lr_max, num_steps) -> np.ndarray:
    lr_min = _check.positive_number("lr_min", lr_min)
    lr_max = _check.positive_number("lr_max", lr_max)
    if lr_max <= lr_min:
        raise ValueError(f"lr_max must be larger than lr_min, got lr_min={lr_min!r}, lr_max={lr_max!r}")
    num_steps = _check.positive_int("num_steps", num_steps)
    if num_steps < 2:
        raise ValueError(f"num_steps must be an integer >= 2, got {num_steps!r}")
    return (lr_min * (lr_max / lr_min) ** (np.arange(num_steps) / (num_steps - 1))).astype(F32)


def _until_non_finite(lrs, losses) -> RangeTest:
    bad = np.nonzero(~np.isfinite(losses))[0]
    end = bad[0] + 1 if len(bad) else len(losses)
    return RangeTest(lrs[:end], np.array(losses[:end], dtype=float))


def lr_range_test(X, y, net, lr_min=1e-3, lr_max=10.0, num_steps=100, batch_size=None, seed=0) -> RangeTest:
    """Train ``net`` (a copy) with a rate growing by a constant factor per update, from ``lr_min``
    to ``lr_max`` over ``num_steps`` updates, recording the loss before each (chapter 4).

    Plain gradient descent on the whole of ``(X, y)`` (``batch_size=None``) or on mini-batches of
    ``batch_size`` drawn without replacement. The rates are float32, ``lr_min * r**k`` with
    ``r = (lr_max / lr_min)**(1 / (num_steps - 1))``: Keras's ``ExponentialDecay`` with
    ``decay_steps=1`` and ``decay_rate=r > 1``. Stops at the first non-finite loss.
    """
    lrs = _range_rates(lr_min, lr_max, num_steps)
    net = _softmax_network(net).copy()
    X, y = net.check(X, y)
    from . import portable

    if batch_size is None and net.dot is portable.dot:   # the side-by-side trainer, same bits
        return lr_range_tests(X, y, [net], lr_min, lr_max, num_steps)[0]
    if batch_size is not None:
        batch_size = _check.batch_size(batch_size, len(y))
    rng = np.random.default_rng(_check.non_negative_int("seed", seed))
    losses = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for lr in lrs:
            idx = slice(None) if batch_size is None else rng.choice(len(y), batch_size, replace=False)
            grads = net.gradients(X[idx], y[idx])
            losses.append(float(grads.loss))
            if not np.isfinite(grads.loss):
                break
            for p, g in zip(net.weights + net.biases, grads.dW + grads.db):
                p -= lr * g
    return _until_non_finite(lrs, losses)


def lr_range_tests(X, y, nets, lr_min=1e-3, lr_max=10.0, num_steps=100) -> list[RangeTest]:
    """Full-batch :func:`lr_range_test` of several networks (copies) side by side, one result
    each, the same to the last bit as testing them one by one (chapter 4): the course's one
    side-by-side trainer, :func:`nnlib.network.train_together`, with the growing rates."""
    from .network import train_together

    lrs = _range_rates(lr_min, lr_max, num_steps)
    nets = [_softmax_network(net).copy() for net in nets]
    losses = train_together(X, y, nets, [lrs] * len(nets), None, num_steps).losses
    return [_until_non_finite(lrs, row) for row in losses]


def train_grid(X, y, nets, lrs, num_epochs=1, processes=None):
    """Full-batch :func:`nnlib.network.train_together` of ``nets`` at constant rates ``lrs``
    (one per network), the networks shared out among the CPUs (chapter 4).

    Each network is trained in place and ends with the bits :func:`nnlib.network.train` gives it
    alone (``train_together`` guarantees that for any grouping); returns ``losses[r, k]``,
    network r's loss before update k. ``processes`` as in :func:`nnlib.parallel.fork_map`.
    """
    from .network import Network, train_together
    from .parallel import cpus, fork_map

    nets = list(nets) if isinstance(nets, (list, tuple)) else None
    if not nets or not all(isinstance(n, Network) for n in nets):
        raise ValueError("nets must be a non-empty list of nnlib.network.Network")
    lrs = list(lrs) if isinstance(lrs, (list, tuple)) else None
    if lrs is None or len(lrs) != len(nets):
        raise ValueError(f"lrs must be a list of one rate per network ({len(nets)}), got {lrs!r}")
    for i, lr in enumerate(lrs):
        _check.positive_number(f"lrs[{i}]", lr)
    num_epochs = _check.non_negative_int("num_epochs", num_epochs)
    if processes is not None:
        processes = _check.positive_int("processes", processes)
    train_together(X, y, nets, lrs, None, 0)  # the arguments' errors here, not in a worker
    parts = min(len(nets), cpus() if processes is None else processes)
    bounds = [round(k * len(nets) / parts) for k in range(parts + 1)]

    def one(part):
        a, b = part
        mine = nets[a:b]
        losses = train_together(X, y, mine, lrs[a:b], None, num_epochs).losses
        return losses, [(n.weights, n.biases) for n in mine]

    rows = []
    for (a, b), (losses, params) in zip(zip(bounds, bounds[1:]),
                                        fork_map(one, list(zip(bounds, bounds[1:])), processes)):
        for net, (weights, biases) in zip(nets[a:b], params):
            net.weights, net.biases = weights, biases
        rows.append(losses)
    return np.concatenate(rows)
