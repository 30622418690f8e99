"""JupyterLab in a real browser: a throw-away Lab server and the page helpers the Lab tests use.

:func:`lab_server` starts this venv's ``jupyter lab`` on 127.0.0.1 (a free port, a random token)
over a temporary COPY of ``chapters/`` (JupyterLab autosaves: the course's notebooks are never
touched), with temporary config, settings, workspace, data and runtime directories, so nothing
from the user's home leaks in. Kernels are this venv's Python (``nnlib`` is installed editable).

The page helpers drive the notebook as a reader does: open it, clear and run all cells through
the menus, find the live explorer's controls, move one with the keyboard and wait for the figure
to change. They read only the DOM, so they work whether ``Explorer.live()`` redraws through an
Output widget (a new ``<img>`` per frame) or an ``ipywidgets.Image`` (a new ``src``).

``NNLIB_LAB_CHAPTERS`` points the Lab tests at another directory of notebooks (same file names),
to show that the test fails when an explorer stops responding.

Each copy is cut to what its live explorer needs (:func:`explorer_slice`): the cells that define
the names the ``.live()`` cell reads, and recursively the names those cells read. nbval already
runs every cell of every chapter; running them all again in Lab would add minutes and no
information about the explorer.
"""
from __future__ import annotations

import ast
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser import free_port
from tests.browser import move as browser_move
from tests.helpers import CHAPTERS

SOURCE = Path(os.environ.get("NNLIB_LAB_CHAPTERS", CHAPTERS))
START_TIMEOUT = 90  # s, Lab server up
RUN_TIMEOUT = 240  # s, one notebook's "Run All Cells" (under `make test`'s load chapter 15 took over 120)
MOVE_TIMEOUT = 30  # s, one slider move -> new figure

# User settings for the throw-away Lab: no news / update checks (no network), and every cell in
# the DOM (no windowing), so error outputs anywhere in the notebook can be found.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@dataclass
class Lab:
    url: str
    token: str
    root: Path  # the server's root dir; notebooks are in root / "chapters"
    log: Path

    def notebook_url(self, name: str) -> str:
        # ``reset``: start from an empty workspace (no tabs restored from an earlier test).
        return f"{self.url}/lab/tree/chapters/{name}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self, name: str) -> None:
        """Shut down the session (and kernel) of notebook ``name``."""
        for s in self.api("/api/sessions"):
            if Path(s["path"]).name == name:
                self.api(f"/api/sessions/{s['id']}", method="DELETE")

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # Jupyter Server shuts its kernels down on SIGTERM
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the server's own process group (kernels included)
        proc.wait(timeout=10)


def _imports(src: str) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for n in ast.walk(ast.parse(src))
            if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}


def _python(cell: dict) -> str:
    """A code cell's source without IPython magics and shell escapes (for ``ast``)."""
    return "\n".join(line for line in "".join(cell["source"]).splitlines()
                     if not line.lstrip().startswith(("%", "!")))


def _scope_names(node: ast.AST) -> tuple[set[str], set[str]]:
    """Names bound and names read in the scope of ``node``'s children. A function, lambda,
    class or comprehension is a scope of its own: what it binds stays inside (only a def's or
    class's own name is bound outside), and what it reads without binding it is read here."""
    defs, loads = set(), set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Name):
            (defs if isinstance(child.ctx, (ast.Store, ast.Del)) else loads).add(child.id)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                                ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            outer = [*getattr(child, "decorator_list", []), *getattr(child, "bases", [])]
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                a = child.args
                outer += [*a.defaults, *(d for d in a.kw_defaults if d is not None)]
                params = {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
                          if x is not None}
            else:
                params = set()
            for o in outer:
                d, l = _scope_names(ast.Expression(o))
                defs |= d
                loads |= l
            inner = [n for n in ast.iter_child_nodes(child) if n not in outer]
            inner_defs, inner_loads = set(), set()
            for n in inner:
                if isinstance(n, ast.arguments):
                    continue
                d, l = _scope_names(ast.Module([n], []) if isinstance(n, ast.stmt) else ast.Expression(n))
                inner_defs |= d
                inner_loads |= l
            loads |= inner_loads - inner_defs - params
            if not isinstance(child, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                defs.add(child.name)
        else:
            d, l = _scope_names(child)
            defs |= d
            loads |= l
    return defs, loads


def _defs_and_free(src: str, imported_elsewhere: set[str]) -> tuple[set[str], set[str]]:
    """Names a cell binds at its top level or changes in place (``x =``, ``x.fit(...)``,
    ``x[i] =``), and the names it reads without binding them itself. Names a function binds
    are its own. A module imported in another cell is not counted as changed by
    ``plt.show()``-style calls."""
    tree = ast.parse(src)
    defs, loads = _scope_names(tree)
    imported = _imports(src)
    defs |= imported
    free = loads - defs
    for stmt in tree.body:
        targets = []
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                and isinstance(stmt.value.func, ast.Attribute):
            targets.append(stmt.value.func.value)
        elif isinstance(stmt, ast.Assign):
            targets += stmt.targets
            if isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute):
                targets.append(stmt.value.func.value)       # history = model.fit(...)
        elif isinstance(stmt, ast.AugAssign):
            targets.append(stmt.target)
        for t in targets:
            while isinstance(t, (ast.Attribute, ast.Subscript)):
                t = t.value
            if isinstance(t, ast.Name):
                defs.add(t.id)
    return defs - (imported_elsewhere - imported), free


def explorer_slice(nb: dict) -> dict:
    """Notebook ``nb`` cut to its ``.live()`` cells and the code cells they depend on.

    Walks the code cells backwards from the live explorer: a cell is kept when it binds or
    changes a name that a kept cell reads. Markdown goes; ``name.static()`` lines (the book's
    pre-rendered frames) are dropped from the kept cells. Raises if there is no live cell.
    """
    cells = nb["cells"]
    code = [i for i, c in enumerate(cells) if c["cell_type"] == "code"]
    live = [i for i in code if ".live()" in "".join(cells[i]["source"])]
    if not live:
        raise ValueError("no cell calls .live(): nothing for the Lab test to explore")
    imported = set().union(*(_imports(_python(cells[i])) for i in code))
    keep, needed = set(live), set()
    for i in live:
        needed |= _defs_and_free(_python(cells[i]), imported)[1]
    for i in reversed([i for i in code if i < max(live) and i not in keep]):
        defs, free = _defs_and_free(_python(cells[i]), imported)
        if defs & needed:
            keep.add(i)
            needed |= free
    out = dict(nb, cells=[])
    for i in sorted(keep):
        cell = dict(cells[i], outputs=[], execution_count=None)
        lines = "".join(cell["source"]).splitlines(keepends=True)
        cell["source"] = "".join(l for l in lines if not re.fullmatch(r"\s*\w+\.static\(\)\s*", l))
        out["cells"].append(cell)
    return out


@contextlib.contextmanager
def lab_server(source: Path = SOURCE):
    """This venv's JupyterLab over a temporary copy of ``source``, each notebook cut by
    :func:`explorer_slice`; yields a :class:`Lab`."""
    if not any(Path(source).glob("*.ipynb")):
        pytest.fail(f"no notebooks in {source}", pytrace=False)
    tmp = Path(tempfile.mkdtemp(prefix="nnlib-lab-"))
    try:
        root = tmp / "root"
        shutil.copytree(source, root / "chapters",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        for path in sorted((root / "chapters").glob("*.ipynb")):
            nb = json.loads(path.read_text(encoding="utf-8"))
            path.write_text(json.dumps(explorer_slice(nb), indent=1), encoding="utf-8")
        env = dict(os.environ)
        for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                         ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython"),
                         ("MPLCONFIGDIR", "matplotlib")]:
            (tmp / sub).mkdir()
            env[var] = str(tmp / sub)
        env.pop("JUPYTER_PATH", None)  # kernels and extensions come from this venv only
        env.pop("JUPYTER_TOKEN", None)
        for rel, value in SETTINGS.items():
            path = tmp / "settings" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        token, port = secrets.token_hex(24), free_port()
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        log = tmp / "lab.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        lab = Lab(f"http://127.0.0.1:{port}", token, root, log)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"jupyter lab exited with code {proc.returncode}:\n"
                                f"{lab.log_tail()}", pytrace=False)
                try:
                    lab.api("/api/status")
                    break
                except (urllib.error.URLError, ConnectionError, OSError):
                    if time.monotonic() > deadline:
                        pytest.fail(f"jupyter lab did not answer /api/status within "
                                    f"{START_TIMEOUT} s:\n{lab.log_tail()}", pytrace=False)
                    time.sleep(0.2)
            yield lab
        finally:
            _stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- the page ---------------------------------------------------------------------------------

def open_notebook(page, lab: Lab, name: str, timeout: float = RUN_TIMEOUT) -> None:
    """Open chapter ``name`` in JupyterLab; wait until every cell is rendered and the kernel idle."""
    cells = len(json.loads((lab.root / "chapters" / name).read_text(encoding="utf-8"))["cells"])
    page.goto(lab.notebook_url(name))
    # JupyterLab renders the cells of a big notebook a few at a time: wait for all of them.
    try:
        page.wait_for_function(
            "(n) => document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell').length === n",
            arg=cells, timeout=timeout * 1000, polling=100)
    except PlaywrightTimeout:
        shown = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").count()
        raise AssertionError(f"{name}: {shown} of {cells} cells shown after {timeout} s") from None
    accept_kernel_dialog(page)
    wait_idle(page, timeout)


def accept_kernel_dialog(page) -> bool:
    """Close JupyterLab's "Select Kernel" dialog if it is open; return whether it was.

    Seen on a loaded machine (five test processes on two cores): the dialog opens although the
    notebook is connected to a running kernel (the status bar says "Idle"), apparently because the
    kernel's start answered late. Escape dismisses it and keeps that kernel; "Select" would start
    a second kernel and lose what the first one ran. Only if Escape does not close it is "Select"
    clicked (the notebook's own kernel is preselected), as a reader would.
    """
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    if not dialog.count():
        return False
    deadline = time.monotonic() + 60
    while dialog.count():
        if time.monotonic() > deadline:
            raise AssertionError("JupyterLab's Select Kernel dialog did not close after 60 s")
        page.keyboard.press("Escape")
        time.sleep(1)
        if dialog.count():
            with contextlib.suppress(PlaywrightTimeout):
                dialog.first.locator(".jp-mod-accept").click(timeout=5_000)
            time.sleep(0.5)
    return True


def wait_idle(page, timeout: float = RUN_TIMEOUT) -> None:
    page.locator('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
        state="attached", timeout=timeout * 1000)


def type_cell_below(page, code: str) -> None:
    """Add a code cell below the selected one (Escape, b) and type ``code`` into it."""
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.type(code)


def run_in_place(page, cell) -> str:
    """Run the selected ``cell`` (Ctrl+Enter: it stays selected) and return its printed output."""
    prompt = cell.locator(".jp-InputPrompt")
    before = prompt.inner_text()
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "([el, before]) => /\\[\\d+\\]/.test(el.innerText) && el.innerText !== before",
        arg=[prompt.element_handle(), before], timeout=RUN_TIMEOUT * 1000)
    return cell.locator(".jp-OutputArea").inner_text().strip()


def menu(page, top: str, item: str) -> None:
    """Click top-level menu ``top`` (e.g. "Run"), then its item labelled ``item``."""
    accept_kernel_dialog(page)
    page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-content > .lm-Menu-item").filter(
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$"))).click()


_PROGRESS_JS = """() => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
    .map(p => p.textContent.trim());
  const errors = document.querySelectorAll(
    '.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').length;
  return {prompts, errors};
}"""


def lost_run(prompts) -> bool:
    """Whether the prompts show a Run All that lost cells: one runs them in order in one kernel, so
    counts rise and no cell before a run one is unrun (seen in a fresh clone: ``[ ]:``, ``[1]:``)."""
    counts = [int(p[1:-2]) if re.fullmatch(r"\[\d+\]:", p) else None for p in prompts]
    ran = [i for i, c in enumerate(counts) if c is not None]
    return bool(ran) and (None in counts[:ran[-1]] or any(counts[a] >= counts[b] for a, b in zip(ran, ran[1:])))


def run_all(page, timeout: float = RUN_TIMEOUT) -> float:
    """Clear all outputs, run all cells, and wait until every code cell has run (or one failed).

    Returns the wall time in seconds. Clearing first makes "ran" visible: every code cell's prompt
    goes from ``[ ]:`` through ``[*]:`` to ``[n]:``.
    """
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(f"() => ({_PROGRESS_JS})().prompts.every(p => !/\\d/.test(p))",
                           timeout=10_000)
    t0 = time.monotonic()
    menu(page, "Run", "Run All Cells")
    # On a loaded machine the click can land before the notebook takes commands (seen under
    # pytest-xdist: no cell ever started). If no prompt has moved after 20 s, ask once more;
    # running cleared cells again is harmless.
    started = f"() => ({_PROGRESS_JS})().prompts.some(p => /[*\\d]/.test(p))"
    try:
        page.wait_for_function(started, timeout=20_000, polling=250)
    except PlaywrightTimeout:
        menu(page, "Run", "Run All Cells")
    # Seen once on a loaded machine: the first cell ran, the rest stayed unrun and the kernel went
    # idle. If nothing runs and cells are still unrun for 15 s, ask once more (as a reader would).
    deadline, stalled_since, asked_again, reruns = time.monotonic() + timeout, None, False, 0
    lost_cells = False
    while True:
        if (accept_kernel_dialog(page) or lost_cells) and reruns < 3:
            # the kernel may have changed under the run: once it is idle, run everything again
            # (at most three times), and judge only that run (wait until it has started, so an
            # old error output is not counted)
            lost_cells = False
            time.sleep(3)
            wait_idle(page, timeout)
            menu(page, "Edit", "Clear Outputs of All Cells")
            menu(page, "Run", "Run All Cells")
            reruns, asked_again, stalled_since = reruns + 1, True, None
            with contextlib.suppress(PlaywrightTimeout):
                page.wait_for_function(started, timeout=20_000, polling=250)
        state = page.evaluate(_PROGRESS_JS)
        running = any("*" in p for p in state["prompts"])
        pending = sum(not re.fullmatch(r"\[\d+\]:", p) for p in state["prompts"])
        if not running and (state["errors"] or not pending):
            # a run that lost cells is repeated (within the same three reruns), never judged
            lost_cells = lost_run(state["prompts"])
            if not (lost_cells and reruns < 3):
                break
            continue
        if time.monotonic() > deadline:
            raise AssertionError(f"Run All did not finish within {timeout} s: {pending} of "
                                 f"{len(state['prompts'])} code cells not run")
        stalled_since = None if running else (stalled_since or time.monotonic())
        if stalled_since and time.monotonic() - stalled_since > 15 and not asked_again:
            menu(page, "Run", "Run All Cells")
            asked_again, stalled_since = True, None
        time.sleep(0.25)
    wait_idle(page, timeout)
    return time.monotonic() - t0


def error_outputs(page) -> list[str]:
    """The text of every error / stderr output, every output showing a traceback, and every
    widget (e.g. the live explorer's message line) showing an exception's message."""
    return page.evaluate("""() => {
      const found = [];
      document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell').forEach((cell, i) => {
        cell.querySelectorAll('.jp-OutputArea-output').forEach(out => {
          const text = out.innerText || '';
          // matplotlib's one-time notice while it builds a fresh font cache is not the chapter's error
          if (/^Matplotlib is building the font cache; this may take a moment\\.\\s*$/.test(text)) return;
          if (out.dataset.mimeType === 'application/vnd.jupyter.stderr'
              || /Traceback \\(most recent call last\\)/.test(text)) {
            const t = text.trim();  // the head and the end of a traceback: where, and what
            found.push(`code cell ${i + 1}: ` + (t.length > 500 ? `${t.slice(0, 150)} … ${t.slice(-300)}` : t));
          }
        });
        // A widget that shows an exception's message (a live explorer reporting a failed draw).
        cell.querySelectorAll('.jp-OutputArea .widget-html, .jp-OutputArea .widget-htmlmath').forEach(w => {
          const t = (w.innerText || '').trim();
          if (/\\b\\w*(Error|Exception): /.test(t)) found.push(`code cell ${i + 1} (widget): ${t.slice(0, 300)}`);
        });
      });
      return found;
    }""")


def live_cell(page):
    """The code cell that calls ``<explorer>.live()``."""
    cell = page.locator(".jp-NotebookPanel .jp-CodeCell").filter(
        has=page.locator(".jp-InputArea-editor", has_text=re.compile(r"\.live\(\)")))
    assert cell.count() == 1, f"expected one cell calling .live(), found {cell.count()}"
    return cell


def controls(cell) -> dict:
    """Counts of the live widget's sliders, drop-downs and checkboxes."""
    out = cell.locator(".jp-OutputArea")
    return {"sliders": out.locator(".widget-slider .noUi-handle").count(),
            "dropdowns": out.locator(".widget-dropdown select").count(),
            "checkboxes": out.locator(".widget-checkbox input[type=checkbox]").count()}


_FIGURE_JS = """(cell) => {
  const imgs = [...cell.querySelectorAll('.jp-OutputArea img')];
  const img = imgs[imgs.length - 1];
  if (!img) return null;
  return {src: img.getAttribute('src') || '', loaded: img.complete && img.naturalWidth > 0,
          n: imgs.length};
}"""


def wait_figure(cell, timeout: float = MOVE_TIMEOUT) -> dict:
    """Wait until the live cell shows a loaded figure (the last image in the cell's output); return
    its ``src`` and whether it loaded."""
    cell.page.wait_for_function(f"(cell) => {{ const f = ({_FIGURE_JS})(cell); return f && f.loaded; }}",
                                arg=cell.element_handle(), timeout=timeout * 1000)
    return cell.evaluate(_FIGURE_JS)


def figure_png(cell) -> bytes:
    """A screenshot of the live figure alone."""
    return cell.locator(".jp-OutputArea img").last.screenshot()


def move(page, cell, key: str = "ArrowRight") -> str:
    """Move the live widget's first slider with the keyboard (or change its first drop-down).

    Returns a description of what was moved. The slider handle is focused and ``key`` pressed, as
    a reader does (ArrowLeft instead when the slider already sits at its maximum). A drop-down gets
    its next option (the previous one at the end of the list) through Playwright's
    ``select_option``, which fires the same input / change events as a reader's choice (headless
    Chromium ignores arrow keys on a closed ``<select>``).
    """
    handle = cell.locator(".jp-OutputArea .widget-slider .noUi-handle").first
    if handle.count():
        now, end = (handle.get_attribute(a) for a in ("aria-valuenow", "aria-valuemax"))
        if key == "ArrowRight" and now is not None and now == end:  # at the end: go the other way
            key = "ArrowLeft"
        handle.focus()
        page.keyboard.press(key)
        label = cell.locator(".jp-OutputArea .widget-slider").first.inner_text().strip()
        return f"slider {' '.join(label.split())!r} ({key})"
    select = cell.locator(".jp-OutputArea .widget-dropdown select").first
    if select.count():
        before = select.input_value()
        options = select.evaluate("s => [...s.options].map(o => o.value)")
        step = 1 if key == "ArrowRight" else -1
        i = options.index(before) + step
        if not 0 <= i < len(options):  # at the end of the list: go the other way
            i -= 2 * step
        select.select_option(options[i])
        return f"drop-down {before!r} -> {select.input_value()!r}"
    raise AssertionError(f"the live explorer shows no slider or drop-down: {controls(cell)}")


def wait_figure_change(cell, before: dict, timeout: float = MOVE_TIMEOUT) -> None:
    """Wait until the live figure's image is a new, loaded one (``src`` differs from ``before``)."""
    try:
        cell.page.wait_for_function(
            f"([cell, old]) => {{ const f = ({_FIGURE_JS})(cell); "
            f"return f && f.loaded && f.src !== old; }}",
            arg=[cell.element_handle(), before["src"]], timeout=timeout * 1000, polling=100)
    except PlaywrightTimeout:
        raise AssertionError(f"the live figure did not change within {timeout} s of moving the "
                             f"control (explorer not responding?)") from None


# -- explorers with a browser port: nnlib.explore.WebWidget ---------------------------------------

def web_widget(cell, timeout: float = MOVE_TIMEOUT):
    """The live cell's in-browser explorer widget once mounted, or None if the cell shows none."""
    widget = cell.locator(".jp-OutputArea .nnlib-web-widget")
    try:
        cell.page.wait_for_function(
            "(cell) => !!cell.querySelector('.jp-OutputArea .nnlib-web-widget[data-mounted]')"
            " || !!cell.querySelector('.jp-OutputArea img')",
            arg=cell.element_handle(), timeout=timeout * 1000)
    except PlaywrightTimeout:
        return None
    return widget if widget.count() else None


def move_web(page, cell) -> str:
    """Move the widget's first control as a reader does (:func:`tests.browser.move`: a key press on
    a slider, the next option of a drop-down) and check that it repainted, in the browser alone, to
    something that looks different. Returns a description of the move."""
    widget = web_widget(cell)
    widget.scroll_into_view_if_needed()
    control = widget.locator("[data-web-control]").first
    paints = int(widget.get_attribute("data-paints"))
    before = widget.screenshot()
    done = f"{control.get_attribute('data-web-control')}: {browser_move(page, control)}"
    page.wait_for_function("([el, n]) => +el.dataset.paints > n", arg=[widget.element_handle(), paints],
                           timeout=MOVE_TIMEOUT * 1000)
    assert widget.screenshot() != before, f"moving the {done} left the widget looking the same"
    return done
