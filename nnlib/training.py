"""Training a Keras model in practice: a readable training log and what to look at afterwards (chapter 12).

- :func:`epoch_log` returns a Keras callback that prints a compact table, one row per epoch (or
  every ``every`` epochs), and, in JupyterLab, a progress bar that moves once per epoch. The bar
  lives in one display that is updated in place and restored at the end, so the stored output of a
  notebook holds only the table: no timings, nothing that changes between runs.
- :func:`digit_network` builds note 004's 25-15-10 network, with the options the course's
  capstone switches on one at a time (He initialization, batch normalization, L2).
- :func:`confusion_matrix`, :func:`misclassified`, :func:`format_table`, :func:`format_confusion`:
  numpy helpers to read the results.
- :func:`steps_per_epoch`: how many gradient steps one epoch is.
- :func:`train_loop`: what ``model.fit`` does for one model (shuffle, batch, gradient, optimizer
  step), written out as one traced function per epoch; the capstone (chapter 13) trains its seven
  models with it, because ``fit`` spends most of a short run building its own machinery.
- :func:`capstone_run`: one model of the capstone (chapter 13): note 004's network with the chosen
  techniques switched on, trained by :func:`train_loop` from a fixed seed.
- :func:`scores`: test loss and accuracy from one forward pass, what ``model.evaluate`` reports
  without tracing an evaluation function per model (chapter 13).

TensorFlow and Keras are imported inside the functions that need them, after ``nnlib.tf_setup()``.
"""
from __future__ import annotations

import math
import numbers
import time

import numpy as np

from ._check import non_negative_int

__all__ = ["steps_per_epoch", "format_table", "epoch_log", "digit_network", "train_loop",
           "epoch_orders", "capstone_run", "scores", "confusion_matrix", "format_confusion", "misclassified", "progress_bar"]


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def steps_per_epoch(num_samples, batch_size=32) -> int:
    """Gradient steps in one epoch: ``ceil(num_samples / batch_size)``; Keras's default batch is 32 (chapter 12)."""
    return math.ceil(_positive_int("num_samples", num_samples) / _positive_int("batch_size", batch_size))


def _cell(value, width: int) -> str:
    if value is None:
        return " " * width
    if isinstance(value, numbers.Integral):
        return f"{value:>{width}d}"
    return f"{value:>{width}.4f}"


def format_table(rows, columns, first="epoch") -> list[str]:
    """Rows of dicts as a fixed-width text table: a header, then one line per row (chapter 12).

    Integers print as they are, other numbers with four decimals, missing values as blanks
    (validation metrics on epochs without validation); ``first`` is the key of the first column.
    """
    columns = [first, *[c for c in columns if c != first]]
    widths = [max(len(c), 8 if i else 5) for i, c in enumerate(columns)]
    lines = ["  ".join(f"{c:>{w}}" for c, w in zip(columns, widths))]
    for row in rows:
        lines.append("  ".join(_cell(row.get(c), w) for c, w in zip(columns, widths)))
    return lines


def progress_bar(done: int, total: int, width: int = 30) -> str:
    """A text progress bar such as ``[#########.....] 12/40`` (chapter 12)."""
    done = non_negative_int("done", done)
    total = _positive_int("total", total)
    if done > total:
        raise ValueError(f"done must be at most total = {total}, got {done!r}")
    filled = round(width * done / total)
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


def _in_a_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover (IPython ships with Jupyter)
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


_CALLBACK_CLASS = None


def _callback_class():
    """The callback class, made on first use so that importing nnlib does not import Keras."""
    global _CALLBACK_CLASS
    if _CALLBACK_CLASS is not None:
        return _CALLBACK_CLASS
    import keras

    class EpochLog(keras.callbacks.Callback):
        """Prints one table row per ``every`` epochs; a live progress bar in a notebook (chapter 12)."""

        def __init__(self, columns, every, live, quiet):
            super().__init__()
            self.columns = columns
            self.every = every
            self.live = live
            self.quiet = quiet
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
            self._printed_header = False
            if self.live:
                self._show(self._summary())

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            row = {"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}}
            self.rows.append(row)
            total = self.params.get("epochs") or epoch + 1
            columns = self.columns or [k for k in logs if k != "learning_rate"]
            if not self.quiet and ((epoch + 1) % self.every == 0 or epoch == 0 or epoch + 1 == total):
                header, line = format_table([row], columns)
                if not self._printed_header:
                    print(header)
                    self._printed_header = True
                print(line, flush=True)
            if self.live and self._handle is not None:
                text = progress_bar(epoch + 1, total) + "  " + "  ".join(
                    f"{c} {row[c]:.4f}" for c in columns if c in row)
                html = (f"<progress value='{epoch + 1}' max='{total}' style='width:20em'></progress>"
                        f" <code>{text.split('] ', 1)[1]}</code>")
                self._show({"text/plain": text, "text/html": html}, update=True)

        def on_train_end(self, logs=None):
            self.seconds = time.perf_counter() - self._start
            if self.live and self._handle is not None:
                self._show(self._summary(), update=True)

        def lines(self) -> list[str]:
            """The whole table, every epoch."""
            columns = self.columns or [k for k in self.rows[0] if k not in ("epoch", "learning_rate")]
            return format_table(self.rows, columns)

    _CALLBACK_CLASS = EpochLog
    return EpochLog


def epoch_log(columns=None, every=1, live=None, quiet=False):
    """A Keras callback: a per-epoch table on stdout and a live progress bar in notebooks (chapter 12).

    ``columns`` picks the logged metrics to print (default: all of them); ``every`` prints every
    n-th epoch (the first and the last always); ``live`` shows the progress bar (default: when
    running in a Jupyter kernel); ``quiet`` prints nothing. After ``fit``, ``.rows`` holds every
    epoch's metrics, ``.lines()`` the full table and ``.seconds`` the wall time.
    """
    every = _positive_int("every", every)
    if columns is not None:
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise ValueError(f"columns must be a list of metric names, got {columns!r}")
        columns = list(columns)
    if live is None:
        live = _in_a_kernel()
    return _callback_class()(columns, every, bool(live), bool(quiet))


def digit_network(num_inputs=784, hidden=(25, 15), num_classes=10, init="glorot_uniform",
                  batch_norm=False, l2=0.0, name="digits"):
    """Note 004's network (784-25-15-10, ReLU, linear output) as a Keras model, with options (chapter 12).

    ``init`` is the Keras initializer name for every kernel (``"he_normal"`` for He),
    ``batch_norm`` puts a ``BatchNormalization`` between each hidden ``Dense`` and its ReLU,
    ``l2`` adds ``keras.regularizers.L2(l2)`` (``l2 * sum(w**2)``) to every kernel.
    """
    import keras

    num_inputs = _positive_int("num_inputs", num_inputs)
    num_classes = _positive_int("num_classes", num_classes)
    hidden = [_positive_int("hidden units", h) for h in hidden]
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not 0 <= l2 < math.inf:
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    try:
        keras.initializers.get(init)
    except ValueError:
        raise ValueError(f"init must be a Keras initializer name such as 'he_normal', got {init!r}") from None
    reg = keras.regularizers.L2(float(l2)) if l2 else None
    layers = [keras.Input(shape=(num_inputs,))]
    for i, units in enumerate(hidden, 1):
        if batch_norm:
            layers += [keras.layers.Dense(units, kernel_initializer=init, kernel_regularizer=reg,
                                          use_bias=False, name=f"layer{i}"),
                       keras.layers.BatchNormalization(name=f"bn{i}"),
                       keras.layers.Activation("relu", name=f"relu{i}")]
        else:
            layers.append(keras.layers.Dense(units, activation="relu", kernel_initializer=init,
                                             kernel_regularizer=reg, name=f"layer{i}"))
    layers.append(keras.layers.Dense(num_classes, activation="linear", kernel_initializer=init,
                                     kernel_regularizer=reg, name=f"layer{len(hidden) + 1}"))
    return keras.Sequential(layers, name=name)


def epoch_orders(num_samples, epochs, seed=0) -> list[np.ndarray]:
    """The order :func:`train_loop` visits the samples in, one permutation per epoch (chapter 12)."""
    num_samples = _positive_int("num_samples", num_samples)
    epochs = non_negative_int("epochs", epochs)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    rng = np.random.default_rng(int(seed))
    return [rng.permutation(num_samples) for _ in range(epochs)]


def train_loop(model, optimizer, X, y, epochs, batch_size=32, loss=None, seed=0):
    """Minibatch training, ``model.fit`` written out: the loop of chapters 4 and 8 on a Keras model (chapter 12).

    Every epoch visits the samples in a new random order (:func:`epoch_orders`), in batches of
    ``batch_size`` (the last one smaller when ``batch_size`` does not divide the data). For each batch:
    the mean ``loss`` over the batch plus the layers' regularization losses (``model.losses``),
    its gradient by ``tf.GradientTape``, and ``optimizer.apply``. All full batches of an epoch run
    inside one ``tf.function`` traced once, so a short run costs a fraction of ``fit``'s setup.
    With ``use_ema=True`` the optimizer's moving averages are copied into the weights at the end, as
    ``fit`` does. ``loss`` defaults to ``SparseCategoricalCrossentropy(from_logits=True)``.
    Returns the mean training loss of each epoch (a list of floats).
    """
    import keras
    import tensorflow as tf

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"optimizer must be a keras.optimizers.Optimizer, got {type(optimizer).__name__}")
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if X.ndim < 2 or y.ndim != 1 or len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X must be (samples, features) and y (samples,), got {X.shape} and {y.shape}")
    batch_size = _positive_int("batch_size", batch_size)
    orders = epoch_orders(len(X), epochs, seed)
    loss_fn = loss if loss is not None else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
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


def capstone_run(X, y, epochs=5, init="glorot_uniform", batch_norm=False, adam=False, decay=None,
                 ema=None, l2=0.0, sgd_lr=0.01, seed=0, batch_size=32):
    """One capstone model (chapter 13): build, train, return ``(model, optimizer, losses, seconds)``.

    The network is :func:`digit_network` with ``init``, ``batch_norm`` and ``l2``. The optimizer is
    SGD at ``sgd_lr``, or Adam at 1e-3 when ``adam``; ``decay`` multiplies its learning rate by
    that factor per epoch (Keras ``ExponentialDecay`` with ``decay_steps`` = steps per epoch);
    ``ema`` keeps a moving average of the weights with that momentum (Keras ``use_ema``), copied into
    the weights at the end. ``seed`` fixes the starting weights (``keras.utils.set_random_seed``)
    and the batch order (:func:`train_loop`), so two runs differ only in the options. ``losses``
    is the mean training loss of each epoch; ``seconds`` the training time, tracing included.
    """
    import keras

    for name, value, lo, hi in (("decay", decay, 0.0, 1.0), ("ema", ema, 0.0, 1.0)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                  or not lo < value < hi):
            raise ValueError(f"{name} must be None or a number in ({lo:g}, {hi:g}), got {value!r}")
    if isinstance(sgd_lr, bool) or not isinstance(sgd_lr, numbers.Real) or not 0 < sgd_lr < math.inf:
        raise ValueError(f"sgd_lr must be a number > 0, got {sgd_lr!r}")
    seed = non_negative_int("seed", seed)
    if np.ndim(X) != 2:
        raise ValueError(f"X must be (samples, features), got shape {np.shape(X)}")
    keras.utils.set_random_seed(seed)
    net = digit_network(num_inputs=np.shape(X)[1], init=init, batch_norm=batch_norm, l2=l2)
    lr = 1e-3 if adam else float(sgd_lr)
    if decay is not None:
        lr = keras.optimizers.schedules.ExponentialDecay(
            lr, decay_steps=steps_per_epoch(len(X), batch_size), decay_rate=float(decay))
    extra = {"use_ema": True, "ema_momentum": float(ema)} if ema is not None else {}
    opt = keras.optimizers.Adam(lr, **extra) if adam else keras.optimizers.SGD(lr, **extra)
    start = time.perf_counter()
    losses = train_loop(net, opt, X, y, epochs=epochs, batch_size=batch_size, seed=seed)
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
    import keras

    from .softmax import sparse_categorical_cross_entropy

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if X.ndim < 2 or len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X must be (samples, features) and y (samples,), got {X.shape} and {y.shape}")
    logits = np.asarray(model(X, training=False), dtype=np.float32)
    y = _labels("y", y, logits.shape[-1])
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
    num_classes = _positive_int("num_classes", num_classes)
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
