"""Chapter 16 (capstone): note 004's network trained once per technique, with ``model.fit``'s loop
written out (:func:`train_loop`), ``model.evaluate``'s scores from one forward pass, and two
models compared on the same images by the images one gets right and the other wrong
(:func:`gained_lost`, :func:`clear_gain`).

TensorFlow and Keras are imported inside the functions that need them, after ``nnlib.tf_setup()``.
"""
from __future__ import annotations

import numbers
import time

import numpy as np

from ._check import non_negative_int, positive_int, positive_number
from .training import digit_network, steps_per_epoch

__all__ = ["epoch_orders", "train_loop", "run", "scores", "gained_lost", "clear_gain"]


def epoch_orders(num_samples, num_epochs, seed=0) -> list[np.ndarray]:
    """The order :func:`train_loop` visits the samples in, one permutation per epoch (chapter 16)."""
    num_samples = positive_int("num_samples", num_samples)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    return [rng.permutation(num_samples) for _ in range(non_negative_int("num_epochs", num_epochs))]


def _model_and_data(model, X, y):
    """``X`` as float32 and ``y`` as an array after checking them and that ``model`` is a Keras model."""
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if X.ndim < 2 or y.ndim != 1 or len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X and y must be (n, features) and (n,), got {X.shape} and {y.shape}")
    return X, y


def train_loop(X, y, model, optimizer, *, batch_size=32, num_epochs=1, seed=0):
    """Minibatch training, ``model.fit`` written out: the loop of chapters 4 and 8 on a Keras model (chapter 16).

    Every epoch visits the samples in a new random order (:func:`epoch_orders`), in batches of
    ``batch_size`` (the last one smaller when ``batch_size`` does not divide the data). For each batch:
    the mean ``SparseCategoricalCrossentropy(from_logits=True)`` over the batch plus the layers'
    regularization losses (``model.losses``), its gradient by ``tf.GradientTape``, and
    ``optimizer.apply``. All full batches of an epoch run inside one ``tf.function`` traced once, so
    a short run costs a fraction of ``fit``'s setup.
    With ``use_ema=True`` the optimizer's moving averages are copied into the weights at the end, as
    ``fit`` does. Returns the mean training loss of each epoch (a list of floats).
    """
    import keras
    import tensorflow as tf

    X, y = _model_and_data(model, X, y)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"optimizer must be a keras.optimizers.Optimizer, got {type(optimizer).__name__}")
    batch_size = positive_int("batch_size", batch_size)
    orders = epoch_orders(len(X), num_epochs, seed)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    weights = model.trainable_variables
    optimizer.build(weights)

    def step(xb, yb):
        with tf.GradientTape() as tape:
            value = loss_fn(yb, model(xb, training=True))
            if model.losses:
                value = value + tf.add_n(model.losses)
        optimizer.apply(tape.gradient(value, weights), weights)
        return value

    @tf.function
    def full_batches(xs, ys):
        total = tf.constant(0.0)
        for i in tf.range(tf.shape(xs)[0]):
            total += step(xs[i], ys[i])
        return total

    last_batch = tf.function(step)
    full = len(X) // batch_size
    losses = []
    for order in orders:
        head, tail = order[:full * batch_size], order[full * batch_size:]
        total = 0.0
        if full:
            total += float(full_batches(X[head].reshape(full, batch_size, *X.shape[1:]),
                                        y[head].reshape(full, batch_size)))
        if len(tail):
            total += float(last_batch(X[tail], y[tail]))
        losses.append(total / (full + bool(len(tail))))
    if getattr(optimizer, "use_ema", False) and orders:
        optimizer.finalize_variable_values(weights)
    return losses


def run(X, y, init="glorot_uniform", batch_norm=False, l2=0.0, adam=False, sgd_lr=0.01,
        lr_decay=None, ema=None, batch_size=32, num_epochs=5, seed=0):
    """One capstone model (chapter 16): build, train, return ``(model, optimizer, losses, seconds)``.

    The network is :func:`digit_network` with ``init``, ``batch_norm`` and ``l2``. The optimizer is
    SGD at ``sgd_lr``, or Adam at 1e-3 when ``adam``; ``lr_decay`` multiplies its learning rate by
    that factor per epoch (Keras ``ExponentialDecay`` with ``decay_steps`` = steps per epoch);
    ``ema`` keeps a moving average of the weights with that decay (Keras ``use_ema`` and
    ``ema_momentum``), copied into the weights at the end. ``seed`` fixes the starting weights
    (``keras.utils.set_random_seed``) and the batch order (:func:`train_loop`), so two runs differ
    only in the options. ``losses`` is the mean training loss of each epoch; ``seconds`` the
    training time, tracing included.
    """
    import keras

    for name, value in (("lr_decay", lr_decay), ("ema", ema)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                  or not 0 < value < 1):
            raise ValueError(f"{name} must be None or a number in (0, 1), got {value!r}")
    lr = 1e-3 if adam else positive_number("sgd_lr", sgd_lr)
    seed = non_negative_int("seed", seed)
    if np.ndim(X) != 2:
        raise ValueError(f"X must be (samples, features), got shape {np.shape(X)}")
    keras.utils.set_random_seed(seed)
    net = digit_network(num_inputs=np.shape(X)[1], init=init, batch_norm=batch_norm, l2=l2)
    if lr_decay is not None:
        lr = keras.optimizers.schedules.ExponentialDecay(
            lr, decay_steps=steps_per_epoch(len(X), batch_size), decay_rate=float(lr_decay))
    extra = {"use_ema": True, "ema_momentum": float(ema)} if ema is not None else {}
    opt = keras.optimizers.Adam(lr, **extra) if adam else keras.optimizers.SGD(lr, **extra)
    start = time.perf_counter()
    losses = train_loop(X, y, net, opt, batch_size=batch_size, num_epochs=num_epochs, seed=seed)
    return net, opt, losses, time.perf_counter() - start


def scores(model, X, y) -> dict:
    """Mean cross-entropy and accuracy of a classifier with logit outputs on ``(X, y)`` (chapter 16).

    One forward pass in inference mode (batch normalization uses its moving statistics), then
    chapter 3's float32 :func:`nnlib.softmax.sparse_categorical_cross_entropy` and the share of
    ``argmax`` predictions equal to ``y``. That is what ``model.evaluate`` reports for a model
    compiled with ``SparseCategoricalCrossentropy(from_logits=True)`` and ``metrics=["accuracy"]``,
    with one difference: ``evaluate``'s loss also adds the layers' regularization losses (an L2
    penalty), which are not a property of the test data. Returns ``{"loss": ..., "accuracy": ...,
    "right": ...}``, ``right`` a boolean array: which images the model classifies right.
    """
    from .softmax import sparse_categorical_cross_entropy

    X, y = _model_and_data(model, X, y)
    logits = np.asarray(model(X, training=False), dtype=np.float32)
    loss = sparse_categorical_cross_entropy(y, logits, from_logits=True).mean(dtype=np.float32)
    right = logits.argmax(axis=1) == y
    return {"loss": float(loss), "accuracy": float(np.mean(right)), "right": right}


def gained_lost(right_before, right_after) -> tuple[int, int]:
    """Images a second model gets right that a first got wrong, and the reverse (chapter 16).

    ``right_before`` and ``right_after`` are boolean arrays over the same images (``scores``'s
    ``"right"``). Images both get right, or both wrong, say nothing about which model is better;
    the difference in images right is ``gained - lost``. Returns ``(gained, lost)``.
    """
    before, after = (np.asarray(r) for r in (right_before, right_after))
    if before.dtype != bool or after.dtype != bool or before.ndim != 1 or before.shape != after.shape:
        raise ValueError(f"right_before and right_after must be boolean arrays of one length, got "
                         f"{before.dtype}{before.shape} and {after.dtype}{after.shape}")
    return int(np.sum(after & ~before)), int(np.sum(before & ~after))


def clear_gain(gained, lost, z=2.0) -> bool:
    """Whether ``gained - lost`` exceeds ``z`` standard deviations of chance, sqrt(gained + lost) (chapter 16).

    If the two models were equally good, each image only one of them gets right would be as likely
    to favour either: ``gained - lost`` is then a sum of ``gained + lost`` steps of +1 or -1, with
    mean 0 and standard deviation ``sqrt(gained + lost)`` (the sign test; McNemar's test in its
    normal approximation). With ``z = 2``, chance goes that far in about one comparison in 40.
    """
    gained, lost = non_negative_int("gained", gained), non_negative_int("lost", lost)
    return gained - lost > positive_number("z", z) * np.sqrt(gained + lost)
