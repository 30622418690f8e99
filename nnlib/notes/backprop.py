"""Chapter 5 (backpropagation): what note 004's section 5 prints, and the course lab's numbers.

Note 004's section on backpropagation (lines 330-353) prints no computed values: the worked
example with numbers was a figure (图2-2-19, line 339) that the text copy lost. What it does print
is the one-neuron cost as a formula, the chain rule for it, and the cost of the two ways of
getting all derivatives (N + P against N x P). The formula carries the only digits (the 1/2 and
the square): :func:`format_formula` prints our computation graph back as that formula.

The numbers of the course's optional lab (back propagation with a computation graph, course 2
week 2 of the Machine Learning Specialization that note 004 follows, lines 30-33) are not in any
note; ``tests/chapters/test_05_backprop.py`` checks them against a fresh computation.
"""
from __future__ import annotations

from fractions import Fraction

from . import NOTE_000, NOTE_004, Printed

__all__ = ["FORMULA", "CHAIN_RULE", "COST_BACKPROP", "COST_SLOPES", "SPELLING", "TYPOS", "QUIZ_2",
           "QUIZ_2_CODE", "LAB", "format_formula", "format_lab_slope"]

# --- Note 004, section 5.1: the computation graph of one neuron ---------------------------------
FORMULA = Printed(NOTE_004, 341, r"J(w,b) &= \frac{1}{2}((wx+b)-y)^2",
                  "the cost of one neuron with a squared error, as a formula (LaTeX source)")
CHAIN_RULE = Printed(NOTE_004, 341, r"\frac{\partial J}{\partial w} &= \frac{\partial d}{\partial w} "
                     r"\frac{\partial J}{\partial d} = \frac{\partial a}{\partial w} \frac{\partial d}"
                     r"{\partial a} \frac{\partial J}{\partial d} = \frac{\partial c}{\partial w} "
                     r"\frac{\partial a}{\partial c} \frac{\partial d}{\partial a} \frac{\partial J}"
                     r"{\partial d}", "the chain rule for dJ/dw through the nodes d, a, c")
COST_BACKPROP = Printed(NOTE_004, 345, "N+P", "steps backpropagation needs for all derivatives")
COST_SLOPES = Printed(NOTE_004, 346, "N×P", "steps for one finite-difference slope per parameter")
SPELLING = Printed(NOTE_004, 90, "反向传播(back propogation)", "the note's English name for it")

# --- The course lab (not in the notes): J = a^2 at a = 11, J = (2 + 3w)^2 at w = 3, and the network
# x=2, w=-2, b=8, y=1 of the optional lab 'Back propagation using a computation graph'
LAB = (
    "J = 121, J_epsilon = 121.02200099999999, dJ_da ~= k = 22.000999999988835 ",
    "J = 121, J_epsilon = 121.06600900000001, dJ_dw ~= k = 66.0090000000082 ",
    "J = 4.5, J_epsilon = 4.506002, dJ_dw ~= k = 6.001999999999619 ",
)


def format_lab_slope(J, J_epsilon, slope, name: str) -> str:
    """One finite-difference line in the course lab's format (chapter 5).

    Whole numbers print without decimals, as the lab's Python ints did.
    """
    def num(v):
        v = float(v)
        return str(int(v)) if v.is_integer() else repr(v)

    return f"J = {num(J)}, J_epsilon = {num(J_epsilon)}, {name} ~= k = {num(slope)} "


# --- our graph, printed as note 004's formula ------------------------------------------------
def _constant(v: float) -> str:
    f = Fraction(v).limit_denominator(1000)
    return str(f.numerator) if f.denominator == 1 else rf"\frac{{{f.numerator}}}{{{f.denominator}}}"


def _latex(node) -> str:
    if not node.parents:
        return node.label or _constant(node.data)
    parts = [_latex(p) for p in node.parents]
    wrap = [f"({s})" if p.op in ("+", "-") else s for p, s in zip(node.parents, parts)]  # a sum as a factor
    if node.op in ("+", "-"):
        return f"{wrap[0]}{node.op}{wrap[1]}"
    if node.op == "*":
        consts = [p for p in node.parents if not p.parents and not p.label]
        if consts:  # a constant factor goes first, as in 1/2 (...)
            other = next(p for p in node.parents if p is not consts[0])
            return _constant(consts[0].data) + _latex(other)
        return "".join(wrap)
    if node.op.startswith("**"):
        base = f"({parts[0]})" if node.parents[0].parents else parts[0]
        return f"{base}^{node.op[2:]}"
    return rf"\{node.op}({parts[0]})" if node.op in ("exp", "log", "tanh") else f"{node.op}({parts[0]})"


def format_formula(root, params) -> str:
    """``root`` (a Value) and everything it depends on, as a LaTeX line like note 004's (chapter 5).

    Named nodes the formula passes through are expanded into their inputs, so note 004's
    ``J(w,b) &= \\frac{1}{2}((wx+b)-y)^2`` comes back from the graph ``c = wx, a = c + b, ...``.
    """
    names = ",".join(p.label for p in params)
    return f"{root.label}({names}) &= {_latex(root)}"

# --- Note 004, section 1.2, quiz question 2: no answer marked, and the code does not parse ------
QUIZ_2 = Printed(NOTE_004, 102, "Which line of code updates the network parameters in order to reduce the cost?",
                 "quiz question 2")
QUIZ_2_CODE = Printed(NOTE_004, 104, "model= Sequential([Dense(units=25, activation='sigmoid),Dense(units=15, "
                      "activation=' sigmoid\"),Dense(units=1 , activation='sigmoid')])\n"
                      "model.compile(loss=BinaryCrossentropy())\nmodel.fit(X, y, epochs=100)",
                      "the quiz's three lines of code, as printed")

# --- Note 000: misspellings (a name of the library, a function, and the softmax) -------------------
TYPOS = (Printed(NOTE_000, 59, "sofemax 函数", "softmax, misspelled"),
         Printed(NOTE_000, 94, "用 Tesnsorflow 函数表示为", "TensorFlow, misspelled (EMA)"),
         Printed(NOTE_000, 120, "用 Tesnsorflow 函数表示", "TensorFlow, misspelled (L1 penalty)"),
         Printed(NOTE_000, 122, "用 Tesnsorflow 函数表示", "TensorFlow, misspelled (L2 penalty)"),
         Printed(NOTE_000, 123, "用 Tesnsorflow 函数实现正则化", "TensorFlow, misspelled (regularization)"),
         Printed(NOTE_000, 206, "则执行 backword()函数", "the function backward(), misspelled"))
