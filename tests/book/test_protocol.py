"""The honest protocol, checked in every chapter's code: nothing is fitted or selected on test data.

A scanner reads each notebook's code cells in order (as the kernel runs them) and tracks which
names hold test data or anything computed from it ("tainted"): the arrays whose names say test
(``X_test``, ``y_test``, ``Xd_te``, ...) and every name assigned from an expression that uses a
tainted name (a tuple unpacked from a split taints only its test-named parts; a name re-bound
from clean data, a loop variable over clean data, is clean again). It flags:

- ``validation_data=`` built from tainted names (Keras would early-stop or report on the test set);
- a training call -- ``fit(``, ``partial_fit(``, ``train(``, ``train_*(``, ``*_train(`` -- given a
  tainted argument;
- a selection over test scores: ``argmax``/``argmin`` (``np.argmax(s)``, ``s.argmax()``) without
  an ``axis`` of a value computed from test data -- not of the test arrays or a model's
  per-item predictions on them (``np.argmax(model.predict(X_test[:1]))`` names a digit, it
  chooses nothing) -- and
  ``max``/``min``/``sorted`` with a ``key=`` over a tainted value or a tainted iterable;
- Keras ``EarlyStopping``/``ModelCheckpoint`` given a ``monitor`` in a cell that fits with tainted
  validation data (covered by the first rule).

The unit tests below plant each kind of leak and check the scanner finds it, and that the same
code written on validation data passes; the last test runs it on all 13 chapters.
"""
from __future__ import annotations

import ast
import re

import pytest

from tests.helpers import ROOT, load, notebooks

_TEST_NAME = re.compile(r"(^|_)(test|te)(_|$)|test$", re.IGNORECASE)
_TRAIN_CALL = re.compile(r"^(fit|partial_fit|fit_\w+|train|train_\w+|\w+_train)$")
_SELECT = {"argmax", "argmin", "nanargmax", "nanargmin"}
_PREDICT = {"predict", "predict_proba", "predict_on_batch", "forward", "softmax", "astype"}
_GROW = {"append", "extend", "insert", "update", "add"}


def _is_test_name(name: str) -> bool:
    """Names that hold test data by the course's convention: X_test, y_test, Xd_te, yd_te, ..."""
    return bool(_TEST_NAME.search(name))


def _code(cell) -> str:
    """A code cell's source without IPython magics and shell lines (which ast cannot parse)."""
    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in src.split("\n"))


def _call_name(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return ""


class _Scanner(ast.NodeVisitor):
    """Walks the cells' code in order; ``hits`` collects (cell, line, reason)."""

    def __init__(self):
        self.data: set[str] = set()     # test arrays and per-item predictions on them
        self.scores: set[str] = set()   # anything else computed from test data
        self.hits: list[tuple[int, int, str]] = []
        self.cell = 0

    # -- which expressions carry test data
    def uses_test(self, node, scores_only=False) -> bool:
        """Does ``node`` read test data (or, with ``scores_only``, something computed from it
        other than the test arrays and per-item predictions)?"""
        if node is None:
            return False
        params = {a.arg for sub in ast.walk(node) if isinstance(sub, ast.Lambda)
                  for a in sub.args.args}  # a lambda's own parameters shadow outer names
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id not in params:
                if sub.id in self.scores:
                    return True
                if not scores_only and (sub.id in self.data or _is_test_name(sub.id)):
                    return True
        return False

    @staticmethod
    def _targets(target) -> list[str]:
        """The names an assignment binds (for ``d[k] = ...`` or ``o.a = ...``: ``d``, ``o``)."""
        if isinstance(target, ast.Name):
            return [target.id]
        if isinstance(target, (ast.Tuple, ast.List)):
            return [n for t in target.elts for n in _Scanner._targets(t)]
        if isinstance(target, ast.Starred):
            return _Scanner._targets(target.value)
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            return _Scanner._targets(target.value)
        return []

    def _is_per_item(self, value) -> bool:
        """Test arrays themselves, slices of them, or a model's predictions on them."""
        while isinstance(value, (ast.Subscript, ast.Attribute)):
            value = value.value
        if isinstance(value, ast.Name):
            return True
        return isinstance(value, ast.Call) and _call_name(value) in _PREDICT

    def _bind(self, names, value):
        self.data.difference_update(names)
        self.scores.difference_update(names)
        if self.uses_test(value):
            (self.data if self._is_per_item(value) and not self.uses_test(value, True)
             else self.scores).update(names)

    def _taint(self, targets, value):
        for target in targets:
            if (isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List))
                    and len(target.elts) == len(value.elts)):
                for t, v in zip(target.elts, value.elts):  # a, b = c, d: pair by pair
                    self._bind(self._targets(t), v)
            elif isinstance(target, (ast.Tuple, ast.List)):
                # unpacking a split, or every split transformed alike: the test part keeps a
                # test name by the course's convention, the others are not test data
                names = self._targets(target)
                self._bind([n for n in names if not _is_test_name(n)], ast.Constant(None))
                self._bind([n for n in names if _is_test_name(n)], value)
            else:
                self._bind(self._targets(target), value)

    def visit_Assign(self, node):
        self.generic_visit(node)
        self._taint(node.targets, node.value)

    def visit_AnnAssign(self, node):
        self.generic_visit(node)
        if node.value is not None:
            self._taint([node.target], node.value)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if self.uses_test(node.value):
            self.scores.update(self._targets(node.target))

    def _loop(self, node):
        """A loop variable holds test data when the loop runs over test data, else it is clean."""
        names = self._targets(node.target)
        self.data.difference_update(names)
        self.scores.difference_update(names)
        if self.uses_test(node.iter):
            self.scores.update(names)

    def visit_For(self, node):
        self._loop(node)
        self.generic_visit(node)

    def visit_comprehension(self, node):
        self._loop(node)
        self.generic_visit(node)

    def _comp(self, node):
        """The ``for`` clauses bind before the element is computed: visit them first."""
        for gen in node.generators:
            self.visit(gen)
        for field in ("key", "value", "elt"):
            if hasattr(node, field):
                self.visit(getattr(node, field))

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comp

    def _hit(self, node, reason):
        self.hits.append((self.cell, node.lineno, reason))

    # -- the leaks
    def visit_Call(self, node):
        # comprehensions first, so their loop variables are tainted before the call is judged
        self.generic_visit(node)
        name = _call_name(node)
        if (name in _GROW and isinstance(node.func, ast.Attribute)
                and any(self.uses_test(a) for a in list(node.args) + [k.value for k in node.keywords])):
            self.scores.update(self._targets(node.func.value))  # scores.append(test score)
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if "validation_data" in keywords and self.uses_test(keywords["validation_data"]):
            self._hit(node, "validation_data built from test data")
        if _TRAIN_CALL.match(name):
            args = list(node.args) + [k.value for k in node.keywords]
            if any(self.uses_test(a) for a in args):
                self._hit(node, f"{name}(...) trained on test data")
        if name in _SELECT and "axis" not in keywords:
            subject = node.func.value if isinstance(node.func, ast.Attribute) and not node.args \
                else (node.args[0] if node.args else None)
            if len(node.args) < 2 and self.uses_test(subject, scores_only=True):
                self._hit(node, f"{name} over test scores")
        if name in {"max", "min", "sorted"} and isinstance(node.func, ast.Name) and "key" in keywords:
            if self.uses_test(keywords["key"]) or any(self.uses_test(a) for a in node.args):
                self._hit(node, f"{name}(..., key=...) over test scores")


def scan(cells) -> list[tuple[int, int, str]]:
    """(cell index, line in the cell, reason) for every fit or selection on test data in ``cells``
    (a notebook's cells, or a list of code strings)."""
    scanner = _Scanner()
    for i, cell in enumerate(cells):
        if isinstance(cell, str):
            src = cell
        elif cell.get("cell_type") == "code":
            src = _code(cell)
        else:
            continue
        scanner.cell = i
        scanner.visit(ast.parse(src))
    return scanner.hits


# --- the scanner finds planted leaks ------------------------------------------------------------

SETUP = "X, y, X_val, y_val, X_test, y_test = data.mnist_with_validation()\n"

LEAKS = {
    "keras validation_data": "model.fit(X, y, validation_data=(X_test, y_test), epochs=5)",
    "validation_data via a name": "held = (X_test, y_test)\nmodel.fit(X, y, validation_data=held)",
    "fit on test": "clf.fit(X_test, y_test)",
    "nnlib train on test": "network.train(X_test, y_test, net, lr=0.1)",
    "train_* on test": "reg.train_digits(X, y, X_test, y_test, hidden=32)",
    "early stopping on test": ("stop = keras.callbacks.EarlyStopping(monitor='val_loss')\n"
                               "model.fit(X, y, callbacks=[stop], validation_data=(X_test, y_test))"),
    "argmax over test accuracies": ("acc = [n.accuracy(X_test, y_test) for n in nets]\n"
                                    "best = nets[int(np.argmax(acc))]"),
    "method argmax": "scores = np.array([n.accuracy(X_test, y_test) for n in nets])\nk = scores.argmax()",
    "argmin over test losses in a loop": ("losses = []\nfor n in nets:\n"
                                         "    losses.append(n.loss(X_test, y_test))\n"
                                         "k = np.argmin(losses)"),
    "max with key": "best = max(nets, key=lambda n: n.accuracy(X_test, y_test))",
    "sorted with key over test dict": ("test_acc = {lr: run(lr).accuracy(X_test, y_test) for lr in rates}\n"
                                       "ranked = sorted(test_acc, key=test_acc.get)"),
    "test arrays transformed then fitted": ("X, X_val, X_test = [A / 255 for A in (X, X_val, X_test)]\n"
                                            "clf.fit(X_test, y_test)"),
    "short test names": "Xd, yd, Xd_val, yd_val, Xd_te, yd_te = parts\nclf.partial_fit(Xd_te, yd_te)",
}


@pytest.mark.parametrize("code", LEAKS.values(), ids=LEAKS.keys())
def test_scanner_finds_a_planted_leak(code):
    hits = scan([SETUP, code])
    assert hits, f"missed:\n{code}"
    assert all(cell == 1 for cell, _, _ in hits)


CLEAN = {
    "validation_data from validation": "model.fit(X, y, validation_data=(X_val, y_val), epochs=5)",
    "argmax over validation": ("acc = [n.accuracy(X_val, y_val) for n in nets]\n"
                               "best = nets[int(np.argmax(acc))]\nprint(best.accuracy(X_test, y_test))"),
    "predictions on test (argmax with axis)": ("logits = model.predict(X_test)\n"
                                               "y_pred = logits.argmax(axis=1)"),
    "max with key over validation": "best = max(nets, key=lambda n: n.accuracy(X_val, y_val))",
    "reporting test scores": ("test_acc = [n.accuracy(X_test, y_test) for n in nets]\n"
                              "print(np.mean(test_acc), max(test_acc))"),
    "splits transformed together": ("X, X_val, X_test = [A / 255 for A in (X, X_val, X_test)]\n"
                                    "clf.fit(X, y)"),
    "loop variable reused": ("for s in [n.evaluate(X_test, y_test) for n in nets]:\n    print(s)\n"
                             "nets = [train(X, y, seed=s) for s in range(3)]"),
    "a lambda parameter named like a tainted name": ("p = model.evaluate(X_test, y_test)\n"
                                                     "best = max(rates, key=lambda p: val[p])"),
    "a name reused after test": ("s = model.evaluate(X_test, y_test)\n"
                                 "s = [n.accuracy(X_val, y_val) for n in nets]\nk = np.argmax(s)"),
}


@pytest.mark.parametrize("code", CLEAN.values(), ids=CLEAN.keys())
def test_scanner_passes_the_same_code_on_validation(code):
    assert scan([SETUP, code]) == []


def test_scanner_follows_taint_across_cells():
    cells = [SETUP, "scores = [n.evaluate(X_test, y_test) for n in nets]", "print(1)",
             "k = np.argmax(scores)"]
    assert [(c, line) for c, line, _ in scan(cells)] == [(3, 1)]


def test_scanner_skips_magics_and_markdown():
    nb_cells = [{"cell_type": "markdown", "source": "model.fit(X_test, y_test)"},
                {"cell_type": "code", "source": ["%matplotlib inline\n", SETUP]},
                {"cell_type": "code", "source": "model.fit(X_test, y_test)"}]
    assert [c for c, _, _ in scan(nb_cells)] == [2]


# --- every chapter ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.stem)
def test_no_chapter_fits_or_selects_on_test_data(path):
    hits = scan(load(path)["cells"])
    assert not hits, "\n".join(f"{path.name} cell {c} line {line}: {why}" for c, line, why in hits)


def test_every_chapter_in_the_table_of_contents_is_scanned():
    toc = [f for f in re.findall(r"file:\s*chapters/(\w+)", (ROOT / "_toc.yml").read_text(encoding="utf-8"))
           if (ROOT / "chapters" / f"{f}.ipynb").is_file()]   # chapters and appendices, not the .md pages
    assert len(toc) >= 13 and sorted(toc) == [p.stem for p in notebooks()]
