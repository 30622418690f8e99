"""Six update rules in float32, as Keras 3 writes them (chapter 8: momentum, AdaGrad, RMSProp, Adam),
and AdamW, Adam with decoupled weight decay (and Adam's ``amsgrad`` option).

Each rule is an update rule of chapter 4's loop :func:`nnlib.learning_rate.gd_trace`: a frozen
dataclass whose fields are its hyperparameters, checked when it is made, and whose ``step`` does
what Keras 3's optimizer does (``keras/src/optimizers/*.py``), in the same order of float32
operations. Plain SGD is chapter 4's :class:`nnlib.learning_rate.SGD`; the others carry some
state from step to step (a velocity, a sum or an average of squared gradients).

The first five agree with Keras bit for bit; Adam to the last bit or two, because TensorFlow's
float32 power ``beta^t`` is not correctly rounded (see ``tests/nnlib/test_optimizers.py``). Ours
comes from :func:`nnlib.portable.power`, the same bits on every CPU (numpy's float32 ``power`` is
not). AdamW matches ``keras.optimizers.AdamW`` and ``amsgrad=True`` Keras's AMSGrad to the same
bound as Adam. A step works on arrays of any shape, so one call updates many weights, or many models
stacked along an axis. (Chapter 13's :func:`nnlib.regularization.train_digits` calls
:class:`SGD`, :class:`Adam` and :class:`AdamW`; its :func:`nnlib.regularization.train_circle_nets`
writes :meth:`Adam.step`'s operations out in place, on one flat buffer of every network's
weights, and ``tests/nnlib/test_regularization.py`` checks it against a plain loop of
``Adam.step`` calls, bit for bit.)

:func:`run` and :func:`replay` run a rule by name; :data:`SURFACES` holds the chapter's 2-D test
surfaces, and :meth:`Surface.tune_grid` tunes a rule's rate and one more hyperparameter on them;
``momentum_*`` is the heavy ball's and Nesterov's linear dynamics on a quadratic, one
eigendirection at a time; ``minibatch_*`` and ``mlp_*`` measure what the batch size does (softmax regression;
scikit-learn's ``MLPClassifier``, imported only when called), and :func:`mlp_solver_run` runs
``MLPClassifier``'s three solvers, L-BFGS among them, on small data.
"""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, fields
from typing import Callable, ClassVar

import numpy as np

from . import _check, softmax
from . import portable as _portable
from .learning_rate import SGD, Trace, gd_trace
from .portable import _exp64, _log64, power

__all__ = ["NAMES", "LABELS", "DEFAULTS", "RULES", "rule",
           "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW", "run", "replay",
           "momentum_matrix", "momentum_rate", "momentum_optimal",
           "Surface", "SURFACES", "softmax_regression_loss", "softmax_regression_grad",
           "BATCH_SIZES", "gradient_spread", "minibatch_noise", "minibatch_sgd",
           "mlp_updates_per_epoch", "mlp_plateau", "SolverRun", "mlp_solver_run"]

F32 = np.float32

#: How the chapter names the rules in legends and tables.
LABELS = {"sgd": "SGD", "momentum": "momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
          "rmsprop": "RMSProp", "adam": "Adam", "adamw": "AdamW"}

_CHECKS = {"momentum": _check.unit_interval, "rho": _check.unit_interval, "beta_1": _check.unit_interval,
           "beta_2": _check.unit_interval, "epsilon": _check.positive_number,
           "initial_accumulator_value": _check.non_negative_number,
           "weight_decay": _check.non_negative_number, "amsgrad": lambda name, value: _flag(name, value)}


def _flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


# --- the rules: update rules of chapter 4's loop -----------------------------------------------
# ``step(w, g, state, t, lr)`` and ``rate(state, t, lr)`` take ``lr`` as float32 (a number, or an
# array that broadcasts against ``w``), as gd_trace and Surface.paths pass it; ``t`` counts from 1.

class _Rule:
    """Checks the hyperparameters (the dataclass fields) when a rule is made."""

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, _CHECKS[f.name](f.name, getattr(self, f.name)))

    def init(self, w):
        """One float32 array of zeros shaped like ``w``: the velocity or the average."""
        return (np.zeros(np.shape(w), dtype=F32),)

    def rate(self, state, t, lr):
        """Each weight's learning rate: ``lr`` itself for the momentum rules."""
        return lr


@dataclass(frozen=True)
class Momentum(_Rule):
    """Heavy-ball momentum, ``SGD(momentum=...)``; Keras's SGD defaults to 0, we to 0.9 (chapter 8)."""

    momentum: float = 0.9
    name: ClassVar[str] = "momentum"

    def step(self, w, g, state, t, lr):
        """The velocity remembers past steps: ``m <- momentum*m - lr*g``, then ``w <- w + m``."""
        m = state[0] * F32(self.momentum) - g * lr
        return w + m, (m,)


@dataclass(frozen=True)
class Nesterov(Momentum):
    """Nesterov momentum, ``SGD(momentum=..., nesterov=True)`` (chapter 8)."""

    name: ClassVar[str] = "nesterov"

    def step(self, w, g, state, t, lr):
        """:class:`Momentum`'s velocity, but ``w`` moves by ``momentum*m - lr*g``: a look ahead along it."""
        mu = F32(self.momentum)
        m = state[0] * mu - g * lr
        return w + (m * mu - g * lr), (m,)


@dataclass(frozen=True)
class Adagrad(_Rule):
    """AdaGrad, ``keras.optimizers.Adagrad`` (chapter 8); each weight's rate is ``lr/sqrt(a + eps)``."""

    initial_accumulator_value: float = 0.1
    epsilon: float = 1e-7
    name: ClassVar[str] = "adagrad"

    def init(self, w):
        """The sum of squared gradients, starting at ``initial_accumulator_value``."""
        return (np.full(np.shape(w), self.initial_accumulator_value, dtype=F32),)

    def step(self, w, g, state, t, lr):
        """``a`` sums every squared gradient so far, so the rate only ever shrinks."""
        a = state[0] + np.square(g)
        return w - (lr * g) / np.sqrt(a + F32(self.epsilon)), (a,)

    def rate(self, state, t, lr):
        """``lr / sqrt(a + epsilon)``."""
        return lr / np.sqrt(state[0] + F32(self.epsilon))


@dataclass(frozen=True)
class RMSprop(_Rule):
    """RMSProp, ``keras.optimizers.RMSprop`` (chapter 8); each weight's rate is ``lr/sqrt(v + eps)``."""

    rho: float = 0.9
    epsilon: float = 1e-7
    name: ClassVar[str] = "rmsprop"

    def step(self, w, g, state, t, lr):
        """``v <- rho*v + (1 - rho)*g^2`` (no bias correction); epsilon inside the square root."""
        v = F32(self.rho) * state[0] + F32(1 - self.rho) * np.square(g)
        return w - (lr * g) / np.sqrt(v + F32(self.epsilon)), (v,)

    rate = Adagrad.rate


@functools.lru_cache(maxsize=64)
def _power_block(beta, start, size=4096):
    return power(beta, np.arange(start, start + size))


@dataclass(frozen=True)
class Adam(_Rule):
    """Adam, ``keras.optimizers.Adam`` (chapter 8); each weight's rate is ``alpha_t/(sqrt(v) + eps)``.

    With ``amsgrad=True`` (AMSGrad, Reddi et al. 2018) the division uses the largest ``v`` so far,
    so no weight's rate ever grows.
    """

    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    amsgrad: bool = False
    name: ClassVar[str] = "adam"

    def init(self, w):
        """The two moving averages ``m`` and ``v``, at zero (and AMSGrad's running maximum of ``v``)."""
        return tuple(np.zeros(np.shape(w), dtype=F32) for _ in range(3 if self.amsgrad else 2))

    def alpha(self, t, lr):
        """Step ``t``'s size ``lr*sqrt(1 - beta_2^t)/(1 - beta_1^t)``, in float32 as Keras computes it.

        The powers are :func:`nnlib.portable.power`'s, read from a cached block (a step's overhead).
        """
        t = _check.positive_int("t", t)
        b1, b2 = (_power_block(F32(b), t - t % 4096)[t % 4096] for b in (self.beta_1, self.beta_2))
        return lr * np.sqrt(F32(1) - b2) / (F32(1) - b1)

    def step(self, w, g, state, t, lr):
        """``m, v`` move towards ``g, g^2``; then ``w <- w - alpha_t*m / (sqrt(v) + epsilon)``."""
        m = state[0] + (g - state[0]) * F32(1 - self.beta_1)
        v = state[1] + (np.square(g) - state[1]) * F32(1 - self.beta_2)
        if self.amsgrad:
            v_hat = np.maximum(state[2], v)
            return w - (m * self.alpha(t, lr)) / (np.sqrt(v_hat) + F32(self.epsilon)), (m, v, v_hat)
        return w - (m * self.alpha(t, lr)) / (np.sqrt(v) + F32(self.epsilon)), (m, v)

    def rate(self, state, t, lr):
        """``alpha_t / (sqrt(v) + epsilon)`` (AMSGrad: the largest ``v`` so far)."""
        return self.alpha(t, lr) / (np.sqrt(state[-1]) + F32(self.epsilon))


@dataclass(frozen=True)
class AdamW(Adam):
    """AdamW, ``keras.optimizers.AdamW`` (chapter 8): Adam plus decoupled weight decay.

    Before Adam's step every weight shrinks by ``lr * weight_decay`` of itself, ``w <- w - w*wd*lr``
    (Keras's order), whatever its gradients; L2 in the loss would instead pass through Adam's
    division by ``sqrt(v)``. Keras's default ``weight_decay`` is 0.004.
    """

    weight_decay: float = 0.004
    name: ClassVar[str] = "adamw"

    def step(self, w, g, state, t, lr):
        """``w <- w - w*weight_decay*lr``, then :class:`Adam`'s step from there."""
        return super().step(w - w * F32(self.weight_decay) * lr, g, state, t, lr)


#: The rules by name: the six the chapter races (SGD is chapter 4's), then AdamW.
RULES = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": Adagrad,
         "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}
#: The six rules the chapter's tables, surfaces and explorer race, in the order it introduces them.
NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")

#: Keras 3's defaults per rule: its learning rate (0.01 for the SGD family, 0.001 for the adaptive
#: rules), then the fields' defaults of the rule.
DEFAULTS = {name: {"lr": 0.01 if name in ("sgd", "momentum", "nesterov") else 0.001, **asdict(cls())}
            for name, cls in RULES.items()}


def rule(name, **hyper):
    """Rule ``name`` with these hyperparameters and Keras's defaults for the rest, each checked (chapter 8)."""
    known = tuple(f.name for f in fields(RULES[_check.one_of("optimizer", name, tuple(RULES))]))
    unknown = set(hyper) - set(known)
    if unknown:
        raise ValueError(f"{name} takes {('lr',) + known}, got unknown argument(s) {sorted(unknown)}")
    return RULES[name](**hyper)


def run(name, grad: Callable, w0, lr=None, num_steps=100, **hyper) -> Trace:
    """Rule ``name`` for ``num_steps`` updates on a gradient function: chapter 4's loop (chapter 8).

    ``lr`` and the other hyperparameters default to Keras's (:data:`DEFAULTS`). Returns the
    :class:`nnlib.learning_rate.Trace` of :func:`nnlib.learning_rate.gd_trace`, whose ``rate``
    holds each weight's learning rate after every update.
    """
    r = rule(name, **hyper)
    return gd_trace(grad, w0, DEFAULTS[name]["lr"] if lr is None else lr, num_steps, r)


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


# --- momentum on a quadratic: one eigendirection at a time --------------------------------------
# Along an eigendirection of curvature lam the gradient is lam*w, so a step is a 2x2 matrix acting
# on (w, m). float64 and elementwise: the same digits on every CPU.

def momentum_matrix(lr, lam, momentum, nesterov=False):
    """The 2x2 matrix taking ``(w, m)`` to the next ``(w, m)`` along a direction of curvature ``lam`` (chapter 8).

    Heavy ball (``m <- mu*m - lr*g``, ``w <- w + m``): ``[[1 - lr*lam, mu], [-lr*lam, mu]]``.
    Nesterov (``w <- w + mu*m_new - lr*g``): ``[[1 - lr*lam*(1 + mu), mu^2], [-lr*lam, mu]]``.
    Arguments broadcast; the matrix is on the last two axes.
    """
    h = np.asarray(_check.finite_array("lr", lr, np.float64) * _check.finite_array("lam", lam, np.float64))
    mu = np.broadcast_to(_check.finite_array("momentum", momentum, np.float64), h.shape)
    if np.any(mu < 0) or np.any(mu >= 1):
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    h, mu = np.broadcast_arrays(h, mu)
    top = (1 - h * (1 + mu), mu * mu) if nesterov else (1 - h, mu)
    return np.stack([np.stack(top, -1), np.stack([-h, mu], -1)], -2)


def momentum_rate(lr, lam, momentum, nesterov=False):
    """How much one step shrinks that direction in the long run: the spectral radius of
    :func:`momentum_matrix`, the larger ``|z|`` of ``z^2 - trace*z + det = 0`` (chapter 8).

    Complex roots (under-damped: the direction oscillates) have ``|z| = sqrt(det)``; real roots
    (over-damped) differ, and the larger one is slower. Above 1 the direction diverges.
    """
    a = momentum_matrix(lr, lam, momentum, nesterov)
    tr, det = a[..., 0, 0] + a[..., 1, 1], a[..., 0, 0] * a[..., 1, 1] - a[..., 0, 1] * a[..., 1, 0]
    root = np.sqrt((tr * tr - 4 * det).astype(complex))
    return np.maximum(np.abs((tr + root) / 2), np.abs((tr - root) / 2))


def momentum_optimal(lam_min, lam_max):
    """The heavy ball's best ``(lr, momentum, rate)`` on a quadratic with these extreme curvatures (chapter 8).

    Both extreme directions critically damped: ``lr = (2/(sqrt(lam_min) + sqrt(lam_max)))^2``,
    ``momentum = ((sqrt(kappa) - 1)/(sqrt(kappa) + 1))^2``, and every direction then shrinks by
    ``rate = sqrt(momentum) = (sqrt(kappa) - 1)/(sqrt(kappa) + 1)`` per step (Goh 2017).
    """
    lo, hi = (_check.positive_number(n, v) for n, v in (("lam_min", lam_min), ("lam_max", lam_max)))
    if lo > hi:
        raise ValueError(f"lam_min must be <= lam_max, got {lam_min!r} > {lam_max!r}")
    root = np.sqrt(hi / lo)
    return (2 / (np.sqrt(lo) + np.sqrt(hi))) ** 2, ((root - 1) / (root + 1)) ** 2, (root - 1) / (root + 1)


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

    def gap(self, w):
        """How far above its lowest value the loss is at ``w`` (the last axis holds x and y), as the
        loss plots show it; inf where float32 overflows."""
        w = np.asarray(w, dtype=F32)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(self.loss_xy(w[..., 0], w[..., 1]), dtype=np.float64) - self.min_loss

    def paths(self, name, lrs, num_steps, **hyper):
        """The paths of rule ``name`` from :attr:`start` at every rate in ``lrs``, all at once.

        Returns an array ``(num_steps + 1, len(lrs), 2)``: the rates run as one batch of float32
        arrays, with the same digits as separate :func:`run` calls. After a run overflows its
        rows hold inf or nan.
        """
        lrs = _check.finite_array("lrs", lrs, np.float64)
        if lrs.ndim != 1 or not len(lrs) or np.any(lrs <= 0):
            raise ValueError(f"lrs must be a non-empty list of learning rates > 0, got {lrs!r}")
        r, lr = rule(name, **hyper), lrs.astype(F32)[:, None]
        num_steps = _check.non_negative_int("num_steps", num_steps)
        w = np.tile(np.asarray(self.start, dtype=F32), (len(lrs), 1))
        state = r.init(w)
        ws = [w]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for k in range(num_steps):
                w, state = r.step(w, self.grad(w), state, k + 1, lr)
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

    def tune_grid(self, name, lrs, num_steps, tol, key=None, values=(None,), **hyper):
        """:meth:`tune` over a grid: every rate in ``lrs`` times every value of hyperparameter ``key``.

        Returns ``(lr, value, steps, gap)`` of the pair that settles first (``steps`` is ``None``
        if none settles; then the smallest end gap wins, as in :meth:`tune`); ties go to the
        earlier value (chapter 8).
        """
        best = None
        for value in values:
            extra = {} if key is None else {key: value}
            lr, steps, gap = self.tune(name, lrs, num_steps, tol, **hyper, **extra)
            score = (steps is None, steps or 0, gap)
            if best is None or score < best[0]:
                best = (score, (lr, value, steps, gap))
        return best[1]


def _ravine(x, y):
    return F32(0.5) * (x * x + F32(50) * y * y)


def _ravine_grad(w):
    return w * np.array([1.0, 50.0], dtype=F32)


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

def softmax_regression_loss(W, X, y, portable=False):
    """Mean cross-entropy of softmax regression ``softmax(X @ W)`` in float32 (chapter 9).

    ``portable=True``: the products in a fixed order (:func:`nnlib.portable.dot`), the same bits
    on every CPU and in the browser's port (``nnlib/web/nnlib-web/minibatches.js``)."""
    X, W = np.asarray(X, dtype=F32), np.asarray(W, dtype=F32)
    z = _portable.dot(X, W) if portable else X @ W
    return float(np.mean(softmax.sparse_categorical_cross_entropy(y, z)))


def softmax_regression_grad(W, X, y, portable=False):
    """Gradient of :func:`softmax_regression_loss` with respect to ``W`` (features x classes) (chapter 9)."""
    X, W = np.asarray(X, dtype=F32), np.asarray(W, dtype=F32)
    if portable:
        return _portable.dot(X.T, _softmax_grad(_portable.dot(X, W), np.asarray(y)))
    return X.T @ _softmax_grad(X @ W, np.asarray(y))


def _softmax_grad(z, y):
    """``(softmax(z) - onehot(y)) / n``: the bits of ``softmax._cross_entropy_and_grad(z, y)[1]``,
    with less overhead per call (SGD with batches of 1 takes thousands of these steps).

    The same float32 operations in the same order, and ``portable``'s float64 polynomials for
    ``exp`` and ``log``. ``log`` is taken of ``sum exp(z - max z)``, which is at least 1 or NaN,
    where :func:`nnlib.portable.log` is its polynomial ``_log64`` (its other cases are for 0,
    inf and negative numbers). ``tests/nnlib/test_optimizers.py`` checks the bits.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        shifted = z - z.max(axis=-1, keepdims=True)
        total = _exp64(shifted.astype(np.float64)).astype(F32).sum(axis=-1, keepdims=True)
        logp = shifted - _log64(total.astype(np.float64)).astype(F32)
        grad = _exp64(logp.astype(np.float64)).astype(F32)
    grad[np.arange(len(y)), y] -= F32(1)
    return grad / F32(len(y))


#: The batch sizes chapter 9 measures (and the full batch): note 003's usual 16-128, and 1.
BATCH_SIZES = (1, 16, 32, 64, 128)


def gradient_spread(W, X, y):
    """The spread of single-example gradients, ``mean_i |g_i - g|^2``, at ``W`` (chapter 9).

    ``g_i`` is example i's gradient of softmax regression and ``g`` their mean, the full
    gradient. A minibatch of ``B`` examples drawn without replacement from ``n`` strays from
    ``g`` by ``spread / B * (n - B) / (n - 1)`` on average (in squared distance).
    """
    X = np.asarray(X, dtype=F32)
    p = softmax.softmax(X @ np.asarray(W, dtype=F32))
    p[np.arange(len(y)), y] -= F32(1)
    G = (X[:, :, None].astype(np.float64) * p[:, None, :]).reshape(len(y), -1)
    return float(np.sum((G - G.mean(axis=0)) ** 2, axis=1).mean())


def minibatch_noise(W, X, y, batch_size, num_batches=200, seed=0):
    """How far minibatch gradients stray from the full gradient at ``W`` (chapter 9).

    Draws ``num_batches`` batches of ``batch_size`` examples without replacement and returns
    ``(noise, cosine)``: the mean of ``|g_B - g|^2`` and the mean cosine between ``g_B`` and the
    full-batch gradient ``g`` (softmax regression). A full batch is the full gradient: noise 0.
    """
    n = len(y)
    batch_size = _check.batch_size(batch_size, n)
    num_batches = _check.positive_int("num_batches", num_batches)
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


def minibatch_sgd(X, y, batch_size, lr, num_epochs, seed=0, orders=None, portable=False):
    """Softmax regression trained by minibatch SGD from zero weights, in float32 (chapter 9).

    Each epoch shuffles the examples and takes ``ceil(n / batch_size)`` steps. Returns
    ``(W, losses, seconds)``: the weights, the full training loss after each epoch (``losses[0]``
    is before training) and the wall-clock seconds each epoch took.

    ``orders`` (``num_epochs`` permutations of the examples) replaces the shuffles drawn from
    ``seed``, and ``portable=True`` makes every product fixed-order: together, the run of the
    chapter's in-browser explorer, bit for bit (``tests/browser/test_web_explorers.py``).
    """
    import time

    X = _check.finite_array("X", X)
    y = np.asarray(y)
    n = len(y)
    batch_size = _check.batch_size(batch_size, n)
    lr32 = F32(_check.positive_number("lr", lr))
    num_epochs = _check.non_negative_int("num_epochs", num_epochs)
    W = np.zeros((X.shape[1], int(y.max()) + 1), dtype=F32)
    if orders is not None:
        orders = np.asarray(orders)
        if orders.shape != (num_epochs, n) or any(sorted(o) != list(range(n)) for o in orders.tolist()):
            raise ValueError(f"orders must hold num_epochs = {num_epochs} permutations of the {n} examples, "
                             f"got shape {orders.shape}")
    portable = bool(portable)
    rng = np.random.default_rng(seed)
    losses, seconds = [softmax_regression_loss(W, X, y, portable)], []
    for epoch in range(num_epochs):
        order = rng.permutation(n) if orders is None else orders[epoch]
        t0 = time.perf_counter()
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            W = W - lr32 * softmax_regression_grad(W, X[idx], y[idx], portable)  # plain SGD (chapter 4)
        seconds.append(time.perf_counter() - t0)
        losses.append(softmax_regression_loss(W, X, y, portable))
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


def mlp_updates_per_epoch(n_samples):
    """How many weight updates MLPClassifier (Adam) makes in one epoch on ``n_samples`` (chapter 9).

    Read from the Adam solver's step counter after one epoch on random data, ``batch_size='auto'``.
    """
    from sklearn.neural_network import MLPClassifier

    n_samples = _check.non_negative_int("n_samples", n_samples)
    X, y = _blobs(n_samples)
    clf = _quiet_fit(MLPClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0), X, y)
    return int(clf._optimizer.t)


def mlp_plateau(num_epochs=30, early_stopping=False):
    """When MLPClassifier acts on a plateau: the epochs it cut the rate at, and its last epoch (chapter 9).

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


@dataclass(frozen=True)
class SolverRun:
    """One :func:`mlp_solver_run` (chapter 9): how it stopped, what it cost, how well it does."""
    solver: str
    seed: int
    n_iter: int          #: ``n_iter_``: L-BFGS iterations, or epochs of Adam and SGD
    passes: int          #: loss-and-gradient evaluations on the whole training set (epochs for Adam, SGD)
    converged: bool      #: False when scikit-learn raised a ConvergenceWarning (``max_iter`` or ``max_fun`` reached)
    loss: float          #: the final training loss, with the L2 penalty (``loss_``)
    loss_curve: tuple    #: Adam and SGD: the training loss after each epoch; L-BFGS: ()
    train_right: int     #: training examples classified right
    val_right: int       #: validation examples classified right


def mlp_solver_run(X, y, X_val, y_val, solver, seed=0, max_iter=200):
    """MLPClassifier with ``solver``, ``random_state=seed``, ``max_iter`` and every other default (chapter 9).

    Fits on ``X, y`` and scores on ``X_val, y_val``. The ConvergenceWarning scikit-learn raises
    when ``max_iter`` stops a run is caught and returned as ``converged=False`` (other warnings
    pass). ``passes`` counts
    how often the training set is read whole: for L-BFGS its loss-and-gradient evaluations (one
    per iteration, more when its line search tries several step lengths), for Adam and SGD the
    epochs.
    """
    import warnings

    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    class _Counting(MLPClassifier):
        passes = 0

        def _loss_grad_lbfgs(self, *args, **kwargs):
            self.passes += 1
            return super()._loss_grad_lbfgs(*args, **kwargs)

    solver = _check.one_of("solver", solver, ("lbfgs", "adam", "sgd"))
    seed = _check.non_negative_int("seed", seed)
    max_iter = _check.positive_int("max_iter", max_iter)
    clf = _Counting(solver=solver, random_state=seed, max_iter=max_iter)
    # skip scikit-learn's checks of the arguments on every call (the same results, faster)
    with warnings.catch_warnings(record=True) as caught, \
            sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        warnings.simplefilter("always", category=ConvergenceWarning)
        clf.fit(X, y)
    for w in caught:  # pass on any other warning
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return SolverRun(solver, seed, int(clf.n_iter_), clf.passes if solver == "lbfgs" else int(clf.n_iter_),
                     converged, float(clf.loss_), tuple(getattr(clf, "loss_curve_", ())),
                     int(np.sum(clf.predict(X) == np.asarray(y))),
                     int(np.sum(clf.predict(X_val) == np.asarray(y_val))))
