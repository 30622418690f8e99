"""Chapter 6 (learning-rate decay): note 002's printed run, section 三 (the ledger), and what the
chapter states about it beyond the printed block (see the errata)."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import learning_rate, lr_decay
from nnlib.notes import lr_decay as decay_notes
from tests.helpers import note_line
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

F32 = np.float32

NOTEBOOK = "06_lr_decay.ipynb"


def note_run(num_steps=40, w0=5.0):
    """The note's script in float32 numpy: base 0.1, rate 0.99, decay_steps 1, staircase."""
    return lr_decay.decayed_gd_trace(learning_rate.quadratic_grad, w0, 0.1, 1, 0.99, num_steps,
                                      staircase=True)


def decay_lines(num_steps=40, w0=5.0):
    """Our run in note 002's format, one line per update."""
    return decay_notes.format_decay_trace(note_run(num_steps, w0), learning_rate.quadratic_loss)


def last_line_as_the_note_shows_it():
    """Our line for step 19 with the loss at five decimals, as the note's cut line shows it."""
    tr = note_run(20)
    w = tr.w[20]
    return [decay_notes.format_decay_line(19, w, tr.lr[20], learning_rate.quadratic_loss(w), "%.5f")]


LEDGER = [
    Entry(decay_notes.DECAY_FULL_LINES, NOTEBOOK, decay_lines),
    Entry(decay_notes.DECAY_LAST, NOTEBOOK, last_line_as_the_note_shows_it,
          "the note's last loss has five decimals where %f prints six: 0.011561 (errata)"),
]
# the 20 lines as the note shows them (the last one cut short): checked against the note only
TRANSCRIBED = [decay_notes.DECAY_PRINTED]


def test_the_40_step_run_ends_with_the_original_scripts_last_line():
    assert decay_lines(40)[-1] == decay_notes.DECAY_40_LAST


def test_the_last_printed_loss_is_cut_short():
    """002 line 193 shows 0.01156; %f always prints six decimals; the run gives 0.011561."""
    printed = decay_notes.DECAY_LAST.lines[0]
    assert printed.endswith("loss is 0.01156")
    assert all(len(row.rsplit(" ", 1)[1].split(".")[1]) == 6 for row in decay_notes.DECAY_FULL_LINES.lines)
    ours = decay_lines(20)[-1]
    assert ours == printed + "1"
    loss = learning_rate.quadratic_loss(note_run(20).w[20])
    assert "%f" % loss == "0.011561" and "%.5f" % loss == "0.01156"


def test_a_run_from_10_does_not_give_the_printed_lines():
    """002 lines 136 and 151 say w starts at 10; the code (line 152) and the numbers start at 5."""
    from10 = decay_lines(20, w0=10.0)
    assert from10[0] == ("After 0 steps: global_step is 1.000000, w is 7.800000, "
                         "learning rate is 0.099000, loss is 77.440002")
    assert not any(a == b for a, b in zip(from10, decay_notes.DECAY_PRINTED.lines))
    assert decay_lines(20, w0=5.0)[0] == decay_notes.DECAY_PRINTED.lines[0]


def test_the_comments_and_the_code_disagree_in_the_note():
    assert "10" in note_line(decay_notes.NOTE_002, 136) and "10" in note_line(decay_notes.NOTE_002, 151)
    assert "tf.constant(5, dtype=tf.float32)" in note_line(decay_notes.NOTE_002, 152)
    assert "40" in note_line(decay_notes.NOTE_002, 157) and "range(20)" in note_line(decay_notes.NOTE_002, 161)
    assert len(decay_notes.DECAY_PRINTED.lines) == 20


def _run_with_schedule(lr_at, num_steps=20):
    """The note's run with the schedule computed by ``lr_at(k)``, in the note's format."""
    w, lines = F32(5.0), []
    for k in range(num_steps):
        w = F32(w - F32(lr_at(k)) * learning_rate.quadratic_grad(w))
        lines.append(decay_notes.format_decay_line(k, w, F32(lr_at(k + 1)), learning_rate.quadratic_loss(w)))
    return lines


def test_only_the_float32_rate_reproduces_every_digit():
    """The chapter: the schedule from float32(0.99) gives all 19 full lines; exact 0.99 in float64 misses 5."""
    printed = decay_notes.DECAY_FULL_LINES.lines
    f32 = _run_with_schedule(lambda k: lr_decay.exponential_decay(0.1, k, 1, 0.99, True))
    f64 = _run_with_schedule(lambda k: 0.1 * 0.99 ** k)
    assert sum(a == b for a, b in zip(f32, printed)) == 19
    wrong = [k for k, (a, b) in enumerate(zip(f64, printed)) if a != b]
    assert wrong == [5, 8, 10, 12, 18]


def test_on_this_deterministic_problem_the_constant_rate_is_ahead():
    """The chapter: after 20 updates constant 0.1 is at -0.930825, the decayed run at -0.892476."""
    const = learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, 0.1, 20)
    assert "%f" % const.w[20] == "-0.930825"
    assert "%f" % note_run(20).w[20] == "-0.892476"


def test_with_noisy_gradients_moderate_decay_ends_closest():
    """The chapter's noisy-gradient comparison (500 runs, 100 updates, noise sd 4)."""
    def rms(base_lr, decay_rate):
        rng = np.random.default_rng(0)
        grad = lambda w: learning_rate.quadratic_grad(w) + F32(4.0) * rng.standard_normal(w.shape, dtype=F32)
        tr = lr_decay.decayed_gd_trace(grad, np.full(500, 5.0, dtype=F32), base_lr, 1, decay_rate, 100)
        return float(np.sqrt(np.mean((tr.w[-1].astype(np.float64) + 1) ** 2)))

    const_big, const_small, decayed, too_fast = rms(0.1, 1.0), rms(0.01, 1.0), rms(0.1, 0.97), rms(0.1, 0.9)
    assert decayed < 0.5 * const_big and decayed < 0.5 * const_small and decayed < 0.5 * too_fast


# --- the chapter as a lesson (issue 14) -------------------------------------------------------

def _cells():
    from tests.helpers import CHAPTERS, load

    return load(CHAPTERS / NOTEBOOK)["cells"]


def _split_at_the_notes_part():
    """(main path cells, notes' part cells)."""
    cells = _cells()
    k = next(i for i, c in enumerate(cells)
             if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## From the notes"))
    return cells[:k], cells[k:]


def _text(cells, cell_type=None):
    return "\n".join("".join(c["source"]) for c in cells if cell_type in (None, c["cell_type"]))


def test_the_chapter_passes_the_lesson_checks():
    """tests/book/test_lesson.py's checks, run on this chapter (goals first, the notes' part
    last, at most 25 % notes provenance, no note line numbers, 77 columns)."""
    from tests.book import test_lesson as lesson
    from tests.helpers import CHAPTERS

    path = CHAPTERS / NOTEBOOK
    lesson.test_goals_first_and_the_notes_part_last(path)
    lesson.test_goals_name_three_to_five_things_the_reader_can_do(path)
    lesson.test_main_path_is_mostly_about_the_subject(path)
    lesson.test_no_note_line_numbers_in_reader_facing_text(path)
    lesson.test_code_and_main_path_output_fit_the_column(path)


def test_printed_lines_before_the_notes_part_fit_77_characters():
    """Issue 14: about six printed lines of this chapter were cut off at the column's 77
    characters (the schedule table, the decay-rate table, the TensorFlow comparison)."""
    from tests.helpers import output_texts

    main, part = _split_at_the_notes_part()
    wide = [line for cell in main if not {"remove-output", "remove-cell"} & set(cell["metadata"].get("tags", []))
            for out in cell.get("outputs", []) for text in output_texts(out)
            for line in text.splitlines() if len(line) > 77]
    wide += [line for cell in main + part if cell["cell_type"] == "code"
             for line in "".join(cell["source"]).splitlines() if len(line) > 77]
    assert not wide, wide[:3]


def test_which_arithmetic_gives_the_digits_is_in_the_notes_part():
    """Issue 14: powf against numpy's SIMD pow is forensics about the notes' last digits, so it
    stands after '## From the notes'; the main path only states that Keras and nnlib agree."""
    main, part = _split_at_the_notes_part()
    main_text = _text(main)
    for word in ("powf", "SIMD", "Which arithmetic", "exact 0.99 in float64"):
        assert word not in main_text, word
    part_md = _text(part, "markdown")
    assert "### Which arithmetic gives the digits" in part_md
    assert "powf" in part_md and "SIMD" in part_md
    assert "exact 0.99 in float64" in _text(part, "code")


def test_noise_is_why_decay_exists_and_it_comes_before_the_explorer():
    """Issue 14: the chapter says why decay exists (noisy gradients: a constant rate jitters
    at a floor that shrinks only like sqrt(lr)) before the explorer, which runs without noise."""
    main, _ = _split_at_the_notes_part()
    md = _text(main, "markdown")
    explore = md.index("## Explore")
    why = md.index("## Why the rate should shrink: noisy gradients")
    assert md.index("## Goals") < why < md.index("## Exponential decay") < explore
    assert md.index("## Decay against noise") < explore
    assert r"\frac{\eta\,\sigma^2}{4(1-\eta)}" in md[why:explore]
    code = [("".join(c["source"]), i) for i, c in enumerate(main) if c["cell_type"] == "code"]
    first_noise = min(i for s, i in code if "noisy_grad" in s)
    explorer = next(i for s, i in code if "decay_explorer.static()" in s)
    assert first_noise < explorer


def test_issue_15_sections_stand_where_they_build_on_each_other():
    """Issue 15, item 4: noise first; Robbins–Monro after the sum of the rates; the other
    schedules before the explorer; the real mini-batch comparison and the linear-scaling rule
    in "In practice"; every schedule the issue names in the code."""
    main, _ = _split_at_the_notes_part()
    md = _text(main, "markdown")
    order = ["## Goals", "## Why the rate should shrink: noisy gradients", "## Exponential decay",
             "## How fast to decay: the sum of the rates",
             "## When noisy descent converges: the Robbins–Monro conditions",
             "## More schedules: step, cosine, warm-up and plateau", "## Explore", "## In practice",
             "### Batch size and the learning rate: the linear-scaling rule", "## Summary"]
    at = [md.index(h) for h in order]
    assert at == sorted(at)
    rm = md[at[4]:at[5]]
    assert r"\sum_{t=0}^{\infty} \eta_t = \infty" in rm and r"\sum_{t=0}^{\infty} \eta_t^2 < \infty" in rm
    assert "budget of the previous section" in rm      # tied to the sum-of-the-rates argument
    code = _text(main, "code")
    for name in ("PiecewiseConstantDecay", "CosineDecay", "warmup_target", "ReduceLROnPlateau",
                 "lr_decay.piecewise_constant", "lr_decay.cosine_decay", "lr_decay.ReduceLROnPlateau",
                 "network.train_together(", "ExponentialDecay"):
        assert name in code, name
    assert "lr_decay.train_scheduled`" in md   # the one-run trainer the side-by-side runs match


def _stored_block(first, n):
    from tests.helpers import CHAPTERS, stored_text

    lines = stored_text(CHAPTERS / NOTEBOOK)
    k = next(i for i, s in enumerate(lines) if s.startswith(first))
    return lines[k:k + n]


def test_robbins_monro_numbers_and_claims():
    """The three schedules of 10 000 noisy updates: the table as printed, and what the text says."""
    N = 10_000
    k = np.arange(N)
    rates = {"constant 0.1": np.full(N, 0.1, dtype=F32),
             "0.1 · 0.97^t": lr_decay.exponential_decay(0.1, k, 1, 0.97),
             "1 / (t + 10)": (1 / (k + 10)).astype(F32)}
    rms = lr_decay.noisy_quadratic_rms(np.array(list(rates.values())), np.full(500, 5.0, dtype=F32))
    rows = []
    for j, (name, lrs) in enumerate(rates.items()):
        total, squares = lr_decay.rate_sums(lrs)
        rows.append(f"{name:>14} {total:>8.2f} {squares:>9.3f}   "
                    + "  ".join(f"{rms[n, j]:.3f}" for n in (100, 1000, N)))
    assert _stored_block("      schedule  Σ rates", 4)[1:] == rows
    const, expo, harm = rms[:, 0], rms[:, 1], rms[:, 2]
    floor = np.sqrt(0.1 * 16 / (4 * 0.9))
    assert all(abs(const[n] / floor - 1) < 0.08 for n in (100, 1000, N))        # "about 0.67"
    assert f"{expo[1000]:.3f}" == f"{expo[N]:.3f}" == "0.180"                   # frozen
    assert f"{lr_decay.rate_sums(rates['0.1 · 0.97^t'])[0]:.2f}" == "3.33"
    for n in (1000, N):                                                        # follows sigma/sqrt(3t)
        assert abs(harm[n] / (4 / np.sqrt(3 * n)) - 1) < 0.05
    assert harm[100] > expo[100]                     # after 100 updates no closer than exponential
    assert 9 < harm[100] / harm[N] < 11              # 100 x the updates, 10 x smaller
    assert harm[N] < expo[N] / 5 and harm[N] < const[N] / 20
    # the derivation: v ~ a^2 sigma^2 / ((4a - 1) t) for lr = a / t, here a = 1
    v = 0.0
    for t in range(10, 200_010):
        v = (1 - 2 / t) ** 2 * v + 16 / t ** 2
    assert abs(v * 200_010 / (16 / 3) - 1) < 0.01


def _digits_fits():
    """The chapter's "In practice" comparison, computed as the notebook does."""
    from nnlib import data, network, portable

    X_tr, y_tr, X_val, y_val, X_test, y_test = data.digits_with_validation()
    EPOCHS, BATCH = 20, 16
    per_epoch = -(-len(X_tr) // BATCH)
    T = EPOCHS * per_epoch
    t = np.arange(T)
    schedules = {
        "constant 0.5": np.full(T, 0.5, dtype=F32),
        "step": lr_decay.piecewise_constant(t, [T // 2, 3 * T // 4], [0.5, 0.05, 0.005]),
        "exponential": lr_decay.exponential_decay(0.5, t, per_epoch, 0.9, staircase=True),
        "cosine": lr_decay.cosine_decay(0.5, t, T),
        "cosine from 1.0": lr_decay.cosine_decay(1.0, t, T),
        "warm-up + cosine": lr_decay.cosine_decay(0.01, t, T - 2 * per_epoch, warmup_target=1.0,
                                                  warmup_steps=2 * per_epoch),
        "plateau": None}

    def fit(name, seed):
        net = network.glorot_network([64, 32, 10], "relu", loss="softmax_ce", dot=portable.dot,
                                     seed=seed)
        plateau = lr_decay.ReduceLROnPlateau(0.5, factor=0.5, patience=2)
        train_loss, val_loss = [], []

        def after_epoch(epoch, batch_losses):
            train_loss.append(np.mean(batch_losses))
            val_loss.append(net.gradients(X_val, y_val, training=False).loss)
            plateau.update(val_loss[-1])

        plan = schedules[name]
        rates = lr_decay.train_scheduled(X_tr, y_tr, net, (lambda s: plateau.lr) if plan is None
                                         else plan, BATCH, EPOCHS, seed=seed, on_epoch=after_epoch)
        return net, rates, train_loss, val_loss

    fits = {name: [fit(name, seed) for seed in (0, 1, 2)] for name in schedules}
    return fits, (X_test, y_test)


def test_in_practice_table_and_what_the_text_concludes():
    fits, (X_test, y_test) = _digits_fits()
    final = {n: [r[3][-1] for r in runs] for n, runs in fits.items()}
    jitter = {n: np.mean([np.std(r[3][-5:]) for r in runs]) for n, runs in fits.items()}
    train = {n: np.mean([r[2][-1] for r in runs]) for n, runs in fits.items()}
    budget = {n: runs[0][1].sum(dtype=float) for n, runs in fits.items()}
    rows = [f"{n:>16}  {np.mean(final[n]):6.4f}  {np.std(final[n]):6.4f}  {jitter[n]:6.4f}"
            f"  {train[n]:6.4f}  {budget[n]:7.0f}" for n in fits]
    assert _stored_block("        schedule    mean", 8)[1:] == rows
    mean = {n: np.mean(v) for n, v in final.items()}
    sd = {n: np.std(v) for n, v in final.items()}
    good = ["step", "exponential", "cosine", "warm-up + cosine", "plateau"]
    decays = good + ["cosine from 1.0"]
    assert all(jitter["constant 0.5"] > 5 * jitter[n] for n in decays)       # "five times"
    assert all(mean[n] < mean["constant 0.5"] for n in good)
    assert f"{min(mean[n] for n in good):.3f}" == "0.113" and f"{max(mean[n] for n in good):.3f}" == "0.117"
    assert f"{mean['constant 0.5']:.3f}" == "0.135"
    spread = max(mean[n] for n in good) - min(mean[n] for n in good)
    assert spread < max(sd[n] for n in good)                                # no ranking among them
    # the budgets: 680 for constant and warm-up + cosine, lowest training losses
    assert sorted(train, key=train.get)[:2] == ["warm-up + cosine", "constant 0.5"]
    assert round(budget["constant 0.5"]) == 680 and round(budget["warm-up + cosine"]) == 681
    # cosine from 1.0 without warm-up: highest training and validation loss, widest spread
    assert max(train, key=train.get) == "cosine from 1.0" and f"{train['cosine from 1.0']:.3f}" == "0.050"
    assert max(mean, key=mean.get) == "cosine from 1.0" and max(sd, key=sd.get) == "cosine from 1.0"
    assert min(mean, key=mean.get) == "warm-up + cosine"
    # the choice and the one reading of the test set
    best = min(fits, key=lambda n: mean[n])
    acc = [r[0].accuracy(X_test, y_test) for r in fits[best]]
    assert _stored_block("chosen on validation", 2) == [
        f"chosen on validation: {best}",
        "its test accuracy, seeds 0 1 2: " + "  ".join(f"{a:.3f}" for a in acc)
        + f"   mean {np.mean(acc):.3f}"]
    # reduce-on-plateau did cut the rate in every seed
    assert all(r[1][-1] < F32(0.5) for r in fits["plateau"])


def test_the_schedule_budgets_the_chapter_quotes():
    T, P = 1360, 68
    t = np.arange(T)
    sums = {"step": lr_decay.piecewise_constant(t, [T // 2, 3 * T // 4], [0.5, 0.05, 0.005]),
            "exponential": lr_decay.exponential_decay(0.5, t, P, 0.9, staircase=True),
            "cosine": lr_decay.cosine_decay(0.5, t, T),
            "warm-up + cosine": lr_decay.cosine_decay(0.01, t, T - 2 * P, warmup_target=1.0,
                                                      warmup_steps=2 * P)}
    got = {n: f"{lr_decay.rate_sums(v)[0]:.0f}" for n, v in sums.items()}
    assert got == {"step": "359", "exponential": "299", "cosine": "340", "warm-up + cosine": "681"}
    md = _text(_cells(), "markdown")
    for number in ("(359 and 340", "(299)", "(681)"):
        assert number in md, number


def test_linear_scaling_numbers_and_claims():
    from nnlib import data, network, portable

    X_tr, y_tr, X_val, y_val, *_ = data.digits_with_validation()

    def fit_constant(batch, lr, seed, num_epochs=10):
        net = network.glorot_network([64, 32, 10], "relu", loss="softmax_ce", dot=portable.dot,
                                     seed=seed)
        val = []
        lr_decay.train_scheduled(X_tr, y_tr, net, lambda step: lr, batch, num_epochs, seed=seed,
                                 on_epoch=lambda e, _: val.append(
                                     net.gradients(X_val, y_val, training=False).loss))
        return val

    pairs = [(16, 0.1), (64, 0.1), (64, 0.4), (256, 1.6)]
    runs = {p: np.array([fit_constant(*p, seed) for seed in (0, 1, 2)]) for p in pairs}
    rows = [f"{f'B = {b}, lr = {lr:g}':>17} {10 * -(-len(X_tr) // b):>7}"
            + "".join(f"{runs[(b, lr)].mean(0)[e - 1]:7.3f}" for e in (1, 2, 5, 10))
            + f"{runs[(b, lr)][:, -1].std():7.3f}" for b, lr in pairs]
    assert _stored_block("                  updates", 5)[1:] == rows
    m = {p: v.mean(0) for p, v in runs.items()}
    gap = np.abs(m[(64, 0.4)] - m[(16, 0.1)]).max()
    assert gap < 0.06 and _stored_block("B = 64 at 0.4 against", 1)[0].endswith(f"{gap:.2f}")
    assert m[(64, 0.1)][-1] > 1.8 * m[(16, 0.1)][-1]                       # far behind
    assert np.all(m[(256, 1.6)] > 1.5) and runs[(256, 1.6)][:, -1].std() > 5 * runs[(16, 0.1)][:, -1].std()


def test_the_noise_floor_numbers_the_chapter_quotes():
    """The worked example of the first section: sigma 4, d0 6, 100 updates."""
    def floor(lr, sigma=4.0):
        return np.sqrt(lr * sigma ** 2 / (4 * (1 - lr)))

    assert f"{floor(0.1):.3f}" == "0.667" and f"{floor(0.01):.3f}" == "0.201"
    assert f"{6 * 0.98 ** 100:.2f}" == "0.80"
    assert 1e-10 < 6 * 0.8 ** 100 < 1e-8                      # "about 10^-9"
    assert f"{0.1 * 16 / 3.6:.4f}" == f"{floor(0.1) ** 2:.4f}"  # sqrt(0.1 * 16 / 3.6)
    # the formula against 500 float32 runs: within 3 % at 0.1, within 1.5 % at 0.01
    rng_grad = lambda: (lambda rng: lambda w: learning_rate.quadratic_grad(w)
                        + F32(4.0) * rng.standard_normal(w.shape, dtype=F32))(np.random.default_rng(0))
    w0 = np.full(500, 5.0, dtype=F32)
    for lr, predicted in ((0.1, 0.667), (0.01, 0.820)):
        tr = learning_rate.gd_trace(rng_grad(), w0, lr, 100)
        measured = np.sqrt(np.mean((tr.final.astype(np.float64) + 1) ** 2))
        assert abs(measured / predicted - 1) < 0.03, (lr, measured)
        q = (1 - 2 * lr) ** 2
        formula = np.sqrt(q ** 100 * 36 + lr ** 2 * 16 / (1 - q) * (1 - q ** 100))
        assert f"{formula:.3f}" == f"{predicted:.3f}"


def test_exercise_answers():
    """Every number the solutions quote."""
    import math

    # 1: ln 600 = 6.40, r > 0.969; 3000 updates end 0.0144 (r = 0.965) and 0.0053 (r = 0.97) away
    assert f"{math.log(600):.2f}" == "6.40" and f"{1 - 0.2 / math.log(600):.3f}" == "0.969"
    end = {r: abs(float(lr_decay.decayed_gd_trace(learning_rate.quadratic_grad, 5.0, 0.1, 1, r,
                                                  3000).final) + 1) for r in (0.965, 0.97)}
    assert f"{end[0.965]:.4f}" == "0.0144" and f"{end[0.97]:.4f}" == "0.0053"
    # 2: 50000 / 128 = 390.6 -> 391 updates; the 11th epoch starts at 3910; 0.05 * 0.9^10
    assert f"{50000 / 128:.1f}" == "390.6" and math.ceil(50000 / 128) == 391
    assert 50000 - 390 * 128 == 80
    assert f"{0.05 * 0.9 ** 10:.5f}" == "0.01743"
    assert f"{lr_decay.exponential_decay(0.05, 3910, 391, 0.9, staircase=True):.9f}" == "0.017433917"
    assert lr_decay.exponential_decay(0.05, 3909, 391, 0.9, staircase=True) > F32(0.0175)
    # 4: with decay_steps = 1 the staircase changes nothing
    steps = np.arange(100)
    assert (lr_decay.exponential_decay(0.1, steps, 1, 0.99, True)
            == lr_decay.exponential_decay(0.1, steps, 1, 0.99, False)).all()
    # 5: a floor of 0.1 at sigma 4 needs lr = 0.04 / 16.04 = 0.00249, and ~819 updates from 6
    lr = 0.04 / 16.04
    assert f"{lr:.5f}" == "0.00249" and abs(math.sqrt(lr * 16 / (4 * (1 - lr))) - 0.1) < 1e-12
    assert f"{math.log(60) / -math.log(1 - 2 * lr):.0f}" == "819"
    assert f"{math.hypot(0.1, 0.1):.2f}" == "0.14"   # mean 0.1 and jitter 0.1 together
    # 6: a^2 / (4a - 1) at 0.5, 1, 2; smallest at 0.5
    c = lambda a: a * a / (4 * a - 1)  # noqa: E731
    assert (c(0.5), f"{c(1):.3f}", f"{c(2):.3f}") == (0.25, "0.333", "0.571")
    assert min(np.linspace(0.3, 3, 2701), key=c) == pytest.approx(0.5)
    # 8: warm-up halfway 0.505, cosine halfway 0.5
    assert f"{lr_decay.cosine_decay(0.01, 68, 1224, warmup_target=1.0, warmup_steps=136):.3f}" == "0.505"
    assert f"{lr_decay.cosine_decay(0.01, 748, 1224, warmup_target=1.0, warmup_steps=136):.3f}" == "0.500"
    # 9: 48 = 3 x 16 -> 0.3; 23 and 68 updates per epoch; 0.00625
    assert math.ceil(1077 / 48) == 23 and math.ceil(1077 / 16) == 68
    assert f"{0.1 / 16:.5f}" == f"{0.3 / 48:.5f}" == "0.00625"


def test_the_chapter_quotes_the_solutions_numbers():
    md = _text(_cells(), "markdown")
    solutions = md.split("## Exercises", 1)[1].split("\n## ", 1)[0]
    for number in ("6.40", "0.969", "0.0144", "0.0053", "390.6", "391", "3910", "0.01743",
                   "0.017433917", "0.00249", "819", "0.14", "0.333", "0.571", "0.505", "= 23",
                   "= 68", "0.00625"):
        assert number in solutions, number


def test_in_practice_chooses_on_validation_and_reads_the_test_set_once():
    """The schedule is chosen on validation loss; only the chosen schedule's networks see
    X_test, in one cell after the choice."""
    from tests.helpers import CHAPTERS, stored_text

    main, _ = _split_at_the_notes_part()
    code = [(i, "".join(c["source"])) for i, c in enumerate(main) if c["cell_type"] == "code"]
    uses = [(i, s) for i, s in code if "X_test" in s]
    assert "data.digits_with_validation()" in uses[0][1]  # the test set set aside first
    scores = uses[1:]
    assert len(scores) == 1, [i for i, _ in scores]
    assert "best = min(" in scores[0][1] and "fits[best]" in scores[0][1]
    assert scores[0][1].count("X_test") == 1
    assert "X_val" in uses[0][1] and "net.gradients(X_val, y_val" in uses[0][1]
    stored = stored_text(CHAPTERS / NOTEBOOK)
    chosen = next(k for k, s in enumerate(stored) if s.startswith("chosen on validation:"))
    tested = next(k for k, s in enumerate(stored) if s.startswith("its test accuracy"))
    assert chosen < tested


def test_terms_use_the_glossarys_chinese():
    """Issue 14: every term of the Terms table carries the glossary's Chinese (the chapter had
    衰减步数（多少轮更新一次学习率）, 轮次（遍历一次数据集）, 批大小（BATCH_SIZE） and others)."""
    from tests.helpers import CHAPTERS

    def rows(md):
        return [[c.strip() for c in line.strip().strip("|").split("|")]
                for line in md.splitlines() if line.startswith("|") and not line.startswith("|---")]

    glossary = {r[0]: r[1] for r in rows((CHAPTERS / "glossary.md").read_text(encoding="utf-8"))[1:]}
    md = _text(_cells(), "markdown")
    terms = {r[0]: r[1] for r in rows(md.split("## Terms", 1)[1].split("\n## ", 1)[0])[1:]}
    assert len(terms) >= 10
    # issue 15's new terms, proposed for the glossary in the helper's report; once the glossary
    # has them, the glossary's entry is what counts
    pending = {"step decay (piecewise constant)": "分段常数衰减", "cosine decay": "余弦衰减",
               "learning-rate warm-up": "学习率预热", "reduce on plateau": "平台期降低学习率",
               "Robbins–Monro conditions": "Robbins–Monro 条件", "linear-scaling rule": "线性缩放规则"}
    assert {t: terms[t] for t in terms} == {t: glossary.get(t, pending.get(t)) for t in terms}
