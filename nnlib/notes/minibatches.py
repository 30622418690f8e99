"""Chapter 9 (minibatches): what note 003 states about MLPClassifier and batch sizes, and its formats.

Note 003 prints no training run; it lists scikit-learn's ``MLPClassifier`` parameters with their
defaults (lines 34-65) and discusses the batch size and the number of epochs (lines 127-148).
Every number among these is a :class:`Printed` block here; the chapter recomputes each one (from
scikit-learn itself where it is a default) and prints it in the note's own spelling, e.g.
``默认0.0001``. (Note 004's Adam rate is chapter 8's: :mod:`nnlib.notes.optimizers`.)
"""
from __future__ import annotations

from .._check import one_of
from . import NOTE_003, Printed, formatter

__all__ = ["ALPHA", "BATCH_SIZE_AUTO", "ADAPTIVE_DIVISOR", "POWER_T", "MAX_ITER", "TOL",
           "LEARNING_RATE_INIT", "MOMENTUM", "EARLY_STOPPING_SHARE", "VALIDATION_FRACTION",
           "BETA_1", "BETA_2", "EPSILON", "BATCH_SIZES", "NUMERIC_DEFAULTS",
           "MLP_LINES", "format_default", "format_batch_rule", "format_share", "format_divisor",
           "format_sizes", "item_number"]

# --- Note 003, "sklearn 神经网络 MLPClassifier简单应用与参数说明": the defaults it states ------------

ALPHA = Printed(NOTE_003, 45, "默认0.0001", "alpha (L2 penalty): default")
BATCH_SIZE_AUTO = Printed(NOTE_003, 46, "batch_size=min(200,n_samples)",
                          "batch_size='auto': the minibatch size it stands for")
ADAPTIVE_DIVISOR = Printed(NOTE_003, 50, "除以5",
                           "learning_rate='adaptive': the factor the rate is divided by")
POWER_T = Printed(NOTE_003, 51, "default 0.5", "power_t (exponent of 'invscaling'): default")
MAX_ITER = Printed(NOTE_003, 52, "默认200", "max_iter: default")
TOL = Printed(NOTE_003, 55, "默认1e-4", "tol: default")
# the note spells the parameter learning_rate_int (errata)
LEARNING_RATE_INIT = Printed(NOTE_003, 56, "默认0.001", "learning_rate_init: default")
MOMENTUM = Printed(NOTE_003, 59, "默认 0.9", "momentum: default")
EARLY_STOPPING_SHARE = Printed(NOTE_003, 61, "10%",
                               "early_stopping: the share of the training data set aside")
VALIDATION_FRACTION = Printed(NOTE_003, 62, "默认 0.1", "validation_fraction: default")
BETA_1 = Printed(NOTE_003, 63, "默认0.9", "beta_1: default")
BETA_2 = Printed(NOTE_003, 64, "默认0.999", "beta_2: default")
EPSILON = Printed(NOTE_003, 65, "默认1e-8", "epsilon: default")

# --- Note 003, "神经网络超参数选择": the usual batch sizes ----------------------------------------

BATCH_SIZES = Printed(NOTE_003, 133, "[16,32,64,128]", "batch sizes the note calls usual")

#: The numeric defaults in the order the note lists them: parameter -> (Printed, how to format).
NUMERIC_DEFAULTS = {
    "alpha": (ALPHA, "默认{:g}"),
    "power_t": (POWER_T, "default {:g}"),
    "max_iter": (MAX_ITER, "默认{}"),
    "tol": (TOL, "默认{:e}"),
    "learning_rate_init": (LEARNING_RATE_INIT, "默认{:g}"),
    "momentum": (MOMENTUM, "默认 {:g}"),
    "validation_fraction": (VALIDATION_FRACTION, "默认 {:g}"),
    "beta_1": (BETA_1, "默认{:g}"),
    "beta_2": (BETA_2, "默认{:g}"),
    "epsilon": (EPSILON, "默认{:e}"),
}

#: Where note 003 describes each MLPClassifier parameter, and the default as it writes it
#: (``None`` where it states none): the numeric defaults above, and the rest. Lines 34-65; there
#: is no item 13, and it leaves out ``n_iter_no_change`` and ``max_fun``.
MLP_LINES = {name: (printed.first_line, printed.text) for name, (printed, _) in NUMERIC_DEFAULTS.items()} | {
    "hidden_layer_sizes": (34, None),
    "activation": (35, "默认relu"),
    "solver": (40, "默认adam"),
    "batch_size": (46, "默认’auto’"),
    "learning_rate": (47, "默认constant"),
    "random_state": (53, "默认None"),
    "shuffle": (54, "默认True"),
    "verbose": (57, "默认False"),
    "warm_start": (58, "默认False"),
    "nesterovs_momentum": (60, "默认True"),
    "early_stopping": (61, "默认False"),
    "n_iter_no_change": (None, None),
    "max_fun": (None, None),
}


def item_number(name: str):
    """The number of the item of note 003's list that describes MLPClassifier parameter ``name``,
    or None where the list leaves it out; the list has no item 13 (chapter 9)."""
    line = MLP_LINES[one_of("name", name, tuple(MLP_LINES))][0]
    if line is None:
        return None
    k = sorted(first for first, _ in MLP_LINES.values() if first).index(line)
    return k + 1 + (k >= 12)


# --- our values in the notes' formats ----------------------------------------------------------

def format_default(name: str, value) -> str:
    """A numeric MLPClassifier default as note 003 writes it, e.g. ``默认0.0001`` (chapter 9)."""
    fmt = NUMERIC_DEFAULTS[one_of("name", name, tuple(NUMERIC_DEFAULTS))][1]
    if fmt.endswith("{:e}"):  # 1e-4 rather than Python's 1e-04
        mantissa, exponent = f"{value:.0e}".split("e")
        return f"{fmt[:-4]}{mantissa}e{int(exponent)}"
    return fmt.format(value)


format_batch_rule = formatter("batch_size=min({},n_samples)", "What batch_size='auto' means, in note 003's "
                              "words: ``batch_size=min(200,n_samples)`` (chapter 9).")
format_share = formatter("{:.0%}", "A fraction as a whole percentage, ``10%`` (chapter 9).")
format_divisor = formatter("除以{:g}", "How note 003 says 'divide the rate by 5': ``除以5`` (chapter 9).")


def format_sizes(sizes) -> str:
    """Batch sizes as note 003 lists them, ``[16,32,64,128]`` (chapter 9)."""
    return "[" + ",".join(str(int(s)) for s in sizes) + "]"


# --- Note 003, item 3: the solver for small data sets -----------------------------------------------
LBFGS = Printed(NOTE_003, 44, "默认solver ‘adam’在相对较大的数据集上效果比较好(几千个样本或者更多),"
                "对小数据集来说,lbfgs收敛更快效果也更好",
                "the note's advice on the solver: adam for thousands of samples, lbfgs for small data")

# --- Note 003, its list of methods, and its remark on full batches --------------------------------
PREDIC = Printed(NOTE_003, 79, "predic_log_proba(X)\npredic_proba(X)",
                 "two method names in the note's list of MLPClassifier's methods")
RPROP = Printed(NOTE_003, 136, "以 Rprop 的方式迭代,会由于各个 Batch 之间的采样差异性,各次梯度修正值相互抵消,无法修正",
                "the note's second drawback of full-batch training")
