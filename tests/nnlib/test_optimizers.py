"""nnlib.optimizers: the six update rules against keras.optimizers (nnlib.reference), step for step, and the helpers."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import learning_rate
from nnlib import optimizers as opt
from nnlib import reference

F32 = np.float32


# (rule, learning rate, hyperparameters): Keras defaults, then other values drawn by hand
CASES = [
    ("sgd", 0.05, {}),
    ("momentum", 0.02, {"momentum": 0.9}),
    ("momentum", 0.07, {"momentum": 0.55}),
    ("nesterov", 0.02, {"momentum": 0.9}),
    ("nesterov", 0.004, {"momentum": 0.97}),
    ("adagrad", 0.3, {}),
    ("adagrad", 0.05, {"initial_accumulator_value": 0.0, "epsilon": 1e-4}),
    ("rmsprop", 0.01, {}),
    ("rmsprop", 0.003, {"rho": 0.73, "epsilon": 1e-5}),
    ("adam", 0.01, {}),
    ("adam", 0.07, {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-4}),
    ("adam", 0.02, {"amsgrad": True}),
    ("adamw", 0.01, {}),
    ("adamw", 0.05, {"weight_decay": 0.3, "beta_1": 0.8}),
    ("adamw", 0.03, {"weight_decay": 0.1, "amsgrad": True, "beta_2": 0.9}),
]
POWERS = ("adam", "adamw")  # the rules that take beta^t, whose float32 power TensorFlow rounds its own way


def _problems(seed):
    """Three random problems of different shapes: a noisy quadratic with its own Hessian each."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in [(1,), (7,), (3, 4)]:
        d = int(np.prod(shape))
        A = rng.normal(size=(d, d))
        A = (A @ A.T / d + 0.2 * np.eye(d)).astype(F32)
        c = rng.normal(size=d).astype(F32)
        noise = rng.normal(0.0, 0.3, size=(100, d)).astype(F32)
        out.append((A, c, noise, rng.normal(size=shape).astype(F32)))
    return out


def _grad(problem, w, k):
    A, c, noise, w0 = problem
    return ((A @ (w.ravel() - c)) + noise[k]).astype(F32).reshape(w0.shape)


def _ours(problem, name, lr, hyper, num_steps=100):
    count = iter(range(num_steps))
    return opt.run(name, lambda w: _grad(problem, w, next(count)), problem[3], lr, num_steps, **hyper).w


def _keras_paths(cases, num_steps=100, graph=True):
    """Keras's paths for every case at once (nnlib.reference): one optimizer per case, one variable per problem."""
    problems = [_problems(_seed(name, lr)) for name, lr, _ in cases]
    return reference.keras_optimizer_paths(
        [(name, lr, hyper, [p[3] for p in ps]) for (name, lr, hyper), ps in zip(cases, problems)],
        lambda i, j, w, k: _grad(problems[i][j], w, k), num_steps, graph=graph)


def _seed(name, lr):
    return len(name) * 1000 + int(lr * 1e4)


@pytest.fixture(scope="module")
def keras_paths(tf):
    return _keras_paths(CASES)


@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_keras_for_100_steps_on_random_problems(keras_paths, case):
    """Every weight after every one of 100 steps, on three random noisy quadratics.

    SGD, momentum, Nesterov, AdaGrad and RMSProp use only +, -, *, / and sqrt, which IEEE float32
    rounds the same way everywhere: the paths must be identical. Adam also raises beta_1 and
    beta_2 to the power t, and TensorFlow's float32 pow is not correctly rounded (it differs
    from numpy's in the last bit for about a quarter of t, and its scalar and vectorised kernels
    even differ from each other). That perturbs Adam's step size by about one part in 10^7 per
    step; after 100 steps the weights may differ by a few units in the last place of the largest
    weight, so we allow 8 ulps of max|w| and nothing more. AdamW (Adam after Keras's decoupled
    decay ``w - w*wd*lr``) and AMSGrad (``amsgrad=True``) get the same bound, for the same reason.
    """
    name, lr, hyper = CASES[case]
    problems = _problems(_seed(name, lr))
    for p, path in zip(problems, keras_paths[case]):
        ours = _ours(p, name, lr, hyper)
        tol = 8 * np.spacing(np.abs(ours).max()) if name in POWERS else 0  # else identical
        np.testing.assert_allclose(ours, path, rtol=0, atol=tol)


def test_eager_keras_agrees_too(tf):
    """Without tf.function (no graph rewrites at all): 20 steps of every other case."""
    cases = CASES[::2]
    for (name, lr, hyper), theirs in zip(cases, _keras_paths(cases, num_steps=20, graph=False)):
        for p, path in zip(_problems(_seed(name, lr)), theirs):
            ours = _ours(p, name, lr, hyper, num_steps=20)
            tol = 8 * np.spacing(np.abs(ours).max()) if name in POWERS else 0
            np.testing.assert_allclose(ours, path, rtol=0, atol=tol, err_msg=name)


def test_graph_mode_rewrites_the_division(tf):
    """Why keras_optimizer_paths switches Grappler's arithmetic optimizer off: x / sqrt(y) changes digits."""
    x = tf.constant(np.random.default_rng(0).uniform(0.1, 10, 10000).astype(F32))
    y = tf.constant(np.random.default_rng(1).uniform(0.1, 10, 10000).astype(F32))
    eager = (x / tf.sqrt(y)).numpy()
    old = tf.config.optimizer.get_experimental_options().get("arithmetic_optimization", True)
    try:
        tf.config.optimizer.set_experimental_options({"arithmetic_optimization": False})
        plain = tf.function(lambda x, y: x / tf.sqrt(y))(x, y).numpy()
        tf.config.optimizer.set_experimental_options({"arithmetic_optimization": True})
        rewritten = tf.function(lambda x, y: x / tf.sqrt(y))(x, y).numpy()
    finally:
        tf.config.optimizer.set_experimental_options({"arithmetic_optimization": old})
    assert np.array_equal(plain, eager)
    assert not np.array_equal(rewritten, eager)
    np.testing.assert_allclose(rewritten, eager, rtol=1e-6)


def test_defaults_are_keras_defaults(tf):
    for name, defaults in opt.DEFAULTS.items():
        keras_class = type(reference.keras_optimizer(name, 0.1))
        config = keras_class(**({"nesterov": True} if name == "nesterov" else {})).get_config()
        for key, value in defaults.items():
            if key == "momentum":  # Keras's SGD defaults to 0.0; our momentum rules to 0.9
                assert config["momentum"] == 0.0
                continue
            if key == "amsgrad":
                assert config["amsgrad"] is value is False
                continue
            assert config["learning_rate" if key == "lr" else key] == pytest.approx(value), (name, key)


def test_the_surfaces_gradients_match_gradient_tape(tf):
    """The hand-written gradients against GradientTape on the same formulas, written in TF."""
    losses = {"ravine": lambda x, y: 0.5 * (x * x + 50.0 * y * y),
              "rosenbrock": lambda x, y: (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2,
              "saddle": lambda x, y: 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y}
    rng = np.random.default_rng(3)
    for s in opt.SURFACES.values():
        for _ in range(5):
            w = rng.uniform([s.xlim[0], s.ylim[0]], [s.xlim[1], s.ylim[1]]).astype(F32)
            v = tf.Variable(w)
            with tf.GradientTape() as tape:
                loss = losses[s.name](v[0], v[1])
            np.testing.assert_allclose(s.grad(w), tape.gradient(loss, v).numpy(), rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(s.loss_xy(*w), loss.numpy(), rtol=1e-6)
    assert opt.SURFACES["ravine"].gap([0.0, 0.0]) == 0
    assert opt.SURFACES["rosenbrock"].gap([1.0, 1.0]) == 0
    assert opt.SURFACES["saddle"].gap([0.0, 1.0]) == 0 == opt.SURFACES["saddle"].gap([0.0, -1.0])


# --- without TensorFlow ----------------------------------------------------------------------

def test_steady_alternating_and_tiny_gradients():
    """Note 004 line 250 (chapter 8): Adam's step stays at lr under a steady gradient; momentum's grows."""
    lr = 0.01
    steady, alt = np.ones((300, 1)), (-1.0) ** np.arange(300)[:, None]

    def last_step(name, g, **h):
        w = opt.replay(name, g, lr, **h).w[:, 0]
        return abs(float(w[-1] - w[-2])) / lr

    assert last_step("momentum", steady) == pytest.approx(10, rel=1e-4)  # 1 / (1 - 0.9)
    assert last_step("momentum", alt) == pytest.approx(1 / 1.9, rel=1e-4)
    assert last_step("nesterov", alt) == pytest.approx(2.8 / 1.9, rel=1e-4)  # (1 + 2mu)/(1 + mu)
    assert last_step("adagrad", steady) == pytest.approx(1 / np.sqrt(300.1), rel=1e-4)
    assert last_step("rmsprop", steady) == pytest.approx(1, rel=1e-4)
    for g in (steady, 1e-3 * steady, 1e3 * steady):  # Adam: lr, for any size of gradient
        w = opt.replay("adam", g, lr).w[:, 0]
        # for g = 0.001, epsilon (1e-7, met by sqrt(v) before the bias correction) shortens the
        # first steps by up to sqrt(1000) * 1e-7 / 0.001 = 0.3%
        np.testing.assert_allclose(np.abs(np.diff(w)) / lr, 1, rtol=3.5e-3)
    assert last_step("adam", alt) == pytest.approx(0.1 / 1.9, rel=1e-3)  # (1 - b1)/(1 + b1)


def test_rate_is_the_factor_in_front_of_the_gradient():
    g = np.random.default_rng(0).normal(size=(50, 3))
    for name in ("sgd", "adagrad", "rmsprop"):
        tr = opt.replay(name, g, 0.02)
        np.testing.assert_allclose(-np.diff(tr.w, axis=0), tr.rate * g.astype(F32), rtol=1e-5,
                                   atol=4 * np.spacing(np.abs(tr.w).max()))  # w - step rounds
    tr = opt.replay("adagrad", np.ones((10, 1)), 0.1)
    np.testing.assert_allclose(tr.rate[:, 0], 0.1 / np.sqrt(0.1 + np.arange(1, 11) + 1e-7), rtol=1e-6)


def test_sweep_is_the_same_as_separate_runs():
    lrs = (0.001, 0.01, 0.1, 1.0)
    for s in opt.SURFACES.values():
        for name in opt.NAMES:
            gaps = s.sweep(name, lrs, 30)
            for j, lr in enumerate(lrs):
                tr = opt.run(name, s.grad, s.start, lr, 30)
                if tr.diverged_at is None:
                    np.testing.assert_array_equal(gaps[:, j], s.gap(tr.w))
                else:
                    assert np.isinf(gaps[-1, j])


def test_tune_picks_the_rate_that_settles_first():
    s = opt.SURFACES["ravine"]
    lr, steps, gap = s.tune("sgd", (0.001, 0.01, 0.03, 0.1), 300, 1e-4)
    assert lr == 0.03 and gap < 1e-4  # 0.1 > 2/50 diverges, the smaller ones are slower
    gaps = s.sweep("sgd", (lr,), 300)[:, 0]
    assert gaps[steps - 1] >= 1e-4 and np.all(gaps[steps:] < 1e-4)
    assert s.tune("sgd", (0.1,), 50, 1e-4)[1] is None


def test_run_layout_and_divergence():
    s = opt.SURFACES["ravine"]
    tr = opt.run("adam", s.grad, s.start, 0.1, 20)
    assert tr.w.shape == (21, 2) and tr.w.dtype == np.float32 and tr.rate.shape == (20, 2)
    assert tr.rule == opt.Adam(beta_1=0.9, beta_2=0.999, epsilon=1e-7) and tr.rule.name == "adam"
    assert tr.lr.shape == (21,) and np.all(tr.lr == F32(0.1))
    assert opt.run("momentum", s.grad, s.start, 0.1, 3, momentum=0.5).rule == opt.Momentum(0.5)
    tr = opt.run("sgd", s.grad, s.start, 0.5, 1000)
    assert tr.diverged_at is not None and np.all(np.isfinite(tr.w))


def test_one_step_of_each_rule():
    w, g, lr = np.array([1.0, -2.0], F32), np.array([0.5, 3.0], F32), F32(0.1)
    np.testing.assert_array_equal(learning_rate.SGD().step(w, g, (), 1, lr)[0], w - g * lr)
    m = opt.Momentum(0.9)
    np.testing.assert_array_equal(m.step(w, g, m.init(w), 1, lr)[1][0], -g * lr)
    a = opt.Adagrad()
    w2, _ = a.step(w, g, a.init(w), 1, lr)
    np.testing.assert_allclose(w2, w - 0.1 * g / np.sqrt(0.1 + g * g), rtol=1e-6)
    adam = opt.Adam()
    w3, (m3, v3) = adam.step(w, g, adam.init(w), 1, lr)
    np.testing.assert_allclose(w3, w - 0.1 * np.sign(g), rtol=1e-5)  # first Adam step: lr * sign(g)
    # float32(0.999) is 0.99899999..., so 1 - beta_2 is 0.0009999871 in float32
    assert adam.alpha(1, lr) == pytest.approx(0.1 * np.sqrt(0.001) / 0.1, rel=1e-5)


@pytest.mark.parametrize("call, words", [
    (lambda: opt.run("adamax", lambda w: w, [1.0]), "optimizer must be one of"),
    (lambda: opt.run("adam", lambda w: w, [1.0], amsgrad="yes"), "amsgrad must be True or False, got 'yes'"),
    (lambda: opt.run("adamw", lambda w: w, [1.0], weight_decay=-0.1), "weight_decay must be a finite number >= 0"),
    (lambda: opt.momentum_matrix(0.1, 1.0, 1.0), "momentum must be in [0, 1), got 1.0"),
    (lambda: opt.momentum_rate(0.1, np.nan, 0.5), "lam must be finite"),
    (lambda: opt.momentum_optimal(50, 1), "lam_min must be <= lam_max, got 50 > 1"),
    (lambda: opt.momentum_optimal(0, 1), "lam_min must be a finite number > 0, got 0"),
    (lambda: opt.run("sgd", lambda w: w, [1.0], lr=-1), "lr must be a finite number > 0, got -1"),
    (lambda: opt.run("sgd", lambda w: w, [1.0], lr="0.1"), "lr must be a positive number, got '0.1'"),
    (lambda: opt.run("momentum", lambda w: w, [1.0], momentum=1.0), "momentum must be a number in [0, 1), got 1.0"),
    (lambda: opt.run("adam", lambda w: w, [1.0], beta_2=-0.1), "beta_2 must be a number in [0, 1)"),
    (lambda: opt.run("rmsprop", lambda w: w, [1.0], rho=float("nan")), "rho must be a number in [0, 1)"),
    (lambda: opt.run("adagrad", lambda w: w, [1.0], epsilon=0), "epsilon must be a finite number > 0"),
    (lambda: opt.run("adagrad", lambda w: w, [1.0], initial_accumulator_value=-1),
     "initial_accumulator_value must be a finite number >= 0"),
    (lambda: opt.run("sgd", lambda w: w, [1.0], momentum=0.9), "got unknown argument(s) ['momentum']"),
    (lambda: opt.run("sgd", 3, [1.0]), "grad must be a function of w"),
    (lambda: opt.run("sgd", lambda w: w, [np.nan]), "w0 must be finite"),
    (lambda: opt.run("sgd", lambda w: w, [1.0], num_steps=-2), "num_steps must be an integer >= 0"),
    (lambda: opt.Adam().alpha(0, F32(0.1)), "t must be an integer >= 1, got 0"),
    (lambda: opt.replay("sgd", []), "gradients must be a non-empty sequence"),
    (lambda: opt.Adam(beta_1=1.5), "beta_1 must be a number in [0, 1), got 1.5"),
    (lambda: opt.SURFACES["saddle"].sweep("sgd", [], 10), "lrs must be a non-empty list"),
    (lambda: opt.SURFACES["saddle"].sweep("sgd", [0.1, -0.1], 10), "rates > 0, got array([ 0.1, -0.1])"),
    (lambda: opt.minibatch_noise(np.zeros((2, 2)), np.ones((3, 2)), np.array([0, 1, 0]), 4),
     "batch_size must be between 1 and the number of examples 3, got 4"),
])
def test_bad_arguments_name_the_argument_and_the_value(call, words):
    with pytest.raises(ValueError) as err:
        call()
    assert words in str(err.value)


# --- minibatches and scikit-learn --------------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(F32), y


def test_minibatch_noise_follows_one_over_b(digits):
    X, y = digits
    W = np.random.default_rng(0).normal(0, 0.1, size=(64, 10)).astype(F32)
    spread, n = opt.gradient_spread(W, X, y), len(y)
    for B in (1, 32, 256):
        noise, cos = opt.minibatch_noise(W, X, y, B, num_batches=400)
        assert noise == pytest.approx(spread / B * (n - B) / (n - 1), rel=0.15)
        assert 0 < cos < 1
    assert opt.minibatch_noise(W, X, y, n) == (0.0, 1.0)
    # the gradient is that of the loss: compare with a finite difference along a random direction
    D = np.random.default_rng(1).normal(size=W.shape).astype(np.float64)
    h = 1e-2
    fd = (opt.softmax_regression_loss(W + h * D, X, y) - opt.softmax_regression_loss(W - h * D, X, y)) / (2 * h)
    assert fd == pytest.approx(float(np.sum(opt.softmax_regression_grad(W, X, y) * D)), rel=1e-3)


def test_softmax_grad_has_the_bits_of_the_softmax_module():
    """minibatch_sgd's lean gradient is softmax._cross_entropy_and_grad's, bit for bit (NaN where it
    has NaN), for batches of 1 to 500, logits from tiny to huge, and infinite or NaN logits."""
    from nnlib import softmax

    rng = np.random.default_rng(0)
    for B in (1, 1, 2, 7, 16, 500):
        for scale in (1e-3, 1.0, 30.0, 1e4, 1e30):
            z = (rng.standard_normal((B, 10)) * scale).astype(F32)
            y = rng.integers(0, 10, B)
            ours, theirs = opt._softmax_grad(z, y), softmax._cross_entropy_and_grad(z, y)[1]
            assert ours.dtype == theirs.dtype == F32
            assert np.array_equal(ours.view(np.uint32), theirs.view(np.uint32))
    z = np.array([[np.inf, 1, 2], [np.nan, 0, 0], [-np.inf, 0, 1], [3e38, -3e38, 0]], F32)
    y = np.array([0, 1, 2, 0])
    with np.errstate(invalid="ignore", over="ignore"):
        ours, theirs = opt._softmax_grad(z, y), softmax._cross_entropy_and_grad(z, y)[1]
    np.testing.assert_array_equal(ours, theirs)


def test_minibatch_sgd_learns_and_reports_per_epoch(digits):
    X, y = digits
    W, losses, seconds = opt.minibatch_sgd(X, y, 64, 0.5, 3)
    assert W.shape == (64, 10) and losses.shape == (4,) and seconds.shape == (3,)
    assert losses[0] == pytest.approx(np.log(10), rel=1e-6) and np.all(np.diff(losses) < 0)


def test_mlp_batch_size_auto_is_min_200_n():
    # 1000 samples take 5 updates and 150 one: chapter 8's ledger (tests/chapters/test_08_optimizers.py)
    assert opt.mlp_updates_per_epoch(1001) == 6


def test_mlp_solver_run_counts_passes_and_reports_max_iter_without_warning():
    import warnings

    (X, y), (X_val, y_val) = opt._blobs(120, seed=1), opt._blobs(60, seed=2)
    X, X_val = 3 * X, 3 * X_val                      # well apart: L-BFGS meets its tolerance (133 iterations)
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # nothing may leak: the ConvergenceWarning is caught
        short = {s: opt.mlp_solver_run(X, y, X_val, y_val, s, seed=3, max_iter=3) for s in ("lbfgs", "adam", "sgd")}
        full = opt.mlp_solver_run(X, y, X_val, y_val, "lbfgs", seed=3, max_iter=1000)
    for s, r in short.items():
        assert (r.solver, r.seed, r.n_iter, r.converged) == (s, 3, 3, False)
        assert 0 <= r.train_right <= 120 and 0 <= r.val_right <= 60 and r.loss > 0
    assert short["adam"].passes == 3 and len(short["adam"].loss_curve) == 3 and short["lbfgs"].loss_curve == ()
    assert short["lbfgs"].passes >= 3                # one loss-and-gradient per iteration, or more
    assert full.converged and full.n_iter < 1000 and full.passes >= full.n_iter and full.loss < short["lbfgs"].loss
    # the same call gives the same run (the seed fixes it)
    assert opt.mlp_solver_run(X, y, X_val, y_val, "adam", seed=3, max_iter=3) == short["adam"]
    with pytest.raises(ValueError, match="solver"):
        opt.mlp_solver_run(X, y, X_val, y_val, "newton")
    with pytest.raises(ValueError, match="max_iter"):
        opt.mlp_solver_run(X, y, X_val, y_val, "adam", max_iter=0)


# --- AdamW and AMSGrad without TensorFlow -------------------------------------------------------

def test_adamw_is_adam_after_a_decay_of_lr_times_wd():
    """With zero gradients Adam does not move (m = 0), so AdamW only decays: w (1 - lr*wd)^t."""
    w0 = np.zeros(3, F32)
    tr = opt.run("adamw", lambda w: np.zeros_like(w), np.array([1.0, -2.0, 3.0], F32), 0.01, 500,
                 weight_decay=0.5)
    np.testing.assert_allclose(tr.w[-1], np.array([1.0, -2.0, 3.0]) * (1 - 0.005) ** 500, rtol=1e-4)
    # one step against the formula, in Keras's order: decay first, then Adam's step from there
    w, g, lr = np.array([1.0, -2.0], F32), np.array([0.5, 3.0], F32), F32(0.1)
    aw, a = opt.AdamW(weight_decay=0.2), opt.Adam()
    decayed = w - w * F32(0.2) * lr
    np.testing.assert_array_equal(aw.step(w, g, aw.init(w0[:2]), 1, lr)[0], a.step(decayed, g, a.init(w0[:2]), 1, lr)[0])
    assert opt.AdamW(weight_decay=0.0).step(w, g, a.init(w), 1, lr)[0].tolist() == a.step(w, g, a.init(w), 1, lr)[0].tolist()


def test_l2_under_adam_depends_on_the_gradient_scale_and_adamw_does_not():
    """Chapter 8's experiment: pure-noise gradients of three sizes; Adam + L2 keeps a different share
    of each group, AdamW keeps (1 - lr*wd)^T of all three."""
    T, lr, wd = 300, 0.002, 1.0
    rng = np.random.default_rng(3)
    noise = (rng.standard_normal((T, 3, 100)) * np.array([0.01, 1.0, 100.0])[:, None]).astype(F32)
    it = iter(noise)
    l2 = opt.run("adam", lambda w: next(it) + F32(wd) * w, np.ones((3, 100), F32), lr, T).w[-1].mean(axis=1)
    it = iter(noise)
    dec = opt.run("adamw", lambda w: next(it), np.ones((3, 100), F32), lr, T, weight_decay=wd).w[-1].mean(axis=1)
    np.testing.assert_allclose(dec, (1 - lr * wd) ** T, atol=0.02)
    assert l2[0] < dec[0] - 0.05 and l2[2] > 0.97 and l2[0] < l2[1] < l2[2]


def test_amsgrad_keeps_the_largest_v():
    g = np.random.default_rng(4).normal(size=(60, 5)).astype(F32) * np.linspace(3, 0.1, 60)[:, None].astype(F32)
    a, w = opt.Adam(amsgrad=True), np.zeros(5, F32)
    state, vs, hats = a.init(w), [], []
    for k, gk in enumerate(g):
        w, state = a.step(w, gk, state, k + 1, F32(0.01))
        vs.append(state[1])
        hats.append(state[2])
    np.testing.assert_array_equal(np.stack(hats), np.maximum.accumulate(np.stack(vs)))
    assert np.any(np.stack(hats) > np.stack(vs))  # falling gradients: the maximum differs from v
    # Reddi et al.'s example: +3 every third step, -1 otherwise; short memories send Adam the wrong way
    g = np.where(np.arange(300) % 3 == 0, 3.0, -1.0)[:, None]
    short = {"beta_1": 0.1, "beta_2": 0.1}
    assert opt.replay("adam", g, 0.01, **short).w[-1, 0] > 0.3
    assert opt.replay("adam", g, 0.01, amsgrad=True, **short).w[-1, 0] < -0.3


# --- momentum on a quadratic ----------------------------------------------------------------------

def test_momentum_matrix_is_one_step_of_the_rules():
    """(w, m) -> matrix @ (w, m) is one step of Momentum / Nesterov on the gradient lam * w."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        lr, lam = rng.uniform(0.001, 0.5), rng.uniform(0.1, 20)
        mu = float(F32(rng.uniform(0, 0.99)))  # the rules take mu in float32
        w, m = rng.normal(size=2)
        for rule, nesterov in ((opt.Momentum(mu), False), (opt.Nesterov(mu), True)):
            w64, (m64,) = rule.step(np.float64(w), lam * np.float64(w), (np.float64(m),), 1, lr)
            np.testing.assert_allclose(opt.momentum_matrix(lr, lam, mu, nesterov) @ [w, m], [w64, m64],
                                       rtol=1e-12, atol=1e-12)


def test_momentum_rate_regimes_and_stability_limits():
    """mu = 0 is gradient descent (|1 - h|); under-damped directions shrink by sqrt(mu); the heavy
    ball diverges exactly above h = 2(1 + mu), Nesterov above 2(1 + mu)/(1 + 2 mu)."""
    h = np.geomspace(1e-3, 10, 2001)
    np.testing.assert_allclose(opt.momentum_rate(h, 1.0, 0.0), np.abs(1 - h), rtol=1e-12, atol=1e-15)
    for mu in (0.3, 0.5658, 0.9):
        band = ((1 - np.sqrt(mu)) ** 2 < h) & (h < (1 + np.sqrt(mu)) ** 2)
        np.testing.assert_allclose(opt.momentum_rate(h[band], 1.0, mu), np.sqrt(mu), rtol=1e-6)
        assert np.all(opt.momentum_rate(h[~band & (h < 1)], 1.0, mu) > np.sqrt(mu) - 1e-9)
        off = np.abs(h - 2 * (1 + mu)) > 1e-6
        assert np.array_equal((opt.momentum_rate(h, 1.0, mu) > 1)[off], (h > 2 * (1 + mu))[off])
        limit = 2 * (1 + mu) / (1 + 2 * mu)
        off = np.abs(h - limit) > 1e-6
        assert np.array_equal((opt.momentum_rate(h, 1.0, mu, nesterov=True) > 1)[off], (h > limit)[off])


def test_momentum_optimal_is_goh_and_holds_on_the_ravine():
    lr, mu, rate = opt.momentum_optimal(1.0, 50.0)
    assert lr == pytest.approx((2 / (1 + np.sqrt(50))) ** 2) and mu == pytest.approx(((np.sqrt(50) - 1) / (np.sqrt(50) + 1)) ** 2)
    assert rate == pytest.approx(np.sqrt(mu))
    # both extremes critically damped, every curvature between them shrinks by sqrt(mu)
    np.testing.assert_allclose(opt.momentum_rate(lr, np.linspace(1, 50, 50), mu), rate, rtol=1e-6)
    for k in (10.0, 1000.0):  # beats gradient descent's best by about sqrt(kappa) in steps
        gd = np.log((k - 1) / (k + 1))
        assert np.log(opt.momentum_optimal(1.0, k)[2]) / gd == pytest.approx(np.sqrt(k), rel=0.05)
    # the float32 run on the ravine: the distance shrinks by the predicted factor (t r^t: a double root)
    s = opt.SURFACES["ravine"]
    w = opt.run("momentum", s.grad, s.start, lr, 60, momentum=mu).w.astype(np.float64)
    t = np.arange(61)
    fit = np.polyfit(t[20:], np.log(np.abs(w[20:, 0]) / t[20:]), 1)[0]
    assert np.exp(fit) == pytest.approx(rate, rel=0.01)
    assert s.tune("momentum", (lr,), 200, 1e-4, momentum=mu)[1] == 37  # Goh's pair; AdaGrad needs 41
    assert s.tune("adagrad", (1.0,), 200, 1e-4)[1] == 41


def test_tune_grid_is_the_best_of_tune_over_the_values():
    s = opt.SURFACES["ravine"]
    lrs, mus = (0.01, 0.02, 0.05), (0.5, 0.7, 0.9)
    lr, mu, steps, gap = s.tune_grid("momentum", lrs, 200, 1e-4, "momentum", mus)
    each = [s.tune("momentum", lrs, 200, 1e-4, momentum=m) for m in mus]
    assert steps == min(e[1] for e in each) and (lr, steps) == each[mus.index(mu)][:2]
    assert s.tune_grid("sgd", (0.01, 0.02), 200, 1e-4) == (*s.tune("sgd", (0.01, 0.02), 200, 1e-4)[:1], None,
                                                          *s.tune("sgd", (0.01, 0.02), 200, 1e-4)[1:])
