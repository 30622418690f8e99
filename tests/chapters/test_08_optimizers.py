"""Chapter 8 (optimizers): the numbers notes 003 and 004 give about optimizers (the ledger), and what
the chapter states about the notes beyond their numbers (see the errata).

Note 003 prints no optimizer run; its numbers are scikit-learn's MLPClassifier defaults and
rules (lines 45-65), read here from scikit-learn itself or measured on it, and the batch sizes it
calls usual (line 133). Note 004 gives Adam's global learning rate (line 251).
"""
from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import pytest

from nnlib import optimizers as opt
from nnlib.notes import NOTE_003
from nnlib.notes import optimizers as note
from tests.helpers import CHAPTERS, note_line, stored_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "08_optimizers.ipynb"


@lru_cache(maxsize=None)
def _params():
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier().get_params()


def default(name):
    """The installed scikit-learn's default for ``name``, in note 003's spelling."""
    return lambda: [note.format_default(name, _params()[name])]


def batch_rule():
    """batch_size='auto', measured: updates per epoch for 1000 samples (and 1 for 150)."""
    per_1000, per_150 = opt.mlp_updates_per_epoch(1000), opt.mlp_updates_per_epoch(150)
    assert per_150 == 1 and 1000 % per_1000 == 0
    return [note.format_batch_rule(1000 // per_1000)]


def adaptive_divisor():
    """learning_rate='adaptive' on a plateau: the rate before a cut over the rate after it."""
    cuts, _ = opt.mlp_plateau(15)
    (_, before, after), = cuts
    return [note.format_divisor(round(before / after, 9))]


LEDGER = [
    *[Entry(printed, NOTEBOOK, default(name)) for name, (printed, _) in note.NUMERIC_DEFAULTS.items()],
    Entry(note.BATCH_SIZE_AUTO, NOTEBOOK, batch_rule,
          "measured: Adam takes 5 updates per epoch on 1000 samples, 1 on 150"),
    Entry(note.ADAPTIVE_DIVISOR, NOTEBOOK, adaptive_divisor,
          "measured; the note's 'two consecutive epochs' is 11 (errata)"),
    Entry(note.EARLY_STOPPING_SHARE, NOTEBOOK,
          lambda: [note.format_share(_params()["validation_fraction"])]),
    Entry(note.BATCH_SIZES, NOTEBOOK,
          lambda: [note.format_sizes([b for b in opt.BATCH_SIZES if b > 1])],
          "a recommendation, not a result: the chapter measures noise and time at these sizes"),
    Entry(note.ADAM_LR, NOTEBOOK, lambda: [note.format_power_of_ten(opt.DEFAULTS["adam"]["lr"])],
          "Keras's default for Adam (tests/nnlib/test_optimizers.py checks DEFAULTS against Keras)"),
]


def test_every_other_default_the_note_states_is_scikit_learns():
    """003 lines 34-65: the defaults that are not numbers (relu, adam, 'auto', True, ...)."""
    for name, (k, text) in note.MLP_LINES.items():
        if k is None:
            assert name in ("n_iter_no_change", "max_fun")  # left out of the note's list
            continue
        assert name in note_line(NOTE_003, k) or name == "learning_rate_init"
        if text is not None:
            assert text in note_line(NOTE_003, k), (name, text)
            if name not in note.NUMERIC_DEFAULTS:  # the numbers are ledger entries
                assert str(_params()[name]) in text, (name, text)
    assert set(note.MLP_LINES) == set(_params())


def test_the_list_skips_item_13_and_leaves_out_two_parameters():
    lines = sorted(k for k, _ in note.MLP_LINES.values() if k)
    numbers = [int(note_line(NOTE_003, k).split(".")[0]) for k in lines]
    assert numbers == [n for n in range(1, 23) if n != 13]
    assert len(_params()) == 23


def test_learning_rate_int_is_not_a_parameter():
    """003 line 56 misspells learning_rate_init; scikit-learn rejects the misspelling."""
    from sklearn.neural_network import MLPClassifier

    assert "learning_rate_int" in note_line(NOTE_003, 56) and "learning_rate_init" in note_line(NOTE_003, 48)
    assert "learning_rate_int" not in _params()
    with pytest.raises(ValueError, match="Invalid parameter 'learning_rate_int'"):
        MLPClassifier().set_params(learning_rate_int=0.01)


def test_incscaling_is_rejected_and_invscaling_counts_samples():
    """003 line 49 spells 'incscaling'; the schedule's t is the number of samples seen."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    assert "‘incscaling’" in note_line(NOTE_003, 49) and "’invscaling’" in note_line(NOTE_003, 47)
    X, y = np.random.default_rng(0).normal(size=(100, 3)), np.arange(100) % 2
    with pytest.raises(ValueError, match="must be a str among"):
        MLPClassifier(solver="sgd", learning_rate="incscaling").fit(X, y)
    clf = MLPClassifier(solver="sgd", learning_rate="invscaling", hidden_layer_sizes=(3,), max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        clf.fit(X, y)
    assert clf._optimizer.learning_rate == pytest.approx(0.001 / np.sqrt(101))


def test_the_plateau_rules_wait_11_epochs_not_2():
    """003 lines 50 and 61 say two consecutive epochs; scikit-learn 1.9's docstring still does."""
    from sklearn.neural_network import MLPClassifier

    assert "连续两次" in note_line(NOTE_003, 50) and "两步连续" in note_line(NOTE_003, 61)
    assert "two consecutive epochs" in MLPClassifier.__doc__
    assert _params()["n_iter_no_change"] == 10
    cuts, n_iter = opt.mlp_plateau(25)
    assert [(e, round(b / a, 9)) for e, b, a in cuts] == [(12, 5.0), (23, 5.0)] and n_iter == 25
    assert opt.mlp_plateau(25, early_stopping=True) == ([], 12)


def test_at_the_saddle_momentum_and_adagrad_escape_sooner_than_sgd():
    """003 lines 85-86, at a common learning rate; Keras's AdaGrad boost is capped at sqrt(10)."""
    s = opt.SURFACES["saddle"]
    steps = {}
    for name, hyper in [("sgd", {}), ("momentum", {}), ("adagrad", {}),
                        ("adagrad0", {"initial_accumulator_value": 0.0})]:
        away = np.abs(s.paths(name.rstrip("0"), (0.03,), 1000, **hyper)[:, 0, 1]) > 0.5
        steps[name] = int(away.argmax())
    assert steps["momentum"] < steps["adagrad"] < steps["sgd"] and steps["adagrad0"] < steps["adagrad"]
    tr = opt.run("adagrad", s.grad, s.start, 0.1, 1)
    assert tr.rate[0, 1] / 0.1 == pytest.approx(np.sqrt(10), rel=1e-3)


def test_scikit_learns_sgd_and_adam_are_the_same_rules():
    """The chapter says MLPClassifier's solvers use Keras's formulas (in float64)."""
    from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

    rng = np.random.default_rng(5)
    grads = rng.normal(size=(50, 6))
    for name, ours_name in [("adam", "adam"), ("sgd", "nesterov")]:
        p = [np.zeros(6)]
        sk = (AdamOptimizer(p, learning_rate_init=0.01) if name == "adam"
              else SGDOptimizer(p, learning_rate_init=0.01, momentum=0.9, nesterov=True))
        for g in grads:
            sk.update_params(p, [g.copy()])
        ours = opt.replay(ours_name, grads, 0.01, **({"epsilon": 1e-8} if name == "adam" else {})).w[-1]
        np.testing.assert_allclose(ours, p[0], rtol=1e-4, atol=1e-6)


def test_the_chapter_measures_the_notes_batch_sizes():
    """003 line 133's usual sizes are rows of the chapter's noise table, next to 1 and the full batch."""
    stored = stored_text(CHAPTERS / "08_optimizers.ipynb")
    rows = [line.split()[0] for line in stored if line[:6].strip() in {"1", "16", "32", "64", "128", "full"}
            and len(line.split()) == 6]
    assert rows[:6] == ["1", "16", "32", "64", "128", "full"]


def test_the_power_table_and_the_adam_row_say_what_holds_on_every_cpu():
    """Chapter 8: with nnlib.portable.power, Adam matches Keras at all 100 steps (stored table);
    the 0.9^t table counts TensorFlow's misses against integer-exact values and states only a
    bound for numpy, whose count depends on the CPU."""
    import nnlib
    from nnlib import portable

    stored = stored_text(CHAPTERS / "08_optimizers.ipynb")
    rows = [s for s in stored if " of 100 " in s]
    assert [r.split()[0] for r in rows] == ["SGD", "momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"]
    assert all(r.split()[2:5] == ["100", "of", "100"] and r.split()[5] == "0" for r in rows)
    tf = nnlib.tf_setup(seed=0)
    beta, ts = np.float32(0.9), np.arange(1, 801)
    num, den = float(beta).as_integer_ratio()
    exact = np.array([num ** k / den ** k for k in ts.tolist()]).astype(np.float32)
    tf_off = int((tf.pow(tf.constant(beta), tf.constant(ts, tf.float32)).numpy() != exact).sum())
    assert np.array_equal(portable.power(beta, ts), exact)
    assert portable.ulps(np.power(beta, ts.astype(np.float32)), exact) < 2
    assert f"  TensorFlow, tf.pow     off at {tf_off:3d} of 800 t, by below 2 ulp" in stored
    assert "  nnlib, portable.power  exact at every t" in stored
    assert "  numpy, np.power        off by below 2 ulp; at how many t depends on the CPU" in stored
