"""The course's one numpy dense network and its trainer (chapters 1, 5, 10 and 12 build on it).

A :class:`Network` is a stack of dense layers: ``z_k = a_{k-1} W_k + b_k``, then an optional
normalization (chapter 12's :class:`nnlib.batch_norm.BatchNorm`), then ``a_k = f(z_k)`` with ``f``
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

__all__ = ["LOSSES", "Forward", "Gradients", "Network", "glorot_network", "train", "Together",
           "train_together"]

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
    """A dense network: float32 ``weights`` and ``biases`` per layer, one hidden activation (chapters 1, 5, 10, 12).

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

    def __getstate__(self) -> dict:
        # the activation's kernels are closures: rebuilt from (activation, alpha), so a network
        # pickles (nnlib.parallel.fork_map sends trained networks back from its workers)
        return {k: v for k, v in self.__dict__.items() if k not in ("_f", "_df")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._f, self._df = neurons_activations.kernels(self.activation, self.alpha)

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
    """A :class:`Network` with Keras's default start for Dense layers: Glorot-uniform weights, zero biases (chapters 5, 12).

    ``W_k ~ U(-r, r)`` with ``r = sqrt(6 / (n_in + n_out))``, drawn layer by layer from one
    ``numpy.random.default_rng(seed)``.
    """
    shapes = neurons_activations.layer_shapes(sizes)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    weights = [rng.uniform(-np.sqrt(6.0 / sum(w)), np.sqrt(6.0 / sum(w)), w).astype(F32) for w, _ in shapes]
    return Network(weights, [np.zeros(b, F32) for _, b in shapes], activation, alpha, loss, norms, dot)


def train(X, y, net: Network, lr=0.01, batch_size=None, num_epochs=1, seed=0, on_batch=None, on_epoch=None) -> int:
    """Plain mini-batch SGD on ``net``, in place; returns the number of epochs completed (chapters 1, 10, 12).

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


# --- several networks trained side by side ------------------------------------------------------

class Together(NamedTuple):
    """What :func:`train_together` did (chapters 1, 2, 4, 6): ``losses[r, k]``, network r's batch loss
    before update k, and ``rates[r, k]``, the float32 rate of that update."""

    losses: np.ndarray
    rates: np.ndarray


def _together_nets(nets) -> list:
    from . import portable

    nets = list(nets) if isinstance(nets, (list, tuple)) else None
    if not nets or not all(isinstance(net, Network) for net in nets):
        raise ValueError("nets must be a non-empty list of nnlib.network.Network")
    first = nets[0]
    for i, net in enumerate(nets):
        if (net.sizes != first.sizes or net.loss != first.loss or net.dot is not portable.dot
                or any(norm is not None for norm in net.norms)):
            raise ValueError(f"nets[{i}] must have the sizes and loss of nets[0], dot=portable.dot "
                             f"and no normalization layers")
    return nets


def _rate_functions(lrs, num_nets, num_steps) -> list:
    """One function of the step per network, from a number, an array of rates or a function."""
    if callable(lrs) or isinstance(lrs, str) or not hasattr(lrs, "__len__") or len(lrs) != num_nets:
        raise ValueError(f"lrs must give one rate, array of rates or function of the step per "
                         f"network ({num_nets}), got {lrs!r:.60}")
    rate_at = []
    for i, lr in enumerate(lrs):
        if callable(lr):
            rate_at.append(lr)
        elif np.ndim(lr) == 0:
            rate = F32(finite_array(f"lrs[{i}]", lr, np.float64))
            if rate < 0:
                raise ValueError(f"lrs[{i}] must be >= 0, got {lr!r}")
            rate_at.append(lambda step, rate=rate: rate)
        else:
            rates = finite_array(f"lrs[{i}]", lr)
            if rates.ndim != 1 or len(rates) < num_steps or np.any(rates < 0):
                raise ValueError(f"lrs[{i}] must be a number, a function of the step or {num_steps} "
                                 f"rates >= 0 (one per update), got an array of shape {rates.shape}")
            rate_at.append(rates.astype(F32).__getitem__)
    return rate_at


def _rates_at(rate_at, step) -> np.ndarray:
    rate = np.array([at(step) for at in rate_at], dtype=F32)
    if not np.all(np.isfinite(rate) & (rate >= 0)):
        raise ValueError(f"the rates at step {step} must be finite numbers >= 0, got {rate!r}")
    return rate


def train_together(X, y, nets, lrs, batch_size=None, num_epochs=1, seeds=0, on_epoch=None) -> Together:
    """Several :func:`train` runs side by side, each network ending with the bits it gets alone (chapters 1, 2, 4, 6).

    ``nets``: networks of one shape and loss (``dot=portable.dot``, no normalization layers),
    each with its own activation, trained in place. ``lrs``: per network a
    rate, an array of rates (one per update) or a function of the global step (the number of
    updates made so far). ``batch_size=None`` is full-batch gradient descent in the given order,
    one update per epoch, as ``train(batch_size=None)``; a number gives mini-batches shuffled by
    ``numpy.random.default_rng(seed)``, one permutation per epoch, as :func:`train`, with
    ``seeds`` one seed per network (or one for all). With a constant rate each network ends where
    :func:`train` takes it alone, bit for bit, with the same batch losses; with a changing rate
    where the same loop takes it with that rate at each update. After every epoch
    ``on_epoch(i, epoch, losses)`` is called for each network ``i`` with its batch losses; it may
    change what ``lrs[i]`` returns next (reduce-on-plateau does); its return value is ignored.

    Only the work is arranged differently, with every sum still made in the same order. Each
    product is one ``np.einsum`` over a stack of networks (``portable.dot`` on each slice), and
    with full batches the first layers, which all read the same ``X``, are one
    :func:`nnlib.portable.dot` with the weight matrices side by side. A small network's
    mini-batch update costs mostly Python's overhead, paid here once for all of them.
    """
    nets = _together_nets(nets)
    X, y = nets[0].check(X, y)
    num_epochs = non_negative_int("num_epochs", num_epochs)
    if batch_size is not None and non_negative_int("batch_size", batch_size) < 1:
        raise ValueError(f"batch_size must be None (full batch) or an integer >= 1, got {batch_size!r}")
    per_epoch = 1 if batch_size is None else -(-len(X) // batch_size)
    rate_at = _rate_functions(lrs, len(nets), per_epoch * num_epochs)
    seeds = list(seeds) if hasattr(seeds, "__len__") else [seeds] * len(nets)
    if len(seeds) != len(nets):
        raise ValueError(f"seeds must be one seed or one per network ({len(nets)}), got {len(seeds)}")
    rngs = [np.random.default_rng(non_negative_int(f"seeds[{i}]", s)) for i, s in enumerate(seeds)]
    run = _full_batch_together if batch_size is None else _minibatch_together
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), threadpool_limits(1, "blas"):
        return run(X, y, nets, rate_at, batch_size, num_epochs, rngs, on_epoch)


def _activation_groups(nets) -> list:
    """``(slice, f, df)`` per run of neighbouring networks with the same activation: one kernel call each."""
    groups, start = [], 0
    for k in range(1, len(nets) + 1):
        if k == len(nets) or (nets[k].activation, nets[k].alpha) != (nets[start].activation,
                                                                      nets[start].alpha):
            groups.append((slice(start, k), nets[start]._f, nets[start]._df))
            start = k
    return groups


def _each(groups, which, *arrays):
    """Activation ``f`` (``which=1``) or its derivative ``df`` (2) on stacks, per group of networks."""
    if len(groups) == 1:
        return groups[0][which](*arrays)
    out = np.empty_like(arrays[0])
    for group in groups:
        out[group[0]] = group[which](*(np.ascontiguousarray(a[group[0]]) for a in arrays))
    return out


def _mul(A, B):
    """``portable.dot`` on each slice of two stacks, in its order of additions."""
    A, B = np.ascontiguousarray(A), np.ascontiguousarray(B)
    if B.shape[2] == 1:                        # one column: numpy's pairwise sum, as portable.dot
        return np.add.reduce(A * B[:, None, :, 0], axis=2, keepdims=True)
    return np.einsum("rik,rkj->rij", A, B, optimize=False)


def _long_way_mul(A, B):
    """``_mul(A, B)``, the same bits, as a C-contiguous stack: computed as ``(B^T A^T)^T`` when each
    ``A`` has more rows than each ``B`` has columns (more than one), where that is faster (the loop
    over the long side runs innermost). Each entry is the same sum in the same order."""
    if A.shape[1] > B.shape[2] > 1:
        return np.ascontiguousarray(np.swapaxes(_mul(np.swapaxes(B, 1, 2), np.swapaxes(A, 1, 2)), 1, 2))
    return _mul(A, B)


def _stacked_loss_and_grad(loss, out, y):
    """Each network's batch loss and d loss / d output, as Network._loss_and_grad on each slice of
    the stack ``out`` (networks, rows, outputs); ``y`` holds one batch per network or one for all."""
    if loss == "mse":
        err = out - y
        return (np.mean(np.square(err).reshape(len(err), -1), axis=1, dtype=F32),
                F32(2) * err / F32(err[0].size))
    run, rows = np.arange(len(out))[:, None], np.arange(out.shape[1])[None, :]
    labels = y if y.ndim == 2 else y[None, :]
    logp = softmax._log_softmax(out)           # as softmax._cross_entropy_and_grad
    g = softmax.exp(logp)
    g[run, rows, labels] -= F32(1)
    return -np.mean(logp[run, rows, labels], axis=1), (g / F32(out.shape[1])).astype(F32)


def _stacks(nets, first=0):
    """The weights and biases of layers ``first`` on, stacked over the networks (float32, one
    ``None`` per layer before); the networks' arrays of those layers become views of the stacks,
    so they see every update."""
    L = len(nets[0].weights)
    Ws = [None] * first + [np.stack([net.weights[k] for net in nets]).astype(F32) for k in range(first, L)]
    bs = [None] * first + [np.stack([net.biases[k] for net in nets]).astype(F32)[:, None, :]
                           for k in range(first, L)]
    for r, net in enumerate(nets):
        net.weights = net.weights[:first] + [W[r] for W in Ws[first:]]
        net.biases = net.biases[:first] + [b[r, 0] for b in bs[first:]]
    return Ws, bs


def _full_batch_together(X, y, nets, rate_at, _batch_size, num_epochs, _rngs, on_epoch) -> Together:
    from . import portable

    R, width, last = len(nets), nets[0].sizes[1], len(nets[0].weights) - 1
    groups = _activation_groups(nets)
    col_groups = [(slice(sl.start * width, sl.stop * width), f, df) for sl, f, df in groups]
    W1 = np.concatenate([net.weights[0] for net in nets], axis=1)
    b1 = np.concatenate([net.biases[0] for net in nets])
    Ws, bs = _stacks(nets, 1)
    cols = [slice(r * width, (r + 1) * width) for r in range(R)]   # network r's first layer
    XT = np.ascontiguousarray(X.T)
    n = len(X)

    def stacked(a):                                 # (n, R * width) -> (R, n, width), contiguous
        return np.ascontiguousarray(a.reshape(n, R, -1).transpose(1, 0, 2))

    def first_layer(which, *arrays):                # an activation on the side-by-side columns
        if len(col_groups) == 1:
            return col_groups[0][which](*arrays)
        out = np.empty_like(arrays[0])
        for group in col_groups:
            out[:, group[0]] = group[which](*(np.ascontiguousarray(a[:, group[0]]) for a in arrays))
        return out

    losses = np.empty((R, num_epochs), F32)
    rates = np.empty((R, num_epochs), F32)
    for step in range(num_epochs):
        rates[:, step] = rate = _rates_at(rate_at, step)
        z1 = portable.dot(X, W1)                    # every network's first layer at once
        z1 += b1
        a1 = z1 if last == 0 else first_layer(1, z1)
        zs, acts = [None], [None, stacked(a1)]
        for k in range(1, last + 1):                # the rest: one product per layer for all
            z = _long_way_mul(acts[-1], Ws[k])
            z += bs[k]
            zs.append(z)
            acts.append(z if k == last else _each(groups, 1, z))
        losses[:, step], g = _stacked_loss_and_grad(nets[0].loss, acts[-1], y)
        for k in range(last, 0, -1):                # as Network.backward, then the update
            if k < last:
                g = g * _each(groups, 2, zs[k], acts[k + 1])
            dW, db = _long_way_mul(np.swapaxes(acts[k], 1, 2), g), g.sum(axis=1, keepdims=True)
            g = _long_way_mul(g, np.swapaxes(Ws[k], 1, 2))
            Ws[k] -= rate[:, None, None] * dW
            bs[k] -= rate[:, None, None] * db
        g1 = g.transpose(1, 0, 2).reshape(n, R * width)
        if last > 0:
            g1 = g1 * first_layer(2, z1, a1)
        lr1 = np.repeat(rate, width)
        W1 -= lr1 * portable.dot(XT, g1)
        b1 -= lr1 * g1.sum(axis=0)
        if on_epoch is not None:                    # the hook sees every network as it is
            for r, net in enumerate(nets):
                net.weights[0][...] = W1[:, cols[r]]
                net.biases[0][...] = b1[cols[r]]
                on_epoch(r, step, [float(losses[r, step])])
    for r, net in enumerate(nets):
        net.weights[0][...] = W1[:, cols[r]]
        net.biases[0][...] = b1[cols[r]]
    return Together(losses, rates)


def _minibatch_together(X, y, nets, rate_at, batch_size, num_epochs, rngs, on_epoch) -> Together:
    R, L = len(nets), len(nets[0].weights)
    per_epoch = -(-len(X) // batch_size)
    Ws, bs = _stacks(nets)
    groups = _activation_groups(nets)
    losses = np.zeros((R, per_epoch * num_epochs), dtype=F32)
    rates = np.zeros((R, per_epoch * num_epochs), dtype=F32)
    step = 0
    for epoch in range(num_epochs):
        orders = np.stack([rng.permutation(len(X)) for rng in rngs])
        for start in range(0, len(X), batch_size):
            idx = orders[:, start:start + batch_size]
            acts, zs = [X[idx]], []
            for k in range(L):                     # forward, as Network._forward
                z = _mul(acts[-1], Ws[k])
                z += bs[k]
                zs.append(z)
                acts.append(z if k == L - 1 else _each(groups, 1, z))
            losses[:, step], g = _stacked_loss_and_grad(nets[0].loss, acts[-1], y[idx])
            dW, db = [None] * L, [None] * L
            for k in range(L - 1, -1, -1):         # backward, as Network.backward
                if k < L - 1:
                    g = g * _each(groups, 2, zs[k], acts[k + 1])
                dW[k] = _mul(np.swapaxes(acts[k], 1, 2), g)
                db[k] = g.sum(axis=1, keepdims=True)
                if k > 0:
                    g = _mul(g, np.swapaxes(Ws[k], 1, 2))
            rates[:, step] = rate = _rates_at(rate_at, step)
            for p, gp in zip(Ws + bs, dW + db):
                p -= rate[:, None, None] * gp
            step += 1
        if on_epoch is not None:
            for r in range(R):
                on_epoch(r, epoch, losses[r, step - per_epoch:step].tolist())
    return Together(losses, rates)
