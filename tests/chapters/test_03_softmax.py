"""Chapter 3 (softmax and cross-entropy): note 004's quiz answer (the ledger), and what the chapter
states about the notes and the course beyond it (see its errata).

Note 004 prints no other number about softmax; its round-off example (0.000200000000000000 vs
0.000199999999999978) is not in the note but in the course's lab, and is checked here.
"""
from __future__ import annotations

import numpy as np

from nnlib.notes import NOTE_000, NOTE_004, shows
from nnlib.notes import softmax as notes_softmax
from nnlib.softmax import EPSILON, log_softmax, softmax, sparse_categorical_cross_entropy
from tests.helpers import CHAPTERS, changed_digits, note_line, note_text, source, stored_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "03_softmax.ipynb"


def quiz_answer() -> list[str]:
    """Which -log(a_j) the loss equals, for 4 classes and true class 3 (label 2), on 1000 examples."""
    z = np.random.default_rng(4).normal(0.0, 3.0, size=(1000, 4)).astype(np.float32)
    losses = sparse_categorical_cross_entropy(np.full(1000, 2), z)
    neg_log_a = -log_softmax(z)
    return [notes_softmax.format_log_a(j + 1) for j in range(4)
            if np.allclose(neg_log_a[:, j], losses, rtol=1e-6, atol=1e-6)]


LEDGER = [
    Entry(notes_softmax.QUIZ_LOSS, NOTEBOOK, quiz_answer,
          "the quiz counts classes from 1; in code class 3 is label 2"),
]


def test_the_round_off_example_is_reproduced_digit_for_digit():
    """The course's lab: 2.0/10000 and 1 + 1/10000 - (1 - 1/10000), printed with 18 decimals."""
    ours = (notes_softmax.format_roundoff(2.0 / 10000),
            notes_softmax.format_roundoff(1 + (1 / 10000) - (1 - 1 / 10000)))
    assert ours == notes_softmax.ROUNDOFF == ("0.000200000000000000", "0.000199999999999978")


def test_the_chapter_shows_the_round_off_numbers_and_not_a_changed_digit():
    stored = stored_text(CHAPTERS / NOTEBOOK)
    for row in notes_softmax.ROUNDOFF:
        assert shows(row, stored)
        for changed in changed_digits(row):
            assert not shows(changed, stored), changed


def test_the_round_off_numbers_are_not_in_the_note_so_not_in_the_ledger():
    """004 line 208 describes round-off in words only; the chapter says so in its notes box."""
    text = note_text(NOTE_004)
    assert "舍入误差" in note_line(NOTE_004, 208)
    for row in notes_softmax.ROUNDOFF:
        assert row not in text


def test_softmax_outputs_sum_to_one_for_3_and_4_classes():
    """004 lines 227-231 (quiz 1): the activations of 3 or 4 outputs add up to 1."""
    assert "adds up to 1" in note_line(NOTE_004, 227)
    rng = np.random.default_rng(0)
    for n in (3, 4):
        a = softmax(rng.normal(0, 5, size=(1000, n)).astype(np.float32))
        np.testing.assert_allclose(a.sum(axis=1), 1, atol=1e-6)


def test_with_two_classes_softmax_is_logistic_regression():
    """004 line 192: with N = 2 softmax regression reduces to logistic regression."""
    assert "N = 2" in note_line(NOTE_004, 192)
    d = np.linspace(-15, 15, 301).astype(np.float32)
    a1 = softmax(np.stack([d, np.zeros_like(d)], axis=1))[:, 0]
    np.testing.assert_allclose(a1, 1 / (1 + np.exp(-d.astype(np.float64))), atol=2e-7)


def test_note_000_tf1_call_equals_the_one_hot_loss_in_tf2(tf):
    """000 line 60: sparse_softmax_cross_entropy_with_logits(logits=y, labels=tf.argmax(y_, 1))."""
    assert "labels=tf.argmax(y_, 1)" in note_line(NOTE_000, 60)
    y_ = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    y = np.random.default_rng(0).normal(0, 2, size=(4, 3)).astype(np.float32)
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(logits=y, labels=tf.argmax(y_, 1)).numpy()
    onehot = tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y).numpy()
    np.testing.assert_allclose(sparse, onehot, rtol=1e-6)
    np.testing.assert_allclose(sparse_categorical_cross_entropy(np.argmax(y_, 1), y), sparse, rtol=1e-6)


def test_erratum_the_loss_from_logits_never_forms_the_probability(tf):
    """004 line 208 says z is skipped; it is a: a_1 underflows to 0, the loss is still exact."""
    line = note_line(NOTE_004, 208)
    assert "不要再计算中间结果 z" in line and "中间结果 a j" in line
    z = np.array([0.0, 110.0], np.float32)
    assert softmax(z)[0] == 0
    assert sparse_categorical_cross_entropy(0, z) == 110
    assert tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0], logits=z[None]).numpy()[0] == 110


def test_keras_loss_from_probabilities_is_capped_and_its_gradient_vanishes(tf):
    """The chapter: from clipped probabilities the loss stops at -log(1e-7) = 16.118 with gradient 0."""
    import keras

    logits = tf.Variable(np.array([[0.0, 100.0]], np.float32))
    with tf.GradientTape() as tape:
        loss = keras.losses.sparse_categorical_crossentropy(np.array([0]), tf.nn.softmax(logits))
    assert f"{loss.numpy()[0]:.6f}" == "16.118095" == f"{-np.log(np.float32(EPSILON)):.6f}"
    assert np.all(tape.gradient(loss, logits).numpy() == 0)


def _tiny_model(keras, tail, loss, run_eagerly=False):
    """The chapter's tiny model: logits [0, 100] for the input [1, 0], then ``tail`` layers."""
    dense = keras.layers.Dense(2, activation=tail if isinstance(tail, str) else None)
    layers = [keras.Input((2,)), dense] + ([] if isinstance(tail, str) else list(tail))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss, run_eagerly=run_eagerly)
    dense.set_weights([np.array([[0, 100], [0, 0]], np.float32), np.zeros(2, np.float32)])
    return model


def test_keras_looks_through_a_softmax_output_layer_in_fit_and_evaluate(tf):
    """Issue 14: a softmax output layer with from_logits=False is NOT capped at 16.1 in fit or
    evaluate (Keras uses the logits it attached, ``_keras_logits``); only a plain array is."""
    import keras

    x, y = np.array([[1.0, 0.0]], np.float32), np.array([0])
    for tail in ("softmax", [keras.layers.Softmax()], [keras.layers.Activation("softmax")]):
        model = _tiny_model(keras, tail, keras.losses.SparseCategoricalCrossentropy())
        assert abs(model.evaluate(x, y, verbose=0) - 100) < 1e-3
        w0 = model.layers[0].get_weights()[0][0].copy()
        assert abs(model.fit(x, y, verbose=0).history["loss"][0] - 100) < 1e-3
        step = model.layers[0].get_weights()[0][0] - w0
        np.testing.assert_allclose(step, [0.01, -0.01], atol=1e-4)  # the from-logits gradient (-1, 1)
    probs = model.predict(x, verbose=0)
    assert not hasattr(probs, "_keras_logits")
    capped = keras.losses.sparse_categorical_crossentropy(y, probs).numpy()[0]
    assert f"{capped:.6f}" == "16.118095" == f"{-np.log(np.float32(EPSILON)):.6f}"
    stored = stored_text(CHAPTERS / NOTEBOOK)
    for row in ("Dense(2, activation='softmax')   100.000  100.000   [+0.010 -0.010]",
                "Dense(2), then Softmax()         100.000  100.000   [+0.010 -0.010]"):
        assert row in stored, row
    assert any(line.endswith("the same loss on that array: 16.118") for line in stored)
    md = " ".join(source(CHAPTERS / NOTEBOOK).split())
    assert ("Keras looks through a softmax output layer: the loss is computed from its logits, "
            "so it is not capped.") in md


def test_exercise_5_where_keras_stops_recognising_the_softmax(tf):
    """Solution 5: tf.nn.softmax in a Lambda is recognised in the graph (100), not eagerly
    (16.118); a softmax written out by hand never is (nan unshifted, 16.118 shifted)."""
    import keras

    x, y = np.array([[1.0, 0.0]], np.float32), np.array([0])

    def by_hand(t):
        return tf.exp(t) / tf.reduce_sum(tf.exp(t), -1, keepdims=True)

    def shifted(t):
        return by_hand(t - tf.reduce_max(t, -1, keepdims=True))

    loss = keras.losses.SparseCategoricalCrossentropy()
    found = {}
    for name, fn in (("tf.nn.softmax", tf.nn.softmax), ("by hand", by_hand), ("shifted", shifted)):
        for eager in (False, True):
            model = _tiny_model(keras, [keras.layers.Lambda(fn)], loss, run_eagerly=eager)
            found[name, eager] = f"{model.evaluate(x, y, verbose=0):.3f}"
    assert found == {("tf.nn.softmax", False): "100.000", ("tf.nn.softmax", True): "16.118",
                     ("by hand", False): "nan", ("by hand", True): "nan",  # exp(100) overflows
                     ("shifted", False): "16.118", ("shifted", True): "16.118"}


def test_exercise_1_and_2_numbers():
    """Solutions 1 and 2 quote these numbers."""
    z = np.float32([2, 1, 0.1])
    shown = {T: np.array2string(softmax(z / np.float32(T)), precision=3, floatmode="fixed")
             for T in (0.5, 1, 5)}
    assert shown == {0.5: "[0.864 0.117 0.019]", 1: "[0.659 0.242 0.099]", 5: "[0.400 0.327 0.273]"}
    y_hat = np.float32([0.98, 0.01, 0.01])
    assert f"{sparse_categorical_cross_entropy(0, y_hat):.3f}" == "0.564"
    assert f"{sparse_categorical_cross_entropy(0, y_hat, from_logits=False):.3f}" == "0.020"
    assert f"{sparse_categorical_cross_entropy(0, np.float32([1, 0, 0])):.3f}" == "0.551"
    assert f"{np.log(np.e + 2) - 1:.3f}" == "0.551"


def test_in_practice_numbers_the_text_quotes():
    """The prose of 'In practice' quotes the validation and test lines the cells print."""
    stored = stored_text(CHAPTERS / NOTEBOOK)
    for row in ("validation     0.963       0.975  0.1307", "chosen on validation: T = 1.25",
                "test, T = 1.00: accuracy 0.976, confidence 0.974, loss 0.0999",
                "test, T = 1.25: accuracy 0.976, confidence 0.964, loss 0.0982"):
        assert row in stored, row
    assert round(270 * (1 - 0.963)) == 10


def test_the_chapter_is_a_lesson():
    """tests/book/test_lesson.py's checks, on this chapter (goals, order, provenance, 77 columns)."""
    from tests.book import test_lesson

    path = CHAPTERS / NOTEBOOK
    for check in (test_lesson.test_goals_first_and_the_notes_part_last,
                  test_lesson.test_goals_name_three_to_five_things_the_reader_can_do,
                  test_lesson.test_main_path_is_mostly_about_the_subject,
                  test_lesson.test_no_note_line_numbers_in_reader_facing_text,
                  test_lesson.test_code_and_main_path_output_fit_the_column):
        check(path)


# --- the decision-regions section (note 004, section 3.1, figure 2-2-6) ---------------------------

def _region_classifiers():
    """The section's two classifiers, retrained as its cell trains them."""
    from nnlib import network, portable
    from nnlib.softmax import four_blobs

    X, y = four_blobs(num_per_class=60, seed=0)
    nets = {}
    for name, sizes in {"linear softmax": [2, 4], "16 tanh hidden units": [2, 16, 4]}.items():
        nets[name] = network.glorot_network(sizes, "tanh", loss="softmax_ce", seed=0, dot=portable.dot)
        network.train(X, y, nets[name], lr=1.0, num_epochs=500)
    return X, y, nets


def test_decision_regions_are_convex_polygons_where_logits_tie():
    """The trained linear softmax classifier: the regions the figure colours are the argmax of
    x W + b; each is convex (the midpoint of two points of a region is in it); the three corners of
    the middle region, where three logits tie, are what the chapter prints; the accuracies are
    the stored ones and above a bound; the hidden layer's region of label 0 is not convex and
    reaches the right edge, as the text says."""
    from nnlib.plots import softmax as plots_softmax

    X, y, nets = _region_classifiers()
    stored = stored_text(CHAPTERS / NOTEBOOK)
    right = {name: int(np.sum(net.predict(X).argmax(axis=1) == y)) for name, net in nets.items()}
    for name, r in right.items():
        assert f"{name:<21} training accuracy {r / len(y):.3f} ({r} of {len(y)})" in stored
    assert right["linear softmax"] / len(y) > 0.9 and right["16 tanh hidden units"] > right["linear softmax"]
    md = " ".join(source(CHAPTERS / NOTEBOOK).split())
    assert f"curves get {right['16 tanh hidden units'] - right['linear softmax']} more training points right" in md

    lin = nets["linear softmax"]
    W, b = lin.weights[0].astype(np.float64), lin.biases[0].astype(np.float64)
    xs, ys, z, labels = plots_softmax.decision_regions(lin.predict, (-5.0, 5.0), (-4.5, 5.5), num=120)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).astype(np.float64)
    z64 = grid @ W + b
    top2 = np.sort(z64, axis=-1)[..., -2:]
    clear = top2[..., 1] - top2[..., 0] > 1e-4          # no near-tie: float32 and float64 agree
    assert np.array_equal(labels[clear], z64.argmax(axis=-1)[clear]) and clear.mean() > 0.99
    assert set(np.unique(labels)) == {0, 1, 2, 3}
    rng = np.random.default_rng(0)
    points = grid.reshape(-1, 2)
    for k in range(4):
        inside = points[labels.ravel() == k]
        a, c = inside[rng.integers(0, len(inside), 500)], inside[rng.integers(0, len(inside), 500)]
        mid = (a + c) / 2 @ W + b
        assert np.all(mid[:, k] >= mid.max(axis=1) - 1e-9), k    # convex: the midpoint stays in region k

    for i, j in [(1, 2), (2, 3), (1, 3)]:
        A = np.stack([W[:, 0] - W[:, i], W[:, 0] - W[:, j]])
        corner = np.linalg.solve(A, [b[i] - b[0], b[j] - b[0]])
        zc = corner @ W + b
        assert np.ptp(zc[[0, i, j]]) < 1e-9 and zc[6 - i - j] < zc[0] - 5   # three tie, the fourth far below
        line = f"  labels 0, {i}, {j} meet at ({corner[0]:+.2f}, {corner[1]:+.2f}): logits "
        assert line + " ".join(f"{v:+.2f}" for v in zc) in stored

    hidden = nets["16 tanh hidden units"]
    _, _, _, hl = plots_softmax.decision_regions(hidden.predict, (-5.0, 5.0), (-4.5, 5.5), num=120)
    assert 0 in hl[:, -1] and 0 not in labels[:, -1]     # label 0 reaches the right edge only with the hidden layer
    assert np.all(X[y == 0, 0] < 3)                      # where no point of label 0 lies
    inside = points[hl.ravel() == 0]
    a, c = inside[rng.integers(0, len(inside), 500)], inside[rng.integers(0, len(inside), 500)]
    mid = hidden.predict(((a + c) / 2).astype(np.float32)).argmax(axis=1)
    assert np.any(mid != 0)                              # not convex: some midpoints leave the region


def test_note_004s_figure_is_drawn_in_the_main_path():
    """Note 004 section 3.1 shows (figure 2-2-6) the multi-class boundaries it wants; the chapter
    draws them for a trained classifier, in the lesson, and says where in its notes part."""
    assert "图2-2-6 二元分类推广到多分类" in note_text(NOTE_004)
    md = source(CHAPTERS / NOTEBOOK)
    main, notes_part = md.split("## From the notes")
    assert "(softmax-regions)=\n## Decision regions" in main and "figure 2-2-6" in notes_part
    assert "[Decision regions](softmax-regions)" in notes_part
