"""What each explorer computes, in nnlib (numpy) and in TensorFlow eager on the same work.

The TensorFlow side of chapters 4, 6, 7 and 8 is the reference run of :mod:`nnlib.reference`
that those chapters show and the tests assert on.

Each case returns ``(nnlib_fn, tf_fn, check)``: two zero-argument callables doing the same
computation and a function of their results giving the largest absolute difference (so the
table shows the two sides agree before it compares their speed).
"""
from __future__ import annotations

import numpy as np


def _diff(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"the two sides returned {a.size} and {b.size} numbers")
    return float(np.max(np.abs(a - b)))


def gd(tf):
    """Chapter 4: 20 gradient-descent updates on (w + 1)^2 (lr 0.2, w0 5)."""
    from nnlib import learning_rate, reference

    return (lambda: learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, 0.2, 20).w,
            lambda: reference.keras_sgd(5.0, 0.2, 20).w, _diff)


def decayed_gd(tf):
    """Chapter 6: 40 updates with an exponentially decayed rate (0.1, 0.99, every step, staircase)."""
    from nnlib import learning_rate, lr_decay, reference

    return (lambda: lr_decay.decayed_gd_trace(learning_rate.quadratic_grad, 5.0, 0.1, 1, 0.99, 40,
                                               staircase=True).w,
            lambda: reference.keras_sgd(5.0, 0.1, 40, decay_steps=1, decay_rate=0.99, staircase=True).w,
            _diff)


def ema(tf):
    """Chapter 7: the shadow of a 300-step noisy path, decay 0.99 with num_updates warm-up."""
    from nnlib import ema as nn_ema, reference

    _, path = nn_ema.demo_path(300, 1.0)
    return (lambda: nn_ema.ema_path(path, 0.99, warmup=True),
            lambda: reference.tf_ema_path(path, 0.99, num_updates=np.arange(len(path))), _diff)


def optimizer(tf):
    """Chapter 8: 100 Adam steps on the ravine (x^2 + 50 y^2)/2 from the explorer's start (Keras eager)."""
    from nnlib import optimizers as opt, reference

    s = opt.SURFACES["ravine"]
    hyper = {"beta_1": 0.9, "beta_2": 0.99}
    return (lambda: opt.run("adam", s.grad, s.start, 0.01, 100, **hyper).w,
            lambda: reference.keras_optimizer_paths([("adam", 0.01, hyper, [s.start])],
                                                    lambda i, j, w, k: s.grad(w), 100, graph=False)[0][0],
            _diff)


def autodiff(tf):
    """Chapter 5: J = (wx + b - y)^2 / 2 and dJ/dw, dJ/db at the explorer's default point."""
    from nnlib.backprop import one_neuron

    def nn_run():
        g = one_neuron(x=-2.0, y=2.0, w=2.0, b=8.0)
        g["J"].backward()
        return [g["J"].data, g["w"].grad, g["b"].grad]

    def tf_run():
        w, b = tf.Variable(2.0, dtype=tf.float64), tf.Variable(8.0, dtype=tf.float64)
        with tf.GradientTape() as tape:
            J = 0.5 * tf.square(w * -2.0 + b - 2.0)
        dw, db = tape.gradient(J, [w, b])
        return [J.numpy(), dw.numpy(), db.numpy()]

    return nn_run, tf_run, _diff


def softmax(tf):
    """Chapter 3: softmax and cross-entropy of three logits (the explorer's default)."""
    from nnlib import softmax as sm

    z = np.array([[0.0, 1.0, -1.0]], dtype=np.float32)

    def nn_run():
        return np.concatenate([sm.softmax(z)[0], sm.sparse_categorical_cross_entropy([0], z)])

    def tf_run():
        t = tf.constant(z)
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0], logits=t)
        return np.concatenate([tf.nn.softmax(t).numpy()[0], ce.numpy()])

    return nn_run, tf_run, _diff


def activation(tf):
    """Chapter 1: ReLU and its derivative on the explorer's 400-point grid."""
    from nnlib import neurons_activations as act

    z = np.linspace(-5, 5, 400, dtype=np.float32)
    f, df = act.get("relu")

    def tf_run():
        t = tf.constant(z)
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.nn.relu(t)
        return np.concatenate([y.numpy(), tape.gradient(y, t).numpy()])

    return (lambda: np.concatenate([f(z), df(z)])), tf_run, _diff


def yogurt(tf):
    """Chapter 2: 3000 mini-batch steps of the cost/profit loss (COST 1, PROFIT 9)."""
    from nnlib import losses

    X, y = losses.yogurt_data()[:2]
    X, y = np.asarray(X, np.float32), np.asarray(y, np.float32)

    def tf_run():
        w = tf.Variable(losses.YOGURT_W0)
        n = len(X)
        opt = tf.keras.optimizers.SGD(0.001)
        for i in range(3000):
            start = (i * 8) % n
            xb, yb = X[start:start + 8], y[start:start + 8]
            with tf.GradientTape() as tape:
                pred = tf.matmul(xb, w)
                loss = tf.reduce_sum(tf.where(pred > yb, 1.0 * (pred - yb), 9.0 * (yb - pred)))
            opt.apply_gradients([(tape.gradient(loss, w), w)])
        return w.numpy()

    return (lambda: losses.linear_sgd(X, y, losses.YOGURT_W0, 0.001, 3000, loss="cost_profit",
                                      cost=1.0, profit=9.0)[-1]), tf_run, _diff


#: (chapter, what, case): what each explorer computes on every move.
CASES = [
    ("01", "ReLU and ReLU' on 400 points", activation),
    ("02", "3000 SGD steps, cost/profit loss", yogurt),
    ("03", "softmax + cross-entropy, 3 logits", softmax),
    ("04", "20 gradient-descent updates", gd),
    ("05", "J and dJ/dw, dJ/db (one neuron)", autodiff),
    ("06", "40 updates, exponential decay", decayed_gd),
    ("07", "EMA of a 300-step path", ema),
    ("08", "100 Adam steps on the ravine", optimizer),
]
