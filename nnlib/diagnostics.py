"""Diagnosing a training run (chapter 15): the loss at initialization, learning curves of several
numpy networks trained side by side, with the validation loss after every epoch and the weights
of each network's best epoch kept (early stopping).

Numpy only, on :func:`nnlib.network.train_together` with ``portable.dot``: the same bits on
every CPU.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._check import non_negative_int, positive_int

__all__ = ["initial_losses", "Curves", "learning_curves"]


def _softmax_nets(nets) -> list:
    from . import network

    if not isinstance(nets, (list, tuple)) or not nets or not all(
            isinstance(n, network.Network) and n.loss == "softmax_ce" for n in nets):
        raise ValueError("nets must be a non-empty list of nnlib.network.Network with loss 'softmax_ce'")
    return list(nets)


def initial_losses(nets, X, y) -> np.ndarray:
    """The mean cross-entropy of each softmax network of ``nets`` on ``(X, y)``, to set against
    ``ln(classes)``, the loss of a uniform guess (chapter 15)."""
    from . import softmax

    out = []
    for net in _softmax_nets(nets):
        X_, y_ = net.check(X, y)
        with np.errstate(over="ignore", invalid="ignore"):
            out.append(softmax._cross_entropy_and_grad(net._forward(X_).acts[-1], y_)[0])
    return np.array(out)


class Curves(NamedTuple):
    """What :func:`learning_curves` recorded, one row per network, one column per epoch:
    ``train`` the mean of the epoch's batch losses, ``val`` the validation loss after the epoch,
    ``val_accuracy`` the validation accuracy after it; ``best`` the 1-based epoch with the lowest
    validation loss (the one whose weights the network keeps)."""

    train: np.ndarray
    val: np.ndarray
    val_accuracy: np.ndarray
    best: np.ndarray


def learning_curves(X, y, X_val, y_val, nets, lrs, batch_size=32, num_epochs=30, seeds=0) -> Curves:
    """Train ``nets`` side by side (:func:`nnlib.network.train_together`: mini-batch SGD, ``lrs``
    one rate per network, ``seeds`` the batch order) and score the validation set after every
    epoch; each network ends with the weights of its epoch of lowest validation loss, as Keras's
    ``EarlyStopping(restore_best_weights=True)`` (chapter 15). A diverged epoch (NaN loss) is
    never the best."""
    from . import network

    nets = _softmax_nets(nets)
    X_val, y_val = nets[0].check(X_val, y_val, "X_val", "y_val")
    num_epochs = positive_int("num_epochs", num_epochs)
    R = len(nets)
    train = np.full((R, num_epochs), np.nan)
    val = np.full((R, num_epochs), np.nan)
    acc = np.zeros((R, num_epochs))
    kept = [None] * R

    def score(i, epoch, losses):
        net = nets[i]
        train[i, epoch] = np.mean(losses)
        val[i, epoch] = initial_losses([net], X_val, y_val)[0]
        acc[i, epoch] = net.accuracy(X_val, y_val)
        if np.isfinite(val[i, epoch]) and (kept[i] is None or val[i, epoch] < np.nanmin(val[i, :epoch])):
            kept[i] = ([W.copy() for W in net.weights], [b.copy() for b in net.biases])

    if batch_size is not None:
        non_negative_int("batch_size", batch_size)
    network.train_together(X, y, nets, lrs, batch_size=batch_size, num_epochs=num_epochs, seeds=seeds,
                           on_epoch=score)
    for net, k in zip(nets, kept):
        if k is not None:
            for p, q in zip(net.weights + net.biases, k[0] + k[1]):
                p[...] = q
    with np.errstate(invalid="ignore"):
        best = np.array([int(np.nanargmin(v)) + 1 if np.isfinite(v).any() else 0 for v in val])
    return Curves(train, val, acc, best)
