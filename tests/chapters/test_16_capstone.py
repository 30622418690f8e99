"""Chapter 16 (capstone): its table recomputed (every row tuned on validation, three seeds, paired
tests), what its commentary and exercise solutions say about it, its protocol (every decision on
the validation set, the test set read once), and note 000's recipe. Chapter 16 shares note 004's
printed block with chapter 14 (``nnlib.notes.training``, whose ledger is in test_14_training.py);
it has no ledger of its own.

The rows are ``nnlib.capstone.train_runs`` networks, whose sums run in a fixed order (no BLAS), so
the stored table is compared with a fresh computation digit for digit, on any CPU."""
from __future__ import annotations

import re

import numpy as np
import pytest

from nnlib import capstone, data, stats
from nnlib.notes import NOTE_000
from tests.book.lesson import PART
from tests.helpers import CHAPTERS, load, markdown_text, note_line, output_texts, stored_line, stored_text

NOTEBOOK = CHAPTERS / "16_capstone.ipynb"
SGD_LRS, ADAM_LRS, SEEDS, EPOCHS = (0.01, 0.1, 0.3), (1e-3, 3e-3, 1e-2), (0, 1, 2), 10
STEPS = [("plain SGD", {}), ("+ He init", {"init": "he_normal"}), ("+ batch norm", {"batch_norm": True}),
         ("+ Adam", {"adam": True}), ("+ exponential decay", {"lr_decay": 0.9}),
         ("+ EMA of weights", {"ema": 0.99}), ("+ L2 (1e-4)", {"l2": 1e-4})]


def _main_path_cells():
    cells = load(NOTEBOOK)["cells"]
    end = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
               and re.search(rf"(?m)^{re.escape(PART)}\s*$", "".join(c["source"])))
    return cells[:end]


def _code(cells=None):
    return ["".join(c["source"]) for c in (cells or _main_path_cells()) if c["cell_type"] == "code"]


@pytest.fixture(scope="module")
def split():
    return data.digits_with_validation()


@pytest.fixture(scope="module")
def ablation(split):
    """The chapter's seven rows, written again from the rule the text states: each row tuned on
    validation (best mean accuracy over the seeds), kept when it gains for every seed and the
    pooled McNemar p is below 0.05."""
    X, y, X_val, y_val, *_ = split
    kept, best, rows = {}, None, []
    for name, change in STEPS:
        options = {**kept, **change}
        runs = capstone.train_runs(X, y, X_val, y_val, seeds=SEEDS, num_epochs=EPOCHS,
                                   lrs=ADAM_LRS if options.get("adam") else SGD_LRS, **options)
        lr = runs.best_lr()
        assert lr == runs.lrs[int(np.argmax(runs.accuracy().mean(axis=1)))]
        r = {"name": name, "options": options, "runs": runs, "lr": lr, "right": runs.at(lr), "kept": True}
        if best is not None:
            r["counts"] = [capstone.gained_lost(a, b) for a, b in zip(best["right"], r["right"])]
            r["p"] = stats.mcnemar(best["right"].ravel(), r["right"].ravel()).p_value
            r["kept"] = r["p"] < 0.05 and all(g > l for g, l in r["counts"])
        if r["kept"]:
            kept, best = options, r
        rows.append(r)
    return rows


def _table_line(r):
    acc = r["right"].mean(axis=1) * 100
    line = f"{r['name']:<20}{r['lr']:>6g}{acc.mean():>7.1f} ± {acc.std(ddof=1):.1f}"
    if "counts" in r:
        nets = " ".join(f"{g - l:+d}" for g, l in r["counts"])
        line += f"  {nets:<13}{r['p']:>8.2g}  " + ("yes" if r["kept"] else "no")
    return line


# --- the table: recomputed, digit for digit ----------------------------------------------------

def test_the_stored_table_is_the_recomputed_ablation(ablation):
    stored = stored_text(NOTEBOOK)
    start = stored.index(stored_line(NOTEBOOK, "step  "))
    assert stored[start + 1:start + 8] == [_table_line(r) for r in ablation]
    assert stored[start + 8] == "kept: " + (", ".join(r["name"][2:] for r in ablation[1:] if r["kept"]) or "none")
    for r in ablation:
        right = np.rint(r["runs"].accuracy() * 270).astype(int)
        line = stored_line(NOTEBOOK, f"{r['name']:<20}{r['runs'].lrs[0]:g}: ")
        assert _ints_after_colons(line) == right.ravel().tolist()


def _ints_after_colons(line):
    return [int(v) for part in line.split(": ")[1:] for v in part.split()[:3]]


def test_a_technique_is_kept_only_if_every_seed_gains_and_p_is_small(ablation):
    """The rule, on the fresh rows: and it matters here, since seed 1 alone gains clearly for three
    techniques that the other seeds do not support."""
    for r in ablation[1:]:
        assert r["kept"] == (r["p"] < 0.05 and min(g - l for g, l in r["counts"]) > 0)
    assert not any(r["kept"] for r in ablation[1:])
    one_seed = [r["name"] for r in ablation[1:] if capstone.clear_gain(*r["counts"][1])]
    assert one_seed == ["+ batch norm", "+ Adam", "+ EMA of weights"]


def test_every_decision_is_made_on_the_validation_set():
    """The rows are scored on X_val only; the table's cell never touches the test set; each row's
    rate is chosen by best_lr (validation) before the comparison."""
    runs = next(c for c in _code() if "STEPS_LIST = [" in c)
    assert "X_val, y_val" in runs and "X_test" not in runs and "y_test" not in runs
    assert "runs.best_lr()" in runs and "stats.mcnemar" in runs and "capstone.gained_lost" in runs
    assert "seeds=SEEDS" in runs and "(0, 1, 2)" in runs
    checks = [c for c in _code() if "evaluate(" in c]
    assert checks and all("X_test" not in c for c in checks)


def test_the_test_set_is_read_once_for_the_final_configuration(ablation):
    cells = _main_path_cells()
    code = _code(cells)
    reads = [c for c in code if re.search(r"\bX_test\b", c) and "digits_with_validation" not in c]
    assert len(reads) == 1 and reads[0].count("X_test") == 1 and 'final["runs"].right_on' in reads[0]
    assert any("final = best" in c for c in code)
    printed = [t for c in cells for o in c.get("outputs", []) for t in output_texts(o)]
    assert sum(t.count("test accuracy") for t in printed) == 1
    text = markdown_text(NOTEBOOK)
    assert "read once" in text and "No decision above used the test set" in text
    assert "test accuracy" not in text[:text.index("## In practice")]


def test_the_final_configuration_and_its_test_accuracy(ablation, split):
    *_, X_test, y_test = split
    final = [r for r in ablation if r["kept"]][-1]
    assert stored_line(NOTEBOOK, "final configuration:") == (
        f"final configuration: {final['name']}, lr {final['lr']:g}")
    val = final["right"].mean(axis=1) * 100
    assert stored_line(NOTEBOOK, "validation accuracy") == (
        f"validation accuracy (used for the choices): {val.mean():.1f} ± {val.std(ddof=1):.1f} %")
    test = final["runs"].right_on(X_test, y_test, final["lr"]).mean(axis=1) * 100
    assert stored_line(NOTEBOOK, "test accuracy") == (
        "test accuracy, read once: " + ", ".join(f"{a:.1f}" for a in test)
        + f" %; mean {test.mean():.1f} ± {test.std(ddof=1):.1f}")
    md = markdown_text(NOTEBOOK)
    assert f"classifies about {round(test.mean())} % of test digits" in md
    assert test.max() - test.min() < 1.5 and "agree within about a point" in md
    assert test.mean() < val.mean() and "a little below the validation accuracy" in md
    assert final["name"] == "plain SGD" and "plain SGD with Glorot-uniform weights at a tuned rate of 0.3" in md


def test_the_keras_bridge_lands_among_the_numpy_seeds(ablation):
    """The Keras run of the final configuration (a fourth seed) against the numpy seeds. TensorFlow's
    sums depend on the CPU, so the count is checked against the seeds' range, not to the image."""
    line = stored_line(NOTEBOOK, "validation, images right of 270")
    final = [r for r in ablation if r["kept"]][-1]
    numpy_right = final["right"].sum(axis=1)
    assert line.split("numpy seeds ")[1].split(";")[0].split() == [str(v) for v in numpy_right]
    keras_right = int(line.rsplit(" ", 1)[1])
    assert abs(keras_right - numpy_right.mean()) <= 3 * numpy_right.std(ddof=1)


# --- the commentary on the table ------------------------------------------------------------------

def test_the_commentary_matches_the_table(ablation):
    md = markdown_text(NOTEBOOK)
    base, he, bn, adam, decay, ema_row, l2 = ablation
    acc = base["right"].mean(axis=1) * 100
    assert f"at its best rate, {base['lr']:g}, classifies {acc.mean():.1f} % of the validation digits " \
           f"(± {acc.std(ddof=1):.1f} over the seeds)" in md
    slow = base["runs"].at(0.01).sum(axis=1)
    assert f"it gets only {slow.min()} to {slow.max()} of the 270 images" in md
    he_nets = [g - l for g, l in he["counts"]]
    assert all(n < 0 for n in he_nets) and he["p"] < 0.001
    assert f"by {-he_nets[0]}, {-he_nets[1]} and {-he_nets[2]} images, $p \\approx {he['p']:.1g}$" in md
    he_grid = np.rint(he["runs"].accuracy() * 270).astype(int)
    assert he["lr"] == 0.1 and f"(one seed falls to {he_grid[2].min()})" in md
    nets = {r["name"]: [g - l for g, l in r["counts"]] for r in (bn, adam, ema_row)}
    assert [n[1] for n in nets.values()] == [13, 7, 10] and "(13, 7 and 10 images for seed 1)" in md
    others = "; ".join(f"${n[0]:+d}$ and ${n[2]:+d}$".replace("$+0$", "$0$") for n in nets.values())
    assert f"but not for the others ({others})" in md
    for r in (bn, adam, ema_row):
        assert r["right"].mean() > base["right"].mean() and r["p"] >= 0.05
    for r in (decay, l2):
        assert max(abs(g - l) for g, l in r["counts"]) <= 6 and r["p"] > 0.05


def test_the_ema_lesson_quotes_its_runs(ablation, split):
    X, y, X_val, y_val, *_ = split
    bn = ablation[2]
    assert stored_line(NOTEBOOK, "batch norm at lr") == (
        f"batch norm at lr {bn['lr']:g}, no average: " + " ".join(str(v) for v in bn["right"].sum(axis=1)))
    md = markdown_text(NOTEBOOK)
    for momentum in (0.99, 0.999):
        avg = capstone.train_runs(X, y, X_val, y_val, seeds=SEEDS, num_epochs=EPOCHS, lrs=(bn["lr"],),
                                  ema=momentum, **bn["options"])
        fresh, stale = avg.right.sum(axis=1), avg.right_stale.sum(axis=1)
        p = stats.mcnemar(avg.right_stale.ravel(), avg.right.ravel()).p_value
        assert stored_line(NOTEBOOK, f"EMA {momentum}:") == (
            f"EMA {momentum}: statistics recomputed " + " ".join(f"{v:3d}" for v in fresh)
            + "; forgotten " + " ".join(f"{v:3d}" for v in stale) + f"; p {p:.2g}")
        if momentum == 0.999:
            assert f"gets {fresh[0]}, {fresh[1]} and {fresh[2]} images right" in md
            assert f"statistics only {stale[0]}, {stale[1]} and {stale[2]}" in md
            assert np.all(fresh > stale + 50)
        else:
            assert np.all(np.abs(fresh - stale) <= 2) and f"($p = {p:.2g}$)" in md


def test_the_worked_example_arithmetic():
    md = markdown_text(NOTEBOOK)
    assert stored_line(NOTEBOOK, "net gain") == "net gain 27 images, 119 disagreements, 2 sqrt(d) = 21.8"
    assert stored_line(NOTEBOOK, "beyond chance:") == "beyond chance: True"
    unpaired = float(stored_line(NOTEBOOK, "unpaired").split("difference ")[1].split()[0])
    assert unpaired == pytest.approx(31.2) and 27 < unpaired   # the unpaired rule misses it
    assert "15.6 images" in md and "0.0195" in md
    assert stored_line(NOTEBOOK, "SE of one accuracy").endswith("0.0106") and "0.0106" in md
    assert f"46 of 119 tosses, $p \\approx {stats.binomial_two_sided(46, 119):.2g}$" in md


def test_decay_ramp_not_warm_up():
    """Issue 14: the EMA's min(decay, (1+t)/(10+t)) is chapter 7's decay ramp; 'warm-up' is kept
    for learning-rate warm-up."""
    md = markdown_text(NOTEBOOK)
    text = md + "\n".join(stored_text(NOTEBOOK)) + "\n".join(_code(load(NOTEBOOK)["cells"]))
    assert not re.search(r"(?i)warm[- ]?up", text)
    assert md.count("decay ramp") >= 2


def test_the_train_loop_check_and_evaluates_penalty():
    assert "after 34 steps, largest |train_loop - fit| weight: 0.0" in stored_text(NOTEBOOK)
    ev, sc, pen = (stored_line(NOTEBOOK, start)
                   for start in ("evaluate: accuracy", "scores:   accuracy", "L2 penalty"))
    assert ev.split()[2] == sc.split()[2]
    assert ev.rsplit(" ", 1)[1] == pen.rsplit(" ", 1)[1] != sc.rsplit(" ", 1)[1]
    assert float(pen.split(": ")[1].split(";")[0]) > 0


# --- the notes' part: note 000's recipe on this task ---------------------------------------

def test_the_capstone_says_the_note_000_recipe_in_three_lines():
    """000 line 172 names the three techniques; line 193: decay and EMA share global_step;
    line 184: decay steps = total samples / BATCH_SIZE."""
    assert "正则化、指数衰减学习率和滑动平均" in note_line(NOTE_000, 172)
    assert "global_step 为同一个参数" in note_line(NOTE_000, 193)
    assert "数据集总样本数 / BATCH_SIZE" in note_line(NOTE_000, 184)
    part = markdown_text(NOTEBOOK).split(PART, 1)[1]
    assert "搭建模块化神经网络八股" in part and "`backward()`" in part
    assert "`decay_steps` = 1077 / 32, rounded up to 34" in part


def test_staircase_and_smooth_decay_agree_at_every_epoch_boundary():
    stored = stored_text(NOTEBOOK)
    start = stored.index(stored_line(NOTEBOOK, "epoch  step   staircase"))
    rows = [s.split() for s in stored[start + 1: start + 11]]
    assert [int(r[1]) for r in rows] == [0, 33, 34, 67, 68, 101, 102, 135, 136, 169]
    for epoch, step, stair, smooth in rows:
        assert (stair == smooth) == (int(step) % 34 == 0), (step, stair, smooth)


def test_the_capstone_ends_before_tf1s_decay_ramp():
    line = stored_line(NOTEBOOK, "TF1's decay reaches 0.99")
    caught_up, stop = (int(w.rstrip(";")) for w in line.split() if w.rstrip(";").isdigit())
    assert stop == 340 < caught_up == 890


# --- chapter 16's exercise solutions: the numbers they quote, recomputed ------------------------

def _solution(n):
    md = markdown_text(NOTEBOOK)
    start = md.index(f"Solution {n}")
    return md[start:md.index(":::", start)]


def test_capstone_solution_1_the_untuned_baseline(ablation):
    adam, slow = ablation[3]["right"], ablation[0]["runs"].at(0.01)
    counts = [capstone.gained_lost(a, b) for a, b in zip(slow, adam)]
    text = _solution(1)
    g, l = zip(*counts)
    assert f"gains {g[0]}, {g[1]} and {g[2]} images and loses {l[0]}, {l[1]} and {l[2]}" in text
    nets = [a - b for a, b in counts]
    assert f"+{nets[0]}, +{nets[1]} and +{nets[2]}" in text
    assert stats.mcnemar(slow.ravel(), adam.ravel()).p_value < 1e-100 and "below $10^{-100}$" in text
    tuned = [a - b for a, b in ablation[3]["counts"]]
    assert tuned == [1, 7, 0] and "gain +1, +7 and 0" in text and f"$p = {ablation[3]['p']:.2g}$" in text


def test_capstone_solution_2_one_seed(ablation):
    text = _solution(2)
    for seed in (0, 2):
        assert not any(capstone.clear_gain(*r["counts"][seed]) for r in ablation[1:])
    passed = [(r["name"], r["counts"][1]) for r in ablation[1:] if capstone.clear_gain(*r["counts"][1])]
    (bn, (g1, l1)), (adam, (g2, l2)), (ema_name, (g3, l3)) = passed
    assert (bn, adam, ema_name) == ("+ batch norm", "+ Adam", "+ EMA of weights")
    assert f"({g1} gained, {l1} lost: {g1 - l1} > $2\\sqrt{{{g1 + l1}}} \\approx {2 * np.sqrt(g1 + l1):.1f}$)" in text
    assert f"Adam ({g2} and {l2}: {g2 - l2} > {2 * np.sqrt(g2 + l2):.1f})" in text
    assert f"average ({g3} and {l3}: {g3 - l3} > {2 * np.sqrt(g3 + l3):.1f})" in text


def test_capstone_solution_3_a_wider_grid(split, ablation):
    X, y, X_val, y_val, *_ = split
    text = _solution(3)
    wide = capstone.train_runs(X, y, X_val, y_val, lrs=(0.6, 1.0), seeds=SEEDS, num_epochs=EPOCHS)
    fast = capstone.train_runs(X, y, X_val, y_val, lrs=(0.03,), seeds=SEEDS, num_epochs=EPOCHS, adam=True)
    a, b = wide.at(0.6).sum(axis=1), wide.at(1.0).sum(axis=1)
    c, adam = fast.right.sum(axis=1), ablation[3]["right"].sum(axis=1)
    assert f"at 0.6 gets {a[0]}, {a[1]} and {a[2]} images right, at 1.0 only {b[0]}, {b[1]} and {b[2]}" in text
    assert f"at 0.03 gets {c[0]}, {c[1]} and {c[2]}, below its {adam[0]}, {adam[1]} and {adam[2]}" in text
    base = ablation[0]["right"].sum(axis=1)
    assert a.mean() < base.mean() and b.max() < base.min() and c.mean() < adam.mean()


def test_the_explorer_keeps_its_axes_from_step_to_step():
    from nnlib.plots import capstone as plots

    results = [{"name": n, "losses": l, "accuracy": a} for n, l, a in
               zip("abc", [[2.0, 1.0, 0.5], [1.5, 0.8, 0.4], [1.0, 0.6, 0.3]], [0.8, 0.85, 0.9])]
    for se in (0.01, [0.01, 0.02, 0.005]):
        explorer = plots.explorer(results, se=se)
        limits = []
        for step in range(3):
            ax0, ax1 = explorer.figure(step=step).axes
            assert len(ax0.lines) == step + 1 and len(ax1.patches) == step + 1
            limits.append((ax0.get_ylim(), ax1.get_xlim(), ax1.get_ylim()))
        assert limits[0] == limits[1] == limits[2] and explorer.num_frames == 3
    with pytest.raises(ValueError, match="step must be"):
        plots.capstone_steps_figure(results, 3)
    with pytest.raises(ValueError, match="at least one run"):
        plots.capstone_steps_figure([], 0)
