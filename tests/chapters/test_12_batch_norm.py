"""Chapter 12 (batch normalization): the settings of note 001's MNIST script (the ledger), and what
the chapter states about note 001 and Keras 3 beyond them.

The note's printed accuracies are an image (line 237), so the ledger holds what its text states:
layer sizes, momentum, learning rate, epochs and batch size. Each is recomputed from the
settings nnlib's experiment uses without TensorFlow here:
the sizes come from the data's image shape and ``NOTE_EXPERIMENT`` (the notebook prints the
same lines from the built Keras model).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnlib import batch_norm
from nnlib.batch_norm import NOTE_EXPERIMENT as E
from nnlib.notes import batch_norm as notes_bn
from tests.helpers import note_line, note_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "12_batch_norm.ipynb"


def sizes():
    """The sizes in the note's format; the input side is the square root of the 784 pixels."""
    side = int(round(E.n_inputs ** 0.5))
    assert side * side == E.n_inputs
    return notes_bn.format_sizes((side, side), E.n_hidden1, E.n_hidden2, E.n_outputs)


LEDGER = [
    Entry(notes_bn.SIZES, NOTEBOOK, sizes),
    Entry(notes_bn.HYPER, NOTEBOOK, lambda: notes_bn.format_hyper(E.momentum, E.lr)),
    Entry(notes_bn.LOOP, NOTEBOOK, lambda: notes_bn.format_loop(E.num_epochs, E.batch_size)),
]

# blocks without numbers: checked against the note (tests.ledger)
TRANSCRIBED = [notes_bn.SAYS_RELU, notes_bn.APPLIES_ELU]


def test_decay_was_renamed_momentum_on_line_113():
    file, line, text = notes_bn.RENAMED
    assert text in note_line(file, line)


def test_the_printed_accuracies_are_an_image_not_text():
    image = note_line(notes_bn.NOTE_001, notes_bn.OUTPUT_IMAGE_LINE)
    assert image.strip() == "20ab9d085500a0d0e881c95ac8f0e4fac26d5363"
    text = note_text(notes_bn.NOTE_001)
    assert "0.9652" not in text and ".9652" not in text and "0.865" not in text


def test_the_note_batch_normalizes_the_logits_too():
    assert "logists = my_batch_norm_layer(logists_before_bn)" in note_line(notes_bn.NOTE_001, 203)


def test_keras_default_momentum_099_averages_100_batches_and_starts_far_off():
    """With momentum 0.99 the moving mean has covered only 1 - 0.99**k of its way after k steps."""
    r = batch_norm.running_estimate(0.99, 200, 400, 400)
    # note 001's run has 275 steps per epoch; our 3200-image training set has 16
    assert r.moving_mean[19] == pytest.approx(1 - 0.99 ** 20, abs=0.05)  # about 0.18 of the true 1
    r9 = batch_norm.running_estimate(0.9, 200, 400, 400)
    assert r9.moving_mean[19] == pytest.approx(1 - 0.9 ** 20, abs=0.05)  # about 0.88


def test_line_99_counts_four_learned_parameters_but_keras_trains_two(keras):
    """Errata: 001 line 99 says each BN layer learns γ, β, μ and σ; only γ and β are trainable."""
    assert "学习了四个参数" in note_line(notes_bn.NOTE_001, 99)
    layer = keras.layers.BatchNormalization()
    layer.build((None, 3))
    assert [v.path.split("/")[-1] for v in layer.trainable_weights] == ["gamma", "beta"]
    assert [v.path.split("/")[-1] for v in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]


# --- issue 14: the chapter as a lesson ---------------------------------------------------------

F32 = np.float32
X4 = np.array([[1.0], [2.0], [3.0], [6.0]], F32)  # the worked example's batch of four


def _cells():
    from tests.helpers import CHAPTERS, load

    return load(CHAPTERS / NOTEBOOK)["cells"]


def _main_path():
    """The cells before '## From the notes'."""
    cells = _cells()
    k = next(i for i, c in enumerate(cells)
             if c["cell_type"] == "markdown" and "\n## From the notes" in "\n" + "".join(c["source"]))
    return cells[:k]


def test_the_worked_example_of_the_four_equations():
    mean, var = batch_norm.moments(X4)
    assert (mean[0], var[0]) == (3.0, 3.5)
    ones, zeros = np.ones(1, F32), np.zeros(1, F32)
    x_hat = batch_norm.normalize(X4, mean, var, ones, zeros).ravel()
    assert [f"{v:.4f}" for v in x_hat] == ["-1.0689", "-0.5344", "0.0000", "1.6033"]
    assert f"{np.sqrt(3.501):.4f}" == "1.8711"
    assert f"{x_hat.std():.5f}" == f"{np.sqrt(3.5 / 3.501):.5f}" == "0.99986"
    z = batch_norm.normalize(X4, mean, var, 2 * ones, zeros + 0.5).ravel()
    assert [f"{v:.4f}" for v in z] == ["-1.6378", "-0.5689", "0.5000", "3.7067"]


def test_the_worked_example_of_the_gradient():
    bn = batch_norm.BatchNorm(1)
    bn.forward(X4, training=True)
    g = np.array([[1.0], [0.0], [0.0], [0.0]], F32)
    dx = bn.backward(g).ravel()
    assert [f"{v:.4f}" for v in dx] == ["0.2482", "-0.2099", "-0.1336", "0.0954"]
    s = 1 / np.sqrt(3.501)
    by_hand = s * (1 - 0.25 - 1.0688922 ** 2 / 4)
    assert f"{s:.4f}" == "0.5344" and f"{1 - 0.25 - 1.0688922 ** 2 / 4:.4f}" == "0.4644"
    assert f"{by_hand:.4f}" == "0.2482"
    assert abs(float(dx.sum())) < 1e-6
    assert bn.moving_variance[0] == pytest.approx(1.025)
    bn.forward(X4, training=False)
    assert [f"{v:.4f}" for v in bn.backward(g).ravel()] == ["0.9872", "0.0000", "0.0000", "0.0000"]
    assert f"{1 / np.sqrt(1.026):.4f}" == "0.9872"


def test_how_long_the_moving_averages_remember_their_start():
    """'Training mode and inference mode', the Explore text and the summary: 44, 459, 4603 updates
    until the start weighs below 1 %, 28.7 epochs of 16 updates; 35-37 % left after 1/(1-m)."""
    to_1 = {m: math.ceil(math.log(0.01) / math.log(m)) for m in (0.9, 0.99, 0.999)}
    assert to_1 == {0.9: 44, 0.99: 459, 0.999: 4603}
    assert 0.99 ** 458 > 0.01 > 0.99 ** 459 and 0.9 ** 43 > 0.01 > 0.9 ** 44
    assert f"{459 / (3200 // 200):.1f}" == "28.7"
    assert [f"{m ** round(1 / (1 - m)):.0%}" for m in (0.9, 0.99, 0.999)] == ["35%", "37%", "37%"]


def test_exercise_1_a_batch_of_one_gives_beta_and_no_gradient():
    bn = batch_norm.BatchNorm(3)
    bn.beta = np.array([0.5, -1.0, 2.0], F32)
    out = bn.forward(np.array([[4.0, -7.0, 100.0]], F32), training=True)
    np.testing.assert_array_equal(out, bn.beta[None, :])
    np.testing.assert_array_equal(bn.backward(np.ones((1, 3), F32)), 0.0)


def test_exercise_2_a_bias_before_batch_norm_cancels():
    X = np.random.default_rng(0).normal(2, 3, size=(16, 4)).astype(F32)
    bn = batch_norm.BatchNorm(4)
    plain = bn.forward(X, training=True)
    shifted = bn.forward(X + F32(5.0), training=True)
    np.testing.assert_allclose(shifted, plain, atol=1e-5)
    assert np.all(bn.backward(np.ones_like(X)) == pytest.approx(0, abs=1e-6))


def test_exercise_3_steps_until_the_moving_mean_passes_0_9():
    assert math.log(10) / -math.log(0.99) == pytest.approx(229.1, abs=0.05)
    assert math.ceil(math.log(10) / -math.log(0.99)) == 230
    assert math.ceil(math.log(10) / -math.log(0.9)) == 22
    assert round(math.log(10) / -math.log(0.9), 1) == 21.9
    for momentum, step in ((0.99, 239), (0.9, 21)):
        r = batch_norm.running_estimate(momentum, 200, 400, shift_at=400)
        above = r.moving_mean > 0.9
        assert int(np.argmax(above)) + 1 == step  # the first step above 0.9
    assert -math.log(0.99) * 0.99 ** 230 == pytest.approx(0.001, abs=0.0001)  # the slope near step 230


def test_the_main_path_reads_the_test_set_once_and_chooses_on_validation():
    """Issue 14: every comparison in the main path is on validation data; one cell reads the
    test set, after the choice."""
    code = ["".join(c["source"]) for c in _main_path() if c["cell_type"] == "code"]
    split = "X, y, X_val, y_val, X_test, y_test = data.mnist_with_validation()"
    reads = [i for i, src in enumerate(code)
             if "X_test" in src.replace(split, "").replace("len(X_test)", "")]
    assert len(reads) == 1, f"{len(reads)} main-path cells read the test set"
    reader = code[reads[0]]
    assert "chosen = max(final" in reader and reader.index("chosen") < reader.index("X_test")
    assert "data.mnist_with_validation()" in "\n".join(code)
    assert any("train_side_by_side(" in src and "X_val, y_val" in src for src in code)
    assert any("net.accuracy(X_val, y_val)" in src for src in code)


def test_the_moving_average_start_is_said_plainly_not_as_warm_up():
    """The moving averages start at 0 and 1 and need about 1/(1 - momentum) updates to forget it;
    the chapter says so without 'warm-up' (a word kept for learning-rate warm-up)."""
    import re

    text = "\n".join("".join(c["source"]) for c in _cells())
    assert not re.search(r"(?i)warm[- ]?up", text)
    assert "remembers about $1/(1-\\text{momentum})$ updates" in text
    assert "starts `moving_mean` at 0 and `moving_variance` at 1" in text


def test_the_printed_accuracies_of_in_practice_are_validation_accuracies():
    from tests.helpers import output_texts

    outs = ["\n".join(t for o in c.get("outputs", []) for t in output_texts(o)) for c in _main_path()]
    text = "\n".join(outs)
    assert "test accuracy after each epoch" not in text
    assert "train 3200, validation 800, test 1000" in text
    assert text.count("test accuracy") == 1  # the one reading, after the choice


# --- issue 16 item 2: the biased moving variance, and why batch norm helps ----------------------

def _text():
    return "\n".join("".join(c["source"]) for c in _cells())


def test_the_bias_of_the_batch_variance_in_numbers():
    """'The moving variance is biased low': 7/8 * 4 = 3.5; the worked batch's variance 3.5 divided
    by m and 14/3 = 4.6667 divided by m - 1; the inference scale about 7 % at 8, under 2 % at 32."""
    assert 7 / 8 * 4 == 3.5
    assert f"{np.var(X4):.4f}" == "3.5000" and f"{np.var(X4, ddof=1):.4f}" == "4.6667"
    assert f"{14 / 3:.3f}" == "4.667"
    results = {m: batch_norm.variance_bias(m) for m in (2, 4, 8, 16, 32, 64, 200)}
    for m, r in results.items():
        assert abs(r.settled - r.expected) <= 0.11, m  # "to within about 0.1 at every batch size"
        assert abs(r.inference_rms - math.sqrt(m / (m - 1))) < 0.03, m
    assert 0.065 < results[8].inference_rms - 1 < 0.075 and 0.065 < math.sqrt(8 / 7) - 1 < 0.075
    assert results[32].inference_rms < 1.02 and math.sqrt(32 / 31) < 1.02
    assert results[200].inference_rms < 1.005
    assert f"{results[8].settled:.2f}" == "3.48"  # the explorer's 'around 3.5' at batch size 8


def test_keras_copies_the_biased_variance_with_momentum_0(keras):
    layer = keras.layers.BatchNormalization(momentum=0.0)
    layer(X4, training=True)
    assert f"{float(layer.moving_variance[0]):.4f}" == "3.5000"


def test_exercise_5_batches_of_4():
    r = batch_norm.variance_bias(4)
    assert r.expected == 3.0
    assert f"{r.settled:.2f}" == "2.97" and f"{r.inference_rms:.3f}" == "1.162"
    assert f"{math.sqrt(4 / 3):.3f}" == "1.155"
    # the corrected update's input m/(m-1) * sigma_B^2 has mean sigma^2 = 4
    rng = np.random.default_rng(0)
    batches = rng.normal(1, 2, size=(20_000, 4))
    assert np.mean(batches.var(axis=1) * 4 / 3) == pytest.approx(4.0, rel=0.02)
    text = " ".join(_text().split())
    for quoted in ("measures 2.97", "$\\sqrt{4/3} \\approx 1.155$; measured 1.162"):
        assert quoted in text


def test_internal_covariate_shift_is_the_motivation_not_a_fact():
    """Issue 16: the chapter states ICS as the original framing, with Santurkar et al.'s evidence in
    the main path, and never as the mechanism."""
    main = "\n".join("".join(c["source"]) for c in _main_path())
    assert "### Why does it help?" in main and "{cite}`santurkar2018`" in main
    why = main[main.index("### Why does it help?"):main.index("### The choice, and the test set")]
    assert "{cite}`ioffe2015`" in why and "hypothesis" in why and "not an established" in why
    intro = "".join(_cells()[0]["source"])
    assert "and those move" not in intro and "internal covariate shift" not in intro.lower()


# --- issue 16 item 2: layer normalization, small batches, the largest usable learning rate -------

def _mnist():
    from nnlib import data

    return data.mnist_with_validation()


def test_layer_norm_of_one_example_is_the_worked_example_and_batch_norm_gives_zeros():
    ln = batch_norm.LayerNorm(4)
    out = ln.forward(X4.T, training=True).ravel()
    assert [f"{v:.4f}" for v in out] == ["-1.0689", "-0.5344", "0.0000", "1.6033"]
    np.testing.assert_array_equal(batch_norm.BatchNorm(4).forward(X4.T, training=True), 0.0)


@pytest.fixture(scope="module")
def small_batches():
    X, y, X_val, y_val, _, _ = _mnist()
    return {seed: {norm: [batch_norm.norm_run(X[:640], y[:640], X_val, y_val, norm, 0.1, m, seed=seed)
                          for m in (2, 8, 32)] for norm in ("batch", "layer")} for seed in (0, 1, 2)}


def test_small_batches_break_batch_norm_not_layer_norm_over_seeds(small_batches):
    """'Small batches': 0.20 against 0.69 at batch size 2 (seed 0); with seeds 1 and 2 batch norm
    stays between 0.16 and 0.23 and layer norm between 0.58 and 0.69; from batch size 8 on batch
    norm is as good as or better than layer norm."""
    s0 = small_batches[0]
    assert f"{s0['batch'][0].accuracy:.2f}" == "0.20" and f"{s0['layer'][0].accuracy:.2f}" == "0.69"
    bn2 = [f"{small_batches[s]['batch'][0].accuracy:.2f}" for s in (0, 1, 2)]
    ln2 = [f"{small_batches[s]['layer'][0].accuracy:.2f}" for s in (0, 1, 2)]
    assert (min(bn2), max(bn2)) == ("0.16", "0.23") and (min(ln2), max(ln2)) == ("0.58", "0.69")
    for s in (0, 1, 2):
        runs = small_batches[s]
        for k in (1, 2):  # batch sizes 8 and 32
            assert runs["batch"][k].accuracy >= runs["layer"][k].accuracy, (s, k)


def test_batch_of_two_gives_plus_and_minus_one_exercise_6():
    bn = batch_norm.BatchNorm(3)
    out = bn.forward(np.array([[0, 1, 5], [2, 0, -5]], F32), training=True)
    assert [f"{v:.4f}" for v in out[0]] == ["-0.9995", "0.9980", "1.0000"]
    np.testing.assert_array_equal(out[1], -out[0])
    d = np.array([-2.0, 1.0, 10.0])
    np.testing.assert_allclose(out[0], d / np.sqrt(d ** 2 + 4e-3), rtol=1e-5)
    assert f"{np.sqrt(1e-3):.2f}" == "0.03"


@pytest.fixture(scope="module")
def sweeps():
    X, y, X_val, y_val, _, _ = _mnist()
    return {seed: {norm: [batch_norm.norm_run(X[:1600], y[:1600], X_val, y_val, norm, lr, 32, seed=seed)
                          for lr in (0.3, 1, 3, 10, 30)] for norm in batch_norm.NORMS} for seed in (0, 1, 2)}


def test_the_largest_usable_learning_rate_over_seeds(sweeps):
    """'How large a learning rate?': plain learns at 0.3 and fails from 1; batch norm reaches 0.87 at
    1 and 3 (seed 0), learns at 10 (0.72), diverges at 30; layer norm learns at 1 (0.72), fails from
    3; seeds 1 and 2 the same, with the plain network at 1 and layer norm at 3 at 0.3 or below."""
    s0 = sweeps[0]
    assert [f"{r.accuracy:.2f}" for r in s0["batch"][1:4]] == ["0.87", "0.87", "0.72"]
    assert f"{s0['layer'][1].accuracy:.2f}" == "0.72" and s0["layer"][2].diverged
    assert all(r.diverged for r in s0[None][1:])
    for s, runs in sweeps.items():
        plain, bn, ln = runs[None], runs["batch"], runs["layer"]
        assert plain[0].accuracy > 0.79 and all(r.accuracy <= 0.3 for r in plain[1:]), s
        assert all(r.diverged for r in plain[2:]), s
        assert min(bn[1].accuracy, bn[2].accuracy) >= 0.85 and bn[3].accuracy > 0.7 and bn[4].diverged, s
        assert not any(r.diverged for r in bn[:4]), s
        assert ln[1].accuracy > 0.6 and all(r.accuracy <= 0.3 for r in ln[2:]), s
        assert all(r.diverged for r in ln[3:]), s
        # batch norm keeps learning while its median gradient norm falls as the rate grows
        g = [r.grad_norm for r in bn]
        assert all(a > b for a, b in zip(g, g[1:-1])), (s, g)
        assert plain[3].grad_norm == plain[4].grad_norm == 0.0, s  # dead ReLUs


def test_batch_norm_is_blind_to_the_weights_scale_and_divides_the_gradient():
    X, y, *_ = _mnist()
    net = batch_norm.norm_network([784, 50, 50, 10], "batch")
    before = net.gradients(X[:32], y[:32])
    net.weights[0] = net.weights[0] * np.float32(10)
    after = net.gradients(X[:32], y[:32])
    assert f"{before.loss:.4f}" == "2.6500" and f"{after.loss:.4f}" == "2.6510"
    assert f"{np.linalg.norm(before.dW[0]) / np.linalg.norm(after.dW[0]):.2f}" == "9.99"


def test_exercise_7_batch_norm_is_blind_to_each_columns_scale_layer_norm_is_not():
    X, *_ = _mnist()
    c = np.random.default_rng(0).uniform(0.5, 5, 50).astype(F32)
    diff = {}
    for norm in ("batch", "layer"):
        a = batch_norm.norm_network([784, 50, 50, 10], norm)
        b = batch_norm.norm_network([784, 50, 50, 10], norm)
        b.weights[0], b.biases[0] = b.weights[0] * c, b.biases[0] * c
        diff[norm] = float(np.max(np.abs(a.forward(X[:32], training=True).acts[-1]
                                         - b.forward(X[:32], training=True).acts[-1])))
    assert diff["batch"] < 0.03 and diff["layer"] > 1, diff


def test_the_new_topics_are_taught_in_the_main_path_and_summarized():
    main = " ".join("\n".join("".join(c["source"]) for c in _main_path()).split())
    for heading in ("## Layer normalization: statistics from one example",
                    "### Small batches: batch norm against layer norm", "### How large a learning rate?"):
        assert heading in main
    assert main.index("## Layer normalization") < main.index("## Explore")
    assert "{cite}`ba2016`" in main and "{cite}`wu2018`" in main
    assert "from 0.3 to 3" in main and "0.20 against layer normalization's 0.69" in main
    assert "| layer normalization | 层归一化 |" in "\n".join("".join(c["source"]) for c in _main_path())


# --- issue 18: note 001's remaining claims (ledger rows 001-37, 39-43, 45, 47, 50) -------------

def _section(title, main=True):
    """The text (Markdown, code and printed output) of the section with this heading."""
    from tests.helpers import output_texts

    cells = _main_path() if main else _cells()
    text = "\n".join("".join(c["source"]) + "\n" + "\n".join(t for o in c.get("outputs", [])
                                                               for t in output_texts(o))
                     for c in cells)
    start = text.index(f"### {title}\n")
    end = text.find("\n### ", start + 1)
    return text[start:] if end < 0 else text[start:end]


STARTS_KW = dict(lr=0.1, batch_size=32, num_epochs=4)  # the chapter's setting
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def starts():
    from nnlib import data

    Xd, yd, Xd_val, yd_val, _, _ = data.digits_with_validation(method="per_class")
    cases = [(s, bn, seed) for s in batch_norm.STARTS for seed in SEEDS for bn in (False, True)]
    runs = batch_norm.start_runs(Xd, yd, Xd_val, yd_val, cases, **STARTS_KW)
    return {(r.start, r.bn, r.seed): r for r in runs}


def test_less_sensitive_to_the_starting_weights_on_every_seed(starts):
    """001-37: without batch norm N(0, 0.01^2) stays at chance and N(0, 1) overflows on every seed; with
    it all four starts learn on every seed; the too-large start trails; the spread of the starts' mean
    accuracies is about half as wide (0.10 to 0.81 against 0.58 to 0.94)."""
    acc = {k: r.val_accuracy for k, r in starts.items()}
    for s in SEEDS:
        assert f"{acc['small_normal', False, s]:.2f}" == "0.10"
        assert f"{starts['small_normal', False, s].val_loss:.2f}" == "2.30"
        assert f"{acc['large_normal', False, s]:.2f}" == "0.10" and np.isnan(starts["large_normal", False, s].val_loss)
        assert not np.all(np.isfinite(starts["large_normal", False, s].batch_loss[:5]))  # the first updates
        assert starts["large_normal", False, s].batch_loss[0] > 1000
        assert all(acc[start, True, s] > 0.5 for start in batch_norm.STARTS), s
        assert min(acc["glorot_uniform", False, s], acc["he_normal", False, s]) > 0.5, s
        others = [acc[start, True, s] for start in ("small_normal", "glorot_uniform", "he_normal")]
        assert acc["large_normal", True, s] < min(others) - 0.15, s  # trails on every seed
        for start in ("glorot_uniform", "he_normal"):  # and with good starts batch norm is ahead
            assert acc[start, True, s] > acc[start, False, s] + 0.05, (start, s)
    means = {bn: [np.mean([acc[st, bn, s] for s in SEEDS]) for st in batch_norm.STARTS] for bn in (False, True)}
    assert [f"{v:.2f}" for v in (min(means[False]), max(means[False]))] == ["0.10", "0.81"]
    assert [f"{v:.2f}" for v in (min(means[True]), max(means[True]))] == ["0.58", "0.94"]
    ratio = (max(means[True]) - min(means[True])) / (max(means[False]) - min(means[False]))
    assert 0.4 < ratio < 0.6  # "about half as wide"
    small = [acc["small_normal", True, s] for s in SEEDS]
    good = [acc[st, True, s] for st in ("glorot_uniform", "he_normal") for s in SEEDS]
    assert [f"{min(small):.2f}", f"{max(small):.2f}", f"{min(good):.2f}", f"{max(good):.2f}"] == \
        ["0.81", "0.96", "0.93", "0.96"]
    text = _section("Less sensitive to the starting weights")
    for row in ("N(0, 0.01^2)     0.10-0.10     2.30  0.81-0.96     0.42",
                "N(0, 1)          0.10-0.10 overflow  0.54-0.61     1.35",
                "Glorot uniform   0.55-0.77     0.99  0.93-0.95     0.26",
                "He normal        0.78-0.84     0.61  0.93-0.96     0.27"):
        assert row in text, row


def test_the_too_large_start_is_4_to_6_times_he_and_the_steps_16_to_32_times_smaller():
    he_hidden, he_first = math.sqrt(2 / 32), math.sqrt(2 / 64)
    assert f"{he_hidden:.2f}" == "0.25" and f"{he_first:.2f}" == "0.18"
    assert 1 / he_hidden == 4 and round(1 / he_first) == 6
    assert (1 / he_hidden) ** 2 == 16 and round((1 / he_first) ** 2) == 32
    assert (he_hidden / 0.01) ** 2 > 100 and (he_first / 0.01) ** 2 > 100  # "hundreds of times"
    W = batch_norm.start_weights([64, 32, 32], "he_normal", seed=0)
    assert np.std(W[1]) == pytest.approx(0.25, rel=0.05) and np.std(W[0]) == pytest.approx(0.177, rel=0.05)


WINDOWS = ((1, 1), (2, 5), (6, 10), (11, 20), (21, 34), (35, 68))


def test_no_slow_start_over_the_seeds(starts):
    """001-42: the first batch's loss is higher with batch norm on every seed; from the sixth update on
    every window's mean loss is lower with batch norm, on every seed, for the Glorot and He starts (and
    on to the end of the runs); the plain networks' first logits are smaller than the normalized ones."""
    for start in ("glorot_uniform", "he_normal"):
        for s in SEEDS:
            plain, bn = starts[start, False, s].batch_loss, starts[start, True, s].batch_loss
            assert bn[0] > plain[0], (start, s)
            for a, b in WINDOWS[2:] + ((69, 136),):
                assert bn[a - 1:b].mean() < plain[a - 1:b].mean(), (start, s, a, b)
    text = _section("Does training start slowly?")
    assert "Glorot uniform, without batch norm   2.32  2.31  2.29  2.26  2.22  1.98" in text
    assert "He normal, with batch norm           2.80  2.25  1.85  1.45  1.17  0.81" in text
    assert "No slow start here" in text
    from nnlib import data

    Xd = data.digits_with_validation(method="per_class")[0]
    for start in ("glorot_uniform", "he_normal"):
        net = batch_norm.start_network([64, *(32,) * 5, 10], start, bn=False, seed=0)
        assert net.predict(Xd[:32]).std() < 0.5  # the plain networks' small first logits


def test_the_noise_of_the_batch_in_numbers(starts):
    """001-39: the same image in 100 batches of 8, 32 and 128 (as the chapter draws them)."""
    from nnlib import data, softmax

    Xd, _, Xd_val, yd_val, _, _ = data.digits_with_validation(method="per_class")
    net = starts["he_normal", True, 0].net
    probe = net.copy()
    x0, label = Xd_val[:1], yd_val[0]
    rng = np.random.default_rng(0)
    spread = {}
    for m in (8, 32, 128):
        p = []
        for _ in range(100):
            others = Xd[rng.choice(len(Xd), m - 1, replace=False)]
            p.append(softmax.softmax(probe.forward(np.vstack([x0, others]), training=True).acts[-1][:1])[0, label])
        spread[m] = (min(p), max(p), float(np.std(p)))
    assert label == 7
    assert [f"{v:.2f}" for v in spread[8]] == ["0.04", "0.93", "0.24"]
    assert [f"{v:.2f}" for v in spread[32]] == ["0.48", "1.00", "0.12"]
    assert [f"{v:.2f}" for v in spread[128]] == ["0.60", "0.98", "0.07"]
    assert spread[8][1] - spread[8][0] > 0.8  # "most of [0, 1]"
    for small, large in ((8, 32), (32, 128)):  # "about half for each fourfold increase"
        assert 0.4 < spread[large][2] / spread[small][2] < 0.65
    assert f"{softmax.softmax(net.predict(x0))[0, label]:.2f}" == "0.90"
    # inference mode does not depend on the batch: the image alone or among others
    both = net.predict(np.vstack([x0, Xd[:31]]))[:1]
    np.testing.assert_array_equal(both, net.predict(x0))
    text = _section("Noise from the batch, a mild regularizer")
    assert "[Chapter 13](13_regularization.ipynb)" in text and "dropout" in text


def _digit_batch():
    from nnlib import data

    pixels = data.digits_arrays()[0]
    raw = pixels[:32]
    mean, std = pixels.mean(axis=0), pixels.std(axis=0) + np.float32(1e-3)
    rng = np.random.default_rng(0)
    scale = rng.uniform(1, 10, 64).astype(np.float32)
    shift = rng.uniform(-5, 5, 64).astype(np.float32)
    return raw, mean, std, scale, shift


def test_batch_norm_first_standardizes_the_inputs_up_to_epsilon():
    """001-40: a batch-norm layer in front of the first Dense layer, in training mode."""
    raw, mean, std, scale, shift = _digit_batch()
    first = batch_norm.BatchNorm(64)
    base = first.forward(raw, training=True)
    change = {what: float(np.abs(first.forward(X_in, training=True) - base).max())
              for what, X_in in (("standardized", (raw - mean) / std), ("scaled", raw * scale + shift),
                                 ("16", raw / np.float32(16)))}
    assert f"{np.abs(base).max():.2f}" == "5.48"
    assert [f"{change[k]:.3f}" for k in ("standardized", "scaled", "16")] == ["0.009", "0.088", "3.667"]
    assert change["scaled"] < 0.1 and change["16"] > 1
    # the explanation: one pixel is 1 in one image and 0 in the others
    var = raw.var(axis=0)
    assert var[var > 0].min() == pytest.approx(1 / 32 * 31 / 32)
    assert f"{1 - math.sqrt(var[var > 0].min() / (var[var > 0].min() + 1e-3)):.3f}" == "0.016"  # 1.6 %
    assert f"{var[var > 0].min() / 256:.4f}" == "0.0001"
    third = math.sqrt((var[var > 0].min() / 256) / (var[var > 0].min() / 256 + 1e-3))
    assert 0.3 < third < 0.36  # "shrunk by two thirds"
    # without epsilon the standardized and scaled inputs would give the same output (to rounding)
    exact = batch_norm.BatchNorm(64, epsilon=1e-12)
    nonconstant = var > 0
    diff = np.abs(exact.forward(raw * scale + shift, training=True)
                  - exact.forward(raw, training=True))[:, nonconstant]
    assert diff.max() < 1e-3


def test_batch_norm_after_the_first_dense_layer_removes_only_offset_and_common_scale():
    from nnlib import portable

    raw, mean, std, scale, shift = _digit_batch()
    W = batch_norm.start_weights([64, 32], "he_normal")[0]
    after = batch_norm.BatchNorm(32)
    base = after.forward(portable.dot(raw, W), training=True)
    change = {}
    for what, X_in in (("+3", raw + np.float32(3)), ("x5", raw * np.float32(5)), ("/16", raw / np.float32(16)),
                       ("per pixel", raw * scale), ("scaled and shifted", raw * scale + shift),
                       ("standardized", (raw - mean) / std)):
        change[what] = float(np.abs(after.forward(portable.dot(X_in, W), training=True) - base).max())
    assert [f"{change[k]:.3f}" for k in change] == ["0.000", "0.000", "0.024", "2.373", "2.373", "1.916"]
    text = _section("What it costs")
    for line in ("every pixel + 3      0.000", "scaled per pixel     2.373", "standardized         1.916",
                 "divided by 16        3.667"):
        assert line in text, line


@pytest.fixture(scope="module")
def sigmoid_bn_net():
    """The chapter's deep sigmoid network with batch norm at 1.0 (trained as its cell trains it)."""
    from nnlib import network

    X, y, X_val, y_val, _, _ = _mnist()
    net = batch_norm.sigmoid_network([784, *(50,) * 6, 10], bn=True, momentum=0.9)
    network.train(X, y, net, 1.0, batch_size=100, num_epochs=5)
    return net, X_val


def test_the_folded_network_gives_the_same_predictions(sigmoid_bn_net):
    """001-41: fold the seven batch-norm layers into the Dense layers; logits within 1e-5, the same
    digit for 800 of 800 validation images; the arithmetic of a prediction."""
    net, X_val = sigmoid_bn_net
    folded = batch_norm.fold(net)
    assert sum(n is not None for n in net.norms) == 7 and all(n is None for n in folded.norms)
    a, b = net.predict(X_val), folded.predict(X_val)
    assert float(np.max(np.abs(b - a) / np.maximum(1, np.abs(a)))) <= 1e-5
    assert int(np.sum(a.argmax(axis=1) == b.argmax(axis=1))) == len(X_val) == 800
    assert 784 * 50 + 5 * 50 ** 2 + 50 * 10 == 52_200 and 6 * 50 + 10 == 310
    text = _section("What it costs")
    assert "the same predicted digit for 800 of 800 validation images" in text


def test_the_timing_cell_is_ignored_by_nbval_and_says_it_varies():
    cell = next(c for c in _cells() if c.get("id") == "bn-time-code")
    assert cell["metadata"].get("tags") == ["nbval-ignore-output"]
    assert "varies by machine" in "".join(cell["source"])
    # every other new cell's output is compared
    for c in _cells():
        if c.get("id", "").startswith("bn-") and c["cell_type"] == "code" and c["id"] != "bn-time-code":
            assert "nbval-ignore-output" not in c["metadata"].get("tags", []), c["id"]


def test_exercise_4_batch_norm_before_a_dense_layer_folds_into_it():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(10, 5)).astype(F32)
    W, b = rng.normal(size=(5, 4)).astype(F32), rng.normal(size=4).astype(F32)
    bn = batch_norm.BatchNorm(5, momentum=0.5)
    bn.gamma = rng.uniform(0.5, 2, 5).astype(F32)
    bn.beta = rng.normal(size=5).astype(F32)
    for _ in range(3):  # moving statistics away from 0 and 1
        bn.forward(rng.normal(1, 2, size=(32, 5)).astype(F32), training=True)
    a = bn.gamma / np.sqrt(bn.moving_variance + bn.epsilon)
    W_fold = a[:, None] * W                           # row j of W times a_j
    b_fold = (bn.beta - bn.moving_mean * a) @ W + b
    np.testing.assert_allclose(x @ W_fold + b_fold, bn.forward(x, training=False) @ W + b,
                               rtol=1e-5, atol=1e-5)
    text = " ".join("\n".join("".join(c["source"]) for c in _main_path()).split())
    assert "$W' = \\operatorname{diag}(a)\\,W$ (row $j$ of $W$ times $a_j$)" in text


def test_the_claims_section_names_sections_that_exist():
    """'The note's claims about the method, tested' points at sections of the main path."""
    part = " ".join(_section("The note's claims about the method, tested", main=False).split())
    main = "\n".join("".join(c["source"]) for c in _main_path())
    for title in ("Less sensitive to the starting weights", "Does training start slowly?",
                  "Noise from the batch, a mild regularizer", "What it costs",
                  "A deep sigmoid network, and a larger learning rate"):
        assert f'"{title}"' in part and f"### {title}\n" in main, title
    for label in ("batchnorm-starts", "batchnorm-slow-start", "batchnorm-noise", "batchnorm-cost"):
        assert f"({label})=" in main
    assert "[chapter 13](13_regularization.ipynb)" in part


# --- the TensorFlow 1 variants in Keras 3 (001-43, 001-45, 001-47, 001-50) ---------------------

def test_tf_nn_batch_normalization_with_your_own_statistics_is_the_layer(tf, keras):
    rng = np.random.default_rng(1)
    X_small = (rng.standard_normal((32, 6)) * rng.uniform(0.1, 5, 6) + rng.uniform(-3, 3, 6)).astype(F32)
    h = tf.constant(X_small)
    mean, variance = tf.nn.moments(h, axes=[0])
    low = tf.nn.batch_normalization(h, mean, variance, offset=tf.Variable(tf.zeros(6)),
                                    scale=tf.Variable(tf.ones(6)), variance_epsilon=1e-3).numpy()
    layer = keras.layers.BatchNormalization(momentum=0.9)
    high = layer(h, training=True).numpy()
    np.testing.assert_allclose(low, high, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(layer.moving_mean.numpy(),
                               batch_norm.update_moving(np.zeros(6, F32), mean.numpy(), 0.9), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(low, batch_norm.BatchNorm(6).forward(X_small, training=True), rtol=1e-5, atol=1e-5)
    text = _section("From TensorFlow 1 to TensorFlow 2", main=False)
    assert "the same outputs, within 1e-6 of their size: True" in text


def test_partial_builds_the_notes_model_weight_for_weight(keras):
    from functools import partial

    reference = batch_norm.note_model(bn=True, momentum=0.9)
    my_batch_norm_layer = partial(keras.layers.BatchNormalization, momentum=0.9)
    my_dense_layer = partial(keras.layers.Dense, kernel_initializer="he_normal")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)),
                              my_dense_layer(300), my_batch_norm_layer(), keras.layers.Activation("elu"),
                              my_dense_layer(100), my_batch_norm_layer(), keras.layers.Activation("elu"),
                              my_dense_layer(10), my_batch_norm_layer()])

    def settings(layer):
        config = layer.get_config()
        config.pop("name")
        return type(layer).__name__, config

    assert [settings(l) for l in model.layers] == [settings(l) for l in reference.layers]
    assert model.count_params() == reference.count_params() == 268_250
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to BatchNormalization"):
        partial(keras.layers.BatchNormalization, training=True)()
    assert "parameters: 268,250 and 268,250" in _section("From TensorFlow 1 to TensorFlow 2", main=False)


def test_one_training_step_updates_the_moving_averages_without_update_ops(keras):
    """001-50: train_on_batch alone moves moving_mean and moving_variance by one update_moving step."""
    X, y, *_ = _mnist()
    model = batch_norm.note_model(bn=True, momentum=0.9)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    dense, bn1 = model.layers[0], model.layers[1]
    W, b = dense.kernel.numpy(), dense.bias.numpy()
    start = bn1.moving_mean.numpy(), bn1.moving_variance.numpy()
    mean, var = batch_norm.moments(X[:200] @ W + b)
    model.train_on_batch(X[:200], y[:200])
    for now, was, stat in zip((bn1.moving_mean.numpy(), bn1.moving_variance.numpy()), start, (mean, var)):
        assert not np.array_equal(now, was)
        np.testing.assert_allclose(now, batch_norm.update_moving(was, stat, 0.9), rtol=1e-5, atol=1e-5)
        # and not what two updates, or none, would give
        assert np.max(np.abs(now - was)) > 1e-3
    text = _section("From TensorFlow 1 to TensorFlow 2", main=False)
    assert "moving_mean     moved: True; update_moving's within 1e-5: True" in text
    assert "moving_variance moved: True; update_moving's within 1e-5: True" in text
