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
"""
from __future__ import annotations

import math
import numbers
import operator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce

import numpy as np

from ._check import one_of, positive_number
from .network import Network, glorot_network

__all__ = ["Value", "OpCount", "count_ops", "one_neuron", "ValueNetwork", "numerical_grad", "gradient_cost"]


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
