"""Batch normalization in numpy: forward (training and inference) and backward (chapter 12).

For a mini-batch ``X`` of shape (batch, features), in training mode each feature is normalized
with the batch's own statistics and then scaled and shifted by learned ``gamma`` and ``beta``:

    mean = mean over the batch of X                     (1)
    var  = mean over the batch of (X - mean)^2          (2)
    X_hat = (X - mean) / sqrt(var + epsilon)            (3)
    Y = gamma * X_hat + beta                            (4)

and the moving averages used at inference move towards the batch statistics:
``moving = moving * momentum + batch_stat * (1 - momentum)``. In inference mode (1)-(2) are
replaced by the moving averages. Every operation runs in float32 and in the order Keras 3 /
``tf.nn.batch_normalization`` uses, so the results agree with ``keras.layers.BatchNormalization``
to the last bit or two. The defaults (``momentum=0.99``, ``epsilon=1e-3``) are Keras's.

:class:`LayerNorm` takes the same statistics over the features of each example instead
(``keras.layers.LayerNormalization``); :func:`norm_run` trains one small network with either,
or neither, for the chapter's batch-size and learning-rate comparisons.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import initialization, network, portable, softmax
from .neurons_activations import layer_shapes
from ._check import finite_array, non_negative_int, one_of, positive_int, positive_number, unit_interval

__all__ = ["moments", "normalize", "update_moving", "BatchNorm", "batch_norm_backward", "LayerNorm",
           "layer_norm_backward",
           "running_estimate", "RunningEstimate", "variance_bias", "VarianceBias", "Experiment", "NOTE_EXPERIMENT",
           "note_model", "train_side_by_side", "sigmoid_network", "train_sigmoid_network", "NORMS",
           "norm_network", "NormRun", "norm_run", "STARTS", "START_LABELS", "start_weights", "start_network",
           "StartRun", "start_run", "start_runs", "fold"]

F32 = np.float32


def _momentum(value) -> F32:
    return F32(unit_interval("momentum", value))


def _batch(name, X, finite=True) -> np.ndarray:
    if finite:
        X = finite_array(name, X)
    else:  # a layer inside a network: NaN and inf propagate, divergence is a result
        try:
            X = np.asarray(X, dtype=F32)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be an array of numbers, got {X!r}") from None
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array (batch, features) with at least one row, "
                         f"got shape {X.shape}")
    return X


def moments(X):
    """Per-feature batch mean and (biased) variance, equations (1)-(2), as tf.nn.moments (chapter 12)."""
    return _moments(_batch("X", X))


def _moments(X):
    mean = np.mean(X, axis=0, dtype=F32)
    var = np.mean(np.square(X - mean), axis=0, dtype=F32)
    return mean, var


def normalize(X, mean, var, gamma, beta, epsilon=1e-3):
    """Equations (3)-(4) in tf.nn.batch_normalization's order: X * s + (beta - mean * s) (chapter 12).

    ``s = gamma / sqrt(var + epsilon)``.
    """
    X = _batch("X", X)
    epsilon = F32(positive_number("epsilon", epsilon))
    mean, var, gamma, beta = (finite_array(n, v) for n, v in
                              (("mean", mean), ("var", var), ("gamma", gamma), ("beta", beta)))
    for name, v in (("mean", mean), ("var", var), ("gamma", gamma), ("beta", beta)):
        if v.shape != X.shape[1:]:
            raise ValueError(f"{name} must have shape {X.shape[1:]} (one value per feature), got {v.shape}")
    if np.any(var < 0):
        raise ValueError(f"var must be >= 0, got {var!r}")
    return _normalize(X, mean, var, gamma, beta, epsilon)


def _normalize(X, mean, var, gamma, beta, epsilon):
    inv = F32(1) / np.sqrt(var + epsilon)  # tf.math.rsqrt
    inv = inv * gamma
    return X * inv + (beta - mean * inv)


def update_moving(moving, value, momentum):
    """One moving-average step as Keras 3 writes it: moving * momentum + value * (1 - momentum) (chapter 12)."""
    momentum = _momentum(momentum)
    moving, value = finite_array("moving", moving), finite_array("value", value)
    return _update(moving, value, momentum)


def _update(moving, value, momentum):
    return moving * momentum + value * (F32(1) - momentum)


class BatchNorm:
    """A batch-normalization layer over the last axis of (batch, features) inputs (chapter 12).

    Holds ``gamma`` (ones), ``beta`` (zeros), ``moving_mean`` (zeros) and ``moving_variance``
    (ones), as Keras initializes them; :meth:`forward`, :meth:`backward` and the SGD :meth:`step`
    let it plug into a :class:`nnlib.network.Network` as a layer's normalization. Inside a
    network NaN and inf pass through, as in :func:`nnlib.network.train`: divergence is a result.
    """

    def __init__(self, num_features, momentum=0.99, epsilon=1e-3):
        n = positive_int("num_features", num_features)
        self.momentum = _momentum(momentum)
        self.epsilon = F32(positive_number("epsilon", epsilon))
        self.gamma = np.ones(n, F32)
        self.beta = np.zeros(n, F32)
        self.moving_mean = np.zeros(n, F32)
        self.moving_variance = np.ones(n, F32)
        self.dgamma = self.dbeta = None
        self._cache = None

    def forward(self, X, training: bool):
        """Normalize ``X``: batch statistics and a moving-average update if ``training``, else moving averages."""
        X = _batch("X", X, finite=False)
        if X.shape[1] != len(self.gamma):
            raise ValueError(f"X must have {len(self.gamma)} features (columns), got shape {X.shape}")
        if not isinstance(training, (bool, np.bool_)):
            raise ValueError(f"training must be True or False, got {training!r}")
        if training:
            mean, var = _moments(X)
            self.moving_mean = _update(self.moving_mean, mean, self.momentum)
            self.moving_variance = _update(self.moving_variance, var, self.momentum)
        else:
            mean, var = self.moving_mean, self.moving_variance
        Y = _normalize(X, mean, var, self.gamma, self.beta, self.epsilon)
        self._cache = (X, mean, var, bool(training))
        return Y

    def backward(self, dY):
        """Gradients of the last :meth:`forward` call: returns dL/dX; sets ``dgamma`` and ``dbeta``."""
        if self._cache is None:
            raise ValueError("backward needs a forward call first, got none")
        X, mean, var, training = self._cache
        if np.shape(dY) != X.shape:
            raise ValueError(f"dY must be shaped like the last forward input {X.shape}, got {np.shape(dY)}")
        dX, self.dgamma, self.dbeta = _bn_backward(np.asarray(dY, F32), X, mean, var, self.gamma,
                                                   self.epsilon, training)
        return dX

    def step(self, lr):
        """One plain-SGD update of ``gamma`` and ``beta`` from the last :meth:`backward`."""
        lr = np.float32(positive_number("lr", lr))
        self.gamma -= lr * self.dgamma
        self.beta -= lr * self.dbeta


def batch_norm_backward(dY, X, mean, var, gamma, epsilon=1e-3, training=True):
    """Gradients (dX, dgamma, dbeta) of batch normalization, given dL/dY (chapter 12).

    In training mode the batch mean and variance depend on X, which adds two terms to dX:

        dX = gamma / sqrt(var + eps) * (dY - mean(dY) - X_hat * mean(dY * X_hat)).

    In inference mode they are constants and dX = gamma / sqrt(var + eps) * dY.
    """
    dY, X = _batch("dY", dY), _batch("X", X)
    mean, var, gamma = finite_array("mean", mean), finite_array("var", var), finite_array("gamma", gamma)
    epsilon = F32(positive_number("epsilon", epsilon))
    return _bn_backward(dY, X, mean, var, gamma, epsilon, training)


def _bn_backward(dY, X, mean, var, gamma, epsilon, training):
    inv_std = F32(1) / np.sqrt(var + epsilon)
    x_hat = (X - mean) * inv_std
    dbeta = np.sum(dY, axis=0, dtype=F32)
    dgamma = np.sum(dY * x_hat, axis=0, dtype=F32)
    if training:
        n = F32(X.shape[0])
        dX = (gamma * inv_std) * (dY - dbeta / n - x_hat * (dgamma / n))
    else:
        dX = (gamma * inv_std) * dY
    return dX.astype(F32), dgamma, dbeta


# --- layer normalization: the same equations over the features of one example ---------------

class LayerNorm:
    """Layer normalization over the features of each example, as keras.layers.LayerNormalization (chapter 12).

    Equations (1)-(4) with the statistics taken over the features of one example instead of over
    the batch {cite}`ba2016`: every example is normalized on its own, so training and inference
    compute the same thing and there are no moving averages. ``gamma`` (ones) and ``beta``
    (zeros) are per feature, as in Keras; the forward pass runs in float32 in Keras 3's order,
    ``X * a + (beta - mean * a)`` with ``a = gamma / sqrt(var + epsilon)`` per example and feature.
    The same :meth:`forward` / :meth:`backward` / :meth:`step` as :class:`BatchNorm`, so it plugs
    into a :class:`nnlib.network.Network`; ``training`` is accepted and ignored.
    """

    def __init__(self, num_features, epsilon=1e-3):
        n = positive_int("num_features", num_features)
        self.epsilon = F32(positive_number("epsilon", epsilon))
        self.gamma = np.ones(n, F32)
        self.beta = np.zeros(n, F32)
        self.dgamma = self.dbeta = None
        self._cache = None

    def forward(self, X, training: bool = False):
        """Normalize each row of ``X`` with its own mean and variance over the features."""
        X = _batch("X", X, finite=False)
        if X.shape[1] != len(self.gamma):
            raise ValueError(f"X must have {len(self.gamma)} features (columns), got shape {X.shape}")
        if not isinstance(training, (bool, np.bool_)):
            raise ValueError(f"training must be True or False, got {training!r}")
        mean = np.mean(X, axis=1, dtype=F32, keepdims=True)
        var = np.mean(np.square(X - mean), axis=1, dtype=F32, keepdims=True)
        a = (F32(1) / np.sqrt(var + self.epsilon)) * self.gamma   # tf.math.rsqrt, then times gamma
        self._cache = (X, mean, var)
        return X * a + (self.beta - mean * a)

    def backward(self, dY):
        """Gradients of the last :meth:`forward` call: returns dL/dX; sets ``dgamma`` and ``dbeta``."""
        if self._cache is None:
            raise ValueError("backward needs a forward call first, got none")
        X, mean, var = self._cache
        if np.shape(dY) != X.shape:
            raise ValueError(f"dY must be shaped like the last forward input {X.shape}, got {np.shape(dY)}")
        dX, self.dgamma, self.dbeta = _ln_backward(np.asarray(dY, F32), X, mean, var, self.gamma,
                                                   self.epsilon)
        return dX

    def step(self, lr):
        """One plain-SGD update of ``gamma`` and ``beta`` from the last :meth:`backward`."""
        lr = np.float32(positive_number("lr", lr))
        self.gamma -= lr * self.dgamma
        self.beta -= lr * self.dbeta


def layer_norm_backward(dY, X, gamma, epsilon=1e-3):
    """Gradients (dX, dgamma, dbeta) of layer normalization, given dL/dY (chapter 12).

    Batch normalization's training-mode formula with the roles of the axes swapped: for each
    example, with h = gamma * dY and means over its n features,

        dX = (h - mean(h) - X_hat * mean(h * X_hat)) / sqrt(var + eps);

    dgamma and dbeta sum over the batch, as for batch normalization.
    """
    dY, X = _batch("dY", dY), _batch("X", X)
    if dY.shape != X.shape:
        raise ValueError(f"dY must be shaped like X {X.shape}, got {dY.shape}")
    gamma = finite_array("gamma", gamma)
    epsilon = F32(positive_number("epsilon", epsilon))
    mean = np.mean(X, axis=1, dtype=F32, keepdims=True)
    var = np.mean(np.square(X - mean), axis=1, dtype=F32, keepdims=True)
    return _ln_backward(dY, X, mean, var, gamma, epsilon)


def _ln_backward(dY, X, mean, var, gamma, epsilon):
    inv_std = F32(1) / np.sqrt(var + epsilon)
    x_hat = (X - mean) * inv_std
    h = dY * gamma
    dX = inv_std * (h - np.mean(h, axis=1, dtype=F32, keepdims=True)
                    - x_hat * np.mean(h * x_hat, axis=1, dtype=F32, keepdims=True))
    return (dX.astype(F32), np.sum(dY * x_hat, axis=0, dtype=F32),
            np.sum(dY, axis=0, dtype=F32))


# --- the running estimate: how momentum and batch size trade lag for noise ------------------

@dataclass(frozen=True)
class RunningEstimate:
    """A simulated moving mean/variance against the true statistics, step by step (chapter 12)."""

    true_mean: np.ndarray
    true_var: np.ndarray
    batch_mean: np.ndarray
    moving_mean: np.ndarray
    moving_var: np.ndarray


def running_estimate(momentum=0.99, batch_size=32, num_steps=600, shift_at=300, seed=0):
    """Track one feature's moving mean/variance over ``num_steps`` batches (chapter 12).

    The feature is normal with mean 1 and variance 4 (standard deviation 2); after step
    ``shift_at`` its mean moves to 3, as a layer's input does when the weights before it
    change. Starts from Keras's moving_mean = 0, moving_variance = 1.
    """
    batch_size, num_steps = positive_int("batch_size", batch_size), positive_int("num_steps", num_steps)
    shift_at = non_negative_int("shift_at", shift_at)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    true_mean = np.where(np.arange(num_steps) < shift_at, 1.0, 3.0).astype(F32)
    true_var = np.full(num_steps, 4.0, F32)
    X = (rng.standard_normal((num_steps, batch_size)) * 2.0).astype(F32) + true_mean[:, None]
    bmean = X.mean(axis=1, dtype=F32)
    bvar = np.square(X - bmean[:, None]).mean(axis=1, dtype=F32)
    momentum = _momentum(momentum)
    rest = F32(1) - momentum
    mm, mv, history = F32(0), F32(1), np.empty((num_steps, 2), F32)  # (moving_mean, moving_variance)
    for t, (b_m, b_v) in enumerate(zip(bmean, bvar)):  # update_moving, one float32 scalar at a time
        mm, mv = mm * momentum + b_m * rest, mv * momentum + b_v * rest
        history[t] = mm, mv
    return RunningEstimate(true_mean, true_var, bmean, history[:, 0], history[:, 1])


@dataclass(frozen=True)
class VarianceBias:
    """Where the moving variance settles for one batch size, and what inference then sees (chapter 12)."""

    batch_size: int
    settled: float        # mean moving_variance after the burn-in
    expected: float       # (m - 1) / m * 4, the mean of the biased batch variance
    inference_rms: float  # root mean square of the layer's inference output on fresh inputs


def variance_bias(batch_size, momentum=0.99, num_steps=3000, burn_in=1000, seed=0) -> VarianceBias:
    """Run :func:`running_estimate` without a shift and measure the moving variance's bias (chapter 12).

    The feature has mean 1 and variance 4; the batch variance divides by the batch size m, so its
    mean is (m - 1) / m * 4, and the moving variance settles there. ``inference_rms`` is the root
    mean square of the inference-mode output (x - moving_mean) / sqrt(moving_variance + eps) for a
    fresh input x, averaged over the steps after ``burn_in``: the mean square for one step's
    statistics is exactly (4 + (1 - moving_mean)^2) / (moving_variance + eps). In training mode
    every batch comes out with mean square just under 1.
    """
    batch_size = positive_int("batch_size", batch_size)
    if batch_size < 2:
        raise ValueError(f"batch_size must be >= 2 (a batch of one has variance 0), got {batch_size!r}")
    num_steps, burn_in = positive_int("num_steps", num_steps), non_negative_int("burn_in", burn_in)
    if burn_in >= num_steps:
        raise ValueError(f"burn_in must be < num_steps ({num_steps}), got {burn_in!r}")
    r = running_estimate(momentum, batch_size, num_steps, shift_at=num_steps, seed=seed)
    mm, mv = (a[burn_in:].astype(np.float64) for a in (r.moving_mean, r.moving_var))
    square = (4.0 + (1.0 - mm) ** 2) / (mv + 1e-3)
    return VarianceBias(batch_size, float(np.mean(mv)), (batch_size - 1) / batch_size * 4.0,
                        float(np.sqrt(np.mean(square))))


# --- note 001's experiment, as the chapter runs it ------------------------------------------

@dataclass(frozen=True)
class Experiment:
    """The settings of note 001's MNIST batch-norm script (chapter 12)."""

    n_inputs: int = 28 * 28
    n_hidden1: int = 300
    n_hidden2: int = 100
    n_outputs: int = 10
    momentum: float = 0.9
    lr: float = 0.01
    num_epochs: int = 20
    batch_size: int = 200


NOTE_EXPERIMENT = Experiment()


def note_model(bn=True, momentum=0.9, sizes=(784, 300, 100, 10), activation="elu", seed=0):
    """Note 001's network in Keras 3: He-normal Dense, BatchNormalization, then the activation (chapter 12).

    As in the note, the output layer's logits are batch-normalized too and every Dense keeps its
    bias. ``bn=False`` drops every BatchNormalization layer and keeps the rest. Built by
    :func:`nnlib.training.dense_network`; needs :func:`nnlib.tf_setup` first.
    """
    import keras

    from .training import dense_network

    keras.utils.set_random_seed(non_negative_int("seed", seed))
    momentum = unit_interval("momentum", momentum)  # as given: the layer's config shows 0.9, not float32's 0.8999...
    return dense_network(sizes, activation, "he_normal", batch_norm=momentum if bn else None,
                         norm_logits=True, bias_before_norm=True)


def train_side_by_side(models, lrs, X, y, X_val, y_val, batch_size, num_epochs, seed=0):
    """Train Keras models with plain SGD on the same batches; held-out accuracy per epoch (chapter 12).

    The models become branches of one Keras model with one summed loss, so TensorFlow traces a
    single training step. Branches share no weights, so each branch's gradient is that of its
    own loss; with plain SGD at rate 1, a loss weight ``lr`` is exactly a learning rate ``lr``.
    Returns an array (num_epochs, len(models)) of accuracies on ``(X_val, y_val)`` in inference
    mode: validation data in the chapter's main path, the test set in its reproduction of note
    001's script (which prints the test accuracy after every epoch).
    """
    import keras

    lrs = [positive_number("lr", lr) for lr in lrs]
    if len(lrs) != len(models):
        raise ValueError(f"lrs must give one learning rate per model ({len(models)}), got {len(lrs)}")
    inp = keras.Input(models[0].input_shape[1:])
    both = keras.Model(inp, [m(inp) for m in models])
    both.compile(keras.optimizers.SGD(learning_rate=1.0),
                 loss=[keras.losses.SparseCategoricalCrossentropy(from_logits=True)] * len(models),
                 loss_weights=lrs)
    acc = []

    class _TestAccuracy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            outs = both(X_val, training=False)
            acc.append([float(np.mean(np.argmax(np.asarray(o), axis=1) == y_val)) for o in outs])

    keras.utils.set_random_seed(non_negative_int("seed", seed))
    both.fit(X, [y] * len(models), batch_size=batch_size, epochs=num_epochs, verbose=0,
             callbacks=[_TestAccuracy()])
    return np.array(acc)


# --- a deep sigmoid network with optional batch norm (the deep-sigmoid experiment) ----------

def sigmoid_network(sizes, bn=True, momentum=0.9, seed=0) -> network.Network:
    """A :class:`nnlib.network.Network` of sigmoid hidden layers with optional batch norm (chapter 12).

    ``sizes`` lists the layer widths, inputs first. Dense (Glorot-uniform weights, zero biases)
    -> BatchNorm (if ``bn``) -> sigmoid for each hidden layer, then Dense -> BatchNorm (if ``bn``)
    for the logits, as in note 001's network; softmax cross-entropy loss; numpy's ``@``.
    """
    shapes = layer_shapes(sizes)
    norms = [BatchNorm(b[0], momentum=momentum) if bn else None for _, b in shapes]
    return network.glorot_network(sizes, "sigmoid", loss="softmax_ce", norms=norms, seed=seed)


def train_sigmoid_network(X, y, X_val, y_val, widths, bn=True, momentum=0.9, lr=0.01, batch_size=100,
                          num_epochs=5, seed=0):
    """Train a :func:`sigmoid_network` with plain SGD; validation accuracy after each epoch (chapter 12).

    :func:`nnlib.network.train` with mini-batches of ``batch_size`` (at least 2: batch statistics
    need two examples), shuffled by ``seed``; accuracy in inference mode (moving averages).
    """
    X, X_val = _batch("X", X), _batch("X_val", X_val)
    if non_negative_int("batch_size", batch_size) < 2:
        raise ValueError(f"batch_size must be >= 2 (batch statistics need two examples), got {batch_size!r}")
    num_classes = int(max(np.max(y), np.max(y_val))) + 1
    net = sigmoid_network([X.shape[1], *widths, num_classes], bn, momentum, seed)
    X_val, y_val = net.check(X_val, y_val, "X_val", "y_val")
    acc = []
    network.train(X, y, net, lr, batch_size, num_epochs, seed,
                  on_epoch=lambda epoch, losses: acc.append(net.accuracy(X_val, y_val)))
    return np.array(acc)


# --- batch norm against layer norm: batch size and learning rate (the last experiments) ------

NORMS = (None, "batch", "layer")


def norm_network(sizes, norm="batch", activation="relu", momentum=0.9, seed=0, dot=None) -> network.Network:
    """A dense :class:`nnlib.network.Network` with a normalization before each activation (chapter 12).

    ``norm`` is None (plain), ``"batch"`` (:class:`BatchNorm` with ``momentum``) or ``"layer"``
    (:class:`LayerNorm`); as in note 001's network the logits are normalized too. Glorot-uniform
    weights, zero biases, softmax cross-entropy loss; products by ``dot`` (None: numpy's ``@``).
    """
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    momentum = _momentum(momentum)
    norms = [None if norm is None else BatchNorm(b[0], momentum) if norm == "batch" else LayerNorm(b[0])
             for _, b in layer_shapes(sizes)]
    return network.glorot_network(sizes, activation, loss="softmax_ce", norms=norms, dot=dot, seed=seed)


@dataclass(frozen=True)
class NormRun:
    """One training run of :func:`norm_run`: where it ended and how large its gradients were (chapter 12)."""

    norm: str | None
    lr: float
    batch_size: int
    accuracy: float        # on the held-out data, in inference mode
    final_loss: float      # mean training loss of the last 10 batches (NaN if it overflowed)
    grad_norm: float       # median over the batches of the gradient norm of all weights
    diverged: bool         # final_loss not finite or above ln 10, the loss of a uniform guess


def norm_run(X, y, X_val, y_val, norm, lr, batch_size, widths=(50, 50), activation="relu", momentum=0.9,
             seed=0) -> NormRun:
    """Train a :func:`norm_network` for one epoch of plain SGD and summarize the run (chapter 12).

    One pass over ``(X, y)`` in shuffled batches of ``batch_size`` (``seed`` draws the weights and
    the order), then the accuracy on ``(X_val, y_val)`` in inference mode. A run that overflows is
    a result: its loss is NaN and it counts as diverged. The products use :func:`nnlib.portable.dot`,
    so a run gives the same bits on every CPU: runs at batch size 2 or near divergence amplify
    the last bit of a BLAS product into a different accuracy.
    """
    X, X_val = _batch("X", X), _batch("X_val", X_val)
    lr = positive_number("lr", lr)
    if non_negative_int("batch_size", batch_size) < 2:
        raise ValueError(f"batch_size must be >= 2 (batch statistics need two examples), got {batch_size!r}")
    num_classes = int(max(np.max(y), np.max(y_val))) + 1
    net = norm_network([X.shape[1], *widths, num_classes], norm, activation, momentum, seed, dot=portable.dot)
    X_val, y_val = net.check(X_val, y_val, "X_val", "y_val")
    losses, norms = [], []

    def on_batch(epoch, batch, grads):
        losses.append(float(grads.loss))
        norms.append(float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads.dW))))

    network.train(X, y, net, lr, batch_size, 1, seed, on_batch=on_batch)
    with np.errstate(invalid="ignore", over="ignore"):
        accuracy = net.accuracy(X_val, y_val)
        final = float(np.mean(losses[-10:]))
    diverged = not np.isfinite(final) or final > np.log(num_classes)
    return NormRun(norm, float(lr), int(batch_size), accuracy, final, float(np.median(norms)), bool(diverged))


# --- the starting weights: how much they matter with and without batch norm ------------------

#: The starts chapter 12 compares: plain normal weights far too small (stddev 0.01) and far too
#: large (stddev 1), and two schemes of chapter 10 scaled to the layer's fan (Glorot, He).
STARTS = ("small_normal", "large_normal", "glorot_uniform", "he_normal")
START_LABELS = {"small_normal": "N(0, 0.01^2)", "large_normal": "N(0, 1)",
                "glorot_uniform": "Glorot uniform", "he_normal": "He normal"}
_STDDEV = {"small_normal": 0.01, "large_normal": 1.0}


def start_weights(sizes, start="he_normal", seed=0) -> list[np.ndarray]:
    """Float32 kernels for every layer of widths ``sizes`` (inputs first) from one ``start`` (chapter 12).

    ``start`` is one of :data:`STARTS`: ``"small_normal"`` and ``"large_normal"`` draw N(0, 0.01^2)
    and N(0, 1) whatever the layer's size, the others are :mod:`nnlib.initialization`'s schemes.
    Layer k is drawn with seed ``1000 * seed + k``, as chapter 10's deep networks are.
    """
    one_of("start", start, STARTS)
    seed = non_negative_int("seed", seed)
    weights = []
    for k, shape in enumerate(w for w, _ in layer_shapes(sizes)):
        if start in _STDDEV:
            weights.append(initialization.random_normal(shape, _STDDEV[start], 1000 * seed + k))
        else:
            weights.append(initialization.initialize(start, shape, 1000 * seed + k))
    return weights


def start_network(sizes, start="he_normal", bn=True, activation="relu", momentum=0.9, seed=0) -> network.Network:
    """A dense :class:`nnlib.network.Network` whose every kernel comes from ``start`` (chapter 12).

    Zero biases; with ``bn`` a :class:`BatchNorm` (``momentum``) before each activation and on
    the logits, as in :func:`norm_network`; softmax cross-entropy; :func:`nnlib.portable.dot`
    products, so a run gives the same bits on every CPU.
    """
    if not isinstance(bn, (bool, np.bool_)):
        raise ValueError(f"bn must be True or False, got {bn!r}")
    momentum = _momentum(momentum)
    weights = start_weights(sizes, start, seed)
    norms = [BatchNorm(W.shape[1], momentum) if bn else None for W in weights]
    return network.Network(weights, [np.zeros(W.shape[1], F32) for W in weights], activation,
                           loss="softmax_ce", norms=norms, dot=portable.dot)


@dataclass(frozen=True)
class StartRun:
    """One training run of :func:`start_run` (chapter 12)."""

    start: str
    bn: bool
    seed: int
    batch_loss: np.ndarray   # the training loss of every batch, before its update (training mode)
    val_accuracy: float      # after training, in inference mode
    val_loss: float          # mean cross-entropy on the held-out data (NaN if the network overflowed)
    net: network.Network

    def __repr__(self) -> str:
        return (f"StartRun(start={self.start!r}, bn={self.bn}, seed={self.seed}, "
                f"val_accuracy={self.val_accuracy:.3f}, val_loss={self.val_loss:.3f})")


def start_run(X, y, X_val, y_val, start="he_normal", bn=True, lr=0.2, batch_size=32, num_epochs=2,
              widths=(32,) * 5, activation="relu", momentum=0.9, seed=0) -> StartRun:
    """Train a :func:`start_network` with plain SGD and record its start and its end (chapter 12).

    :func:`nnlib.network.train` in batches of ``batch_size`` (at least 2), shuffled by ``seed``,
    which also draws the weights. Records the loss of every batch, then the accuracy and the mean
    cross-entropy on ``(X_val, y_val)`` in inference mode. A run that overflows is a result: its
    losses are NaN or inf, and its accuracy is whatever its NaN outputs give (0.1 on ten classes).
    """
    X, X_val = _batch("X", X), _batch("X_val", X_val)
    if non_negative_int("batch_size", batch_size) < 2:
        raise ValueError(f"batch_size must be >= 2 (batch statistics need two examples), got {batch_size!r}")
    seed = non_negative_int("seed", seed)
    num_classes = int(max(np.max(y), np.max(y_val))) + 1
    net = start_network([X.shape[1], *widths, num_classes], start, bn, activation, momentum, seed)
    X_val, y_val = net.check(X_val, y_val, "X_val", "y_val")
    losses = []
    network.train(X, y, net, lr, batch_size, num_epochs, seed,
                  on_batch=lambda epoch, batch, grads: losses.append(float(grads.loss)))
    with np.errstate(over="ignore", invalid="ignore"):
        logits = net.predict(X_val)
        accuracy = float(np.mean(logits.argmax(axis=1) == y_val))
        val_loss = (float(np.mean(softmax.sparse_categorical_cross_entropy(y_val, logits), dtype=np.float64))
                    if np.all(np.isfinite(logits)) else float("nan"))
    return StartRun(start, bool(bn), seed, np.array(losses), accuracy, val_loss, net)


def start_runs(X, y, X_val, y_val, cases, lr=0.2, batch_size=32, num_epochs=2, widths=(32,) * 5,
               activation="relu", momentum=0.9) -> list[StartRun]:
    """:func:`start_run` for many ``(start, bn, seed)`` cases side by side: the same runs, bit for bit (chapter 12).

    Returns ``[start_run(..., start, bn, ..., seed=seed) for start, bn, seed in cases]``. The
    networks with batch norm are trained as one stack and those without as another: one
    ``np.einsum`` per product over the stack (:func:`nnlib.portable.dot` on each slice), the batch
    statistics of every network in one reduction, so Python's overhead is paid once per step for
    all of them. Every sum is still made in the order :func:`start_run` makes it
    (``tests/nnlib/test_batch_norm.py`` checks the bits, overflowing runs included).
    """
    X, X_val = _batch("X", X), _batch("X_val", X_val)
    if non_negative_int("batch_size", batch_size) < 2:
        raise ValueError(f"batch_size must be >= 2 (batch statistics need two examples), got {batch_size!r}")
    cases = list(cases)
    if not cases:
        raise ValueError("cases must list at least one (start, bn, seed)")
    lr = F32(positive_number("lr", lr))
    num_epochs = non_negative_int("num_epochs", num_epochs)
    momentum = _momentum(momentum)
    num_classes = int(max(np.max(y), np.max(y_val))) + 1
    sizes = [X.shape[1], *widths, num_classes]
    nets = []
    for case in cases:
        if not isinstance(case, tuple) or len(case) != 3:
            raise ValueError(f"cases must hold (start, bn, seed) triples, got {case!r}")
        start, bn, seed = case
        nets.append(start_network(sizes, start, bn, activation, momentum, seed))
    X, y = nets[0].check(X, y)
    X_val, y_val = nets[0].check(X_val, y_val, "X_val", "y_val")
    losses = [None] * len(cases)
    for bn in (False, True):
        group = [i for i, case in enumerate(cases) if bool(case[1]) == bn]
        if group:
            seeds = [non_negative_int("seed", cases[i][2]) for i in group]
            group_losses = _train_stack(X, y, [nets[i] for i in group], seeds, lr, batch_size, num_epochs, bn,
                                        momentum)
            for i, row in zip(group, group_losses):
                losses[i] = row
    runs = []
    for (start, bn, seed), net, row in zip(cases, nets, losses):
        with np.errstate(over="ignore", invalid="ignore"):
            logits = net.predict(X_val)
            accuracy = float(np.mean(logits.argmax(axis=1) == y_val))
            val_loss = (float(np.mean(softmax.sparse_categorical_cross_entropy(y_val, logits), dtype=np.float64))
                        if np.all(np.isfinite(logits)) else float("nan"))
        runs.append(StartRun(start, bool(bn), int(seed), row, accuracy, val_loss, net))
    return runs


def _train_stack(X, y, nets, seeds, lr, batch_size, num_epochs, bn, momentum) -> np.ndarray:
    """network.train on each of ``nets`` (one stack, all with or all without batch norm), as one loop.

    Writes the trained arrays back into each network (and its BatchNorm layers); returns the
    batch losses, one row per network.
    """
    R, L = len(nets), len(nets[0].weights)
    f, df = nets[0]._f, nets[0]._df
    Ws = [np.stack([net.weights[k] for net in nets]) for k in range(L)]
    bs = [np.stack([net.biases[k] for net in nets])[:, None, :] for k in range(L)]
    if bn:
        eps = nets[0].norms[0].epsilon
        gammas = [np.stack([net.norms[k].gamma for net in nets])[:, None, :] for k in range(L)]
        betas = [np.stack([net.norms[k].beta for net in nets])[:, None, :] for k in range(L)]
        mms = [np.stack([net.norms[k].moving_mean for net in nets])[:, None, :] for k in range(L)]
        mvs = [np.stack([net.norms[k].moving_variance for net in nets])[:, None, :] for k in range(L)]
    rngs = [np.random.default_rng(s) for s in seeds]
    rest = F32(1) - momentum
    losses = []
    # BLAS is not used (einsum); errstate as network.train: overflow is a result
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(num_epochs):
            orders = np.stack([rng.permutation(len(X)) for rng in rngs])
            for start in range(0, len(X), batch_size):
                idx = orders[:, start:start + batch_size]
                acts, zs, cache = [X[idx]], [], []
                for k in range(L):                        # Network._forward, training mode
                    z = network._mul(acts[-1], Ws[k])
                    z += bs[k]
                    if bn:                                # BatchNorm.forward(z, training=True)
                        mean = np.mean(z, axis=1, dtype=F32, keepdims=True)
                        var = np.mean(np.square(z - mean), axis=1, dtype=F32, keepdims=True)
                        mms[k] = mms[k] * momentum + mean * rest
                        mvs[k] = mvs[k] * momentum + var * rest
                        cache.append((z, mean, var))
                        inv = F32(1) / np.sqrt(var + eps)
                        inv = inv * gammas[k]
                        z = z * inv + (betas[k] - mean * inv)
                    zs.append(z)
                    acts.append(z if k == L - 1 else f(z))
                loss, g = network._stacked_loss_and_grad("softmax_ce", acts[-1], y[idx])
                losses.append(loss)
                dW, db, dgam, dbet = [None] * L, [None] * L, [None] * L, [None] * L
                for k in range(L - 1, -1, -1):            # Network.backward
                    if k < L - 1:
                        g = g * df(zs[k], acts[k + 1])
                    if bn:                                # BatchNorm.backward, training mode
                        zin, mean, var = cache[k]
                        inv_std = F32(1) / np.sqrt(var + eps)
                        x_hat = (zin - mean) * inv_std
                        dbet[k] = np.sum(g, axis=1, dtype=F32, keepdims=True)
                        dgam[k] = np.sum(g * x_hat, axis=1, dtype=F32, keepdims=True)
                        n = F32(zin.shape[1])
                        g = ((gammas[k] * inv_std) * (g - dbet[k] / n - x_hat * (dgam[k] / n))).astype(F32)
                    dW[k] = network._mul(np.swapaxes(acts[k], 1, 2), g)
                    db[k] = g.sum(axis=1, keepdims=True)
                    if k > 0:
                        g = network._mul(g, np.swapaxes(Ws[k], 1, 2))
                for p, gp in zip(Ws + bs, dW + db):       # the SGD update, then BatchNorm.step
                    p -= lr * gp
                if bn:
                    for k in range(L):
                        gammas[k] -= lr * dgam[k]
                        betas[k] -= lr * dbet[k]
    for r, net in enumerate(nets):
        net.weights = [W[r].copy() for W in Ws]
        net.biases = [b[r, 0].copy() for b in bs]
        if bn:
            for k, norm in enumerate(net.norms):
                norm.gamma, norm.beta = gammas[k][r, 0].copy(), betas[k][r, 0].copy()
                norm.moving_mean, norm.moving_variance = mms[k][r, 0].copy(), mvs[k][r, 0].copy()
    return np.array(losses, dtype=np.float64).T.copy() if losses else np.zeros((R, 0))


# --- folding: batch norm at inference is an affine map, so it merges into the Dense layer -----

def fold(net: network.Network) -> network.Network:
    """The inference-mode network with each :class:`BatchNorm` folded into the Dense layer before it (chapter 12).

    In inference mode a batch-norm layer computes ``z * a + (beta - moving_mean * a)`` with
    ``a = gamma / sqrt(moving_variance + epsilon)``, a fixed affine map of each feature; after
    ``z = x W + b`` that is ``x (W a) + ((b - moving_mean) * a + beta)``: a Dense layer with
    kernel ``W * a`` (column k times ``a_k``) and bias ``(b - moving_mean) * a + beta``. Returns a
    new network without normalization layers (same activation, loss and ``dot``); its outputs
    equal ``net.predict`` up to float32 rounding. Layer normalization has no such folding (its
    statistics come from each example), so a :class:`LayerNorm` is refused.
    """
    if not isinstance(net, network.Network):
        raise ValueError(f"net must be an nnlib.network.Network, got {type(net).__name__}")
    weights, biases = [], []
    for k, (W, b, norm) in enumerate(zip(net.weights, net.biases, net.norms)):
        if norm is None:
            weights.append(W.copy())
            biases.append(b.copy())
            continue
        if not isinstance(norm, BatchNorm):
            raise ValueError(f"net.norms[{k}] must be a BatchNorm or None to fold, got {type(norm).__name__}")
        a = (F32(1) / np.sqrt(norm.moving_variance + norm.epsilon)) * norm.gamma   # as _normalize
        weights.append((W * a).astype(F32))
        biases.append(((b - norm.moving_mean) * a + norm.beta).astype(F32))
    return network.Network(weights, biases, net.activation, net.alpha, net.loss, dot=net.dot)
