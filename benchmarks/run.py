"""The course's benchmarks (issue 7): ``make bench`` writes benchmarks/RESULTS.md.

    .venv/bin/python -m benchmarks.run                       # everything (about 25 minutes)
    .venv/bin/python -m benchmarks.run --only ratio,book     # some parts (for development)

Parts (``--only`` takes a comma-separated list):

- ``test``       the full test command (``make test``, warm venv: both CPU profiles), wall time;
- ``notebooks``  every chapter executed in a fresh kernel from a temporary copy (chapters/ is
                 never written), seconds per notebook and the total;
- ``book``       ``make book`` from an empty ``_build/html`` (renders the stored outputs), wall time;
- ``lab``        JupyterLab in Chromium: control moved -> painted, median of 20 moves per
                 chapter (the in-browser widgets: ``benchmarks.web_latency``);
- ``bookjs``     the built book in Chromium: control moved -> painted, median of 20 moves per
                 chapter (``benchmarks.web_latency``: the first frame after the move and, for the
                 explorers that compute in steps, the frame with the whole result), and the page
                 load -> first explorer drawn;
- ``ratio``      each explorer's computation in nnlib (numpy) and TensorFlow eager, median time.

A partial run writes only the sections it measured; the committed RESULTS.md comes from one
full run on a quiet machine.
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
RESULTS = Path(__file__).with_name("RESULTS.md")
PY = sys.executable
PARTS = ("test", "notebooks", "book", "lab", "bookjs", "ratio")
MOVES = 20
TARGETS = {"test": 600.0, "book": 30.0, "lab": 50.0, "bookjs": 16.0, "first": 300.0}  # s, s, ms, ms, ms


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def chapters() -> list[Path]:
    """The numbered chapters in reading order, then the appendices (each has an explorer)."""
    from benchmarks.explorers import chapters_with_explorers

    return chapters_with_explorers()


# -- machine ------------------------------------------------------------------------------------
def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f"{kb / 1024 ** 2:.1f} GiB"
    except (OSError, AttributeError):
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    # network: the interfaces of this process's network namespace besides loopback (none: the
    # run was offline, e.g. under `unshare -n`)
    import socket
    up = [name for _, name in socket.if_nameindex() if name != "lo"]
    network = f"on ({', '.join(up)})" if up else "off (loopback only)"
    return {"date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "network": network,
            "nproc": os.cpu_count(), "cpu": cpu, "ram": ram,
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "python": platform.python_version(),
            "profiles": _profiles(),
            "commit": commit + (" (with uncommitted changes)" if dirty else "")}


def _profiles() -> str:
    """The CPU profiles ``make test`` runs under (tests/profiles.py), with this machine's kernels."""
    from tests.profiles import PROFILES

    names = {"machine": "the machine's own", "foreign": "foreign"}
    blas = os.environ.get("OPENBLAS_CORETYPE", "unset")
    parts = [f"{names['machine']} (OPENBLAS_CORETYPE {blas})"]
    parts.append("foreign (" + ", ".join(f"{k}={v}" for k, v in PROFILES["foreign"].items()) + ")")
    return "; ".join(parts)


# -- whole commands -----------------------------------------------------------------------------
def timed(cmd: list[str], label: str, tail: int = 3) -> dict:
    log(f"{label}: {' '.join(cmd)} ...")
    logfile = ROOT / "_build" / f"bench-{label}.log"
    logfile.parent.mkdir(exist_ok=True)
    start = time.perf_counter()
    with open(logfile, "w") as fh:
        rc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - start
    lines = [l for l in logfile.read_text(errors="replace").splitlines() if l.strip()]
    log(f"{label}: {seconds:.1f} s, exit {rc}")
    return {"cmd": " ".join(cmd), "seconds": seconds, "rc": rc, "tail": lines[-tail:],
            "log": str(logfile.relative_to(ROOT))}


def part_test() -> dict:
    return timed(["make", "test"], "test")


def part_book() -> dict:
    """``make book`` from scratch: the HTML and Sphinx's cache of an earlier build (the test
    part's, say) are removed first, so every page is rendered."""
    for sub in ("html", ".doctrees"):
        shutil.rmtree(ROOT / "_build" / sub, ignore_errors=True)
    return timed(["make", "book"], "book", tail=1)


# -- notebooks ----------------------------------------------------------------------------------
def _execute_copy(nb: Path, timeout: int = 900) -> float:
    """Execute a temporary copy of ``nb`` in a fresh kernel (cwd = chapters/); seconds taken."""
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="nnlib-bench-") as tmp:
        copy = Path(tmp) / nb.name
        shutil.copy2(nb, copy)
        book = nbformat.read(copy, as_version=4)
        client = NotebookClient(book, timeout=timeout, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": str(nb.parent)}})
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start


def part_notebooks() -> dict:
    rows = {}
    before = {p: p.stat().st_mtime_ns for p in chapters()}
    for i, nb in enumerate(chapters(), 1):
        log(f"notebooks [{i}/{len(before)}] {nb.name} ...")
        rows[nb.name] = _execute_copy(nb)
        log(f"notebooks [{i}/{len(before)}] {nb.name}: {rows[nb.name]:.1f} s")
    changed = [p.name for p in chapters() if p.stat().st_mtime_ns != before.get(p)]
    if changed:
        raise RuntimeError(f"executing copies changed chapters/: {changed}")
    return {"rows": rows, "total": sum(rows.values())}


# -- browsers -----------------------------------------------------------------------------------
def part_lab() -> dict:
    """JupyterLab latency per chapter (benchmarks.lab_latency: one server, one browser)."""
    from benchmarks import explorers, lab_latency

    rows, errors, whole = lab_latency.latencies([nb.name for nb in explorers.chapters_with_explorers()], MOVES, log=log)
    return {"rows": rows, "errors": errors, "whole": whole}


def part_bookjs() -> dict:
    """Kernel-free explorer latency per chapter page of the built book (tests.browser)."""
    from benchmarks import book_latency, explorers, web_latency
    from tests import browser

    from playwright.sync_api import sync_playwright

    html = ROOT / "_build" / "html"
    if not (html / "index.html").exists():
        part_book()
    rows, errors, kinds, first, full, ready = {}, {}, {}, {}, {}, {}
    names = [nb.name for nb in explorers.chapters_with_explorers()]
    with browser.serve(html) as base, sync_playwright() as p:
        b = browser.launch(p)
        try:
            for name in names:
                page = b.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(f"{base}/chapters/{Path(name).stem}.html")
                try:
                    web = page.locator(".nnlib-web[data-spec]")
                    if web.count():   # computed in the browser (issue 17)
                        url = page.url
                        load = web_latency.first_paint(page, url, detail=True)
                        first[name], ready[name] = load["first"], load["interactive"]
                        kinds[name] = "in the browser"
                        got = web_latency.web_latency(page, web.first, moves=MOVES, complete=True)
                        rows[name] = got["first"]
                        if got["complete"] is not None:
                            full[name] = got["complete"]
                    else:
                        kinds[name] = "pre-rendered frames"
                        rows[name] = book_latency.kernel_free_latency(
                            page, page.locator(".nnlib-explorer").first, moves=MOVES)
                    log(f"bookjs {name}: {rows[name]:.1f} ms")
                except Exception as exc:  # noqa: BLE001  (reported in RESULTS.md, run goes on)
                    errors[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
                    log(f"bookjs {name}: FAILED {errors[name]}")
                finally:
                    page.close()
        finally:
            b.close()
    return {"rows": rows, "errors": errors, "kinds": kinds, "first": first, "complete": full,
            "interactive": ready}


# -- nnlib vs TensorFlow eager ------------------------------------------------------------------
def part_ratio() -> dict:
    from nnlib.tfsetup import tf_setup

    tf = tf_setup()
    from benchmarks import ratio

    rows = {}
    for chapter, what, case in ratio.CASES:
        nn_fn, tf_fn, check = case(tf)
        diff = check(nn_fn(), tf_fn())  # also warms both up (TF traces, first-call costs)

        def median(fn):
            timer = timeit.Timer(fn)
            number, took = timer.autorange()  # calls per sample: at least 0.2 s
            repeat = 5 if took < 2 else 3  # TF eager's 3000-step loop takes seconds per call
            return statistics.median(t / number for t in timer.repeat(repeat=repeat, number=number))

        nn_s, tf_s = median(nn_fn), median(tf_fn)
        rows[chapter] = {"what": what, "nnlib_ms": 1000 * nn_s, "tf_ms": 1000 * tf_s,
                         "ratio": tf_s / nn_s, "max_abs_diff": diff}
        log(f"ratio {chapter} {what}: nnlib {1000 * nn_s:.3f} ms, TF {1000 * tf_s:.3f} ms "
            f"(x{tf_s / nn_s:.1f}), max |diff| {diff:.2g}")
    return {"rows": rows, "tf": tf.__version__}


# -- the report ---------------------------------------------------------------------------------
def _verdict(value, target, unit):
    if value is None:
        return "not measured"
    if isinstance(value, str):
        return value
    return f"{'met' if value < target else '**missed**'} ({value:.1f} {unit} vs < {target:g} {unit})"


def why(key: str, res: dict) -> str:
    """Why a target was missed and what would fix it, with the numbers this run measured."""
    if key == "test":
        nb = res.get("notebooks", {}).get("total")
        return ("nbval executes every chapter twice (this CPU's profile and the foreign one)"
                + (f" ({nb:.0f} s of notebook execution per profile in this run, see the notebook "
                   "table)" if nb else "") + ", on both cores, beside the unit tests and the "
                "browser tests. Fix: shorten the slowest chapters under test (their training "
                "runs), or run the foreign profile only over the chapters whose digits depend "
                "on numpy or BLAS.")
    if key == "book":
        return ("Sphinx parses every stored notebook, including the pre-rendered explorer frames. "
                "Fix: fewer or smaller frames, or a parallel build (`-j auto`).")
    if key == "lab":
        return ("JupyterLab's page does much more than the book's (the notebook's outputs, its own "
                "layout and the kernel connection), and on a loaded CPU its frames run late; the "
                "widget's own work per move is the same JavaScript as the book's. Fix: measure on a "
                "quiet machine; chapters 9 and 10 already draw their result in steps.")
    if key == "first":
        ready = res.get("bookjs", {}).get("interactive", {})
        slow = max(ready.values()) if ready else None
        return ("most of the time is the page itself, before any explorer code runs"
                + (f" (up to {slow:.0f} ms to `domInteractive`, see the table)" if slow else "")
                + ": the theme's stylesheets and head scripts (the search index, MathJax's start-up, "
                "Font Awesome), the style recalculation and layout of a long page, and on a loaded CPU "
                "everything runs late. The explorer itself (its module, the first computation and "
                "the charts) takes a few to ~20 ms of it. Fix: a lighter page (fewer stored pictures, "
                "no search index in every page's head), or measure on a quiet machine.")
    return ("the time runs to the frame after the move's frame is painted: up to one frame "
            "interval (16.7 ms at 60 Hz) of waiting is part of it, and on a loaded CPU frames run late. "
            "Fix: measure on a quiet machine; keep each move's own work to a few ms (chapters 9 and 10 "
            "already compute in steps).")


def report(res: dict, info: dict, argv: list[str]) -> str:
    cmd = "make bench  (= .venv/bin/python -m benchmarks.run" + (
        " " + " ".join(argv) if argv else "") + ")"
    L = ["# Benchmarks", "",
         f"Produced by `{cmd}` on {info['date']}.", "",
         "| machine | |", "|---|---|",
         f"| CPUs (nproc) | {info['nproc']} |", f"| CPU | {info['cpu']} |", f"| RAM | {info['ram']} |",
         f"| load average at start | {info['load']} |",
         f"| load average at the end | {info.get('load_end', 'not recorded')} |", f"| Python | {info['python']} |",
         f"| CPU profiles of `make test` | {info['profiles']} |",
         f"| git commit | {info['commit']} |", f"| network | {info['network']} |", ""]
    if "test" in res:
        r = res["test"]
        L += ["## Full test command (warm venv)", "",
              f"`{r['cmd']}`: **{r['seconds']:.0f} s** ({r['seconds'] / 60:.1f} min), exit code "
              f"{r['rc']}. Last lines of `{r['log']}`:", "", "```", *r["tail"], "```", ""]
    if "notebooks" in res:
        r = res["notebooks"]
        L += ["## Notebook execution (fresh kernel each, temporary copies)", "",
              "Each chapter executed top to bottom with nbclient in a new `python3` kernel, "
              "working directory `chapters/`, from a copy in a temporary directory (chapters/ is "
              "not written).", "", "| notebook | seconds |", "|---|---:|"]
        L += [f"| {k} | {v:.1f} |" for k, v in r["rows"].items()]
        L += [f"| **total (full re-execution)** | **{r['total']:.1f}** |", ""]
    if "book" in res:
        r = res["book"]
        L += ["## Book build (stored outputs, from an empty `_build/html`)", "",
              f"`{r['cmd']}`: **{r['seconds']:.1f} s**, exit code {r['rc']} (`{r['log']}`).", ""]
    if "lab" in res:
        L += ["## Explorer latency in JupyterLab (control move → painted)", "",
              "Chromium (Playwright) on JupyterLab at 127.0.0.1; each chapter's cells run first; "
              f"median over {MOVES} moves of the widget's first control (benchmarks.web_latency: "
              "the frame after the move is painted). 'Whole result': chapters 9 and 10 compute in "
              "steps, as in the book; chapter 15's widget asks the kernel, which trains the exact "
              "rate: it draws the nearest trained rate in the move's frame ('move → painted') and "
              "the kernel's run when it arrives.", "",
              "| notebook | move → painted, ms | move → whole result, ms |", "|---|---:|---:|"]
        whole = res["lab"].get("whole", {})
        L += [f"| {k} | {v:.1f} | {f'{whole[k]:.1f}' if k in whole else 'same'} |" for k, v in res["lab"]["rows"].items()]
        L += [f"| {k} | **FAILED**: {html.escape(e)} |" for k, e in res["lab"].get("errors", {}).items()]
        L.append("")
    if "bookjs" in res:
        r = res["bookjs"]
        L += ["## Explorers in the built book", "",
              "Chromium (Playwright), book served from _build/html on 127.0.0.1. 'move → painted': "
              f"median over {MOVES} moves of the first control, spread over its whole range "
              "(benchmarks.web_latency), from the input event to the next frame painted. Chapters 9 "
              "and 10 compute in steps (a training run, a 40-layer stack): they paint their first "
              "partial result in that frame and the rest over the following frames, so 'whole "
              "result' gives the move to the frame with all of it. 'page load': median over 5 loads "
              "of the time from navigation start to the first explorer drawn, and to "
              "`domInteractive` (the page's HTML parsed and its head's scripts run, before any "
              "explorer code can start).", "",
              "| notebook | move → painted, ms | move → whole result, ms | page load → explorer drawn, ms | page load → DOM interactive, ms |",
              "|---|---:|---:|---:|---:|"]
        full, first, ready = r.get("complete", {}), r.get("first", {}), r.get("interactive", {})
        fmt = lambda d, k: f"{d[k]:.0f}" if k in d else ""
        L += [f"| {k} | {v:.1f} | {fmt(full, k) or 'same'} | {fmt(first, k)} | {fmt(ready, k)} |"
              for k, v in r["rows"].items()]
        L += [f"| {k} | **FAILED**: {html.escape(e)} |" for k, e in r.get("errors", {}).items()]
        L.append("")
    if "ratio" in res:
        r = res["ratio"]
        L += ["## nnlib (numpy) vs TensorFlow eager on the explorers' computations", "",
              f"TensorFlow {r['tf']}, eager (no tf.function), CPU. Median of 5 `timeit` repeats "
              "(3 when one call takes over 2 s; each repeat loops for ≥ 0.2 s), after one warm-up call; 'max |diff|' compares the "
              "two results (they do the same work).", "",
              "| chapter | work | nnlib ms | TF eager ms | TF / nnlib | max abs diff |",
              "|---|---|---:|---:|---:|---:|"]
        for k, v in r["rows"].items():
            L.append(f"| {k} | {v['what']} | {v['nnlib_ms']:.3f} | {v['tf_ms']:.3f} | "
                     f"{v['ratio']:.1f}× | {v['max_abs_diff']:.2g} |")
        L.append("")
    # targets
    def worst(key):
        if key not in res:
            return None
        if res[key].get("errors"):
            return f"**missed**: {len(res[key]['errors'])} chapter(s) failed to measure"
        return max(res[key]["rows"].values()) if res[key]["rows"] else None

    rows = [("whole test command, warm", "test",
             res["test"]["seconds"] if "test" in res else None, "s"),
            ("book build", "book", res["book"]["seconds"] if "book" in res else None, "s"),
            ("slowest explorer in JupyterLab", "lab", worst("lab"), "ms"),
            ("slowest explorer in the built book", "bookjs", worst("bookjs"), "ms"),
            ("slowest page load to first explorer drawn", "first",
             max(res["bookjs"]["first"].values()) if res.get("bookjs", {}).get("first") else None, "ms")]
    L += ["## Targets", "", "| target | result |", "|---|---|"]
    for label, key, value, unit in rows:
        L.append(f"| {label} < {TARGETS[key]:g} {unit} | {_verdict(value, TARGETS[key], unit)} |")
    L.append("")
    misses = [(label, key) for label, key, value, _ in rows
              if isinstance(value, float) and value >= TARGETS[key]]
    if misses:
        L += ["Why each miss, and what would fix it:", ""]
        L += [f"- **{label}**: {why(key, res)}" for label, key in misses]
        L.append("")
    return "\n".join(L)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    ap.add_argument("--only", default=",".join(PARTS),
                    help=f"comma-separated parts to run, from {','.join(PARTS)} (default: all)")
    ap.add_argument("--output", type=Path, default=RESULTS, help="the results file to write")
    args = ap.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    bad = [p for p in parts if p not in PARTS]
    if bad:
        ap.error(f"unknown part(s) {bad}; choose from {list(PARTS)}")
    sys.path.insert(0, str(ROOT))
    info = machine()
    log(f"{info['nproc']} CPUs, {info['cpu']}, {info['ram']}, load {info['load']}, commit "
        f"{info['commit']}; parts: {', '.join(parts)}")
    results = {}
    for part in PARTS:  # in a fixed order: the test command first, on a quiet machine
        if part in parts:
            results[part] = globals()[f"part_{part}"]()
    # the load at the end too: a run that another process shared is not a quiet-machine run
    info["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    args.output.write_text(report(results, info, argv) + "\n")
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
