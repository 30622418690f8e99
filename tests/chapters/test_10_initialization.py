"""Chapter 10 (weight initialization): the constants note 001 states in text (the ledger), and what
the chapter states about note 001 beyond them.

Note 001 prints no program output about initialization, and its equation 11-1 and table 11-1
are images; what it states in words, and the chapter's code uses, are the network depth, the
N(0, 1) scheme, and the leaky-ReLU / ELU slopes. Each is recomputed from what nnlib does.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from nnlib import data, initialization, neurons_activations
from nnlib.notes import NOTE_001
from nnlib.notes import initialization as notes_init
from nnlib.plots.initialization import ACT_LABELS
from tests.helpers import CHAPTERS, markdown_text, note_line, stored_line, stored_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "10_initialization.ipynb"


def depth():
    """The depth of the chapter's probe (its default), in the note's words."""
    return [notes_init.format_depth(initialization.probe("tanh", width=4, num_samples=2).depth)]


def normal_init():
    """Mean and standard deviation of a 256 x 256 kernel from the N(0, 1) scheme, rounded."""
    w = initialization.initialize("normal", (256, 256), seed=0)
    return [notes_init.format_normal_init(np.mean(w), np.std(w))]


def leaky_slope():
    """The slope of our leaky ReLU for z < 0, measured at z = -1."""
    return float(neurons_activations.leaky_relu(-1.0) / np.float32(-1.0))


def elu_alpha():
    """The value our ELU tends to for z -> -inf, with the sign flipped (ELU's alpha)."""
    return float(-neurons_activations.elu(-50.0))


LEDGER = [
    Entry(notes_init.DEPTH, NOTEBOOK, depth),
    Entry(notes_init.NORMAL_INIT, NOTEBOOK, normal_init),
    Entry(notes_init.LEAKY_TYPICAL, NOTEBOOK, lambda: [notes_init.format_leaky_typical(leaky_slope())]),
    Entry(notes_init.DEFAULTS, NOTEBOOK, lambda: [notes_init.format_defaults(leaky_slope(), elu_alpha())]),
    Entry(notes_init.LEAKY_CODE, NOTEBOOK, lambda: [notes_init.format_leaky_code(leaky_slope())]),
]

DEPTH, WIDTH, SAMPLES = 10, 256, 500


def _probe(act, scheme, gain=1.0):
    return initialization.probe(act, scheme, depth=DEPTH, width=WIDTH, num_samples=SAMPLES, gain=gain)


# --- what the note says, where --------------------------------------------------------------

def test_the_ranking_is_on_line_75():
    assert notes_init.RANKING_TEXT in note_line(NOTE_001, 75)


def test_table_11_1_is_an_image_referred_to_on_line_37():
    assert "如表 11-1 所示" in note_line(NOTE_001, 37)
    assert re.fullmatch(r"[0-9a-f]{40}", note_line(NOTE_001, notes_init.TABLE_11_1_LINE).strip())


# --- errata 1: the factor 4 belongs to the sigmoid --------------------------------------------

def test_slopes_at_zero_and_the_factor_per_layer():
    s_sig = float(neurons_activations.derivative("sigmoid", 0.0))
    s_tanh = float(neurons_activations.derivative("tanh", 0.0))
    assert (s_sig, s_tanh) == (0.25, 1.0)
    assert (1 * s_sig) ** 2 == 1 / 16 and (4 * s_sig) ** 2 == 1.0
    assert (1 * s_tanh) ** 2 == 1.0 and (4 * s_tanh) ** 2 == 16.0
    # the table's factors as transcribed: it gives 4 to tanh and 1 to the logistic
    assert notes_init.TABLE_11_1["tanh"] == 4 and notes_init.TABLE_11_1["sigmoid"] == 1


def test_factor_4_rescues_the_sigmoids_gradient_and_ruins_tanhs():
    ratio = {}
    for act in ("sigmoid", "tanh"):
        for gain in (1, 4):
            g = _probe(act, "glorot_uniform", gain).grad_std()
            ratio[act, gain] = g[0] / g[-1]
    assert ratio["sigmoid", 1] < 1e-5  # vanishes: layer 1 gets a millionth of layer 10
    assert ratio["sigmoid", 4] > 1e-2 > ratio["sigmoid", 1] * 1e3  # four orders of magnitude better
    assert 0.1 < ratio["tanh", 1] < 1  # within a small factor
    assert ratio["tanh", 4] > 10  # explodes downwards
    assert _probe("tanh", "glorot_uniform", 4).saturated()[-1] > 0.4


# --- errata 2: with N(0, 1) the sigmoid saturates at layer 1 and stays level --------------------

def test_normal_init_saturates_the_first_layer_and_then_stays_level():
    p = _probe("sigmoid", "normal")
    pre = p.pre_std()
    assert abs(pre[0] - math.sqrt(WIDTH)) < 0.5  # sqrt(256) = 16
    assert np.all((pre[1:] > 9) & (pre[1:] < 13))  # no growth after layer 1
    assert p.saturated()[0] > 0.7
    standard = _probe("sigmoid", "standard")
    assert standard.saturated().max() == 0.0


# --- the reproduce section's readings -------------------------------------------------------

def test_relu_per_layer_factors():
    normal = _probe("relu", "normal").act_std()
    assert np.all(normal[1:] / normal[:-1] > 8)  # about sqrt(256 / 2) = 11 per layer
    glorot = _probe("relu", "glorot_uniform").act_std()
    assert 15 < glorot[0] / glorot[-1] < 30  # sqrt(2)^9 = 22.6
    he = _probe("relu", "he_normal").act_std()
    assert he.max() / he.min() < 2


def test_sigmoid_with_glorot_gradients_vanish_below_a_millionth():
    g = _probe("sigmoid", "glorot_uniform").grad_std()
    assert g[-1] > 0.2 and g[0] < 1e-6


def test_tf1_contribs_1_3_makes_weights_0_3_percent_wider():
    wider = math.sqrt(1.3 * initialization.TRUNCATED_STDDEV ** 2) - 1
    assert round(100 * wider, 1) == 0.3


# --- "In practice": a real digits network checked before training ----------------------------

def test_in_practice_the_per_layer_spread_on_the_digits():
    """The stored table is recomputed here (portable.dot: the same bits on every CPU), and the
    prose's claims about it hold."""
    from nnlib import portable
    X_tr = data.digits_with_validation(method="per_class")[0]
    X = (X_tr - X_tr.mean(axis=0)) / (X_tr.std(axis=0) + np.float32(1e-3))
    fn = {"relu": lambda z: np.maximum(z, np.float32(0)), "tanh": portable.tanh, "sigmoid": portable.sigmoid}
    stored = stored_text(CHAPTERS / NOTEBOOK)
    start = stored.index(f"digits, {len(X)} images: std of each layer's output")
    table = stored[start + 2:start + 7]
    rows = {}
    for act, scheme in (("relu", "normal"), ("relu", "glorot_uniform"), ("relu", "he_normal"),
                        ("tanh", "glorot_uniform"), ("sigmoid", "glorot_uniform")):
        a, spread = X, []
        for layer in range(10):
            a = fn[act](portable.dot(a, initialization.initialize(scheme, (a.shape[1], 64), seed=layer)))
            spread.append(float(a.std()))
        rows[act, scheme] = spread
        name = ACT_LABELS[act] + ", " + {"normal": "N(0, 1)", "glorot_uniform": "Glorot U", "he_normal": "He N"}[scheme]
        label = next(s for s in table if s.startswith(name))
        assert label.split()[-4:] == [f"{spread[n - 1]:.3g}" for n in (1, 2, 5, 10)]
    assert all(0.6 < v < 1.2 for v in rows["relu", "he_normal"])        # "stays near 1 ..."
    assert all(0.7 < rows["relu", "he_normal"][n - 1] < 1.2 for n in (1, 2, 5, 10))  # the layers shown
    glorot = rows["relu", "glorot_uniform"]
    assert 0.6 < (glorot[-1] / glorot[0]) ** (1 / 9) < 0.8              # "roughly 1/sqrt 2 per layer"
    normal = rows["relu", "normal"]
    assert 5 < (normal[-1] / normal[0]) ** (1 / 9) < 6.5                # "about 5.7 per layer"
    tanh = rows["tanh", "glorot_uniform"]
    assert all(b < a for a, b in zip(tanh, tanh[1:]))                   # "loses spread ... more slowly"
    assert tanh[-1] / tanh[0] > glorot[-1] / glorot[0]
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "[chapter 11](11_deep_networks.ipynb)" in md


def test_how_much_each_stack_still_depends_on_the_input():
    dep = {act: _probe(act, scheme).input_std() for act, scheme in
           (("elu", "he_normal"), ("leaky_relu", "he_normal"), ("relu", "he_normal"),
            ("tanh", "glorot_uniform"), ("sigmoid", "glorot_uniform"))}
    assert dep["sigmoid"][4] < 0.01 * dep["sigmoid"][0]  # all but gone by layer 5
    assert dep["elu"][9] > dep["elu"][0]  # kept, even amplified
    for act in ("relu", "leaky_relu", "tanh"):
        assert 0.25 < dep[act][9] / dep[act][0] < 0.45  # about a third



def test_factor_4_lets_more_of_the_input_through_the_sigmoid_but_far_less_than_tanh():
    sig1 = _probe("sigmoid", "glorot_uniform").input_std()[-1]
    sig4 = _probe("sigmoid", "glorot_uniform", 4).input_std()[-1]
    tanh1 = _probe("tanh", "glorot_uniform").input_std()[-1]
    assert 3e3 < sig4 / sig1 < 3e4  # "about ten thousand times"
    assert 20 < tanh1 / sig4 < 80  # "about forty times less"



# --- the idea: the worked example and the measured factors ------------------------------------

def test_the_worked_example_predicts_the_relu_factors_per_layer():
    predicted = {"normal": math.sqrt(256 / 2), "glorot_uniform": math.sqrt(0.5), "he_normal": 1.0}
    measured = {s: _probe("relu", s).act_std() for s in predicted}
    per_layer = {s: (v[-1] / v[0]) ** (1 / 9) for s, v in measured.items()}
    assert f"{per_layer['normal']:.1f}" == "11.1" and f"{predicted['normal']:.1f}" == "11.3"
    assert f"{per_layer['glorot_uniform']:.3f}" == "0.717" and f"{per_layer['he_normal']:.3f}" == "1.011"
    for s in predicted:
        assert abs(per_layer[s] / predicted[s] - 1) < 0.03
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert ("N(0, 1): 11.1 per layer against the predicted 11.3; Glorot: 0.717 against 0.707; He: 1.011 "
            "against 1.") in md


def test_the_per_layer_tables_show_all_ten_layers_within_the_column():
    """Issue 14: the per-layer tables showed layers 1-5 of 10 (cut off); now one row per layer."""
    stored = stored_text(CHAPTERS / NOTEBOOK)
    for act in ("sigmoid", "tanh", "relu"):
        heads = [i for i, s in enumerate(stored) if s.split()[:1] == [act] and "Glorot U" in s]
        assert len(heads) == 2, act  # activations, gradients
        for i in heads:
            assert [s.split()[1] for s in stored[i + 1:i + 11]] == [str(k) for k in range(1, 11)]
            assert all(len(s) <= 77 for s in stored[i:i + 11])


# --- why the first weights must be random; orthogonal and LSUV --------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equal_starts_stay_equal_and_random_ones_learn(seed):
    X, y, X_val, y_val, _, _ = data.digits_with_validation(method="per_class")
    zero, small, rand = (initialization.symmetry_run(X, y, X_val, y_val, value=v, seed=seed)
                         for v in (0.0, 0.01, None))
    assert zero.spread == [0.0] * 11 and small.spread == [0.0] * 11   # "exactly 0"
    assert len(set(zero.val_acc)) == 1                                # "stays where it started"
    assert small.val_acc[10] > small.val_acc[0] + 0.05                # "does learn, slowly"
    assert small.val_acc[10] < 0.5
    assert rand.spread[10] > rand.spread[0] > 0                       # "move apart"
    assert rand.val_acc[10] > 0.9                                     # "passes 0.9"


def test_the_symmetry_table_is_stored():
    text = "\n".join(stored_text(CHAPTERS / NOTEBOOK))
    X, y, X_val, y_val, _, _ = data.digits_with_validation(method="per_class")
    rand = initialization.symmetry_run(X, y, X_val, y_val)
    row = stored_line(CHAPTERS / NOTEBOOK, "   10")
    assert f"{rand.spread[10]:>13.3g}{rand.val_acc[10]:>11.3f}" in row
    assert "all 0" in text and "all 0.01" in text and "Glorot uniform" in text


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_orthogonal_needs_the_gain_and_lsuv_keeps_the_spread_level(seed):
    def probe(act, scheme, gain=1.0):
        return initialization.probe(act, scheme, width=64, num_samples=200, gain=gain, seed=seed)

    orth, orth2 = probe("relu", "orthogonal"), probe("relu", "orthogonal", 2 ** 0.5)
    s = orth.act_std()
    assert 0.6 < (s[9] / s[0]) ** (1 / 9) < 0.8                      # about 1/sqrt(2) per layer
    s2 = orth2.act_std()
    assert 0.7 < s2[9] / s2[0] < 1.4                                  # "with the gain they keep it"
    for act in ("relu", "tanh"):
        a = probe(act, "lsuv").act_std()
        assert 0.85 < a[9] / a[0] < 1.15                              # "keeps the spread level"
    g = probe("relu", "lsuv").grad_std()
    assert 0.7 < g[0] / g[9] < 1.4                                    # "close to 1"
    sig = probe("sigmoid", "lsuv").grad_std()
    assert sig[0] / sig[9] < 1e-3                                     # "still almost nothing"
