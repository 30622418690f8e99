"""Chapter 7 (EMA): note 002's nine printed pairs and both notes' worked example (the ledger), and
what the chapter states about the notes and about Keras 3 beyond them (see the errata)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnlib import ema
from nnlib.notes import ema as notes_ema
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

F32 = np.float32

NOTEBOOK = "07_ema.ipynb"


def note_run(decay=0.99, num_updates_for=lambda step: step):
    """Note 002's script with nnlib: the shadow at each of its nine prints (the first call creates
    it at w1 = 0), with the step counter set to ``num_updates_for(step)``."""
    avg = ema.ExponentialMovingAverage(decay, num_updates=0)
    out = []
    for w1, step in notes_ema.SCRIPT_002:
        avg.num_updates = num_updates_for(step)
        out.append(avg.apply([w1])[0])
    return out


def pair_lines():
    return notes_ema.format_pairs([F32(w1) for w1, _ in notes_ema.SCRIPT_002], note_run())


def worked_rows():
    """The hand-worked steps: shadows 0.9, 1.644 (as two rounded terms), 2.328, 2.956."""
    shadows = note_run()
    d = ema.effective_decay(0.99, 100)
    a, b = d * shadows[1], (np.float32(1) - d) * np.float32(10)  # decay·0.9 and (1 − decay)·10
    return {
        "step1": notes_ema.three_decimals(shadows[1]),
        "step2_spaced": notes_ema.format_rounded_sum(a, b, " = "),
        "step2_tight": notes_ema.format_rounded_sum(a, b, "="),
        "step2_total": notes_ema.format_rounded_sum(a, b).split(" = ")[1],
        "step3": notes_ema.three_decimals(shadows[3]),
        "step4": notes_ema.three_decimals(shadows[4]),
    }


def rows(*template):
    return lambda: [t.format(**worked_rows()) for t in template]


LEDGER = [
    Entry(notes_ema.EMA_PAIRS, NOTEBOOK, pair_lines),
    Entry(notes_ema.WORKED_002_STEP1, NOTEBOOK, rows("= {step1}")),
    Entry(notes_ema.WORKED_002_STEP2, NOTEBOOK, rows("= {step2_spaced}"),
          "1.644 is the sum of the two rounded terms; 1.6445453 itself rounds to 1.645"),
    Entry(notes_ema.WORKED_002_STEP3, NOTEBOOK, rows("= {step3}")),
    Entry(notes_ema.RESULT_002, NOTEBOOK, rows("{step2_total}")),
    Entry(notes_ema.WORKED_000, NOTEBOOK, rows("= {step1}", "= {step2_tight}", "= {step3}", "={step4}")),
    Entry(notes_ema.RESULT_000, NOTEBOOK, rows("{step2_total}")),
]

# blocks without numbers: checked against the note (tests.ledger)
TRANSCRIBED = [notes_ema.FORMULA_FIRST, notes_ema.FORMULA_JUMP]

PRINTED_SHADOWS = [line.strip("[]").split(", ")[1] for line in notes_ema.EMA_PAIRS.lines]


def test_the_formula_without_the_old_shadow_misses_every_printed_value():
    """002 line 203: 'shadow = decay * parameter' gives 0.1 and 9.181818, never the printed values."""
    short = [ema.effective_decay(0.99, step) * F32(w1) for w1, step in notes_ema.SCRIPT_002[1:]]
    assert [str(v) for v in short[:2]] == ["0.1", "9.181818"]
    assert not any(str(a) == b for a, b in zip(short, PRINTED_SHADOWS[1:]))


def test_decay_0_9_fits_only_the_first_two_prints():
    """002 line 223 says MOVING_AVERAGE_DECAY is 0.9; the printed run is 0.99."""
    shadows = note_run(0.9)
    assert [str(v) for v in shadows[:3]] == ["0.0", "0.9", "1.8100002"]
    assert sum(str(a) == b for a, b in zip(shadows, PRINTED_SHADOWS)) == 2


def test_global_step_0_at_the_jump_to_10_would_give_9_09():
    """002 line 228 says global_step is set to 0 for the jump to 10; only 100 fits 1.6445453."""
    assert str(note_run(0.99, lambda step: 0)[2]) == "9.09"
    assert str(note_run()[2]) == "1.6445453"


def test_w1_stays_10_it_is_the_shadow_that_becomes_1_644_and_2_328():
    """002 line 232 and 000 lines 106-107 say w1 becomes 1.644 / 2.328; w1 is 10 in pairs 3-9."""
    assert {line.strip("[]").split(", ")[0] for line in notes_ema.EMA_PAIRS.lines[2:]} == {"10.0"}
    assert notes_ema.three_decimals(note_run()[3]) == "2.328"


def test_1_644_is_a_sum_of_rounded_terms_and_the_shadow_rounds_to_1_645():
    """002 lines 230/313 and 000 lines 105/110: 0.826 + 0.818 = 1.644; 1.6445453 rounds to 1.645."""
    # 0.826 + 0.818 = 1.644 and 2.956 (000 line 107, rounded correctly) are ledger entries
    d = ema.effective_decay(0.99, 100)
    assert "%.3f" % note_run()[2] == "1.645"
    # the note's next step works from 1.644; with either value the third shadow is 2.328
    assert "%.3f" % (float(d) * 1.644 + (1 - float(d)) * 10) == "2.328"


def test_the_ramp_as_note_002_writes_it_would_be_no_ramp():
    """002 line 204, min{decay(1+n/10+n)}, read literally is >= 1: no decay ramp, first run 0.01."""
    assert all(min(0.99, 1 + n / 10 + n) == 0.99 for n in range(1000))  # the run: exercise 3's answer


def test_the_textbook_order_changes_digits_from_the_fifth_print():
    s_tf, s_tb, differ = F32(0), F32(0), []
    for k, (w1, step) in enumerate(notes_ema.SCRIPT_002):
        d, w = ema.effective_decay(0.99, step), F32(w1)
        s_tf = s_tf - (s_tf - w) * (F32(1) - d)
        s_tb = d * s_tb + (F32(1) - d) * w
        if str(s_tb) != PRINTED_SHADOWS[k]:
            differ.append(k + 1)
    assert differ == [5, 6, 7, 8, 9]


def test_where_the_decay_ramp_stops_capping_the_decay():
    n = np.arange(20_000)
    first = {d: int(np.argmax(ema.effective_decay(d, n) >= F32(d))) for d in (0.9, 0.99, 0.999)}
    assert first == {0.9: 80, 0.99: 890, 0.999: 8990}
    assert ema.effective_decay(0.99, [889, 890]).tolist() == [F32(0.98998886), F32(0.99)]


def test_the_start_value_shares_the_chapter_quotes():
    assert round(0.99 ** 100, 3) == 0.366
    assert 0.99 ** 458 > 0.01 > 0.99 ** 459
    assert ema.effective_decay(0.99, 8) == F32(0.5)
    assert "%.3f" % ema.effective_decay(0.99, 100) == "0.918"


def test_exercise_answers():
    # 2: runs after the jump to 10 until the shadow is within 0.1 of 10
    avg = ema.ExponentialMovingAverage(0.99, 0)
    avg.apply([0.0])
    avg.apply([1.0])
    avg.num_updates = 100
    runs = 1
    while 10 - avg.apply([10.0])[0] >= 0.1:
        runs += 1
    assert runs == 53 == math.floor(math.log(91) / math.log(110 / 101)) + 1
    # 3: without the decay ramp (0.0100, 0.1099, 0.2088, ..., 0.6887 after the seventh 10)
    no_ramp = note_run(0.99, lambda step: None)
    assert ["%.4f" % v for v in no_ramp[1:4]] == ["0.0100", "0.1099", "0.2088"]
    assert "%.4f" % no_ramp[-1] == "0.6887" and len(no_ramp) == 9
    # the worked example of "The shadow weight": decay 0.9, start 0, weight 1
    avg = ema.ExponentialMovingAverage(0.9)
    avg.apply([0.0])
    shadows = [float(avg.apply([1.0])[0]) for _ in range(30)]
    assert ["%.4f" % v for v in shadows[:4]] == ["0.1000", "0.1900", "0.2710", "0.3439"]
    assert next(t for t, v in enumerate(shadows, 1) if 1 - v < 0.1) == 22
    assert round(math.log(10) / -math.log(0.9), 1) == 21.9


def test_keras3_variables_break_tf_ema_and_their_value_works(tf):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    avg = tf.train.ExponentialMovingAverage(0.99)
    with pytest.raises(AttributeError, match="'str' object has no attribute 'base_dtype'"):
        avg.apply(model.trainable_variables)
    plain = [v.value for v in model.trainable_variables]
    avg.apply(plain)
    model.trainable_variables[0].assign(model.trainable_variables[0] + 1.0)
    avg.apply(plain)
    diff = model.trainable_variables[0].numpy() - avg.average(plain[0]).numpy()
    np.testing.assert_allclose(diff, 0.99, rtol=1e-6)


def test_keras_fit_with_use_ema_ends_with_the_averages_in_the_model(tf):
    import keras

    keras.utils.set_random_seed(1)
    X = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    y = X @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    opt = keras.optimizers.SGD(learning_rate=0.05, use_ema=True, ema_momentum=0.9)
    model.compile(optimizer=opt, loss="mse")
    model.fit(X, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    averages = [a.numpy() for a in opt._model_variables_moving_average]
    for w, a in zip(model.get_weights(), averages):
        np.testing.assert_array_equal(w, a)


def test_exercise_4_a_keras_warmup_by_setting_ema_momentum_each_eager_step(tf):
    """Eagerly, Keras reads ``ema_momentum`` at every step, so a per-step warm-up takes effect."""
    import keras

    w = keras.Variable(np.float32(2.0))
    opt = keras.optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.99)
    opt.build([w])
    grads = np.random.default_rng(4).normal(0, 5, size=30).astype(np.float32)
    ref, theirs = None, []
    for g in grads:
        n = int(opt.iterations.numpy())
        m = F32(min(0.99, (1 + n) / (10 + n)))
        opt.ema_momentum = float(m)
        opt.apply_gradients([(tf.constant(g), w)])
        value = w.numpy()
        ref = value if ref is None else m * ref + (F32(1) - m) * value
        raw = w.numpy()
        opt.finalize_variable_values([w])
        theirs.append((w.numpy(), ref))
        w.assign(raw)
    for got, want in theirs:
        np.testing.assert_allclose(got, want, rtol=1e-6)


# --- issue 14: the chapter as a lesson ---------------------------------------------------------

def _cells():
    from tests.helpers import CHAPTERS, load

    return load(CHAPTERS / NOTEBOOK)["cells"]


def _text(cell):
    from tests.helpers import output_texts

    outs = [t for o in cell.get("outputs", []) for t in output_texts(o)]
    return "".join(cell["source"]) + "\n" + "\n".join(outs)


def _split_at_the_notes_part():
    """(main path cells, notes' part cells)."""
    cells = _cells()
    k = next(i for i, c in enumerate(cells)
             if c["cell_type"] == "markdown" and "\n## From the notes" in "\n" + "".join(c["source"]))
    return cells[:k], cells[k:]


def test_the_decay_ramp_is_not_called_warm_up():
    """TensorFlow's num_updates ramp of the EMA decay is the 'decay ramp' throughout; the chapter
    says once, and only once, that it is not the learning-rate warm-up (issue 14)."""
    import re

    text = "\n".join(_text(c) for c in _cells())
    warm = re.findall(r"(?i)warm[- ]?up", text)
    assert len(warm) == 1, f"'warm-up' {len(warm)} times: the chapter's word is 'decay ramp'"
    sentence = re.search(r"[^.]*warm-up[^.]*\.", text).group(0)
    assert "not the learning-rate" in sentence, sentence
    assert "## The decay ramp (num_updates)" in text
    assert "| decay ramp (num_updates) | 由 num_updates 控制的衰减率 |" in text  # the glossary's row


def test_the_print_format_is_in_the_notes_part():
    """numpy's legacy printing explains the notes' digits: forensics, so after '## From the notes'."""
    main, part = _split_at_the_notes_part()
    for cell in main:
        src = "".join(cell["source"])
        assert "legacy=" not in src and "print format" not in src.lower(), src[:80]
    assert any("### The print format" in "".join(c["source"]) for c in part)
    assert any('legacy="1.25"' in "".join(c["source"]) for c in part)


def test_in_practice_reads_the_test_set_once():
    """The raw-or-averaged choice is made on validation data; only the chosen weights see X_test."""
    main, _ = _split_at_the_notes_part()
    uses = [line for c in main if c["cell_type"] == "code"
            for line in "".join(c["source"]).splitlines() if "X_test" in line]
    assert "data.digits_with_validation()" in uses[0], uses  # set aside first
    evaluations = [u for u in uses if "metrics(" in u]
    assert len(evaluations) == 1 and "current_weights()[chosen]" in evaluations[0], uses
