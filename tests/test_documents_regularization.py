"""Facts chapter 11 (overfitting and regularization) states about the notes and the course code (errata)."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import regularization as reg
from nnlib import lr_decay
from nnlib.notes import regularization as note
from tests.helpers import SEEDS


def _note_lines(printed):
    path = SEEDS / printed.file
    if not path.exists():
        pytest.skip(f"{path} not found: the notes are not beside this checkout")
    return path.read_text(encoding="utf-8").split("\n")


@pytest.mark.parametrize("printed", [note.TEMPLATE_GLOBAL_STEP, note.TEMPLATE_DECAY, note.TEMPLATE_MINIMIZE])
def test_the_errata_quotes_the_template_verbatim(printed):
    text = _note_lines(printed)
    for k, row in enumerate(printed.lines):
        assert row in text[printed.first_line + k - 1]


def test_the_template_itself_passes_global_step():
    """Line 187: the note's template is right; the slip is in the course's backward.py."""
    assert "global_step=global_step" in note.TEMPLATE_MINIMIZE.text


def _tf1_rates(tf, pass_global_step, steps=30):
    v1 = tf.compat.v1
    X, y = reg.circle_data()
    with tf.Graph().as_default() as g:
        x = v1.placeholder(tf.float32, shape=(None, 2))
        y_ = v1.placeholder(tf.float32, shape=(None, 1))
        w = v1.Variable(np.ones((2, 1), np.float32))
        global_step = v1.Variable(0, trainable=False)
        lr = v1.train.exponential_decay(0.001, global_step, 300 / 30, 0.999, staircase=True)
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y_)) + 0.01 * tf.nn.l2_loss(w)
        opt = v1.train.AdamOptimizer(lr)
        step = opt.minimize(loss, global_step=global_step) if pass_global_step else opt.minimize(loss)
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            for i in range(steps):
                s = (i * 30) % 300
                sess.run(step, feed_dict={x: X[s:s + 30], y_: y[s:s + 30]})
            return sess.run([global_step, lr])


def test_without_global_step_the_rate_never_decays_and_the_fix_works(tf):
    gs, lr = _tf1_rates(tf, False)
    assert gs == 0 and lr == np.float32(0.001)
    gs, lr = _tf1_rates(tf, True)
    assert gs == 30 and lr == lr_decay.exponential_decay(0.001, 30, 10, 0.999, staircase=True)


def test_the_intended_rate_at_40000_steps():
    assert f"{lr_decay.exponential_decay(0.001, 40000, 10, 0.999, staircase=True):.7f}" == "0.0000183"
    assert f"{lr_decay.exponential_decay(0.001, 500, 10, 0.999, staircase=True):.6f}" == "0.000951"


def test_keras_l2_half_of_tf1_and_sklearn_scaling():
    assert reg.keras_l2_from_tf1(0.01) == np.float32(0.005)
    assert f"{0.0001 / (2 * 300):.1e}" == "1.7e-07"  # exercise 2


def test_the_data_has_188_red_points_and_the_test_set_is_fresh():
    X, y = reg.circle_data()
    Xt, yt = reg.circle_data(1000, seed=12)
    assert int(y.sum()) == 188 and int(yt.sum()) == 643
    assert not np.isin(Xt[:, 0], X[:, 0]).any()
