"""Training a Keras model in practice: a readable training log and what to look at afterwards (chapter 12).

- :func:`epoch_log`: a Keras callback printing a compact table, one row per epoch (or every
  ``every`` epochs), and, in JupyterLab, a progress bar updated in place and restored at the end,
  so the stored output of a notebook holds only the table: no timings, nothing that changes.
- :func:`digit_network`: note 004's 25-15-10 network, with the options the capstone switches on.
- :func:`confusion_matrix`, :func:`misclassified`, :func:`format_table`, :func:`format_confusion`,
  :func:`steps_per_epoch`: numpy helpers to read the results.
- :func:`train_loop`: what ``model.fit`` does (shuffle, batch, gradient, optimizer step), written
  out as one traced function per epoch; chapter 13's :func:`capstone_run` trains its seven models
  with it, because ``fit`` spends most of a short run building its own machinery; :func:`scores`
  is what ``model.evaluate`` reports, from one forward pass.

TensorFlow and Keras are imported inside the functions that need them, after ``nnlib.tf_setup()``.
"""
from __future__ import annotations

import functools
import math
import numbers
import time

import numpy as np

from ._check import non_negative_int, non_negative_number, positive_int, positive_number

__all__ = ["steps_per_epoch", "format_table", "progress_bar", "epoch_log", "digit_network", "epoch_orders",
           "train_loop", "capstone_run", "scores", "confusion_matrix", "format_confusion", "misclassified"]


def steps_per_epoch(num_samples, batch_size=32) -> int:
    """Gradient steps in one epoch: ``ceil(num_samples / batch_size)``; Keras's default batch is 32 (chapter 12)."""
    return math.ceil(positive_int("num_samples", num_samples) / positive_int("batch_size", batch_size))


def _cell(value, width: int) -> str:
    if value is None:
        return " " * width
    if isinstance(value, numbers.Integral):
        return f"{value:>{width}d}"
    return f"{value:>{width}.4f}"


def format_table(rows, columns) -> list[str]:
    """Rows of dicts as a fixed-width text table: a header, then one line per row (chapter 12).

    The first column is ``"epoch"``. Integers print as they are, other numbers with four decimals,
    missing values as blanks (validation metrics on epochs without validation).
    """
    columns = ["epoch", *[c for c in columns if c != "epoch"]]
    widths = [max(len(c), 8 if i else 5) for i, c in enumerate(columns)]
    lines = ["  ".join(f"{c:>{w}}" for c, w in zip(columns, widths))]
    for row in rows:
        lines.append("  ".join(_cell(row.get(c), w) for c, w in zip(columns, widths)))
    return lines


def progress_bar(done: int, total: int, width: int = 30) -> str:
    """A text progress bar such as ``[#########.....] 12/40`` (chapter 12)."""
    done = non_negative_int("done", done)
    total = positive_int("total", total)
    if done > total:
        raise ValueError(f"done must be at most total = {total}, got {done!r}")
    filled = round(width * done / total)
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


@functools.cache
def _callback_class():
    """The callback class, made on first use so that importing nnlib does not import Keras."""
    import keras

    class EpochLog(keras.callbacks.Callback):
        """Prints one table row per ``every`` epochs; a live progress bar in a notebook (chapter 12)."""

        def __init__(self, columns, every, live):
            super().__init__()
            self.columns, self.every, self.live = columns, every, live
            self.rows: list[dict] = []
            self.seconds = 0.0
            self._handle = None

        # -- the live display: shown at the start, updated per epoch, restored at the end --
        def _summary(self) -> dict:
            epochs, steps = self.params.get("epochs"), self.params.get("steps")
            return {"text/plain": f"model.fit: {epochs} epochs of {steps} gradient steps each"}

        def _show(self, bundle, update=False):
            from IPython.display import display, update_display

            if update:
                update_display(bundle, raw=True, display_id=self._handle)
            else:
                self._handle = display(bundle, raw=True, display_id=True).display_id

        def on_train_begin(self, logs=None):
            self.rows = []
            self._start = time.perf_counter()
            if self.live:
                self._show(self._summary())

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            row = {"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}}
            self.rows.append(row)
            total = self.params.get("epochs") or epoch + 1
            columns = self._columns(row)
            first = len(self.rows) == 1
            if first or (epoch + 1) % self.every == 0 or epoch + 1 == total:
                header, line = format_table([row], columns)
                print(*([header] if first else []), line, sep="\n", flush=True)
            if self.live and self._handle is not None:
                metrics = "  ".join(f"{c} {row[c]:.4f}" for c in columns if c in row)
                html = (f"<progress value='{epoch + 1}' max='{total}' style='width:20em'></progress>"
                        f" <code>{epoch + 1}/{total}  {metrics}</code>")
                self._show({"text/plain": f"{progress_bar(epoch + 1, total)}  {metrics}", "text/html": html},
                           update=True)

        def on_train_end(self, logs=None):
            self.seconds = time.perf_counter() - self._start
            if self.live and self._handle is not None:
                self._show(self._summary(), update=True)

        def _columns(self, row) -> list[str]:
            return self.columns or [k for k in row if k not in ("epoch", "learning_rate")]

        def lines(self) -> list[str]:
            """The whole table, every epoch."""
            return format_table(self.rows, self._columns(self.rows[0]))

    return EpochLog


def epoch_log(columns=None, every=1):
    """A Keras callback: a per-epoch table on stdout and a live progress bar in notebooks (chapter 12).

    ``columns`` picks the logged metrics to print (default: all of them); ``every`` prints every
    n-th epoch (the first and the last always). The progress bar shows when running in a Jupyter
    kernel. After ``fit``, ``.rows`` holds every epoch's metrics, ``.lines()`` the full table and
    ``.seconds`` the wall time.
    """
    every = positive_int("every", every)
    if columns is not None:
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise ValueError(f"columns must be a list of metric names, got {columns!r}")
        columns = list(columns)
    from IPython import get_ipython

    return _callback_class()(columns, every, hasattr(get_ipython(), "kernel"))  # None outside IPython


def digit_network(num_inputs=784, init="glorot_uniform", batch_norm=False, l2=0.0):
    """Note 004's network (784-25-15-10, ReLU, linear output) as a Keras model, with options (chapter 12).

    ``init`` is the Keras initializer name for every kernel (``"he_normal"`` for He),
    ``batch_norm`` puts a ``BatchNormalization`` between each hidden ``Dense`` and its ReLU,
    ``l2`` adds ``keras.regularizers.L2(l2)`` (``l2 * sum(w**2)``) to every kernel.
    """
    import keras

    num_inputs = positive_int("num_inputs", num_inputs)
    l2 = non_negative_number("l2", l2)
    try:
        keras.initializers.get(init)
    except ValueError:
        raise ValueError(f"init must be a Keras initializer name such as 'he_normal', got {init!r}") from None
    reg = keras.regularizers.L2(l2) if l2 else None
    layers = [keras.Input(shape=(num_inputs,))]
    dense = {"kernel_initializer": init, "kernel_regularizer": reg}
    for i, units in enumerate((25, 15), 1):
        if batch_norm:
            layers += [keras.layers.Dense(units, use_bias=False, name=f"layer{i}", **dense),
                       keras.layers.BatchNormalization(name=f"bn{i}"),
                       keras.layers.Activation("relu", name=f"relu{i}")]
        else:
            layers.append(keras.layers.Dense(units, activation="relu", name=f"layer{i}", **dense))
    layers.append(keras.layers.Dense(10, activation="linear", name="layer3", **dense))
    return keras.Sequential(layers, name="digits")


def epoch_orders(num_samples, num_epochs, seed=0) -> list[np.ndarray]:
    """The order :func:`train_loop` visits the samples in, one permutation per epoch (chapter 12)."""
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
        raise ValueError(f"X must be (samples, features) and y (samples,), got {X.shape} and {y.shape}")
    return X, y


def train_loop(X, y, model, optimizer, *, batch_size=32, num_epochs=1, seed=0):
    """Minibatch training, ``model.fit`` written out: the loop of chapters 4 and 8 on a Keras model (chapter 12).

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


def capstone_run(X, y, init="glorot_uniform", batch_norm=False, l2=0.0, adam=False, sgd_lr=0.01,
                 lr_decay=None, ema=None, batch_size=32, num_epochs=5, seed=0):
    """One capstone model (chapter 13): build, train, return ``(model, optimizer, losses, seconds)``.

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
    """Mean cross-entropy and accuracy of a classifier with logit outputs on ``(X, y)`` (chapter 13).

    One forward pass in inference mode (batch normalization uses its moving statistics), then
    chapter 3's float32 :func:`nnlib.softmax.sparse_categorical_cross_entropy` and the share of
    ``argmax`` predictions equal to ``y``. That is what ``model.evaluate`` reports for a model
    compiled with ``SparseCategoricalCrossentropy(from_logits=True)`` and ``metrics=["accuracy"]``,
    with one difference: ``evaluate``'s loss also adds the layers' regularization losses (an L2
    penalty), which are not a property of the test data. Returns ``{"loss": ..., "accuracy": ...}``.
    """
    from .softmax import sparse_categorical_cross_entropy

    X, y = _model_and_data(model, X, y)
    logits = np.asarray(model(X, training=False), dtype=np.float32)
    loss = sparse_categorical_cross_entropy(y, logits, from_logits=True).mean(dtype=np.float32)
    return {"loss": float(loss), "accuracy": float(np.mean(logits.argmax(axis=1) == y))}


def _labels(name, y, num_classes=None) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (y.size and y.min() < 0):
        raise ValueError(f"{name} must be a 1-D array of class indices >= 0, got {y!r}")
    if num_classes is not None and y.size and y.max() >= num_classes:
        raise ValueError(f"{name} must be below num_classes = {num_classes}, got {int(y.max())}")
    return y


def confusion_matrix(y_true, y_pred, num_classes=10) -> np.ndarray:
    """Counts ``C[i, j]`` of images of class ``i`` predicted as ``j`` (chapter 12; as ``tf.math.confusion_matrix``)."""
    num_classes = positive_int("num_classes", num_classes)
    y_true = _labels("y_true", y_true, num_classes)
    y_pred = _labels("y_pred", y_pred, num_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {y_true.shape} and {y_pred.shape}")
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2).reshape(
        num_classes, num_classes)


def format_confusion(cm) -> list[str]:
    """A confusion matrix as text: rows are true digits, columns predicted ones, with totals (chapter 12)."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square matrix, got shape {cm.shape}")
    n = cm.shape[0]
    lines = ["true\\pred " + " ".join(f"{j:>4d}" for j in range(n)) + "   recall"]
    for i in range(n):
        total = cm[i].sum()
        recall = cm[i, i] / total if total else float("nan")
        lines.append(f"{i:>9d} " + " ".join(f"{v:>4d}" for v in cm[i]) + f"   {recall:.3f}")
    return lines


def misclassified(y_true, probs) -> np.ndarray:
    """Indices of wrong predictions, the most confidently wrong first (chapter 12)."""
    probs = np.asarray(probs)
    y_true = _labels("y_true", y_true, probs.shape[-1] if probs.ndim == 2 else None)
    if probs.ndim != 2 or len(probs) != len(y_true):
        raise ValueError(f"probs must be (images x classes) with one row per label, got {probs.shape}")
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != y_true)
    return wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")]
