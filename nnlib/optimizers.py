"""Six update rules, one small float32 function each (chapter 8: momentum, AdaGrad, RMSProp, Adam).

Every rule turns the gradient ``g`` of the current step into a change of the weights ``w``; all but
plain SGD carry some state from step to step (a velocity, a sum or an average of squared
gradients). Each ``*_step`` function does what Keras 3's optimizer does
(``keras/src/optimizers/*.py``), in the same order of float32 operations:

- ``sgd_step``: ``w <- w - lr*g`` (``SGD()``)
- ``momentum_step``: ``m <- momentum*m - lr*g; w <- w + m`` (``SGD(momentum=0.9)``)
- ``nesterov_step``: ``m <- momentum*m - lr*g; w <- w + momentum*m - lr*g``
  (``SGD(momentum=0.9, nesterov=True)``)
- ``adagrad_step``: ``a <- a + g^2; w <- w - lr*g / sqrt(a + eps)`` (``Adagrad()``, ``a`` starts at 0.1)
- ``rmsprop_step``: ``v <- rho*v + (1-rho)*g^2; w <- w - lr*g / sqrt(v + eps)`` (``RMSprop()``)
- ``adam_step``: ``m, v`` moving averages of ``g, g^2``; ``w <- w - alpha_t*m / (sqrt(v) + eps)``
  with the bias correction folded into ``alpha_t = lr*sqrt(1-beta_2^t)/(1-beta_1^t)`` (``Adam()``)

The first five agree with Keras bit for bit; Adam to the last bit or two, because TensorFlow's
float32 power ``beta^t`` is not correctly rounded (see ``tests/test_optimizers.py``). Ours comes
from :func:`nnlib.portable.power`, the same bits on every CPU (numpy's float32 ``power`` is not).

The step functions are the inner loop and check only their hyperparameters; :func:`run` checks
everything and runs a rule on a gradient function, returning an :class:`nnlib.learning_rate.Trace`, and
:func:`replay` feeds a rule a fixed sequence of gradients. :data:`SURFACES` holds the chapter's
three 2-D test surfaces (a ravine, Rosenbrock's valley, a saddle). :func:`minibatch_noise` and
:func:`minibatch_sgd` measure what the batch size does; ``mlp_*`` measure scikit-learn's
``MLPClassifier`` (imported only when called).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import _check
from .learning_rate import Trace
from .portable import power

__all__ = ["NAMES", "LABELS", "DEFAULTS", "HYPERPARAMETERS", "hyperparameters",
           "sgd_step", "momentum_step", "nesterov_step", "adagrad_step", "rmsprop_step",
           "adam_alpha", "adam_step", "init_state", "step", "rate", "run", "replay",
           "Surface", "SURFACES", "softmax_regression_loss", "softmax_regression_grad",
           "BATCH_SIZES", "gradient_spread", "minibatch_noise", "minibatch_sgd",
           "mlp_updates_per_epoch", "mlp_plateau"]

F32 = np.float32

#: The six rules, in the order the chapter introduces them.
NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")

#: How the chapter names them in legends and tables.
LABELS = {"sgd": "SGD", "momentum": "momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
          "rmsprop": "RMSProp", "adam": "Adam"}

#: Keras 3's defaults (``keras.optimizers.*``). Keras's ``SGD`` has ``momentum=0.0``; the
#: momentum rules here default to 0.9, the value scikit-learn and most examples use.
DEFAULTS = {
    "sgd": {"lr": 0.01},
    "momentum": {"lr": 0.01, "momentum": 0.9},
    "nesterov": {"lr": 0.01, "momentum": 0.9},
    "adagrad": {"lr": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "rmsprop": {"lr": 0.001, "rho": 0.9, "epsilon": 1e-7},
    "adam": {"lr": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}

#: The hyperparameters each rule takes besides ``lr`` (Keras's argument names).
HYPERPARAMETERS = {name: tuple(k for k in d if k != "lr") for name, d in DEFAULTS.items()}


# --- argument checks ---------------------------------------------------------------------------

_FAST = (float, int, np.float32, np.float64)


def _positive(name, value):
    """``value`` as float32 if it is a finite number > 0 (fast path for the inner loop).

    An array of such numbers is accepted too: :func:`sweep` runs one rule at many rates at once.
    """
    if type(value) in _FAST and 0 < value < math.inf:
        return F32(value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        if not np.all(np.isfinite(value) & (value > 0)):
            raise ValueError(f"{name} must hold finite numbers > 0, got {value!r}")
        return value.astype(F32, copy=False)
    return F32(_check.positive_number(name, value))


def _unit_interval(name, value) -> float:
    """``value`` as a float if it is a number in [0, 1): a decay rate or a momentum coefficient."""
    if type(value) in _FAST and 0 <= value < 1:
        return float(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= float(value) < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def _non_negative(name, value) -> float:
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(float(value)) or float(value) < 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


_CHECKS = {"lr": _check.positive_number, "momentum": _unit_interval, "rho": _unit_interval,
           "beta_1": _unit_interval, "beta_2": _unit_interval, "epsilon": _check.positive_number,
           "initial_accumulator_value": _non_negative}


def _name(name) -> str:
    if name not in NAMES:
        raise ValueError(f"optimizer must be one of {NAMES}, got {name!r}")
    return name


def hyperparameters(name, lr=None, **hyper) -> dict:
    """Rule ``name``'s hyperparameters: Keras's defaults for what is not given, each checked (chapter 8)."""
    name = _name(name)
    unknown = set(hyper) - set(HYPERPARAMETERS[name])
    if unknown:
        raise ValueError(f"{name} takes {('lr',) + HYPERPARAMETERS[name]}, got unknown "
                         f"argument(s) {sorted(unknown)}")
    out = {**DEFAULTS[name], **({} if lr is None else {"lr": lr}), **hyper}
    return {k: _CHECKS[k](k, v) for k, v in out.items()}


# --- the six rules -----------------------------------------------------------------------------

def sgd_step(w, g, lr):
    """Plain gradient descent, ``w - g*lr`` in float32, as ``keras.optimizers.SGD()`` (chapter 8)."""
    return w - g * _positive("lr", lr)


def momentum_step(w, g, m, lr, momentum=0.9):
    """Heavy-ball momentum, as ``SGD(momentum=...)`` (chapter 8): returns ``(w, m)``.

    The velocity ``m`` remembers past steps: ``m <- momentum*m - lr*g``, then ``w <- w + m``.
    """
    m = m * F32(_unit_interval("momentum", momentum)) - g * _positive("lr", lr)
    return w + m, m


def nesterov_step(w, g, m, lr, momentum=0.9):
    """Nesterov momentum, as ``SGD(momentum=..., nesterov=True)`` (chapter 8): returns ``(w, m)``.

    The same velocity as :func:`momentum_step`, but the weights move by ``momentum*m - lr*g``:
    the velocity's next step plus the current gradient, a look ahead along the velocity.
    """
    mu, lr = F32(_unit_interval("momentum", momentum)), _positive("lr", lr)
    m = m * mu - g * lr
    return w + (m * mu - g * lr), m


def adagrad_step(w, g, a, lr, epsilon=1e-7):
    """AdaGrad, as ``keras.optimizers.Adagrad`` (chapter 8): returns ``(w, a)``.

    ``a`` sums every squared gradient so far (Keras starts it at 0.1); each weight's step is
    ``lr / sqrt(a + epsilon)`` times its gradient, so the rate only ever shrinks.
    """
    a = a + np.square(g)
    return w - (_positive("lr", lr) * g) / np.sqrt(a + _positive("epsilon", epsilon)), a


def rmsprop_step(w, g, v, lr, rho=0.9, epsilon=1e-7):
    """RMSProp, as ``keras.optimizers.RMSprop`` (chapter 8): returns ``(w, v)``.

    ``v`` is a moving average of squared gradients, ``rho*v + (1 - rho)*g^2`` (no bias
    correction); the step is ``lr*g / sqrt(v + epsilon)``, epsilon inside the square root.
    """
    rho = _unit_interval("rho", rho)
    v = F32(rho) * v + F32(1 - rho) * np.square(g)
    return w - (_positive("lr", lr) * g) / np.sqrt(v + _positive("epsilon", epsilon)), v


def adam_alpha(t, lr, beta_1=0.9, beta_2=0.999):
    """Adam's step size at step ``t`` (from 1) with the bias correction folded in (chapter 8).

    ``lr*sqrt(1 - beta_2^t)/(1 - beta_1^t)`` in float32, as Keras computes it, with the powers
    from :func:`nnlib.portable.power`.
    """
    b1, b2 = F32(_unit_interval("beta_1", beta_1)), F32(_unit_interval("beta_2", beta_2))
    t = _positive("t", t)
    return _positive("lr", lr) * np.sqrt(F32(1) - power(b2, t)) / (F32(1) - power(b1, t))


def adam_step(w, g, m, v, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Adam, as ``keras.optimizers.Adam`` (chapter 8): returns ``(w, m, v)``; ``t`` counts from 1.

    ``m`` and ``v`` are moving averages of ``g`` and ``g^2``. Keras folds the bias correction
    into the step size (:func:`adam_alpha`) and adds epsilon to ``sqrt(v)``:
    ``w <- w - alpha_t*m / (sqrt(v) + epsilon)``.
    """
    alpha = adam_alpha(t, lr, beta_1, beta_2)
    m = m + (g - m) * F32(1 - beta_1)
    v = v + (np.square(g) - v) * F32(1 - beta_2)
    return w - (m * alpha) / (np.sqrt(v) + _positive("epsilon", epsilon)), m, v


# --- one interface to all six ------------------------------------------------------------------

def init_state(name, w, initial_accumulator_value=0.1):
    """The state a rule starts with for weights shaped like ``w``: a tuple of float32 arrays (chapter 8)."""
    name = _name(name)
    zeros = np.zeros(np.shape(w), dtype=F32)
    if name == "sgd":
        return ()
    if name == "adagrad":
        a0 = _non_negative("initial_accumulator_value", initial_accumulator_value)
        return (np.full(np.shape(w), a0, dtype=F32),)
    if name == "adam":
        return (zeros, zeros.copy())
    return (zeros,)


def step(name, w, g, state, t, lr, **hyper):
    """One update of rule ``name``: returns ``(w, state)``; ``t`` is the 1-based step (chapter 8)."""
    name = _name(name)
    hyper = {k: v for k, v in hyper.items() if k != "initial_accumulator_value"}
    if name == "sgd":
        return sgd_step(w, g, lr, **hyper), ()
    if name in ("momentum", "nesterov"):
        w, m = (momentum_step if name == "momentum" else nesterov_step)(w, g, state[0], lr, **hyper)
        return w, (m,)
    if name in ("adagrad", "rmsprop"):
        w, a = (adagrad_step if name == "adagrad" else rmsprop_step)(w, g, state[0], lr, **hyper)
        return w, (a,)
    w, m, v = adam_step(w, g, state[0], state[1], t, lr, **hyper)
    return w, (m, v)


def rate(name, state, t, lr, epsilon=1e-7, beta_1=0.9, beta_2=0.999, **_):
    """Each weight's current learning rate: the factor in front of ``g`` (Adam: of ``m``) (chapter 8).

    ``lr`` for SGD and both momentum rules; ``lr/sqrt(a + eps)`` for AdaGrad;
    ``lr/sqrt(v + eps)`` for RMSProp; ``alpha_t/(sqrt(v) + eps)`` for Adam. ``state`` is the
    state after step ``t``. Other keyword arguments (a rule's other hyperparameters) are ignored.
    """
    name = _name(name)
    if name in ("sgd", "momentum", "nesterov"):
        return _positive("lr", lr)
    if name in ("adagrad", "rmsprop"):
        return _positive("lr", lr) / np.sqrt(state[0] + _positive("epsilon", epsilon))
    return adam_alpha(t, lr, beta_1, beta_2) / (np.sqrt(state[1]) + _positive("epsilon", epsilon))


def run(name, grad: Callable, w0, lr=None, num_steps=100, **hyper) -> Trace:
    """Run rule ``name`` for ``num_steps`` updates on a gradient function, in float32 (chapter 8).

    ``lr`` and the other hyperparameters default to Keras's (:data:`DEFAULTS`). Returns an
    :class:`nnlib.learning_rate.Trace`: ``w[k]`` after k updates, and in ``extra`` the rule's name and
    hyperparameters and ``rate``, each weight's learning rate after every update
    (see :func:`rate`). A run that overflows stops there, as in chapter 4.
    """
    h = hyperparameters(name, lr, **hyper)
    if not callable(grad):
        raise ValueError(f"grad must be a function of w, got {grad!r}")
    num_steps = _check.non_negative_int("num_steps", num_steps)
    w = _check.finite_array("w0", w0)
    state = init_state(name, w, h.get("initial_accumulator_value", 0.1))
    ws, rates, diverged_at = [w.copy()], [], None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(num_steps):
            g = np.asarray(grad(w), dtype=F32)
            w, state = step(name, w, g, state, k + 1, **h)
            if not np.isfinite(w).all():
                diverged_at = k
                break
            ws.append(w)
            rates.append(rate(name, state, k + 1, **h))
    rates = np.stack([np.broadcast_to(r, w.shape) for r in rates]) if rates else np.zeros((0,) + w.shape, F32)
    return Trace(w=np.stack(ws), lr=h["lr"], num_steps=num_steps, diverged_at=diverged_at,
                 extra={"name": name, "hyper": h, "rate": rates})


def replay(name, gradients, lr=None, **hyper) -> Trace:
    """Run rule ``name`` on a fixed sequence of gradients, from ``w = 0`` (chapter 8).

    ``gradients[k]`` is the gradient fed at step ``k + 1`` whatever ``w`` is, so each column is
    one weight seeing one pattern (steady, tiny, alternating, ...). Returns :func:`run`'s trace.
    """
    gradients = _check.finite_array("gradients", gradients)
    if gradients.ndim == 0 or not len(gradients):
        raise ValueError(f"gradients must be a non-empty sequence, one gradient per step, got {gradients!r}")
    it = iter(gradients)
    return run(name, lambda w: next(it), np.zeros(gradients.shape[1:], dtype=F32), lr,
               len(gradients), **hyper)


# --- the chapter's test surfaces ---------------------------------------------------------------

@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface for trajectory plots: loss, gradient, start, view, minimum (chapter 8)."""

    name: str
    label: str
    loss_xy: Callable  # loss(x, y), vectorised over arrays
    grad: Callable  # grad(w) for w of shape (2,), float32
    start: tuple
    xlim: tuple
    ylim: tuple
    min_loss: float

    def loss(self, w):
        """The loss at ``w`` (the last axis holds x and y); inf where float32 overflows."""
        w = np.asarray(w, dtype=F32)
        with np.errstate(over="ignore", invalid="ignore"):
            return self.loss_xy(w[..., 0], w[..., 1])

    def paths(self, name, lrs, num_steps, **hyper):
        """The paths of rule ``name`` from :attr:`start` at every rate in ``lrs``, all at once.

        Returns an array ``(num_steps + 1, len(lrs), 2)``: the rates run as one batch of float32
        arrays, with the same digits as separate :func:`run` calls. After a run overflows its
        rows hold inf or nan.
        """
        lrs = np.asarray(lrs, dtype=np.float64)
        if lrs.ndim != 1 or not len(lrs):
            raise ValueError(f"lrs must be a non-empty list of learning rates, got {lrs!r}")
        h = hyperparameters(name, float(lrs[0]), **hyper)
        h["lr"] = _positive("lrs", lrs)[:, None]
        num_steps = _check.non_negative_int("num_steps", num_steps)
        w = np.tile(np.asarray(self.start, dtype=F32), (len(lrs), 1))
        state = init_state(name, w, h.get("initial_accumulator_value", 0.1))
        ws = [w]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for k in range(num_steps):
                w, state = step(name, w, self.grad(w), state, k + 1, **h)
                ws.append(w)
        return np.stack(ws)

    def sweep(self, name, lrs, num_steps, **hyper):
        """The gap (see :meth:`gap`) after every step of rule ``name``, at each rate in ``lrs``.

        Returns an array ``(num_steps + 1, len(lrs))``, computed from :meth:`paths`; a run that
        overflows gets ``inf``.
        """
        gaps = self.gap(self.paths(name, lrs, num_steps, **hyper))
        return np.where(np.isfinite(gaps), gaps, np.inf)

    def tune(self, name, lrs, num_steps, tol, **hyper):
        """The rate in ``lrs`` whose run settles below ``tol`` first (chapter 8).

        A run *settles* at the first step from which the gap stays below ``tol`` to the end.
        Returns ``(lr, steps, gap)``: the rate, its settling step and its gap after
        ``num_steps``. If no rate settles, ``steps`` is ``None`` and the rate whose largest gap
        over the last tenth of the run is smallest wins (a run still jumping about loses, however
        low it happens to end). Ties go to the smaller rate.
        """
        gaps = self.sweep(name, lrs, num_steps, **hyper)
        above = gaps >= _check.positive_number("tol", tol)
        settled = ~above[-1]
        if settled.any():
            last_above = np.where(above.any(axis=0), len(gaps) - 1 - above[::-1].argmax(axis=0), -1)
            steps = np.where(settled, last_above + 1, np.iinfo(np.int64).max)
            i = int(np.argmin(steps))
            return float(lrs[i]), int(steps[i]), float(gaps[-1, i])
        i = int(np.argmin(gaps[-max(1, len(gaps) // 10):].max(axis=0)))
        return float(lrs[i]), None, float(gaps[-1, i])

    def gap(self, w):
        """How far above the lowest value the loss is at ``w`` (what the loss plots show)."""
        return np.asarray(self.loss(w), dtype=np.float64) - self.min_loss


RAVINE_A, RAVINE_B = 1.0, 50.0


def _ravine(x, y):
    return F32(0.5) * (F32(RAVINE_A) * x * x + F32(RAVINE_B) * y * y)


def _ravine_grad(w):
    return w * np.array([RAVINE_A, RAVINE_B], dtype=F32)


def _rosenbrock(x, y):
    return np.square(F32(1) - x) + F32(100) * np.square(y - x * x)


def _rosenbrock_grad(w):
    x, y = w[..., 0], w[..., 1]
    r = y - x * x
    return np.stack([F32(-2) * (F32(1) - x) - F32(400) * x * r, F32(200) * r], axis=-1)


def _saddle(x, y):
    return F32(0.5) * x * x + F32(0.25) * y ** 4 - F32(0.5) * y * y


def _saddle_grad(w):
    x, y = w[..., 0], w[..., 1]
    return np.stack([x, y * y * y - y], axis=-1)


#: The chapter's three surfaces. ``ravine``: ``(x^2 + 50 y^2)/2``, 50 times steeper across than
#: along; ``rosenbrock``: ``(1-x)^2 + 100 (y-x^2)^2``, a curved valley with its minimum at (1, 1);
#: ``saddle``: ``x^2/2 + y^4/4 - y^2/2``, a saddle at (0, 0) between minima at (0, ±1).
SURFACES = {
    "ravine": Surface("ravine", "ravine (x² + 50y²)/2", _ravine, _ravine_grad, (-4.5, 1.0),
                      (-5.0, 2.0), (-1.5, 1.5), 0.0),
    "rosenbrock": Surface("rosenbrock", "Rosenbrock valley", _rosenbrock, _rosenbrock_grad,
                          (-1.2, 1.0), (-2.0, 2.0), (-1.0, 3.0), 0.0),
    "saddle": Surface("saddle", "saddle x²/2 + y⁴/4 − y²/2", _saddle, _saddle_grad, (-2.0, 0.001),
                      (-2.5, 1.5), (-1.5, 1.5), -0.25),
}


# --- minibatches: how noisy is the gradient, how long is an epoch -------------------------------

def softmax_regression_loss(W, X, y):
    """Mean cross-entropy of softmax regression ``softmax(X @ W)`` in float32 (chapter 8)."""
    z = np.asarray(X, dtype=F32) @ np.asarray(W, dtype=F32)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def softmax_regression_grad(W, X, y):
    """Gradient of :func:`softmax_regression_loss` with respect to ``W`` (features x classes) (chapter 8)."""
    W = np.asarray(W, dtype=F32)
    X = np.asarray(X, dtype=F32)
    z = X @ W
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= F32(1)
    return X.T @ p / F32(len(y))


#: The batch sizes chapter 8 measures (and the full batch): note 003's usual 16-128, and 1.
BATCH_SIZES = (1, 16, 32, 64, 128)


def gradient_spread(W, X, y):
    """The spread of single-example gradients, ``mean_i |g_i - g|^2``, at ``W`` (chapter 8).

    ``g_i`` is example i's gradient of softmax regression and ``g`` their mean, the full
    gradient. A minibatch of ``B`` examples drawn without replacement from ``n`` strays from
    ``g`` by ``spread / B * (n - B) / (n - 1)`` on average (in squared distance).
    """
    X = np.asarray(X, dtype=F32)
    z = X @ np.asarray(W, dtype=F32)
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= F32(1)
    G = (X[:, :, None].astype(np.float64) * p[:, None, :]).reshape(len(y), -1)
    return float(np.sum((G - G.mean(axis=0)) ** 2, axis=1).mean())


def _batch_size(batch_size, n):
    batch_size = _check.non_negative_int("batch_size", batch_size)
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be between 1 and the number of examples {n}, got {batch_size!r}")
    return batch_size


def minibatch_noise(W, X, y, batch_size, num_batches=200, seed=0):
    """How far minibatch gradients stray from the full gradient at ``W`` (chapter 8).

    Draws ``num_batches`` batches of ``batch_size`` examples without replacement and returns
    ``(noise, cosine)``: the mean of ``|g_B - g|^2`` and the mean cosine between ``g_B`` and the
    full-batch gradient ``g`` (softmax regression). A full batch is the full gradient: noise 0.
    """
    n = len(y)
    batch_size = _batch_size(batch_size, n)
    num_batches = _check.non_negative_int("num_batches", num_batches)
    if num_batches < 1:
        raise ValueError(f"num_batches must be at least 1, got {num_batches!r}")
    full = softmax_regression_grad(W, X, y).astype(np.float64).ravel()
    if batch_size == n:
        return 0.0, 1.0
    rng = np.random.default_rng(seed)
    sq, cos = [], []
    for _ in range(num_batches):
        idx = rng.choice(n, batch_size, replace=False)
        g = softmax_regression_grad(W, X[idx], y[idx]).astype(np.float64).ravel()
        sq.append(np.sum((g - full) ** 2))
        cos.append(g @ full / (np.linalg.norm(g) * np.linalg.norm(full)))
    return float(np.mean(sq)), float(np.mean(cos))


def minibatch_sgd(X, y, batch_size, lr, num_epochs, seed=0, num_classes=None):
    """Softmax regression trained by minibatch SGD from zero weights, in float32 (chapter 8).

    Each epoch shuffles the examples and takes ``ceil(n / batch_size)`` steps. Returns
    ``(W, losses, seconds)``: the weights, the full training loss after each epoch (``losses[0]``
    is before training) and the wall-clock seconds each epoch took.
    """
    import time

    X = _check.finite_array("X", X)
    y = np.asarray(y)
    n = len(y)
    batch_size = _batch_size(batch_size, n)
    lr32 = _positive("lr", lr)
    num_epochs = _check.non_negative_int("num_epochs", num_epochs)
    k = int(num_classes or y.max() + 1)
    W = np.zeros((X.shape[1], k), dtype=F32)
    rng = np.random.default_rng(seed)
    losses, seconds = [softmax_regression_loss(W, X, y)], []
    for _ in range(num_epochs):
        order = rng.permutation(n)
        t0 = time.perf_counter()
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            W = sgd_step(W, softmax_regression_grad(W, X[idx], y[idx]), lr32)
        seconds.append(time.perf_counter() - t0)
        losses.append(softmax_regression_loss(W, X, y))
    return W, np.array(losses), np.array(seconds)


# --- scikit-learn's MLPClassifier, measured ---------------------------------------------------

def _quiet_fit(clf, X, y):
    """Fit, silencing only the ConvergenceWarning a deliberately short run raises."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        return clf.fit(X, y)


def _blobs(n, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return rng.normal(size=(n, 4)) + y[:, None], y


def mlp_updates_per_epoch(n_samples, batch_size="auto"):
    """How many weight updates MLPClassifier (Adam) makes in one epoch on ``n_samples`` (chapter 8).

    Read from the Adam solver's step counter after one epoch on random data.
    """
    from sklearn.neural_network import MLPClassifier

    n_samples = _check.non_negative_int("n_samples", n_samples)
    X, y = _blobs(n_samples)
    clf = _quiet_fit(MLPClassifier(hidden_layer_sizes=(4,), batch_size=batch_size, max_iter=1,
                                   random_state=0), X, y)
    return int(clf._optimizer.t)


def mlp_plateau(num_epochs=30, early_stopping=False):
    """When MLPClassifier acts on a plateau: the epochs it cut the rate at, and its last epoch (chapter 8).

    Runs ``solver='sgd'`` with ``tol`` so large that no epoch counts as an improvement, and reads
    the verbose log. With ``learning_rate='adaptive'`` it cuts the rate; with
    ``early_stopping=True`` (and a constant rate) it stops. Returns ``(cuts, n_iter)``: a list of
    ``(epoch, rate before, rate after)`` and the number of epochs run.
    """
    import contextlib
    import io
    import re

    from sklearn.neural_network import MLPClassifier

    num_epochs = _check.non_negative_int("num_epochs", num_epochs)
    X, y = _blobs(300)
    clf = MLPClassifier(hidden_layer_sizes=(4,), solver="sgd",
                        learning_rate="constant" if early_stopping else "adaptive",
                        learning_rate_init=0.01, tol=1e9, max_iter=num_epochs,
                        early_stopping=early_stopping, random_state=0, verbose=True)
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        _quiet_fit(clf, X, y)
    cuts, epoch, rate = [], 0, clf.learning_rate_init
    for line in log.getvalue().splitlines():
        if m := re.match(r"Iteration (\d+),", line):
            epoch = int(m.group(1))
        elif m := re.search(r"Setting learning rate to ([0-9.]+)", line):
            cuts.append((epoch, rate, float(m.group(1))))
            rate = float(m.group(1))
    return cuts, clf.n_iter_
