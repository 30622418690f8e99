"""A tiny reverse-mode automatic differentiation on scalars (chapter 5: backpropagation).

Every arithmetic operation on a :class:`Value` makes a new node of a *computation graph* and
remembers, next to its result, the *local derivative* of that result with respect to each
input (for ``c = w * x``: ``dc/dw = x`` and ``dc/dx = w``). :meth:`Value.backward` then walks the
graph once, from the output back to the inputs, and multiplies local derivatives along the way
(the chain rule), so every node ends up with ``grad`` = the derivative of the output with
respect to that node. That walk is backpropagation.

The same idea as karpathy/micrograd, written for this course: plain Python floats (float64),
one class. :class:`ValueNetwork` is the course's dense network made of Values; :func:`numerical_grad`
and :func:`count_ops` set backprop against one slope per parameter (note 004's N + P against N x P).

The second half works on whole matrices, as real networks do: forward and reverse mode through
a dense network (:func:`jvp`, :func:`vjp`, :func:`input_jacobian`), the memory the backward pass
needs (:func:`memory_cost`), how gradient norms grow or shrink with depth
(:func:`gradient_norms_through_depth`), and gradient-norm clipping in float32 as Keras 3's
optimizers do it (:func:`global_norm`, :func:`clip_by_norm`, :func:`clip_by_global_norm`).
"""
from __future__ import annotations

import math
import numbers
import operator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce

import numpy as np

from ._check import one_of, positive_int, positive_number
from . import network
from .network import Network, glorot_network

__all__ = ["Value", "OpCount", "count_ops", "one_neuron", "ValueNetwork", "numerical_grad", "gradient_cost",
           "jvp", "vjp", "input_jacobian", "memory_cost", "gradient_norms_through_depth",
           "global_norm", "clip_by_norm", "clip_by_global_norm", "train_clipped"]


@dataclass
class OpCount:
    """Work counted by :func:`count_ops`: nodes computed, and chain-rule steps (chapter 5)."""

    forward: int = 0   # operation nodes computed (one per +, *, exp, ...)
    backward: int = 0  # chain-rule steps: one per edge from a node to one of its inputs


_COUNTERS: list[OpCount] = []


@contextmanager
def count_ops():
    """Count the operations and chain-rule steps done inside a ``with`` block (chapter 5)."""
    counter = OpCount()
    _COUNTERS.append(counter)
    try:
        yield counter
    finally:
        _COUNTERS.remove(counter)


def _real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


class Value:
    """A scalar node of a computation graph: ``data``, and after ``backward()`` its ``grad`` (chapter 5)."""

    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads")

    def __init__(self, data, label: str = ""):
        self.data = _real("data", data)
        self.grad = 0.0
        self.label = label
        self.op = ""           # the operation that made this node ('' for an input or a constant)
        self.parents = ()      # the nodes it was computed from
        self.local_grads = ()  # d(this node) / d(each parent), computed in the forward pass

    @classmethod
    def _node(cls, data: float, op: str, parents: tuple, local: tuple) -> "Value":
        """The result of an operation: a new node that remembers its inputs and local derivatives."""
        out = cls.__new__(cls)
        out.data, out.grad, out.label = data, 0.0, ""
        out.op, out.parents, out.local_grads = op, parents, local
        for counter in _COUNTERS:
            counter.forward += 1
        return out

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:g}, grad={self.grad:g})"

    # -- the operations: each computes its result and its local derivatives -------------------
    @staticmethod
    def _wrap(other) -> "Value":
        return other if isinstance(other, Value) else Value(_real("the other operand", other))

    def __add__(self, other):
        other = self._wrap(other)
        return Value._node(self.data + other.data, "+", (self, other), (1.0, 1.0))

    def __sub__(self, other):
        other = self._wrap(other)
        return Value._node(self.data - other.data, "-", (self, other), (1.0, -1.0))

    def __mul__(self, other):
        other = self._wrap(other)
        # d(xy)/dx = y and d(xy)/dy = x
        return Value._node(self.data * other.data, "*", (self, other),
                           (other.data, self.data))

    def __truediv__(self, other):
        other = self._wrap(other)
        if other.data == 0:
            raise ValueError(f"cannot divide {self.data!r} by a Value equal to 0")
        q = self.data / other.data
        return Value._node(q, "/", (self, other), (1.0 / other.data, -q / other.data))

    def __neg__(self):
        return Value._node(-self.data, "neg", (self,), (-1.0,))

    def __pow__(self, k):
        """``self ** k`` for a constant real exponent ``k``."""
        k = _real("the exponent", k)
        a = self.data
        if a == 0 and k < 0:
            raise ValueError(f"0 ** {k!r} is undefined: a negative power needs a nonzero base")
        if a < 0 and k != int(k):
            raise ValueError(f"({a!r}) ** {k!r} is not a real number: a negative base needs an "
                             f"integer exponent")
        return Value._node(a ** k, f"**{k:g}", (self,), (k * a ** (k - 1),))

    __radd__ = __add__

    def __rsub__(self, other):
        return self._wrap(other) - self

    __rmul__ = __mul__

    def __rtruediv__(self, other):
        return self._wrap(other) / self

    def exp(self):
        """e to the power of this value; its derivative is the result itself."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            e = math.inf  # a result that overflowed, not a crash
        return Value._node(e, "exp", (self,), (e,))

    def log(self):
        """The natural logarithm (the input must be positive)."""
        if self.data <= 0:
            raise ValueError(f"log needs a positive input, got {self.data!r}")
        return Value._node(math.log(self.data), "log", (self,), (1.0 / self.data,))

    def relu(self):
        """max(0, x); its derivative is 1 for x > 0 and 0 otherwise (as in TensorFlow)."""
        return Value._node(max(self.data, 0.0), "relu", (self,), (1.0 if self.data > 0 else 0.0,))

    def tanh(self):
        """The hyperbolic tangent; its derivative is 1 - tanh(x)**2."""
        t = math.tanh(self.data)
        return Value._node(t, "tanh", (self,), (1.0 - t * t,))

    # -- backpropagation -----------------------------------------------------------------------
    def nodes(self) -> list["Value"]:
        """Every node this value depends on, inputs first, each after all of its parents."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # depth-first, without recursion (graphs of big networks are deep)
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in reversed(node.parents) if id(p) not in seen)
        return order

    def backward(self) -> None:
        """Set ``grad`` of every node this value depends on to
        d(self)/d(node), in one backward pass."""
        order = self.nodes()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        steps = 0
        # a node is finished before any of its parents is reached
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local_grads):
                # the chain rule, one edge at a time
                parent.grad += local * node.grad
            steps += len(node.parents)
        for counter in _COUNTERS:
            counter.backward += steps


def one_neuron(x=-2.0, y=2.0, w=2.0, b=8.0) -> dict:
    """Note 004's graph for J = 1/2 (wx + b - y)^2, as named Values x, w, c, b, a, y, d, J (chapter 5).

    ``a = c + b`` is the prediction y_hat = wx + b, ``y`` the label, ``d = a - y`` the error.
    """
    x, y, w, b = (Value(v, name) for v, name in ((x, "x"), (y, "y"), (w, "w"), (b, "b")))
    c = w * x
    a = c + b
    d = a - y
    J = 0.5 * d ** 2
    for node, name in ((c, "c"), (a, "a"), (d, "d"), (J, "J")):
        node.label = name
    return {"x": x, "w": w, "c": c, "b": b, "a": a, "y": y, "d": d, "J": J}


class ValueNetwork:
    """A :class:`nnlib.network.Network` as a graph of Values: every weight and bias a Value (chapter 5).

    The dense network of the course, seen one scalar at a time: calling it on an example builds
    the computation graph of its outputs, so ``backward()`` on a cost gives every parameter's
    ``grad``. The weights are the network's float32 numbers; from there on it computes in float64.
    """

    ACTIVATIONS = ("tanh", "relu")

    def __init__(self, net: Network):
        if not isinstance(net, Network):
            raise ValueError(f"net must be an nnlib.network.Network, got {type(net).__name__}")
        self.sizes, self.activation = net.sizes, one_of("activation", net.activation, self.ACTIVATIONS)
        # one (W, b) per layer; W[j][i] connects input i to unit j
        self.layers = [([[Value(float(w)) for w in row] for row in W.T], [Value(float(v)) for v in b])
                       for W, b in zip(net.weights, net.biases)]

    def __call__(self, x) -> list[Value]:
        """The network's outputs for one example ``x`` (a list of numbers or Values)."""
        x = list(x)
        if len(x) != self.sizes[0]:
            raise ValueError(f"x must have {self.sizes[0]} entries, got {len(x)}")
        x = [v if isinstance(v, Value) else Value(_real("x", v), f"x{i + 1}") for i, v in enumerate(x)]
        for k, (W, b) in enumerate(self.layers):
            z = [reduce(operator.add, (w * xi for w, xi in zip(row, x))) + bias
                 for row, bias in zip(W, b)]
            last = k == len(self.layers) - 1
            x = z if last else [getattr(v, self.activation)() for v in z]
        return x

    def parameters(self) -> list[Value]:
        """Every weight and bias, layer by layer (weights row by row, then biases)."""
        return [v for W, b in self.layers for v in [w for row in W for w in row] + b]

    def arrays(self, what: str = "data") -> list:
        """Each layer's (kernel, bias) as float64 arrays in Keras's layout (kernel: inputs x units).

        ``what="grad"`` gives the gradients instead of the values.
        """
        one_of("what", what, ("data", "grad"))
        return [(np.array([[getattr(w, what) for w in row] for row in W]).T,
                 np.array([getattr(v, what) for v in b])) for W, b in self.layers]


def numerical_grad(f, params, eps: float = 1e-3) -> list[float]:
    """Slopes (f(p + eps) - f(p)) / eps, one parameter at a time: one extra forward pass each (chapter 5).

    ``f()`` must rebuild the output from the current ``data`` of ``params`` and return a Value.
    """
    eps = positive_number("eps", eps)
    base = f().data
    slopes = []
    for p in params:
        old = p.data
        p.data = old + eps
        try:
            slopes.append((f().data - base) / eps)
        finally:
            p.data = old
    return slopes


def gradient_cost(sizes) -> dict:
    """Count the work for all derivatives of one example's cost, by backprop and by slopes (chapter 5).

    The :class:`ValueNetwork` of ``glorot_network(sizes, "tanh", seed=0)`` gets one fixed example
    ``x`` with label ``y``; the cost is ``1/2 sum (y_hat - y)^2`` over the outputs ``y_hat``.
    Returns ``P`` (parameters), ``N`` (operation nodes of one forward pass), ``backward``
    (chain-rule steps of one backward pass), ``slopes`` (operations of :func:`numerical_grad`:
    one forward pass per parameter, plus the first) and ``max_diff`` (largest |slope - grad|).
    """
    net = ValueNetwork(glorot_network(sizes, "tanh", seed=0))
    params = net.parameters()
    x = [math.sin(1.0 + i) for i in range(net.sizes[0])]   # a fixed example: inputs and labels
    y = [math.cos(1.0 + k) for k in range(net.sizes[-1])]

    def cost():
        return 0.5 * reduce(operator.add, ((y_hat - yk) ** 2 for y_hat, yk in zip(net(x), y)))

    with count_ops() as by_backprop:
        cost().backward()
    with count_ops() as by_slopes:
        slopes = numerical_grad(cost, params)
    return {"sizes": tuple(net.sizes), "P": len(params), "N": by_backprop.forward,
            "backward": by_backprop.backward, "slopes": by_slopes.forward,
            "max_diff": max(abs(s - p.grad) for s, p in zip(slopes, params))}


# --- backpropagation on matrices (chapter 5, second half) -----------------------------------------
F32, F64 = np.float32, np.float64
_F64_ACTIVATIONS = {  # f(z) and f'(z) in float64, for the checks against TensorFlow in float64
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(F64)),
}


def _f64_network(net) -> tuple:
    if not isinstance(net, Network):
        raise ValueError(f"net must be an nnlib.network.Network, got {type(net).__name__}")
    if any(norm is not None for norm in net.norms):
        raise ValueError("net must have no normalization layers (chapter 12) for jvp, vjp and input_jacobian")
    f, df = _F64_ACTIVATIONS[one_of("net.activation", net.activation, tuple(_F64_ACTIVATIONS))]
    return [W.astype(F64) for W in net.weights], [b.astype(F64) for b in net.biases], f, df


def _inputs(net, X, name="X"):
    X = np.asarray(X, dtype=F64)
    if X.ndim != 2 or X.shape[1] != net.sizes[0] or not np.all(np.isfinite(X)):
        raise ValueError(f"{name} must be a finite array of shape (n, {net.sizes[0]}), got shape {X.shape}")
    return X


def jvp(net, X, V):
    """Forward mode, in float64: the outputs for inputs ``X`` and their tangents for input tangents ``V`` (chapter 5).

    Every pre-activation ``z`` travels with its tangent ``dz`` (a directional derivative): for
    ``z = a W + b`` the tangent is ``da W``, through ``a = f(z)`` it is ``f'(z) * dz``. One pass gives
    the derivative of every output along one input direction per row of ``V``.
    """
    Ws, bs, f, df = _f64_network(net)
    a, da = _inputs(net, X), _inputs(net, V, "V")
    if da.shape != a.shape:
        raise ValueError(f"V must have the shape of X {a.shape}, got {da.shape}")
    for k, (W, b) in enumerate(zip(Ws, bs)):
        z, dz = a @ W + b, da @ W
        if k == len(Ws) - 1:
            return z, dz
        a, da = f(z), df(z) * dz


def vjp(net, X, G):
    """Reverse mode, in float64: the gradient with respect to the inputs ``X`` of ``sum(G * outputs)`` (chapter 5).

    The forward pass stores every ``z``; the backward pass starts from ``delta = G`` (one row per
    example) and applies ``delta_prev = (delta W^T) * f'(z_prev)`` layer by layer. One pass gives the
    derivative of one output combination with respect to every input.
    """
    Ws, bs, f, df = _f64_network(net)
    a = _inputs(net, X)
    zs = []
    for k, (W, b) in enumerate(zip(Ws, bs)):
        zs.append(a @ W + b)
        a = zs[-1] if k == len(Ws) - 1 else f(zs[-1])
    delta = np.asarray(G, dtype=F64)
    if delta.shape != a.shape:
        raise ValueError(f"G must have the shape of the outputs {a.shape}, got {delta.shape}")
    for k in range(len(Ws) - 1, 0, -1):
        delta = (delta @ Ws[k].T) * df(zs[k - 1])
    return delta @ Ws[0].T


def input_jacobian(net, x, mode="reverse"):
    """The Jacobian d outputs / d inputs of ``net`` at one example ``x``, and the passes it took (chapter 5).

    ``mode="forward"``: one :func:`jvp` per input (a column each); ``"reverse"``: one :func:`vjp`
    per output (a row each). Returns ``(J, passes)`` with ``J`` of shape (outputs, inputs), float64.
    """
    one_of("mode", mode, ("forward", "reverse"))
    x = _inputs(net, np.reshape(np.asarray(x, dtype=F64), (1, -1)), "x")
    n_in, n_out = net.sizes[0], net.sizes[-1]
    if mode == "forward":
        cols = [jvp(net, x, np.eye(n_in)[i:i + 1])[1][0] for i in range(n_in)]
        return np.stack(cols, axis=1), n_in
    rows = [vjp(net, x, np.eye(n_out)[j:j + 1])[0] for j in range(n_out)]
    return np.stack(rows, axis=0), n_out


def memory_cost(sizes, batch_size, itemsize=4) -> dict:
    """Bytes of the parameters, and of what :class:`nnlib.network.Network` keeps for backward (chapter 5).

    For a batch of ``batch_size`` examples the forward pass stores, per hidden layer of width
    ``n``, the pre-activations ``z`` and the activations ``a`` (2 n numbers per example) and, for
    the output layer, its ``z`` (the outputs themselves). The input batch is counted apart
    (``inputs``): the caller holds it anyway. ``itemsize``: 4 for float32.
    """
    sizes = [positive_int("sizes", n) for n in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least two integers >= 1 (input, ..., output), got {sizes}")
    batch_size, itemsize = positive_int("batch_size", batch_size), positive_int("itemsize", itemsize)
    params = sum(m * n + n for m, n in zip(sizes[:-1], sizes[1:]))
    per_example = 2 * sum(sizes[1:-1]) + sizes[-1]
    return {"params": params * itemsize, "activations": per_example * batch_size * itemsize,
            "inputs": sizes[0] * batch_size * itemsize, "per_example": per_example * itemsize}


def gradient_norms_through_depth(depth, width=64, scale=1.0, activation="relu", batch_size=64, seed=0):
    """How the backward signal's size changes layer by layer in a deep dense stack, float64 (chapter 5).

    ``depth`` layers ``z_k = a_{k-1} W_k`` of ``width`` units (no biases), Glorot-uniform weights
    times ``scale``, inputs drawn from N(0, 1). A random ``delta`` at the top is sent back by
    ``delta_prev = (delta W^T) * f'(z_prev)``: a product of one Jacobian per layer. Returns
    ``norms[k]``, the root-mean-square over the batch of ``||delta_k|| / ||delta_depth||``,
    for k = 0 (the input) .. depth; ``norms[depth]`` is 1.
    """
    depth, width = positive_int("depth", depth), positive_int("width", width)
    batch_size = positive_int("batch_size", batch_size)
    scale = positive_number("scale", scale)
    f, df = _F64_ACTIVATIONS[one_of("activation", activation, tuple(_F64_ACTIVATIONS))]
    rng = np.random.default_rng(seed)
    limit = scale * math.sqrt(6.0 / (2 * width))
    Ws = [rng.uniform(-limit, limit, (width, width)) for _ in range(depth)]
    a, zs = rng.normal(size=(batch_size, width)), []
    for W in Ws:
        zs.append(a @ W)
        a = f(zs[-1])
    delta = rng.normal(size=(batch_size, width))
    top = np.linalg.norm(delta, axis=1)
    norms = [1.0]
    for k in range(depth - 1, -1, -1):
        delta = delta * df(zs[k]) @ Ws[k].T
        norms.append(float(np.sqrt(np.mean((np.linalg.norm(delta, axis=1) / top) ** 2))))
    return np.array(norms[::-1])


def _grad_arrays(grads):
    if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)) or not grads:
        raise ValueError(f"grads must be a non-empty list of arrays, got {type(grads).__name__}")
    try:
        return [np.asarray(g, dtype=F32) for g in grads]
    except (TypeError, ValueError):
        raise ValueError("grads must be a list of arrays of numbers") from None


def _sum_of_squares(arrays) -> F32:
    """sum(g**2) over every entry, rounded once to float32.

    The squares of float32 numbers are exact in float64, and numpy's pairwise float64 sum (a fixed
    order) is within about 1e-12 relative of the exact sum, far below float32's rounding step.
    """
    total = 0.0
    for g in arrays:
        total += float(np.add.reduce(np.square(g.astype(F64)).ravel()))
    with np.errstate(over="ignore"):
        return F32(total)


def global_norm(grads) -> F32:
    """The Euclidean norm of all entries of all arrays in ``grads``, float32 (chapter 5).

    As Keras 3's ``global_norm``: ``sqrt`` of the sum of squares. The sum is added in float64 and
    rounded once to float32, so it is the same on every CPU; Keras adds in float32, in the order
    of its kernels, so the two can differ in the last bits. NaN in, NaN out; a sum beyond
    float32's range gives inf, as in Keras.
    """
    return F32(np.sqrt(_sum_of_squares(_grad_arrays(grads))))


def clip_by_norm(g, clipnorm):
    """One gradient array rescaled to norm at most ``clipnorm``, float32 (chapter 5): Keras's ``clipnorm``.

    Keras 3's formula: ``g * clipnorm / max(||g||, clipnorm)``, in float32. Below the threshold
    it is bit for bit Keras's result; above it, within the few ulp by which the norms differ
    (see :func:`global_norm`). The optimizer applies it to each weight array on its own.
    """
    clipnorm = F32(positive_number("clipnorm", clipnorm))
    (g,) = _grad_arrays([g])
    norm = F32(np.sqrt(_sum_of_squares([g])))
    with np.errstate(over="ignore", invalid="ignore"):
        return (g * clipnorm) / np.maximum(norm, clipnorm)


def clip_by_global_norm(grads, clipnorm):
    """All gradient arrays rescaled together so their :func:`global_norm` is at most ``clipnorm`` (chapter 5).

    Keras 3's ``global_clipnorm``, in float32: ``scale = clipnorm * min(1 / norm, 1 / clipnorm)``,
    plus ``norm - norm`` (NaN when the norm is inf or NaN: such a step is not rescued), and every
    array times ``scale``. One factor for all arrays, so the direction of the step is kept.
    Below the threshold bit for bit Keras's result; above it within a few ulp.
    """
    c = positive_number("clipnorm", clipnorm)
    arrays = _grad_arrays(grads)
    norm = F32(np.sqrt(_sum_of_squares(arrays)))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # as Keras: 1 / clipnorm is a Python (float64) division, rounded to float32 afterwards
        scale = F32(c) * np.minimum(F32(1) / norm, F32(1.0 / c)) + (norm - norm)
        return [g * scale for g in arrays]


def train_clipped(X, y, net, lr, batch_size, num_epochs, clipnorm=None, seed=0, X_val=None, y_val=None) -> dict:
    """Mini-batch SGD (:func:`nnlib.network.train`) with every step's gradients clipped to global norm
    ``clipnorm`` (None: no clipping) (chapter 5).

    Records the global gradient norm of every update before clipping (``norms``), and the
    validation accuracy after every epoch (``val``, when ``X_val`` and ``y_val`` are given). A
    loss or norm that is not finite ends the run there: the divergence is the result
    (``diverged_at``: the update, counted from 1, or None).
    """
    if clipnorm is not None:
        clipnorm = positive_number("clipnorm", clipnorm)
    norms, val, diverged = [], [], []

    def on_batch(epoch, batch, grads):
        arrays = grads.dW + grads.db
        norm = float(global_norm(arrays))
        norms.append(norm)
        if not (math.isfinite(norm) and math.isfinite(float(grads.loss))):
            diverged.append(len(norms))
            return True
        if clipnorm is not None:
            for g, clipped in zip(arrays, clip_by_global_norm(arrays, clipnorm)):
                g[...] = clipped          # the trainer's update reads these arrays next
        return False

    def on_epoch(epoch, losses):
        if X_val is not None:
            val.append(net.accuracy(X_val, y_val))
        return False

    with np.errstate(over="ignore", invalid="ignore"):
        network.train(X, y, net, lr=lr, batch_size=batch_size, num_epochs=num_epochs, seed=seed,
                      on_batch=on_batch, on_epoch=on_epoch)
    return {"norms": np.array(norms), "val": np.array(val),
            "diverged_at": diverged[0] if diverged else None}
