"""The course's one numpy dense network and its trainer (chapters 1, 5, 9 and 10 build on it).

A :class:`Network` is a stack of dense layers: ``z_k = a_{k-1} W_k + b_k``, then an optional
normalization (chapter 10's :class:`nnlib.batch_norm.BatchNorm`), then ``a_k = f(z_k)`` with ``f``
from the one activation table (:mod:`nnlib.neurons_activations`); the last layer stays linear.
The loss is ``"mse"`` or ``"softmax_ce"`` (:mod:`nnlib.softmax`). :func:`train` runs epochs of
mini-batches with hooks in which each chapter records what it teaches. Products use ``dot``:
numpy's ``@`` (BLAS, last bits CPU-dependent) or :func:`nnlib.portable.dot` (the same bits everywhere).
"""
from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits

from . import neurons_activations, softmax
from ._check import finite_array, non_negative_int, one_of, positive_number

__all__ = ["LOSSES", "Forward", "Gradients", "Network", "glorot_network", "train"]

F32 = np.float32
LOSSES = ("mse", "softmax_ce")


class Forward(NamedTuple):
    """A forward pass: ``zs`` per layer (before the activation), ``acts`` (the input, then each layer's output)."""

    zs: list
    acts: list


class Gradients(NamedTuple):
    """A batch's ``loss`` and its gradients ``dW``, ``db`` per layer, with the ``forward`` pass."""

    loss: float
    dW: list
    db: list
    forward: Forward


class Network:
    """A dense network: float32 ``weights`` and ``biases`` per layer, one hidden activation (chapters 1, 5, 9, 10).

    ``activation`` (with ``alpha`` for leaky_relu and elu) names an entry of the table of
    :mod:`nnlib.neurons_activations`; ``loss`` is one of :data:`LOSSES`; ``norms`` holds one
    normalization layer or None per layer (an object with ``forward(z, training)``,
    ``backward(dz)`` and ``step(lr)``); ``dot`` multiplies matrices (default numpy's ``@``).
    """

    def __init__(self, weights, biases, activation="relu", alpha=None, loss="mse", norms=None, dot=None):
        self.weights = [finite_array(f"weights[{k}]", W) for k, W in enumerate(weights)]
        self.biases = [finite_array(f"biases[{k}]", b) for k, b in enumerate(biases)]
        if not self.weights or len(self.weights) != len(self.biases):
            raise ValueError(f"need as many bias vectors as weight matrices (at least one), got "
                             f"{len(self.weights)} and {len(self.biases)}")
        for k, (W, b) in enumerate(zip(self.weights, self.biases)):
            fits = k == 0 or W.shape[0] == self.weights[k - 1].shape[1]
            if W.ndim != 2 or b.shape != W.shape[1:] or not fits:
                raise ValueError(f"weights[{k}] {W.shape} / biases[{k}] {b.shape} are not a dense layer "
                                 f"(W: inputs x units, b: units) that follows the layer before")
        self._f, self._df = neurons_activations.kernels(activation, alpha)
        self.activation, self.alpha = activation, alpha
        self.loss = one_of("loss", loss, LOSSES)
        self.norms = [None] * len(self.weights) if norms is None else list(norms)
        if len(self.norms) != len(self.weights):
            raise ValueError(f"norms must give one layer or None per dense layer ({len(self.weights)}), "
                             f"got {len(self.norms)}")
        self.dot = np.matmul if dot is None else dot

    @property
    def sizes(self) -> list[int]:
        """Layer widths, inputs first: ``[n_in, hidden..., n_out]``."""
        return [self.weights[0].shape[0]] + [W.shape[1] for W in self.weights]

    def copy(self) -> "Network":
        """An independent copy (training updates the arrays in place)."""
        return copy.deepcopy(self)

    def keras_weights(self) -> list[np.ndarray]:
        """The dense layers' arrays in Keras's order ``[W1, b1, W2, b2, ...]`` (for ``set_weights``)."""
        return [p for W, b in zip(self.weights, self.biases) for p in (W, b)]

    def check(self, X, y=None, x_name="X", y_name="y"):
        """``X`` (and ``(X, y)``) as arrays that fit this network and its loss, or a ValueError naming the argument."""
        X = finite_array(x_name, X)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"{x_name} must have shape (n, {self.sizes[0]}), got {X.shape}")
        if y is None:
            return X
        if self.loss == "mse":
            y = finite_array(y_name, y)
            if y.shape != (X.shape[0], self.sizes[-1]):
                raise ValueError(f"{y_name} must have shape {(X.shape[0], self.sizes[-1])} to match "
                                 f"{x_name}, got {y.shape}")
            return X, y
        y = np.asarray(y)
        if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer) or y.size == 0 \
                or y.min() < 0 or y.max() >= self.sizes[-1]:
            raise ValueError(f"{y_name} must hold {X.shape[0]} integer class labels in [0, "
                             f"{self.sizes[-1] - 1}] to match {x_name}, got shape {y.shape}, dtype {y.dtype}")
        return X, y

    def forward(self, X, training=False) -> Forward:
        """The forward pass for inputs ``X``; ``training`` is passed to the normalization layers."""
        return self._forward(self.check(X), training)

    def _forward(self, X, training=False) -> Forward:
        zs, acts, a = [], [X], X
        last = len(self.weights) - 1
        for k, (W, b, norm) in enumerate(zip(self.weights, self.biases, self.norms)):
            z = self.dot(a, W)
            z += b
            if norm is not None:
                z = norm.forward(z, training)
            a = z if k == last else self._f(z)
            zs.append(z)
            acts.append(a)
        return Forward(zs, acts)

    def predict(self, X) -> np.ndarray:
        """The network's outputs (predictions or logits) for inputs ``X``, in inference mode."""
        return self.forward(X).acts[-1]

    def accuracy(self, X, y) -> float:
        """Share of the rows of ``X`` whose largest output is at the label ``y``, in inference mode."""
        return float(np.mean(self.predict(X).argmax(axis=1) == np.asarray(y)))

    def _loss_and_grad(self, out, y):
        if self.loss == "softmax_ce":
            return softmax._cross_entropy_and_grad(out, y)
        err = out - y
        return np.mean(np.square(err), dtype=F32), F32(2) * err / F32(err.size)

    def backward(self, fwd: Forward, dout):
        """``(dW, db)``: the gradients of every layer, given d loss / d output ``dout``."""
        last = len(self.weights) - 1
        dW, db, g = [None] * (last + 1), [None] * (last + 1), dout
        for k in range(last, -1, -1):
            if k < last:
                g = g * self._df(fwd.zs[k], fwd.acts[k + 1])
            if self.norms[k] is not None:
                g = self.norms[k].backward(g)
            dW[k] = self.dot(fwd.acts[k].T, g)
            db[k] = g.sum(axis=0)
            if k > 0:
                g = self.dot(g, self.weights[k].T)
        return dW, db

    def gradients(self, X, y, training=True) -> Gradients:
        """Loss and gradients for the batch ``(X, y)``: a forward pass (training mode), then backward."""
        return self._gradients(*self.check(X, y), training)

    def _gradients(self, X, y, training=True) -> Gradients:
        fwd = self._forward(X, training)
        loss, dout = self._loss_and_grad(fwd.acts[-1], y)
        return Gradients(loss, *self.backward(fwd, dout), fwd)


def glorot_network(sizes, activation="relu", alpha=None, loss="mse", norms=None, dot=None, seed=0) -> Network:
    """A :class:`Network` with Keras's default start for Dense layers: Glorot-uniform weights, zero biases (chapters 5, 10).

    ``W_k ~ U(-r, r)`` with ``r = sqrt(6 / (n_in + n_out))``, drawn layer by layer from one
    ``numpy.random.default_rng(seed)``.
    """
    shapes = neurons_activations.layer_shapes(sizes)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    weights = [rng.uniform(-np.sqrt(6.0 / sum(w)), np.sqrt(6.0 / sum(w)), w).astype(F32) for w, _ in shapes]
    return Network(weights, [np.zeros(b, F32) for _, b in shapes], activation, alpha, loss, norms, dot)


def train(X, y, net: Network, lr=0.01, batch_size=None, num_epochs=1, seed=0, on_batch=None, on_epoch=None) -> int:
    """Plain mini-batch SGD on ``net``, in place; returns the number of epochs completed (chapters 1, 9, 10).

    Each epoch visits the training set once: shuffled (one ``numpy.random.default_rng(seed)``
    permutation per epoch) in batches of ``batch_size``, or, with ``batch_size=None``, as one full
    batch in the given order (full-batch gradient descent). For every batch, after the gradients
    and before the update, ``on_batch(epoch, batch, grads)`` is called with the
    :class:`Gradients`; after every epoch ``on_epoch(epoch, losses)`` with the epoch's batch
    losses. A hook that returns True stops training there. A run that overflows is a result, not
    an error: NaN and inf propagate without warnings.
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be an nnlib.network.Network, got {type(net).__name__}")
    X, y = net.check(X, y)
    lr = F32(positive_number("lr", lr))
    num_epochs = non_negative_int("num_epochs", num_epochs)
    if batch_size is not None and non_negative_int("batch_size", batch_size) < 1:
        raise ValueError(f"batch_size must be None (full batch) or an integer >= 1, got {batch_size!r}")
    rng = np.random.default_rng(non_negative_int("seed", seed))
    # BLAS on one thread: for small matrices on a busy machine, extra threads only wait (75x slower)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), threadpool_limits(1, "blas"):
        for epoch in range(num_epochs):
            if batch_size is None:
                batches = [(X, y)]
            else:
                order = rng.permutation(len(X))
                batches = ((X[idx], y[idx]) for idx in (order[s:s + batch_size]
                                                        for s in range(0, len(X), batch_size)))
            losses = []
            for batch, (xb, yb) in enumerate(batches):
                grads = net._gradients(xb, yb)
                if on_batch is not None and on_batch(epoch, batch, grads):
                    return epoch
                losses.append(grads.loss)
                for p, g in zip(net.weights + net.biases, grads.dW + grads.db):   # the SGD update, in place
                    p -= lr * g
                for norm in net.norms:
                    if norm is not None:
                        norm.step(lr)
            if on_epoch is not None and on_epoch(epoch, losses):
                return epoch + 1
    return num_epochs
