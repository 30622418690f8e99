"""Chapter 1 (neurons and activations): the network sizes notes 000, 003, 004 print (the ledger),
and what the chapter states about the notes beyond them (see its errata)."""
from __future__ import annotations

import numpy as np

from nnlib import network, neurons_activations as act
from nnlib.notes import neurons_activations as notes
from tests.helpers import CHAPTERS, stored_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "01_neurons_activations.ipynb"


def total_params(sizes):
    """Our parameter count, as the note writes the end of its sum: ``'= 26'``."""
    return lambda: [f"= {sum(act.param_counts(sizes))}"]


def kernel_shape(sizes, k):
    """The shape of layer k's weight matrix, written as note 004 writes it: ``'400×25'``."""
    return lambda: [notes.format_shape(act.layer_shapes(sizes)[k][0])]


LEDGER = [
    Entry(notes.PARAMS_3_4_2, NOTEBOOK, total_params([3, 4, 2])),
    Entry(notes.PARAMS_3_4_2_AS_PRINTED, NOTEBOOK,
          lambda: [notes.rendered_as_text("总参数 = " + notes.format_param_sum([3, 4, 2]))],
          "the note's sum with its '*' lost to Markdown emphasis (errata)"),
    Entry(notes.SHAPE_400_25, NOTEBOOK, kernel_shape([400, 25, 15, 1], 0)),
    Entry(notes.SHAPE_25_15, NOTEBOOK, kernel_shape([400, 25, 15, 1], 1)),
    Entry(notes.SHAPE_15_1, NOTEBOOK, kernel_shape([400, 25, 15, 1], 2)),
    Entry(notes.PHOTO_INPUT, NOTEBOOK, lambda: [notes.format_input_length(320, 240, 3)]),
]


def test_the_3_4_2_network_has_2_layers_and_12_4_8_2_parameters():
    """000 lines 15-18: 2 layers; 12 weights + 4 biases, then 8 weights + 2 biases."""
    assert act.num_layers([3, 4, 2]) == 2
    (w1, b1), (w2, b2) = act.layer_shapes([3, 4, 2])
    assert (w1[0] * w1[1], b1[0], w2[0] * w2[1], b2[0]) == (12, 4, 8, 2)


def test_the_note_sum_as_printed_adds_up_to_82_not_26():
    """000 line 18 reads '34+4 + 42+2 = 26'; taken literally the left side is 82 (errata)."""
    assert 34 + 4 + 42 + 2 == 82
    assert notes.rendered_as_text("3*4+4 + 4*2+2") == "34+4 + 42+2"


def test_the_10_class_digit_network():
    """004 line 301 (table only as a picture, line 312): 10025 / 390 / 160, total 10575; line 79:
    b[1], b[2], b[3] have lengths 25, 15 and 1."""
    assert act.param_counts([400, 25, 15, 10]) == [10025, 390, 160]  # 10575 in all
    assert act.param_counts([400, 25, 15, 1]) == [10025, 390, 16]  # 10431 in all
    assert [b for _, b in act.layer_shapes([400, 25, 15, 1])] == [(25,), (15,), (1,)]
    stored = "\n".join(stored_text(CHAPTERS / "01_neurons_activations.ipynb"))
    for fact in ("Total params: 10575", "Total params: 10431", "[10025, 390, 160]", "keras count_params():     26"):
        assert fact in stored, fact


def test_elu_tends_to_minus_alpha():
    """001 line 69 says ELU approaches alpha for large negative z; it approaches -alpha (errata)."""
    for alpha in (1.0, 0.5, 2.0):
        assert act.elu(-30.0, alpha=alpha) == np.float32(-alpha)


def test_elu_is_smooth_at_zero_only_for_alpha_1():
    """001 line 71 says ELU is smooth everywhere; the slope from the left at 0 is alpha (errata)."""
    for alpha in (1.0, 0.5, 2.0):
        left = act.derivative("elu", np.float32(-1e-6), alpha)
        right = act.derivative("elu", np.float32(1e-6), alpha)
        assert right == 1 and abs(left - alpha) < 1e-5
        assert (abs(left - right) < 1e-5) == (alpha == 1.0)


def test_tensorflow_now_has_leaky_relu_with_other_defaults(tf):
    """001 line 81 says TF has no leaky ReLU; it has three, defaulting to 0.2, 0.2 and 0.3 (errata)."""
    import inspect

    import keras

    assert inspect.signature(tf.nn.leaky_relu).parameters["alpha"].default == 0.2
    assert inspect.signature(keras.activations.leaky_relu).parameters["negative_slope"].default == 0.2
    assert inspect.signature(keras.layers.LeakyReLU.__init__).parameters["negative_slope"].default == 0.3
    z = tf.constant(np.linspace(-5, 5, 101, dtype=np.float32))
    np.testing.assert_array_equal(tf.maximum(0.01 * z, z).numpy(),
                                  keras.activations.leaky_relu(z, negative_slope=0.01).numpy())


def test_xor_needs_a_hidden_non_linearity():
    """004 line 143: linear layers collapse; the best linear fit of XOR is 0.5 everywhere (MSE 0.25)."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y = np.array([[0], [1], [1], [0]], np.float32)
    A = np.c_[X, np.ones(4)]
    fit = A @ np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(fit, 0.5, atol=1e-12)
    hand = network.Network([np.array([[1, 1], [1, 1]], np.float32), np.array([[1], [-2]], np.float32)],
                           [np.array([0, -1], np.float32), np.zeros(1, np.float32)], "relu")
    assert hand.predict(X).ravel().tolist() == [0, 1, 1, 0]
    assert act.train(X, y, act.init_mlp(2, 8, "identity", seed=0), lr=0.1, num_steps=1000).loss[-1] > 0.2499
    assert act.train(X, y, act.init_mlp(2, 8, "relu", seed=0), lr=0.1, num_steps=1000).loss[-1] < 1e-10


def test_a_large_learning_rate_kills_relu_units_and_not_leaky_0_2_or_elu():
    """001 line 57 / 003 line 162: the chapter's runs (seeds 0-2, 300 steps)."""
    X, y = act.toy_regression()
    def start(name="relu", alpha=None):
        return [act.init_mlp(8, 64, name, alpha, out_scale=0.1, seed=s) for s in (0, 1, 2)]

    calm = [act.train(X, y, n, lr=0.05, num_steps=300) for n in start()]
    assert all(r.off_share.max() == 0 for r in calm)
    hot = [act.train(X, y, n, lr=0.1, num_steps=300) for n in start()]
    assert all(r.off_share[-1] > 0.4 and r.revived == 0 for r in hot)
    for name, alpha in (("leaky_relu", 0.2), ("elu", 1.0)):
        runs = [act.train(X, y, n, lr=0.1, num_steps=300) for n in start(name, alpha)]
        assert all(r.off_share.max() == 0 for r in runs), name
        assert max(r.loss[-1] for r in runs) < min(r.loss[-1] for r in hot), name


def _markdown(part="main"):
    """The chapter's Markdown before (main) or after (notes) its '## From the notes' heading."""
    from tests.helpers import source

    main, _, notes_part = source(CHAPTERS / NOTEBOOK).partition("\n## From the notes")
    return main if part == "main" else notes_part


def _deep_runs():
    """The chapter's two-hidden-layer runs: 50 steps, then 300 with layer 1 learning / frozen."""
    from nnlib import portable

    X, y = act.toy_regression()
    for s in (0, 1, 2):
        start = act.init_mlp(8, [64, 64], "relu", out_scale=0.1, seed=s, dot=portable.dot)
        warm = act.train(X, y, start, lr=0.1, num_steps=50, layer=1)
        free = act.train(X, y, warm.net, lr=0.1, num_steps=300, layer=1)
        held = act.train(X, y, warm.net, lr=0.1, num_steps=300, layer=1, frozen=1)
        yield X, y, warm, free, held


def test_a_dead_unit_comes_back_only_when_its_inputs_can_change():
    """Issue 14: 'dead for good' holds where a unit's inputs cannot change (a first hidden layer,
    frozen layers below); above a learning layer a dead unit can revive (chapter 10 sees it too)."""
    back_free, rows = 0, []
    for s, (X, y, warm, free, held) in enumerate(_deep_runs()):
        dead = warm.off
        assert dead.sum() > 16
        assert held.revived == 0 and np.all(held.off[dead])          # frozen below: stays dead
        np.testing.assert_array_equal(warm.net.weights[1][:, dead], held.net.weights[1][:, dead])
        np.testing.assert_array_equal(warm.net.weights[0], held.net.weights[0])
        back_free += int(np.sum(dead & ~free.off))
        rows.append(f"{s:>4} {dead.sum():>5} {int(np.sum(dead & ~free.off)):>17} "
                    f"{int(np.sum(dead & ~held.off)):>15}")
        # exercise 5: no first-layer unit is off, with layer 1 learning or frozen
        for net in (free.net, held.net):
            assert act.train(X, y, net, lr=0.1, num_steps=0).off.sum() == 0
    assert back_free > 0                                              # learning below: some revive
    stored = "\n".join(stored_text(CHAPTERS / NOTEBOOK))
    assert "\n".join(rows) in stored
    main = _markdown()
    assert "recovers far better" not in main
    import re

    for sentence in re.split(r"(?<=\.)\s", main.replace("\n", " ")):   # 'for good' only where
        if "for good" in sentence:                                     # the inputs cannot change
            assert any(w in sentence for w in ("first", "only if", "come back")), sentence
    summary = main.split("## Summary", 1)[1].split("## Exercises", 1)[0].replace("\n", " ")
    assert "only if its inputs cannot change" in summary and "11_deep_networks.ipynb" in summary


def test_leaky_0_2_and_elu_never_go_dead_in_the_chapter_table():
    """Issue 14: alpha = 0.2 'never goes dead' (no unit off at any step), not 'recovers better'."""
    stored = "\n".join(stored_text(CHAPTERS / NOTEBOOK))
    for row in ("leaky α=0.2    0.1 |   0.0   0.0   0.0 |         0 |",
                "ELU α=1        0.1 |   0.0   0.0   0.0 |         0 |",
                "leaky α=0.01   0.1 |  81.2  25.0  57.8 |         6 |"):
        assert row in stored, row
    main = _markdown().replace("\n", " ")
    assert "**never** had a unit off for every input" in main and "only 6 of them" in main


def test_elu_with_alpha_1_is_c1_not_smooth():
    """Issue 14: ELU (alpha = 1) has a continuous slope but its second derivative jumps 1 -> 0 at 0."""
    h = 1e-4
    df = lambda z: float(act.derivative("elu", np.float64(z), 1.0))  # noqa: E731
    assert abs(df(-h) - df(h)) < 1e-3                                   # C^1: no kink
    assert abs((df(0) - df(-h)) / h - 1) < 1e-2 and (df(h) - df(0)) / h == 0   # f'' jumps
    import re

    for sentence in re.split(r"(?<=[.;:])\s", _markdown().replace("\n", " ")):
        if "ELU" in sentence and "smooth" in sentence:
            assert "C^1" in sentence and "not smooth" in sentence, sentence
    box = _markdown("notes").split("(errata-01-elu-smooth)=", 1)[1].split("(errata-", 1)[0]
    assert "C^1" in box and "not smooth" in box and "$\\alpha = 1$" in box


def test_prelu_worked_example_rrelu_means_and_exercise_6(tf):
    """"A learned slope, a random slope": the slope gradients -2.5 and -5 (nnlib and Keras's
    PReLU), RReLU's training draws averaging to its inference output (-0.458, -0.229 to 3
    decimals), and solution 6's zero input gradient, slope gradient -3 and new slope 0.3."""
    import keras

    z = np.array([[-2.0, 1.0], [-0.5, -1.0], [3.0, -4.0]], np.float32)
    a = np.array([0.25, 0.1], np.float32)
    _, da = act.prelu_grad(z, a, np.ones_like(z))
    assert da.tolist() == [-2.5, -5.0]
    layer = keras.layers.PReLU()
    layer.build((None, 2))
    layer.alpha.assign(a)
    with tf.GradientTape() as tape:
        out = layer(tf.constant(z))
        loss = tf.reduce_sum(out)
    assert tape.gradient(loss, layer.alpha).numpy().tolist() == [-2.5, -5.0]
    assert np.array_equal(out.numpy(), act.prelu(z, a))
    assert np.all(-da > 0)  # "for this loss both slopes grow"

    z_r = np.array([-2.0, -1.0, 0.5], np.float32)
    inference = act.rrelu(z_r)
    assert [f"{v:.3f}" for v in inference] == ["-0.458", "-0.229", "0.500"]
    mean = act.rrelu(np.tile(z_r, (10000, 1)), training=True, seed=2).astype(np.float64).mean(axis=0)
    assert [f"{v:.3f}" for v in mean] == ["-0.459", "-0.229", "0.500"]
    assert np.all(np.abs(mean - inference) <= 0.001)            # "within 0.001"
    for s in (0, 1):
        draw = act.rrelu(z_r, training=True, seed=s)
        assert np.all((draw[:2] <= z_r[:2] / 8) & (draw[:2] >= z_r[:2] / 3)) and draw[2] == 0.5

    dz, dslope = act.prelu_grad(np.float32([-1, -2, -3]), np.float32(0), np.full(3, 0.5, np.float32))
    assert np.all(dz == 0) and dslope == -3
    assert np.float32(0) - np.float32(0.1) * dslope == np.float32(0.3)
