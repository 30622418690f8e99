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


# --- the lesson (issue 14): narrow tables, the honest protocol, the glossary's words, solutions --

def _markdown():
    from tests.helpers import source

    return source(CHAPTERS / NOTEBOOK)


def _tables(md):
    """Every Markdown table: a list of rows, each a list of cells (header first)."""
    tables, rows = [], []
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            if not line.startswith("|---"):
                rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif rows:
            tables.append(rows)
            rows = []
    return tables


def test_the_update_rules_and_the_keras_names_are_two_narrow_tables():
    """Issue 14: one six-rule table hid its Keras column and cut Adam's update. Now the updates
    and the Keras names are separate tables of at most three columns, Adam's update is displayed
    in full, and the Keras defaults the chapter states are Keras's (DEFAULTS is checked against
    Keras in tests/nnlib/test_optimizers.py)."""
    import re

    md = _markdown()
    tables = _tables(md)
    assert all(len(row) <= 3 for t in tables for row in t)
    updates = next(t for t in tables if t[0] == ["rule", "one update"])
    keras_names = next(t for t in tables if t[0] == ["rule", "Keras 3", "defaults"])
    labels = [opt.LABELS[n] for n in opt.NAMES]
    assert [r[0] for r in updates[1:]] == labels == [r[0] for r in keras_names[1:]]
    for row in updates[1:]:   # a formula cell that fits the column: at most ~70 rendered characters
        assert len(re.sub(r"\\[a-z]+|[${}\\ ]", "", row[1])) <= 50, row
    for symbol in (r"m \leftarrow \beta_1 m + (1-\beta_1)\, g", r"v \leftarrow \beta_2 v + (1-\beta_2)\, g^2",
                   r"w \leftarrow w - \eta_t\, \frac{m}{\sqrt{v} + \epsilon}",
                   r"\eta_t = \eta\, \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}"):
        assert symbol in md, symbol
    names = {"η": "lr", "ρ": "rho", "β₁": "beta_1", "β₂": "beta_2",
             "a starts at": "initial_accumulator_value"}
    for name, row in zip(opt.NAMES, keras_names[1:]):
        stated = dict(re.findall(r"(η|ρ|β₁|β₂|a starts at) =? ?([0-9.]+)", row[2]))
        assert stated and {names[k]: float(v) for k, v in stated.items()} == {
            names[k]: opt.DEFAULTS[name][names[k]] for k in stated}, row
        assert row[1].startswith("`" + ("SGD" if name in ("sgd", "momentum", "nesterov") else
                                        {"adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam"}[name]))


def test_epochs_and_settings_are_chosen_on_validation_and_the_test_set_is_read_once():
    """Issue 14: the chapter decided epochs by 'when the test error starts to rise'. Now the
    solver, the rate and the epochs are chosen on a validation split; the test set is scored in
    one cell, after the choice."""
    from tests.helpers import load

    md = _markdown()
    assert "test error starts to rise" not in md
    main = "".join(md.split("## From the notes")[0])
    assert "validation" in main.split("## In practice")[1]
    cells = [("".join(c["source"]), c) for c in load(CHAPTERS / NOTEBOOK)["cells"]]
    part = next(i for i, (s, c) in enumerate(cells) if s.startswith("## From the notes"))
    code = [(i, s) for i, (s, c) in enumerate(cells[:part]) if c["cell_type"] == "code"]
    uses_test = [i for i, s in code if "X_test" in s or "y_test" in s]
    loads, scores = uses_test[0], uses_test[1:]
    assert "data.digits_with_validation()" in cells[loads][0]
    assert len(scores) == 1, f"the test set is read in cells {scores}"
    chooses = next(i for i, s in code if "best = max(" in s and "X_val" in s)
    assert loads < chooses < scores[0]
    stored = stored_text(CHAPTERS / NOTEBOOK)
    chosen = next(k for k, s in enumerate(stored) if s.startswith("chosen on validation:"))
    tested = next(k for k, s in enumerate(stored) if s.startswith("test accuracy, seeds"))
    assert chosen < tested


def test_terms_use_the_glossarys_chinese():
    """Issue 14: the Terms table said 迭代次数（轮） for epoch and 早停 for early stopping; the
    glossary (the authority) says 轮次 and 提前停止. Every term the glossary lists by the same
    English name carries the glossary's Chinese."""
    glossary = {r[0]: r[1] for r in _tables((CHAPTERS / "glossary.md").read_text(encoding="utf-8"))[0][1:]}
    terms = dict(row[:2] for row in _tables(_markdown().split("## Terms")[1].split("\n## ")[0])[0][1:])
    assert terms["epoch"] == "轮次" and terms["early stopping"] == "提前停止"
    same = [t for t in terms if t in glossary]
    assert len(same) >= 10
    assert {t: terms[t] for t in same} == {t: glossary[t] for t in same}


def test_printed_lines_before_the_notes_part_fit_77_characters():
    """Issue 14: about nine printed lines were cut off at the column's 77 characters."""
    from tests.helpers import load, output_texts

    wide = []
    for cell in load(CHAPTERS / NOTEBOOK)["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and src.startswith("## From the notes"):
            break
        if "remove-output" in cell["metadata"].get("tags", []):
            continue
        wide += [line for out in cell.get("outputs", []) for text in output_texts(out)
                 for line in text.splitlines() if len(line) > 77]
        wide += [line for line in src.splitlines() if cell["cell_type"] == "code" and len(line) > 77]
    assert not wide, wide[:3]


def test_item_numbers_are_the_notes_own():
    """The chapter cites note 003's parameters by item number (no line numbers): item_number
    gives the number the note's list prints, and None for the two it leaves out."""
    for name, (line, _) in note.MLP_LINES.items():
        if line is None:
            assert note.item_number(name) is None
        else:
            assert note_line(NOTE_003, line).startswith(f"{note.item_number(name)}. "), name
    with pytest.raises(ValueError, match="name"):
        note.item_number("learning_rate_int")


def test_the_solutions_quote_computed_numbers():
    """Every number the exercise solutions quote, computed (solutions 1-4)."""
    from nnlib import data

    md = _markdown()
    f32 = np.float32
    # 1: momentum 0.5, steady and alternating gradients, lr 0.01
    steady = np.diff(opt.replay("momentum", np.ones((100, 1)), 0.01, momentum=0.5).w[:, 0])[-1]
    alt = np.diff(opt.replay("momentum", (-1.0) ** np.arange(100)[:, None], 0.01, momentum=0.5).w[:, 0])[-1]
    assert round(abs(float(steady)), 5) == 0.02 and round(abs(float(alt)), 5) == 0.00667
    # 2: the ravine rotated by 45 degrees, 200 steps from (-4.5, 1) at the tuned rates
    r = f32(np.sqrt(0.5))

    def rot_grad(w):
        u, v = (w[..., 0] + w[..., 1]) * r, (w[..., 0] - w[..., 1]) * r
        return np.stack([(u + f32(50) * v) * r, (u - f32(50) * v) * r], axis=-1)

    def rot_loss(w):
        u, v = (w[0] + w[1]) / np.sqrt(2), (w[0] - w[1]) / np.sqrt(2)
        return (u * u + 50 * v * v) / 2

    ravine = opt.SURFACES["ravine"]
    rotated, plain = {}, {}
    for name, lr in [("adagrad", 1.0), ("adam", 0.2), ("momentum", 0.005)]:
        rotated[name] = rot_loss(opt.run(name, rot_grad, ravine.start, lr, 200).w[-1].astype(float))
        plain[name] = float(ravine.gap(opt.run(name, ravine.grad, ravine.start, lr, 200).w[-1]))
    assert f"{rotated['adagrad']:.2f}" == "0.37" and f"{plain['adagrad']:.0e}" == "4e-23"
    assert f"{rotated['adam']:.2f}" == "0.26" and f"{plain['adam']:.0e}" == "2e-08"
    assert f"{rotated['momentum']:.0e}" == "3e-07" and f"{plain['momentum']:.0e}" == "3e-08"
    # 3: RMSprop's first step at rho = 0.999, lr 0.01
    assert f"{abs(float(opt.replay('rmsprop', np.ones((1, 1)), 0.01, rho=0.999).w[-1, 0])):.3f}" == "0.316"
    # 4: batch size 1 at four rates, five epochs, and batch size 32 at 0.5
    X, y = data.digits_arrays()
    X = X / f32(16)
    ends = {}
    for batch, lr in [(1, 0.2), (1, 0.1), (1, 0.05), (1, 0.02), (32, 0.5)]:
        losses = opt.minibatch_sgd(X, y, batch, lr, 5)[1]
        assert batch == 32 or np.all(np.diff(losses) < 0)
        ends[batch, lr] = f"{losses[-1]:.3f}"
    assert list(ends.values()) == ["0.072", "0.100", "0.136", "0.208", "0.234"]
    for quoted in ["0.37", "4\\cdot10^{-23}", "0.26", "2\\cdot10^{-8}", "3\\cdot10^{-7}",
                   "3\\cdot10^{-8}", "0.316", *ends.values()]:
        assert quoted in md, quoted
