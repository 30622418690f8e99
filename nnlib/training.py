"""Training a Keras model in practice (chapter 14): a readable training log, note 004's network and
the Keras models of chapters 12-16, and numpy helpers to read the results. Chapter 16's training
loop and runs build on these in :mod:`nnlib.capstone`.

TensorFlow and Keras are imported inside the functions that need them, after ``nnlib.tf_setup()``.
"""
from __future__ import annotations

import functools
import math
import numbers
import time

import numpy as np

from ._check import non_negative_int, non_negative_number, positive_int

__all__ = ["steps_per_epoch", "early_stopping_epochs", "format_table", "progress_bar", "epoch_log",
           "dense_network", "digit_network", "restart", "confusion_matrix", "format_confusion",
           "misclassified"]


def steps_per_epoch(num_samples, batch_size=32) -> int:
    """Gradient steps in one epoch: ``ceil(num_samples / batch_size)``; Keras's default batch is 32 (chapter 14)."""
    return math.ceil(positive_int("num_samples", num_samples) / positive_int("batch_size", batch_size))


def early_stopping_epochs(values, patience) -> tuple[int, int]:
    """Epochs ``fit`` runs, and the best epoch (from 1), when Keras's ``EarlyStopping(patience=...)``
    watches a loss that takes ``values`` after epochs 1, 2, ... (chapter 14).

    Keras's rule with its defaults (``mode="min"``, ``min_delta=0``): an epoch improves when its
    value is below the best so far; the run stops after ``patience`` epochs in a row without an
    improvement, or when ``values`` runs out.
    """
    values = [float(v) for v in values]
    patience = non_negative_int("patience", patience)
    if not values or not all(math.isfinite(v) for v in values):
        raise ValueError(f"values must be a non-empty list of finite numbers, got {values!r}")
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, value in enumerate(values):
        wait += 1
        if value < best:
            best, best_epoch, wait = value, epoch, 0
        elif wait >= patience and epoch > 0:
            return epoch + 1, best_epoch + 1
    return len(values), best_epoch + 1


def _cell(value, width: int) -> str:
    if value is None:
        return " " * width
    if isinstance(value, numbers.Integral):
        return f"{value:>{width}d}"
    return f"{value:>{width}.4f}"


def format_table(rows, columns) -> list[str]:
    """Rows of dicts as a fixed-width text table: a header, then one line per row (chapter 14).

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
    """A text progress bar such as ``[#########.....] 12/40`` (chapter 14)."""
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
        """Prints one table row per ``every`` epochs; a live progress bar in a notebook (chapter 14)."""

        def __init__(self, columns, every, live):
            super().__init__()
            self.columns, self.every, self.live = columns, every, live
            self.rows: list[dict] = []
            self.seconds = 0.0
            self._handle = None

        def _summary(self) -> dict:
            epochs, steps = self.params.get("epochs"), self.params.get("steps")
            return {"text/plain": f"model.fit: {epochs} epochs of {steps} gradient steps each"}

        def on_train_begin(self, logs=None):
            self.rows = []
            self._start = time.perf_counter()
            if self.live:
                from IPython.display import display

                self._handle = display(self._summary(), raw=True, display_id=True)

        def on_epoch_end(self, epoch, logs=None):
            row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}}
            self.rows.append(row)
            total = self.params.get("epochs") or epoch + 1
            columns = self._columns(row)
            first = len(self.rows) == 1
            if first or (epoch + 1) % self.every == 0 or epoch + 1 == total:
                header, line = format_table([row], columns)
                print(*([header] if first else []), line, sep="\n", flush=True)
            if self._handle is not None:
                metrics = "  ".join(f"{c} {row[c]:.4f}" for c in columns if c in row)
                html = (f"<progress value='{epoch + 1}' max='{total}' style='width:20em'></progress>"
                        f" <code>{epoch + 1}/{total}  {metrics}</code>")
                self._handle.update({"text/plain": f"{progress_bar(epoch + 1, total)}  {metrics}",
                                     "text/html": html}, raw=True)

        def on_train_end(self, logs=None):
            self.seconds = time.perf_counter() - self._start
            if self._handle is not None:
                self._handle.update(self._summary(), raw=True)

        def _columns(self, row) -> list[str]:
            return self.columns or [k for k in row if k not in ("epoch", "learning_rate")]

        def lines(self) -> list[str]:
            """The whole table, every epoch."""
            return format_table(self.rows, self._columns(self.rows[0]))

    return EpochLog


def epoch_log(columns=None, every=1):
    """A Keras callback: a per-epoch table on stdout and a live progress bar in notebooks (chapter 14).

    ``columns`` picks the logged metrics to print (default: all of them); ``every`` prints every
    n-th epoch (the first and the last always). The progress bar shows when running in a Jupyter
    kernel, updated in place and replaced by a one-line summary at the end, so a notebook's stored
    output holds only the table: no timings, nothing that changes from run to run. After ``fit``,
    ``.rows`` holds every epoch's metrics, ``.lines()`` the full table and ``.seconds`` the wall time.
    """
    every = positive_int("every", every)
    if columns is not None:
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise ValueError(f"columns must be a list of metric names, got {columns!r}")
        columns = list(columns)
    from IPython import get_ipython

    return _callback_class()(columns, every, hasattr(get_ipython(), "kernel"))  # None outside IPython


def dense_network(sizes, activation="relu", init="glorot_uniform", regularizer=None, batch_norm=None,
                  norm_logits=False, bias_before_norm=False):
    """A Keras model: ``Dense`` layers of widths ``sizes`` (inputs first), linear logits (chapters 12-15).

    Every ``Dense`` has the Keras initializer ``init`` and ``regularizer`` on its kernel. Unless
    ``batch_norm`` is None, a ``BatchNormalization`` with that momentum sits between each hidden
    ``Dense`` and its ``activation``, and after the logits too if ``norm_logits``; a ``Dense`` it
    follows has no bias (the norm's beta shifts instead) unless ``bias_before_norm``.
    """
    import keras

    layers = [keras.Input((sizes[0],))]
    for k, units in enumerate(sizes[1:], 1):
        hidden = k < len(sizes) - 1
        norm = batch_norm is not None and (hidden or norm_logits)
        layers.append(keras.layers.Dense(units, activation=activation if hidden and not norm else None,
                                         use_bias=bias_before_norm or not norm, kernel_initializer=init,
                                         kernel_regularizer=regularizer))
        if norm:
            layers.append(keras.layers.BatchNormalization(momentum=batch_norm))
        if norm and hidden:
            layers.append(keras.layers.Activation(activation))
    return keras.Sequential(layers)


def digit_network(num_inputs=784, init="glorot_uniform", batch_norm=False, l2=0.0):
    """Note 004's network (784-25-15-10, ReLU, linear output) as a Keras model, with options (chapter 14).

    ``init`` is the Keras initializer name for every kernel (``"he_normal"`` for He),
    ``batch_norm`` puts a ``BatchNormalization`` between each hidden ``Dense`` (then without bias)
    and its ReLU, ``l2`` adds ``keras.regularizers.L2(l2)`` (``l2 * sum(w**2)``) to every kernel.
    """
    import keras

    l2 = non_negative_number("l2", l2)
    try:
        keras.initializers.get(init)  # (this draws a seed: the layers' weights depend on it being here)
    except ValueError:
        raise ValueError(f"init must be a Keras initializer name such as 'he_normal', got {init!r}") from None
    return dense_network([positive_int("num_inputs", num_inputs), 25, 15, 10], init=init,
                         regularizer=keras.regularizers.L2(l2) if l2 else None,
                         batch_norm=0.99 if batch_norm else None)


def restart(model, seed):
    """Give a compiled Keras ``model`` the weights a fresh copy built under ``seed`` gets, and zero
    its optimizer's state (step count and moments, not the learning rate): the next ``fit`` is a
    new run that reuses the already traced training step (chapter 14).

    Building and compiling a new model costs a new trace (seconds for a small network); this
    does not. Returns ``model``.
    """
    import keras

    if not isinstance(model, keras.Model) or getattr(model, "optimizer", None) is None:
        raise ValueError(f"model must be a compiled keras.Model, got {type(model).__name__}")
    keras.utils.set_random_seed(non_negative_int("seed", seed))
    model.set_weights(keras.models.clone_model(model).get_weights())
    for v in model.optimizer.variables:
        if not v.path.endswith("learning_rate"):
            v.assign(np.zeros(v.shape, v.dtype))
    return model


def _labels(name, y, num_classes=None) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (y.size and y.min() < 0):
        raise ValueError(f"{name} must be a 1-D array of class indices >= 0, got {y!r}")
    if num_classes is not None and y.size and y.max() >= num_classes:
        raise ValueError(f"{name} must be below num_classes = {num_classes}, got {int(y.max())}")
    return y


def confusion_matrix(y_true, y_pred, num_classes=10) -> np.ndarray:
    """Counts ``C[i, j]`` of images of class ``i`` predicted as ``j`` (chapter 14; as ``tf.math.confusion_matrix``)."""
    num_classes = positive_int("num_classes", num_classes)
    y_true = _labels("y_true", y_true, num_classes)
    y_pred = _labels("y_pred", y_pred, num_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {y_true.shape} and {y_pred.shape}")
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2).reshape(
        num_classes, num_classes)


def format_confusion(cm) -> list[str]:
    """A confusion matrix as text: rows are true digits, columns predicted ones, with totals (chapter 14)."""
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
    """Indices of wrong predictions, the most confidently wrong first (chapter 14)."""
    probs = np.asarray(probs)
    y_true = _labels("y_true", y_true, probs.shape[-1] if probs.ndim == 2 else None)
    if probs.ndim != 2 or len(probs) != len(y_true):
        raise ValueError(f"probs must be (images x classes) with one row per label, got {probs.shape}")
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != y_true)
    return wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")]
