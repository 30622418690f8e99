"""Chapter 9 (minibatches): the numbers note 003 gives about MLPClassifier and batch sizes (the
ledger), what the chapter states about the note beyond its numbers (see the errata), and the
chapter's own experiments: gradient noise, the linear-scaling rule, and the solver chosen on
validation data.

Note 003 prints no training run; its numbers are scikit-learn's MLPClassifier defaults and
rules (lines 45-65), read here from scikit-learn itself or measured on it, and the batch sizes it
calls usual (line 133).
"""
from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import pytest

from nnlib import optimizers as opt
from nnlib.notes import NOTE_003
from nnlib.notes import minibatches as note
from tests.helpers import CHAPTERS, note_line, stored_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "09_minibatches.ipynb"



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
]

# blocks without numbers: checked against the note (tests.ledger)
TRANSCRIBED = [note.PREDIC, note.RPROP, note.LBFGS]


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
    stored = stored_text(CHAPTERS / NOTEBOOK)
    rows = [line.split()[0] for line in stored if line[:6].strip() in {"1", "16", "32", "64", "128", "full"}
            and len(line.split()) == 6]
    assert rows[:6] == ["1", "16", "32", "64", "128", "full"]


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


# --- the lesson: the honest protocol, the glossary's words, solutions ------------------------


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


def _stored():
    return stored_text(CHAPTERS / NOTEBOOK)


def _main_markdown():
    return _markdown().split("## From the notes")[0]


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


def test_the_linear_scaling_table_and_its_claims():
    """Scaled down (16 at 0.25) matches 32 at 0.5 within the seed spread; scaled up, the loss rises
    from 64 on, and the full batch ends above its start."""
    from nnlib import data

    X, y = data.digits_arrays()
    X = X / np.float32(16)
    n = len(y)
    runs = {(B, lr): [opt.minibatch_sgd(X, y, B, lr, 5, seed=s)[1] for s in (0, 1, 2)]
            for B in (16, 32, 64, 128, n) for lr in {0.5, 0.5 * B / 32}}

    def cell(B, lr):
        losses = runs[B, lr]
        if any(r[-1] > r[0] for r in losses):
            return "ends above its start"
        if any(np.any(np.diff(r) > 0) for r in losses):
            return "rises in some epoch"
        return "  ".join(f"{r[-1]:.3f}" for r in losses)

    stored = _stored()
    for B in (16, 32, 64, 128, n):
        row = f"{'full' if B == n else B:>6}{cell(B, 0.5):>22}{0.5 * B / 32:8.3g}{cell(B, 0.5 * B / 32):>24}"
        assert row in stored, row
    low, base = [r[-1] for r in runs[16, 0.25]], [r[-1] for r in runs[32, 0.5]]
    assert abs(np.mean(low) - np.mean(base)) < np.ptp(base)
    assert cell(64, 1.0) == "rises in some epoch" and cell(n, 0.5 * n / 32) == "ends above its start"
    assert all(" " in cell(B, 0.5) for B in (16, 32, 64, 128, n))  # the fixed rate: stable everywhere


def test_sgd_and_adam_end_one_or_two_validation_images_apart():
    """The generalization section: tuned Adam and SGD differ by 5 of 810 validation images (one to
    three per seed), no more than the spread of either solver's seeds (the stored table, the text)."""
    stored = _stored()
    rows = [r for r in stored if r.strip().startswith(("sgd lr", "adam lr"))]
    assert len(rows) == 2
    counts = [[int(c) for c in r.split(":")[1].split("total")[0].split()] for r in rows]
    totals = [int(r.split("total ")[1].split()[0]) for r in rows]
    assert totals == [sum(c) for c in counts] and all(r.endswith("of 810") for r in rows)
    assert totals[1] - totals[0] == 5 and abs(totals[1] - totals[0]) / 3 <= max(np.ptp(c) for c in counts)
    assert [a - s for s, a in zip(*counts)] == [1, 1, 3]
    md = _main_markdown()
    assert "5 more of the 810 validation images" in md


def test_the_solutions_quote_computed_numbers():
    """Solutions 1 and 2: batch size 1 at four rates and at 0.5/32, five epochs, against batch 32."""
    from nnlib import data

    md = _markdown()
    X, y = data.digits_arrays()
    X = X / np.float32(16)
    ends = {}
    for batch, lr in [(1, 0.2), (1, 0.1), (1, 0.05), (1, 0.02), (32, 0.5)]:
        losses = opt.minibatch_sgd(X, y, batch, lr, 5)[1]
        assert batch == 32 or np.all(np.diff(losses) < 0)
        ends[batch, lr] = f"{losses[-1]:.3f}"
    assert list(ends.values()) == ["0.072", "0.100", "0.136", "0.208", "0.234"]
    one = opt.minibatch_sgd(X, y, 1, 0.5 / 32, 5)[1][-1]
    assert f"{one:.3f}" == "0.236"
    for quoted in [*ends.values(), "0.0156", "0.236"]:
        assert quoted in md, quoted


def test_the_explorer_shows_the_rule_and_where_it_breaks():
    """The Explore section's three claims, from the explorer's own runs (seed 0, five epochs):
    batch 8 at 0.125 ends within 0.005 of batch 32 at 0.5; batches 128 at 2 and 512 at 8 rise in
    some epoch; at 0.5 the end loss grows with the batch size."""
    from nnlib.plots import minibatches as mb_plots

    ex = mb_plots.explorer()
    assert ex.num_frames == 16
    end = {(B, lr): mb_plots._losses(B, lr, 5, 0) for B in (8, 32, 128, 512) for lr in (0.125, 0.5, 2.0, 8.0)}
    assert abs(end[8, 0.125][-1] - end[32, 0.5][-1]) < 0.005
    assert all(np.any(np.diff(end[k]) > 0) for k in [(128, 2.0), (512, 8.0)])
    at_half = [end[B, 0.5][-1] for B in (8, 32, 128, 512)]
    assert at_half == sorted(at_half)
    assert mb_plots._verdict(end[128, 2.0]).startswith("rises in epoch")
    md = _main_markdown()
    assert "Batch 8 at 0.125 keeps η/B" in md and "batch 512 at 8" in md


# --- note 003's advice on the solver: lbfgs on small data (section "Small data") -----------------


def _solver_rows():
    """The stored table of the "Small data" section: (n, solver) -> its columns."""
    rows = {}
    for line in _stored():
        parts = line.split()
        if len(parts) >= 9 and parts[0] in ("100", "300") and parts[1] in ("lbfgs", "adam", "sgd"):
            rows[int(parts[0]), parts[1]] = parts
    return rows


def test_lbfgs_converges_faster_but_does_not_do_better_on_100_digits():
    """003 line 44: on small data sets lbfgs 'converges faster and does better' than adam
    (scikit-learn's docstring says it *can*). Recomputed for seed 0 on the first 100 training
    digits: L-BFGS meets its tolerance in a tenth of Adam's passes and at a far lower training
    loss, while max_iter stops Adam and SGD; yet Adam gets more validation images right. The
    stored table shows these runs as its seed-0 column."""
    from sklearn.neural_network import MLPClassifier

    from nnlib import data

    assert "lbfgs收敛更快效果也更好" in note_line(NOTE_003, 44)
    assert "'lbfgs' can converge faster and perform better" in " ".join(MLPClassifier.__doc__.split())
    X_tr, y_tr, X_val, y_val, _, _ = data.digits_with_validation()
    X_tr, X_val = X_tr.astype(np.float64), X_val.astype(np.float64)
    runs = {s: opt.mlp_solver_run(X_tr[:100], y_tr[:100], X_val, y_val, s, seed=0)
            for s in ("lbfgs", "adam", "sgd")}
    lbfgs, adam, sgd = runs["lbfgs"], runs["adam"], runs["sgd"]
    assert lbfgs.converged and not adam.converged and not sgd.converged
    assert adam.n_iter == adam.passes == sgd.n_iter == 200 and lbfgs.n_iter <= lbfgs.passes < 30
    assert lbfgs.train_right == adam.train_right == 100
    assert adam.loss > 50 * lbfgs.loss and adam.loss_curve[lbfgs.passes - 1] > 0.5
    assert adam.val_right > lbfgs.val_right > sgd.val_right
    rows = _solver_rows()
    for s, r in runs.items():
        row = rows[100, s]
        assert int(row[2]) == r.val_right, (s, row)
        assert row[8].split("-")[0] == str(r.passes), (s, row)
        assert (row[9] == "none") == r.converged


def test_the_small_data_table_and_its_verdicts_agree():
    """The stored table, the verdict lines under it and the numbers the text quotes are one
    story: per-seed differences, means, pass ranges, and 'True' on every verdict."""
    rows = _solver_rows()
    assert set(rows) == {(100, "lbfgs"), (100, "adam"), (100, "sgd"), (300, "lbfgs"), (300, "adam")}
    right = {k: [int(c) for c in r[2:7]] for k, r in rows.items()}
    for k, r in rows.items():
        assert f"{np.mean(right[k]) / 270:.3f}" == r[7], k
        stopped = "none" if r[9] == "none" else " ".join(r[9:12])
        assert (r[8] == "200") == (stopped == "5 of 5") and (k[1] == "lbfgs") == (stopped == "none"), k
    stored = _stored()
    verdicts = [line for line in stored if line.startswith("  lbfgs ") and line.rstrip().endswith(("True", "False"))]
    assert len(verdicts) == 3 and all(v.endswith("True") for v in verdicts)
    diffs = {}
    for n in (100, 300):
        line = next(line for line in stored if line.startswith(f"  n = {n}: "))
        diffs[n] = [int(d) for d in line.split(":")[1].split("lbfgs")[0].split()]
        assert diffs[n] == [a - b for a, b in zip(right[n, "lbfgs"], right[n, "adam"])]
        assert line.endswith(f"lbfgs ahead in {sum(d > 0 for d in diffs[n])} of 5")
    assert all(d < 0 for d in diffs[100]) and 0 < sum(d > 0 for d in diffs[300]) < 5
    passes = [int(p) for k, r in rows.items() if k[1] == "lbfgs" for p in r[8].split("-")]
    md = " ".join(_markdown().split())
    assert f"after {min(passes)} to {max(passes)} passes" in md
    assert f"Adam classifies {-max(diffs[100])} to {-min(diffs[100])} more validation images right" in md
    ratio = next(line for line in stored if "final training loss over lbfgs's" in line)
    assert ratio.split(": ")[1].removesuffix(" times") in md
    lowest = next(line for line in stored if "as many epochs as lbfgs took passes" in line)
    assert f"still {lowest.split(': ')[1]}" in md
