"""The TensorFlow and Keras reference runs: the notes' scripts, and the oracles nnlib is checked against.

Each function runs one computation in TensorFlow 2 (or in TensorFlow 1's graph API through
``tf.compat.v1``) and returns plain numpy results. The chapters show a function's code with
``inspect.getsource`` and run it next to nnlib's float32 numpy version; the tests assert that the
two agree; ``benchmarks/ratio.py`` times them. TensorFlow is imported inside the functions (quiet,
through :func:`nnlib.tf_setup` if nothing imported it before), never by ``import nnlib.reference``.
"""
from __future__ import annotations

import sys
from dataclasses import asdict

import numpy as np

from . import _check

__all__ = ["keras_sgd", "tf1_decay_script", "tf_ema_path", "keras_use_ema_path", "keras_optimizer",
           "keras_optimizer_paths", "keras_penalty", "keras_circle_net", "keras_train_circle_net", "tf1_backward"]

F32 = np.float32


def _tf():
    """TensorFlow, set up quietly (and seeded, once) by :func:`nnlib.tf_setup` on first use."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    from .tfsetup import tf_setup

    return tf_setup(seed=0)


def keras_sgd(w0, lr, num_steps, decay_steps=None, decay_rate=None,
              staircase=False):
    """Note 002's script in TensorFlow 2: ``GradientTape`` and Keras ``SGD``
    on ``(w + 1)^2`` (chapters 4, 6).

    Given ``decay_steps`` and ``decay_rate``, the learning rate is Keras's
    ``ExponentialDecay`` schedule starting at ``lr`` (chapter 6). Returns a
    :class:`nnlib.learning_rate.Trace` read from TensorFlow: w after every
    update, the learning rate the optimizer reports at every global step, and
    its own count of updates (``optimizer.iterations``) as ``num_steps``.
    """
    from .learning_rate import SGD, Trace

    tf = _tf()
    import keras

    if decay_steps is not None:
        lr = keras.optimizers.schedules.ExponentialDecay(
            lr, decay_steps, decay_rate, staircase=staircase)
    opt = keras.optimizers.SGD(learning_rate=lr)
    w = tf.Variable(w0, dtype=tf.float32)
    ws, lrs = [w.numpy()], [opt.learning_rate.numpy()]
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.square(w + 1)
        opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
        ws.append(w.numpy())
        # the schedule at optimizer.iterations, now k + 1
        lrs.append(opt.learning_rate.numpy())
    lrs = np.array(lrs, dtype=F32)
    return Trace(w=np.array(ws, dtype=F32), rule=SGD(), lr=lrs,
                 rate=lrs[:-1], num_steps=int(opt.iterations.numpy()))


def tf1_decay_script(num_steps=40):
    """Note 002's decay script (section 三) as it ran, a TensorFlow 1 graph
    via ``tf.compat.v1`` (chapter 6).

    Base rate 0.1, decay rate 0.99 every step, staircase, from ``w = 5``.
    Returns the lines the script prints, ``After k steps: global_step is ...,
    w is ..., learning rate is ..., loss is ...``.
    """
    from .notes.lr_decay import DECAY_FORMAT

    tf = _tf()
    v1 = tf.compat.v1
    lines = []
    with tf.Graph().as_default():
        global_step = tf.Variable(0, trainable=False)
        learning_rate = v1.train.exponential_decay(
            0.1, global_step, 1, 0.99, staircase=True)
        w = tf.Variable(tf.constant(5, dtype=tf.float32))
        loss = tf.square(w + 1)
        opt = v1.train.GradientDescentOptimizer(learning_rate)
        train_step = opt.minimize(loss, global_step=global_step)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for i in range(num_steps):
                sess.run(train_step)
                lines.append(DECAY_FORMAT % (
                    i, sess.run(global_step), sess.run(w),
                    sess.run(learning_rate), sess.run(loss)))
    return lines


def tf_ema_path(path, decay, num_updates=None):
    """``tf.train.ExponentialMovingAverage``'s shadow along a path of weights
    ``path[t]`` (chapter 7).

    Before step t's ``apply`` the variable holds ``path[t]`` and the update
    count is ``num_updates[t]`` (the warm-up); ``num_updates=None`` means no
    warm-up. The first ``apply`` creates the shadow at ``path[0]``. Returns
    the shadow after every step, shaped like ``path``.
    """
    tf = _tf()
    path = np.asarray(path, dtype=F32)
    var = tf.Variable(path[0])
    warmup = num_updates is not None
    step = tf.Variable(int(num_updates[0]) if warmup else 0,
                       trainable=False, dtype=tf.int64)
    avg = tf.train.ExponentialMovingAverage(
        decay, num_updates=step if warmup else None)
    out = []
    for t, value in enumerate(path):
        var.assign(value)
        if warmup:
            step.assign(int(num_updates[t]))
        avg.apply([var])
        out.append(avg.average(var).numpy())
    return np.array(out, dtype=F32)


def keras_use_ema_path(w0, grads, lr, ema_momentum):
    """A Keras ``SGD(use_ema=True)`` on one weight fed ``grads``: ``(path, averages)`` after every step (chapter 7).

    The average is read with the public API: ``finalize_variable_values`` writes it into the
    weight, which is then put back.
    """
    tf = _tf()
    import keras

    w = keras.Variable(F32(w0), dtype="float32")
    opt = keras.optimizers.SGD(learning_rate=lr, use_ema=True, ema_momentum=ema_momentum)
    opt.build([w])
    path, averages = [], []
    for g in np.asarray(grads, dtype=F32):
        opt.apply_gradients([(tf.constant(g), w)])
        raw = w.numpy()
        path.append(raw)
        opt.finalize_variable_values([w])  # writes the average into w
        averages.append(w.numpy())
        w.assign(raw)
    return np.array(path, dtype=F32), np.array(averages, dtype=F32)


def keras_optimizer(name, lr, **hyper):
    """The Keras 3 optimizer of :mod:`nnlib.optimizers` rule ``name``, with the same hyperparameters (chapter 8)."""
    from .optimizers import rule

    _tf()
    import keras

    r = rule(name, **hyper)  # Momentum and Nesterov are Keras's SGD; the others share its names
    cls = getattr(keras.optimizers, "SGD" if name in ("momentum", "nesterov") else type(r).__name__)
    return cls(learning_rate=lr, **asdict(r), **({"nesterov": True} if name == "nesterov" else {}))


def keras_optimizer_paths(runs, grad, num_steps, graph=True):
    """Keras's paths for several optimizers at once, fed gradients computed
    in numpy (chapter 8).

    ``runs`` lists ``(name, lr, hyper, starts)``: a rule of
    :mod:`nnlib.optimizers`, its learning rate and hyperparameters, and the
    start of each weight it updates. ``grad(i, j, w, k)`` is the gradient run
    ``i`` feeds its weight ``j`` at step ``k`` (from 0), given its current
    value ``w``. One call per step applies every optimizer, compiled with
    ``tf.function`` unless ``graph=False``; meanwhile Grappler's arithmetic
    optimizer, which rewrites ``g / sqrt(v)`` as ``g * rsqrt(v)`` and so
    changes last digits, is off, so the formulas run as Keras writes them.
    Returns ``paths[i][j]``, an array ``(num_steps + 1, ...)``.
    """
    tf = _tf()
    import keras

    num_steps = _check.non_negative_int("num_steps", num_steps)
    optimizers, weights = [], []
    for name, lr, hyper, starts in runs:
        optimizers.append(keras_optimizer(name, lr, **hyper))
        weights.append([keras.Variable(np.asarray(s, dtype=F32))
                        for s in starts])
        optimizers[-1].build(weights[-1])

    def apply(grads):
        for o, ws, gs in zip(optimizers, weights, grads):
            o.apply_gradients(zip(gs, ws))

    options = tf.config.optimizer
    key = "arithmetic_optimization"
    old = options.get_experimental_options().get(key, True)
    options.set_experimental_options({key: False})
    try:
        apply = tf.function(apply) if graph else apply
        paths = [[[w.numpy()] for w in ws] for ws in weights]
        for k in range(num_steps):
            grads = [[np.asarray(grad(i, j, w.numpy(), k), dtype=F32)
                      for j, w in enumerate(ws)]
                     for i, ws in enumerate(weights)]
            apply([[tf.constant(g) for g in gs] for gs in grads])
            for ps, ws in zip(paths, weights):
                for p, w in zip(ps, ws):
                    p.append(w.numpy())
    finally:
        options.set_experimental_options({key: old})
    return [[np.stack(p) for p in ps] for ps in paths]


def keras_penalty(w, kind, lam):
    """Keras 3's ``L1(lam)`` or ``L2(lam)`` regularizer on weights ``w``, and
    its gradient by ``GradientTape`` (chapter 13)."""
    tf = _tf()
    import keras

    var = tf.Variable(np.asarray(w, dtype=F32))
    with tf.GradientTape() as tape:
        penalty = {"l1": keras.regularizers.L1,
                   "l2": keras.regularizers.L2}[kind]
        value = penalty(lam)(var)
    return value.numpy(), tape.gradient(value, var).numpy()


def keras_circle_net(params, kind="none", lam=0.0, index=0):
    """A Keras 3 2-11-1 model holding model ``index`` of ``params``, with the penalty on both kernels (chapter 13)."""
    from .regularization import _kind, _lam
    from .training import dense_network

    _tf()
    import keras

    kind, lam = _kind(kind), _lam(lam)
    reg = None if kind == "none" else getattr(keras.regularizers, kind.upper())(float(lam))
    model = dense_network([2, params["w1"].shape[-1], 1], regularizer=reg)
    model.set_weights([params["w1"][index], params["b1"][index], params["w2"][index], params["b2"][index]])
    return model


def keras_train_circle_net(X, y, kind="none", lam=0.0, lr=1e-4, batch_size=30, num_steps=100,
                           epsilon=1e-8, seed=0):
    """:func:`nnlib.regularization.train_circle_nets` in TensorFlow 2: Keras model, Adam, a ``tf.function`` step (chapter 13).

    Starts from :func:`nnlib.regularization.init_circle_net` (``seed``), takes the batches in
    order, and returns the final weights as a dict like ``train_circle_nets`` does (one model).
    """
    from .regularization import init_circle_net

    tf = _tf()
    import keras

    X = _check.finite_array("X", X)
    y = _check.finite_array("y", y)
    num_steps = _check.non_negative_int("num_steps", num_steps)
    batch_size = _check.batch_size(batch_size, X.shape[0])
    model = keras_circle_net(init_circle_net(seed), kind, lam)
    opt = keras.optimizers.Adam(learning_rate=_check.positive_number("lr", lr), epsilon=epsilon)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            out = model(xb, training=True)
            loss = tf.reduce_mean(tf.square(out - yb)) + tf.add_n([tf.constant(0.0)] + model.losses)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))

    n = X.shape[0]
    for i in range(num_steps):
        start = (i * batch_size) % n
        step(tf.constant(X[start:start + batch_size]), tf.constant(y[start:start + batch_size]))
    w1, b1, w2, b2 = model.get_weights()
    return {"w1": w1[None], "b1": b1[None], "w2": w2[None], "b2": b2[None]}


def tf1_backward(X, y, pass_global_step, num_steps=500, every=125):
    """The course's ``backward.py`` as a TensorFlow 1 graph
    (``tf.compat.v1``) on note 000's data (chapter 13).

    A 2-11-1 network from :func:`nnlib.regularization.init_circle_net`, MSE
    plus ``l2_regularizer(0.01)``, ``AdamOptimizer`` with the rate
    ``exponential_decay(0.001, global_step, 300 / 30, 0.999,
    staircase=True)``, batches of 30 in order. ``minimize`` gets
    ``global_step`` only if ``pass_global_step`` (the published file does not
    pass it). Returns rows ``(step, global_step, learning rate)`` every
    ``every`` steps.
    """
    from .regularization import init_circle_net

    tf = _tf()
    v1 = tf.compat.v1
    rows = []
    with tf.Graph().as_default() as g:
        x = v1.placeholder(tf.float32, shape=(None, 2))
        y_ = v1.placeholder(tf.float32, shape=(None, 1))
        init = init_circle_net(seed=0)
        w1, b1, w2, b2 = (v1.Variable(init[k][0])
                          for k in ("w1", "b1", "w2", "b2"))
        y_out = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
        global_step = v1.Variable(0, trainable=False)
        learning_rate = v1.train.exponential_decay(
            0.001, global_step, 300 / 30, 0.999, staircase=True)
        # l2_regularizer(0.01)(w) is 0.01 * tf.nn.l2_loss(w)
        loss_total = tf.reduce_mean(tf.square(y_out - y_)) + tf.add_n(
            [0.01 * tf.nn.l2_loss(w1), 0.01 * tf.nn.l2_loss(w2)])
        opt = v1.train.AdamOptimizer(learning_rate)
        if pass_global_step:
            # the fix
            train_step = opt.minimize(loss_total, global_step=global_step)
        else:
            train_step = opt.minimize(loss_total)  # as in backward.py
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            for i in range(num_steps):
                start = (i * 30) % 300
                batch = {x: X[start:start + 30], y_: y[start:start + 30]}
                sess.run(train_step, feed_dict=batch)
                if (i + 1) % every == 0:
                    rows.append(
                        (i + 1, *sess.run([global_step, learning_rate])))
    return rows
