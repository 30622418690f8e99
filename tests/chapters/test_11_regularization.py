"""Chapter 11 (overfitting and regularization): the example's size and scikit-learn's alpha (the
ledger), what the chapter states about the notes and the course code (errata), and what the lesson
states: scikit-learn's alpha per batch, the penalty chosen on validation, the average's lag."""
from __future__ import annotations

import numpy as np

from nnlib import lr_decay, reference
from nnlib import regularization as reg
from nnlib.notes import regularization as note
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "11_regularization.ipynb"


def num_points():
    """The number of points note 000's generator draws (seed 2)."""
    return [note.format_count(len(reg.circle_data(300, seed=2)[0]))]


def sklearn_alpha():
    """scikit-learn's default L2 strength for MLPClassifier, as note 003 writes it."""
    from sklearn.neural_network import MLPClassifier

    return [note.format_alpha(MLPClassifier().alpha)]


LEDGER = [
    Entry(note.NUM_POINTS, NOTEBOOK, num_points),
    Entry(note.SKLEARN_ALPHA, NOTEBOOK, sklearn_alpha),
]
# the errata quotes note 000's template verbatim: checked against the note
TRANSCRIBED = [note.TEMPLATE_GLOBAL_STEP, note.TEMPLATE_DECAY, note.TEMPLATE_MINIMIZE]


def test_the_template_itself_passes_global_step():
    """Line 187: the note's template is right; the slip is in the course's backward.py."""
    assert "global_step=global_step" in note.TEMPLATE_MINIMIZE.text


def test_without_global_step_the_rate_never_decays_and_the_fix_works(tf):
    X, y = reg.circle_data()
    (_, gs, lr), = reference.tf1_backward(X, y, pass_global_step=False, num_steps=30, every=30)
    assert gs == 0 and lr == np.float32(0.001)
    (_, gs, lr), = reference.tf1_backward(X, y, pass_global_step=True, num_steps=30, every=30)
    assert gs == 30 and lr == lr_decay.exponential_decay(0.001, 30, 10, 0.999, staircase=True)


def test_the_intended_rate_at_40000_steps():
    assert f"{lr_decay.exponential_decay(0.001, 40000, 10, 0.999, staircase=True):.7f}" == "0.0000183"
    assert f"{lr_decay.exponential_decay(0.001, 500, 10, 0.999, staircase=True):.6f}" == "0.000951"


def _zero_input_epoch(n=40, batch_size=10, lr=0.1, alpha=1.0):
    """One epoch of MLPClassifier SGD on all-zero inputs: first-layer weights after / before.
    With zero inputs the data gradient of the first layer is 0, so only the penalty moves it."""
    from sklearn.neural_network import MLPClassifier

    X0, y0 = np.zeros((n, 2)), np.arange(n) % 2
    clf = MLPClassifier(hidden_layer_sizes=(3,), solver="sgd", alpha=alpha, learning_rate_init=lr,
                        momentum=0.0, batch_size=batch_size, shuffle=False, random_state=0)
    clf.partial_fit(X0, y0, classes=[0, 1])
    before = clf.coefs_[0].copy()
    clf.partial_fit(X0, y0)
    return clf.coefs_[0] / before


def test_sklearn_divides_alpha_by_the_batch_size_not_the_number_of_samples():
    """Issue 14: the chapter said 'divided by the number of samples'. One epoch of 4 steps of 10."""
    ratio = _zero_input_epoch()
    np.testing.assert_allclose(ratio, (1 - 0.1 * 1.0 / 10) ** 4, rtol=1e-12)
    assert abs(ratio.max() - (1 - 0.1 * 1.0 / 40) ** 4) > 0.02  # what the old text predicted
    # a smaller last batch gets the stronger pull: 40 examples in batches of 15, 15 and 10
    np.testing.assert_allclose(_zero_input_epoch(batch_size=15),
                               (1 - 0.1 / 15) ** 2 * (1 - 0.1 / 10), rtol=1e-12)
    assert ["%.8f" % (1 - 0.1 / 10) ** 4, "%.8f" % (1 - 0.1 / 40) ** 4] == ["0.96059601", "0.99003744"]
    # and the source says so: _backprop, which gets one batch, divides by that batch's size
    import inspect

    from sklearn.neural_network._multilayer_perceptron import BaseMultilayerPerceptron

    src = inspect.getsource(BaseMultilayerPerceptron._backprop)
    assert "n_samples = X.shape[0]" in src and "self.alpha" in src


def test_sklearn_scaling_exercise_2():
    """Default batch min(200, 300) = 200: batches of 200 and 100, lambda = alpha / (2 B) each."""
    assert f"{0.0001 / (2 * 200):.1e}" == "2.5e-07" and f"{0.0001 / (2 * 100):.0e}" == "5e-07"
    assert f"{0.0001 / (2 * 300):.1e}" == "1.7e-07"  # the wrong answer the solution names
    text = " ".join(_markdown().split())
    assert "2.5\\times10^{-7}" in text and "5\\times10^{-7}" in text
    assert "number of samples" not in text and "what scikit-learn does *not* do" in text
    # (keras_l2_from_tf1: tests/nnlib/test_regularization.py)


def test_exercise_5_weight_decay_halves_a_weight_in_69315_steps():
    import math

    steps = math.log(2) / -math.log(1 - 2 * 0.001 * 0.005)
    assert f"{steps:.1f}" == "69314.4" and math.ceil(steps) == 69315
    w, n = np.float64(1.0), 0
    while w > 0.5:
        w *= 1 - 1e-5
        n += 1
    assert n == 69315
    assert f"{math.sqrt(0.94 * 0.06 / 1000):.4f}" == "0.0075"  # exercise 3's standard error


def test_the_data_has_188_red_points_and_the_test_set_is_fresh():
    X, y = reg.circle_data()
    Xt, yt = reg.circle_data(1000, seed=12)
    assert int(y.sum()) == 188 and int(yt.sum()) == 643
    assert not np.isin(Xt[:, 0], X[:, 0]).any()


# --- issue 14: the chapter as a lesson ---------------------------------------------------------

def _cells():
    from tests.helpers import CHAPTERS, load

    return load(CHAPTERS / NOTEBOOK)["cells"]


def _markdown():
    return "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "markdown")


def _main_path():
    cells = _cells()
    k = next(i for i, c in enumerate(cells)
             if c["cell_type"] == "markdown" and "\n## From the notes" in "\n" + "".join(c["source"]))
    return cells[:k]


def _outputs(cell):
    from tests.helpers import output_texts

    return "".join(t for o in cell.get("outputs", []) for t in output_texts(o))


def _cell_with(source_snippet):
    return next(c for c in _cells() if c["cell_type"] == "code" and source_snippet in "".join(c["source"]))


def test_the_penalty_is_chosen_on_validation_and_the_test_set_read_once():
    """Issue 14: lambda was picked by test accuracy. 'In practice' chooses alpha on the MNIST
    validation split; X_te is evaluated once, for the chosen strength."""
    import re

    main = [c for c in _main_path() if c["cell_type"] == "code"]
    lines = [line for c in main for line in "".join(c["source"]).splitlines()
             if re.search(r"\bX_te\b", line)]
    assert "data.mnist_with_validation()" in lines[0], lines
    evaluations = [line for line in lines if "score(X_te" in line]
    assert evaluations == ["test_acc = [c.score(X_te, y_te) for c in fits[chosen]]"], lines
    choose = _cell_with("chosen = max(ALPHAS, key=val_acc.get)")
    out = _outputs(choose)
    rows = re.findall(r"(?m)^\s*([\d.]+)\s+\S+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)$", out)
    assert len(rows) == 3, out
    best = max(rows, key=lambda r: float(r[1]))[0]
    assert f"chosen on validation: alpha = {best}" in out
    # the chosen network's test accuracy is below its validation accuracy, as the text says
    test_mean = float(re.search(r"mean ([\d.]+)", _outputs(_cell_with("test_acc = ["))).group(1))
    assert test_mean < max(float(r[1]) for r in rows)


def test_the_circle_test_points_are_looked_at_not_chosen_on():
    text = " ".join(_markdown().split())
    assert "nothing is chosen on them" in text and "They are for looking, not choosing." in text


def test_the_average_lags_a_run_still_improving_and_catches_up():
    """Issue 14: the program printed EMA test accuracy 0.861 against 0.894 raw, with no comment.
    The stored table shows the lag after 1000 steps (the average is about the raw weights of step
    900) and the gap closed after 2000 steps; decay 0.9 (a short memory) hardly lags."""
    import re

    out = _outputs(_cell_with("def accuracy(ws, X, y):"))
    rows = {name.strip(): [float(v) for v in vals.split()] for name, vals in
            re.findall(r"(?m)^(raw|average, decay 0\.99|average, decay 0\.9)\s+([\d. ]+)$", out)}
    raw, slow, fast = rows["raw"], rows["average, decay 0.99"], rows["average, decay 0.9"]
    assert raw[1] - slow[1] > 0.02                      # after 1000 steps: test 0.894 vs 0.861
    assert abs(raw[3] - slow[3]) <= 0.002               # after 2000 steps: caught up
    assert raw[1] - fast[1] <= 0.005                    # decay 0.9 is close already
    step900 = float(re.search(r"step  900: ([\d.]+)", out).group(1))  # raw weights
    assert abs(step900 - slow[1]) <= 0.005              # the average ~ the weights of step 900
    assert "Keras 0.000818651, nnlib 0.000818651" in out


def test_main_path_code_writes_labels_y_and_predictions_y_hat():
    """Notation (issue 14): no TF1 'y_' for the label in the main path's code."""
    import re

    for c in _main_path():
        if c["cell_type"] == "code":
            assert not re.search(r"\by_\b|\bY_\b", "".join(c["source"])), "".join(c["source"])[:80]
    assert "spells the label `y_` and the prediction `y`" in " ".join(_markdown().split())
