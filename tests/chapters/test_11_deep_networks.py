"""Chapter 11 (training deep networks): what the chapter states about its training runs on the
digits, about note 001's ranking and about dead ReLU units (moved from chapter 10's tests).

The runs use nnlib.portable's matrix products (train_deep is bit-stable:
tests/nnlib/test_initialization.py), so nbval re-runs them on every CPU profile and the stored
numbers read here are the fresh ones.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from nnlib import data, initialization
from nnlib.notes import initialization as notes_init
from nnlib.plots.initialization import ACT_LABELS
from tests.helpers import CHAPTERS, load, markdown_text, source, stored_line, stored_text

NOTEBOOK = "11_deep_networks.ipynb"


# --- "In practice": the ranking on the digits, chosen on validation data ---------------------

def digits_split():
    """The chapter's protocol: test set aside, validation split off the training part, pixels
    standardized with the training part's statistics."""
    X_tr, y_tr, X_val, y_val, X_test, y_test = data.digits_with_validation(method="per_class")
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0) + np.float32(1e-3)
    return [(A - mean) / std for A in (X_tr, X_val, X_test)], (y_tr, y_val, y_test)


@pytest.fixture(scope="module")
def ranking_table():
    """Chapter 11's stored three-seed table, one row per activation: (epoch-1 validation accuracy,
    mean, min and max validation accuracy after 6 epochs, training loss, dead units in %). nbval
    re-runs the cell on every CPU profile (train_deep is bit-stable:
    tests/nnlib/test_initialization.py), so the stored numbers are the fresh ones; they are not
    computed a second time here."""
    stored = stored_text(CHAPTERS / NOTEBOOK)
    start = next(i for i, s in enumerate(stored) if "epoch 6 (min-max)" in s) + 1
    by_label = {v: k for k, v in ACT_LABELS.items()}
    rows = {}
    for line in stored[start:start + 5]:
        m = re.fullmatch(r"(\S+(?: ReLU)?)\s+([\d.]+)\s+([\d.]+) \(([\d.]+)-([\d.]+)\)\s+([\d.]+)\s+([\d.]+)%.*",
                         line)
        assert m, line
        rows[by_label[m[1]]] = tuple(float(g) for g in m.groups()[1:])
    assert len(rows) == 5
    orders = {s.split(":")[0]: s.split(":")[1].split() for s in stored[start + 6:start + 9]}
    return rows, {k: " ".join(v).split(" > ") for k, v in orders.items()}


def test_the_protocol_splits_train_validation_and_test():
    (X_tr, X_val, X_test), (y_tr, y_val, y_test) = digits_split()
    assert (len(X_tr), len(X_val), len(X_test)) == (1078, 269, 450)
    assert stored_line(CHAPTERS / NOTEBOOK, "train ") == "train 1078, validation 269, test 450"
    assert abs(float(X_tr.mean())) < 1e-4  # standardized with the training part's statistics


def test_ranking_by_training_loss_is_the_notes(ranking_table):
    rows, orders = ranking_table
    by_loss = tuple(sorted(rows, key=lambda a: rows[a][4]))
    assert by_loss == notes_init.RANKING
    assert orders["by final training loss"] == orders["rule of thumb"] == [ACT_LABELS[a] for a in by_loss]


def test_by_validation_accuracy_elu_first_the_middle_three_within_seed_noise(ranking_table):
    rows, orders = ranking_table
    by_val = tuple(sorted(rows, key=lambda a: -rows[a][1]))
    assert by_val[0] == "elu" and by_val[-1] == "sigmoid"
    assert orders["by validation accuracy"] == [ACT_LABELS[a] for a in by_val]
    middle = ("relu", "leaky_relu", "tanh")
    means = [rows[a][1] for a in middle]
    assert max(means) - min(means) < 0.015  # "within about a percentage point"
    assert max(rows[a][2] for a in middle) < min(rows[a][3] for a in middle)  # ranges overlap
    assert rows["elu"][0] > 0.7 and max(rows["relu"][0], rows["leaky_relu"][0]) < 0.4  # epoch 1
    assert rows["sigmoid"][1] < 0.12  # ten classes: chance is 0.1
    assert rows["relu"][5] < 10  # "a few percent" of the units dead


def test_the_test_set_is_read_once_for_the_choice_made_on_validation(ranking_table):
    rows, _ = ranking_table
    best = max(rows, key=lambda a: rows[a][1])
    chosen = stored_line(CHAPTERS / NOTEBOOK, "chosen on validation: ")
    assert chosen.startswith(f"chosen on validation: {ACT_LABELS[best]} ")
    test_lines = [s for s in stored_text(CHAPTERS / NOTEBOOK) if "test accuracy" in s]
    assert len(test_lines) == 1 and test_lines[0].startswith("its test accuracy, seeds 0 1 2:")
    src = "\n".join("".join(c["source"]) for c in load(CHAPTERS / NOTEBOOK)["cells"]
                    if c["cell_type"] == "code")
    assert src.count("X_test, y_test)") == 1  # one read: r.net.accuracy(X_test, y_test)



def test_training_with_the_factor_4(ranking_table):
    (X_tr, X_val, _), (y_tr, y_val, _) = digits_split()
    four = {act: initialization.train_deep(X_tr, y_tr, X_val, y_val, act, "glorot_uniform", depth=10, width=64,
                                           gain=4.0, lr=0.01, batch_size=32, num_epochs=6, seed=0)
            for act in ("sigmoid", "tanh")}
    assert four["tanh"].val_acc[-1] < 0.3 < 0.75 < ranking_table[0]["tanh"][2]  # worst seed at gain 1
    assert max(four["sigmoid"].val_acc) < 0.13  # still at chance
    stored = [s for s in stored_text(CHAPTERS / NOTEBOOK) if s.startswith("tanh, Glorot x4")][-1]
    assert stored.split()[3:9] == [f"{v:.3f}" for v in four["tanh"].val_acc]


def _lr_02_rows():
    stored = stored_text(CHAPTERS / NOTEBOOK)
    start = next(i for i, s in enumerate(stored) if s.startswith("learning rate 0.2"))
    rows, act = {}, None
    for line in stored[start + 2:start + 17]:
        act = line[:11].strip() or act
        words = line[11:].split()
        rows[act, int(words[0])] = ([float(w) for w in words[1:5]], [float(w) for w in words[5:9]],
                                    " ".join(words[9:]))
    assert len(rows) == 15
    return rows


def test_at_learning_rate_0_2_what_the_five_seeds_show():
    """The chapter's lr = 0.2 claims, read off the stored five-seed table (nbval re-runs it on
    every CPU profile, and train_deep is bit-stable: tests/nnlib/test_initialization.py)."""
    rows = _lr_02_rows()
    diverged = {a: sum(r[2] != "finite" for (b, _), r in rows.items() if b == a)
                for a in ("ReLU", "leaky ReLU", "ELU")}
    assert diverged == {"ReLU": 0, "leaky ReLU": 1, "ELU": 4}
    assert sum(rows["ELU", s][2] == "NaN from epoch 1" for s in range(5)) == 4
    relu_dead = [d for (a, _), r in rows.items() if a == "ReLU" for d in r[0]]
    assert 10 <= max(relu_dead) < 11                   # "at most about 10 %"
    survivors = [r[1] for r in rows.values() if r[2] == "finite"]
    erratic = [acc for acc in survivors if any(b < a for a, b in zip(acc, acc[1:]))]
    assert (len(survivors), len(erratic)) == (10, 6)
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert ("in four of the five ELU runs, already in the first epoch, and in one of the five leaky "
            "ReLU runs") in md
    assert "at most about 10 % of ReLU's hidden units are dead" in md
    assert "Of the ten runs that survive, six learn erratically" in md


def test_dead_units_come_back_above_the_first_layer_only():
    """Issue 14: say when a dead ReLU unit can come back (the layers below it keep training) and
    when it cannot (the first hidden layer reads fixed data), consistently with chapter 1."""
    stored = stored_text(CHAPTERS / NOTEBOOK)
    ever = [int(v) for v in stored_line(CHAPTERS / NOTEBOOK, "dead at some time").split()[4:]]
    back = [int(v) for v in stored_line(CHAPTERS / NOTEBOOK, "came back").split()[2:]]
    assert len(ever) == len(back) == 10 and any("hidden layer" in s for s in stored)
    assert ever[0] == back[0] == 0                       # the first hidden layer lost no unit
    assert all(b <= e for b, e in zip(back, ever))
    assert all(b > e / 2 for b, e in zip(back[2:], ever[2:]))  # "most ... of layers 3 to 10"
    assert ever[1] > 0 == back[1]
    rows = _lr_02_rows()
    relu = [rows["ReLU", s][0] for s in range(5)]
    assert any(b < a for d in relu for a, b in zip(d, d[1:]))  # the share goes down between epochs
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "most of the dead units of layers 3 to 10 came back" in md
    assert "A unit of the **first** hidden layer reads the data, which never change" in md
    assert "[Chapter 1](01_neurons_activations.ipynb), in \"When death is permanent\"" in md
    ch1 = markdown_text(CHAPTERS / "01_neurons_activations.ipynb")
    assert "### When death is permanent" in source(CHAPTERS / "01_neurons_activations.ipynb")
    assert "[chapter 11](11_deep_networks.ipynb)" in ch1  # chapter 1 links here for dead units


def test_dead_units_revive_in_a_fresh_run_and_never_in_layer_1():
    (X_tr, X_val, _), (y_tr, y_val, _) = digits_split()
    r = initialization.train_deep(X_tr, y_tr, X_val, y_val, "relu", "he_normal", depth=10, width=64, lr=0.2,
                                  batch_size=32, num_epochs=4, seed=4)
    assert r.ever_dead_per_layer()[0] == 0 and r.revived_per_layer().sum() > 0
    stored = stored_line(CHAPTERS / NOTEBOOK, "            4   ")  # ReLU, seed 4 (the first row with 4)
    assert stored.split()[1:5] == [f"{100 * d:.1f}" for d in r.dead]


def test_the_notes_ranking_is_ours_by_training_loss():
    stored = stored_text(CHAPTERS / NOTEBOOK)
    assert "the same order: True" in stored
    note = stored_line(CHAPTERS / NOTEBOOK, "the note's ranking:")
    assert note.split(":", 1)[1].split() == " > ".join(ACT_LABELS[a] for a in notes_init.RANKING).split()


def test_the_test_accuracy_agrees_with_validation_within_the_seed_spread(ranking_table):
    rows, _ = ranking_table
    line = stored_line(CHAPTERS / NOTEBOOK, "its test accuracy, seeds 0 1 2:")
    test_mean = float(line.split("mean")[1])
    _, val_mean, lo, hi = rows["elu"][:4]
    assert abs(test_mean - val_mean) < hi - lo
    assert "agrees with the validation accuracy of the same runs within the spread" in markdown_text(
        CHAPTERS / NOTEBOOK)


def test_exercise_2_the_sigmoids_factor_per_layer():
    """Solution 2: (3e-6)^(1/9) = 0.24, from the stored mean ratio (and seed 0's), below 1/4."""
    row = stored_line(CHAPTERS / NOTEBOOK, "sigmoid       ")
    ratio = float(row.split()[-1])
    assert f"{ratio:.0e}" == "3e-06"
    assert round(ratio ** (1 / 9), 2) == 0.24 < 0.25
    seed0 = float(stored_line(CHAPTERS / NOTEBOOK, "sigmoid, Glorot x1").split()[-1])
    assert round(seed0 ** (1 / 9), 2) == 0.24
    md = source(CHAPTERS / NOTEBOOK)
    assert r"$(3\times10^{-6})^{1/9} \approx 0.24$" in md
    assert r"$n\operatorname{Var}(w) = 64 \cdot 2/128 = 1$" in md


def test_the_why_section_quotes_the_right_power():
    assert round(4.0 ** -9 / 1e-6) == 4
    assert r"$4^{-9} \approx 4\times10^{-6}$" in source(CHAPTERS / NOTEBOOK)


def _explorer_runs():
    import html as html_module
    import json
    import re

    nb = load(CHAPTERS / NOTEBOOK)
    html = [o["data"]["text/html"] for c in nb["cells"] if c["cell_type"] == "code"
            for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    html = ["".join(h) if isinstance(h, list) else h for h in html]
    specs = [re.search(r'data-spec="([^"]*)"', h) for h in html if 'class="nnlib-explorer"' in h]
    assert len(specs) == 1 and specs[0], "one in-browser explorer with its spec"
    return json.loads(html_module.unescape(specs[0].group(1)))["data"]["runs"]


def test_the_explorer_carries_every_stored_run():
    """The page holds every run the explorer draws: five activations at 0.01 (three seeds each),
    ReLU, leaky ReLU and ELU at 0.2 (five seeds each), ELU diverged in four seeds of five there."""
    runs = _explorer_runs()
    assert {k: len(v) for k, v in runs.items()} == {
        **{f"{a}|0.01": 3 for a in ("sigmoid", "tanh", "ReLU", "leaky ReLU", "ELU")},
        **{f"{a}|0.2": 5 for a in ("ReLU", "leaky ReLU", "ELU")}}
    assert sum(r["diverged"] for r in runs["ELU|0.2"]) == 4


def test_the_explore_text_quotes_the_gradient_ratios_of_the_stored_runs():
    """Sigmoid: first/last gradient norm between 2e-6 and 7e-6 (rounded); every other run
    between 0.27 and 2.4."""
    runs = _explorer_runs()
    ratios = {k: [a / b for r in rs for a, b in zip(r["first_grad"], r["last_grad"]) if a and b]
              for k, rs in runs.items()}
    sig = ratios.pop("sigmoid|0.01")
    assert (round(min(sig) * 1e6), round(max(sig) * 1e6)) == (2, 7)
    rest = [v for vs in ratios.values() for v in vs]
    assert (round(min(rest), 2), round(max(rest), 1)) == (0.27, 2.4)
    text = source(CHAPTERS / NOTEBOOK)
    assert r"between $2\times10^{-6}$ and $7\times10^{-6}$" in text and "between 0.27 and 2.4" in text


# --- residual connections ----------------------------------------------------------------------

CASES = (("sigmoid", "glorot_uniform"), ("tanh", "glorot_uniform"), ("relu", "he_normal"))


def test_the_residual_table_is_fresh_and_says_what_the_prose_says():
    from nnlib.plots.initialization import SCHEME_LABELS
    res = {(a, k): initialization.residual_probe(a, s, depth=30, width=64, skip=k) for a, s in CASES for k in (False, True)}
    stored = stored_text(CHAPTERS / NOTEBOOK)
    start = next(i for i, s in enumerate(stored) if s.startswith("norm of dL/dh reaching block"))
    rows = stored[start + 1:start + 7]
    for n, (a, k) in enumerate((a, k) for a, _ in CASES for k in (False, True)):
        assert rows[n].split()[-4:] == [f"{res[a, k].h_grad[b - 1]:.2g}" for b in (1, 10, 20, 30)]
        assert rows[n].split()[-5] == ("skips" if k else "plain")
        if not k:
            assert rows[n].startswith(f"{ACT_LABELS[a]}, {SCHEME_LABELS[dict(CASES)[a]]}")
    g = {key: p.h_grad for key, p in res.items()}
    rng = np.random.default_rng(10_000)  # the probe's inputs, then its top direction r
    rng.standard_normal((256, 64))
    top = np.linalg.norm(rng.standard_normal((256, 64)).astype(np.float32) / 256)  # |dL/dh_30|
    assert round(np.log10(g["sigmoid", False][0] / top)) == -19          # "about 1e-19 of what leaves the top"
    assert all(0.4 < v < 0.7 for v in g["sigmoid", True])               # "between 0.4 and 0.7"
    assert round(g["tanh", False][-1] / g["tanh", False][0]) == 6          # "a factor of about 6"
    assert g["tanh", True][0] / g["tanh", True][-1] > 10                   # "more than tenfold"
    assert all(0.4 < v < 0.9 for v in g["relu", False])                   # level
    assert round(np.log10(g["relu", True][0] / g["relu", True][-1])) == 6  # "about 10^6"
    h = res["relu", True].h_std
    assert stored_line(CHAPTERS / NOTEBOOK, "spread of h, ReLU with skips:") == (
        f"spread of h, ReLU with skips: block 1 {h[0]:.2g}, block 30 {h[-1]:.2g}")
    assert round(h[0], 1) == 1.3 and h[-1] > 1e6                          # "about 1.3 ... millions"
    md = markdown_text(CHAPTERS / NOTEBOOK)
    for claim in ("about $10^{-19}$ of what leaves the top", "between 0.4 and 0.7 in every block",
                  "loses a factor of about 6 over 30 blocks", "more than tenfold", "by about $10^6$ at block 1",
                  "from about 1.3 at block 1 to millions at block 30"):
        assert claim in md, claim
    assert "{cite}`he2016`" in source(CHAPTERS / NOTEBOOK)


def test_the_why_section_sigmoid_30_layers():
    """'after 30 layers at rho = 1/4, about 1e-18'."""
    assert round(np.log10(0.25 ** 30)) == -18
    assert (r"after 30 layers at $\rho = \tfrac14$ (the sigmoid's)," + "\n" + r"about $10^{-18}$"
            in source(CHAPTERS / NOTEBOOK))
