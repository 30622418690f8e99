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


def test_exercise_4_batch_norm_in_inference_mode_folds_into_the_dense_layer():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(10, 5)).astype(F32)
    W, b = rng.normal(size=(5, 4)).astype(F32), rng.normal(size=4).astype(F32)
    bn = batch_norm.BatchNorm(4, momentum=0.5)
    bn.gamma = rng.uniform(0.5, 2, 4).astype(F32)
    bn.beta = rng.normal(size=4).astype(F32)
    for _ in range(3):  # moving statistics away from 0 and 1
        bn.forward(rng.normal(1, 2, size=(32, 5)).astype(F32) @ W + b, training=True)
    a = bn.gamma / np.sqrt(bn.moving_variance + bn.epsilon)
    W_fold, b_fold = W * a, (b - bn.moving_mean) * a + bn.beta
    np.testing.assert_allclose(x @ W_fold + b_fold, bn.forward(x @ W + b, training=False),
                               rtol=1e-5, atol=1e-5)


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
