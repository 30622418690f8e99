"""The reader-facing finish (issue 7): what to read next, citations and the bibliography, the
glossary, the errata page, figure alt text, the offline zip, the download and launch buttons.

Source checks read the chapters' markdown; the rest read the built book in ``_build/html``
(``make test`` builds it first; run ``make book`` before running this file on its own).
"""
from __future__ import annotations

import html
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.helpers import CHAPTERS, HTML, ROOT, load, notebooks, source, toc_files

ZIP = HTML / "_downloads" / "course-notebooks.zip"
NOTEBOOKS = notebooks()
IDS = [p.stem[:2] for p in NOTEBOOKS]
ERRATA_BOX = re.compile(r"^:::\{admonition\} Errata", re.M)
LABEL = re.compile(r"^\(([A-Za-z0-9_-]+)\)=\s*$", re.M)
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def section(md: str, heading: str) -> str:
    """The text under ``## heading`` up to the next level-2 heading ('' if absent)."""
    m = re.search(rf"^## {re.escape(heading)}\s*$", md, re.M)
    if not m:
        return ""
    end = re.search(r"^## ", md[m.end():], re.M)
    return md[m.end(): m.end() + end.start()] if end else md[m.end():]


def bib_keys() -> list[str]:
    return re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text(encoding="utf-8"), re.M)


@pytest.fixture(scope="module")
def built() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML} is missing: build the book first (`make book`; `make test` does it)")
    return HTML


def page(built: Path, nb: Path) -> str:
    f = built / "chapters" / f"{nb.stem}.html"
    assert f.is_file(), f"{f} was not built"
    return f.read_text(encoding="utf-8")


# --- 1. what to read next ----------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_what_to_read_next(path):
    md = source(path)
    text = section(md, "What to read next")
    assert text, f"{path.name}: no '## What to read next' section (put it after the exercises, before ## Terms)"
    assert md.index("## Exercises") < md.index("## What to read next") < md.index("## Terms"), \
        f"{path.name}: 'What to read next' must sit between ## Exercises and ## Terms"
    items = re.findall(r"^- ", text, re.M)
    assert 2 <= len(items) <= 4, f"{path.name}: {len(items)} pointers in 'What to read next', want 2-4"
    assert CITE.search(text), f"{path.name}: 'What to read next' cites no paper ({{cite}}`key`)"
    assert re.search(r"\]\(https?://", text), f"{path.name}: 'What to read next' links no free resource"
    # the next chapter in reading order; the appendices (appendix_*.ipynb) are not in that order
    following = sorted(p.name for p in NOTEBOOKS if p.name > path.name and p.name[:2].isdigit())
    if following:
        assert f"]({following[0]})" in text, f"{path.name}: 'What to read next' must link {following[0]}"


# --- 2. citations and the bibliography ----------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_chapter_cites_papers_that_are_in_the_bibliography(path):
    keys = {k.strip() for group in CITE.findall(source(path)) for k in group.split(",")}
    assert keys, f"{path.name} cites nothing"
    missing = keys - set(bib_keys())
    assert not missing, f"{path.name} cites keys not in references.bib: {sorted(missing)}"


def test_bibliography_page_lists_every_entry(built):
    keys = bib_keys()
    assert len(keys) == len(set(keys)), "duplicate keys in references.bib"
    src = (CHAPTERS / "references.md").read_text(encoding="utf-8")
    assert "{bibliography}" in src and ":all:" in src
    assert "chapters/references" in toc_files()
    entries = re.findall(r'<div class="citation" id="[^"]+" role="doc-biblioentry">',
                         (built / "chapters" / "references.html").read_text(encoding="utf-8"))
    assert len(entries) == len(keys), f"bibliography page shows {len(entries)} entries, references.bib has {len(keys)}"


# --- 3. glossary --------------------------------------------------------------------------------

def _table(text: str) -> list[list[str]]:
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.startswith("|") and not line.startswith("|---")]
    return rows[1:]  # drop the header


def _fold(s: str) -> str:
    """Lower case, no math, single spaces, plural 's' dropped from every word."""
    s = re.sub(r"\$[^$]*\$", "", s.lower())
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                    for w in s.split())


def _expand(parts: list[str]) -> list[str]:
    """'input / hidden / output layer' -> input layer, hidden layer, output layer."""
    last = parts[-1].split()
    if len(parts) > 1 and len(last) > 1 and all(" " not in p for p in parts[:-1]):
        return [f"{p} {' '.join(last[1:])}" for p in parts[:-1]] + [parts[-1]]
    return parts


def glossary_keys(english: str) -> set[str]:
    """Every name a glossary entry answers to: the whole cell, its / , ( ) parts, expanded."""
    keys = {_fold(re.sub(r"\([^)]*\)", "", english))}
    for chunk in re.split(r"[(),;]", english):
        parts = [_fold(p) for p in chunk.split("/") if p.strip()]
        keys.update(parts)
        if parts:
            keys.update(_expand(parts))
    keys.discard("")
    return keys


def covered(term: str, keys: set[str]) -> bool:
    """A chapter's Terms entry is covered when its main name (or a name in its parentheses) is a
    glossary name, or each of its / or , parts is."""
    names = [re.sub(r"\([^)]*\)", "", term)] + re.findall(r"\(([^)]*)\)", term)
    for name in names:
        if _fold(name) in keys:
            return True
        parts = [_fold(p) for p in re.split(r"/|,", name) if p.strip()]
        if len(parts) > 1 and (all(p in keys for p in parts) or all(p in keys for p in _expand(parts))):
            return True
    return False


def glossary_rows() -> list[list[str]]:
    return _table((CHAPTERS / "glossary.md").read_text(encoding="utf-8"))


def test_glossary_rows_are_complete():
    rows = glossary_rows()
    assert len(rows) > 50
    names = [r[0] for r in rows]
    assert len(names) == len(set(names)), "a term is listed twice"
    for r in rows:
        assert len(r) == 4 and all(r), f"glossary row needs English / 中文 / meaning / chapter: {r}"
        m = re.fullmatch(r"\[(\d+|A)\]\(((\d\d|appendix)_\w+\.ipynb)\)", r[3])
        assert m, (f"{r[0]}: chapter column must be a link like [4](04_learning_rate.ipynb) "
                   f"(an appendix: [A](appendix_slug.ipynb)), got {r[3]!r}")
        number = "A" if m.group(3) == "appendix" else str(int(m.group(3)))
        assert (CHAPTERS / m.group(2)).is_file() and m.group(1) == number, r[3]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_glossary_covers_every_term_of_the_chapter(path):
    terms = _table(section(source(path), "Terms"))
    assert terms, f"{path.name}: empty ## Terms table"
    keys = set().union(*(glossary_keys(r[0]) for r in glossary_rows()))
    missing = [t[0] for t in terms if not covered(t[0], keys)]
    assert not missing, f"chapters/glossary.md lacks {missing} (from {path.name}'s Terms)"


# --- 4. errata ----------------------------------------------------------------------------------

def errata_labels(path: Path) -> list[str]:
    """The label of each errata box; fails if a box has no `(label)=` right before it."""
    labels = []
    for cell in load(path)["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        for m in ERRATA_BOX.finditer(src):
            before = src[:m.start()].rstrip().splitlines()
            lab = LABEL.fullmatch(before[-1].strip()) if before else None
            title = src[m.start():].splitlines()[0].removeprefix(":::{admonition} ")
            assert lab, f"{path.name}: errata box '{title.strip()}' has no (label)= line right before it"
            labels.append(lab.group(1))
    return labels


ERRATA_LINK = re.compile(r"\]\(([A-Za-z0-9_-]+)\)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_errata_page_links_every_correction_box(path):
    labels = errata_labels(path)
    linked = set(ERRATA_LINK.findall((CHAPTERS / "errata.md").read_text(encoding="utf-8")))
    missing = [lab for lab in labels if lab not in linked]
    assert not missing, f"chapters/errata.md has no entry linking {missing} ({path.name})"


def test_errata_page_links_only_labels_that_exist():
    text = (CHAPTERS / "errata.md").read_text(encoding="utf-8")
    entries = re.split(r"(?m)^- ", text)[1:]
    assert len(entries) >= sum(len(ERRATA_BOX.findall(source(p))) for p in NOTEBOOKS)
    labels = {m for p in NOTEBOOKS for m in LABEL.findall(source(p))}
    for entry in entries:
        assert re.match(r"\*\*Notes? 00\d", entry), f"errata entry names no note: {entry[:80]}"
        assert not re.search(r"(?i)\blines?\s+\d|\.txt", entry), f"cites note files or lines: {entry[:80]}"
        targets = ERRATA_LINK.findall(entry)
        assert targets and all(t in labels for t in targets), f"errata evidence link broken: {entry[:80]}"


def test_errata_links_land_on_the_boxes_in_the_built_book(built):
    page_html = (built / "chapters" / "errata.html").read_text(encoding="utf-8")
    hrefs = set(re.findall(r'href="(\d\d_\w+\.html)#([\w-]+)"', page_html))
    assert len(hrefs) >= 25, f"only {len(hrefs)} evidence links on the built errata page"
    for target, anchor in sorted(hrefs):
        chapter = (built / "chapters" / target).read_text(encoding="utf-8")
        assert f'id="{anchor}"' in chapter, f"errata page links {target}#{anchor}, which is not there"


# --- 5. alt text --------------------------------------------------------------------------------

def figure_alts(path: Path) -> list[tuple[int, str | None]]:
    out = []
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] == "code" and any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            out.append((i, cell["metadata"].get("mystnb", {}).get("image", {}).get("alt")))
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_stored_figure_has_alt_text(path):
    alts = figure_alts(path)
    bad = [i for i, alt in alts if not alt or len(alt) < 40]
    assert not bad, (f"{path.name}: figure cells {bad} lack alt text: add cell metadata "
                     '{"mystnb": {"image": {"alt": "what the figure shows"}}}')
    assert len({a for _, a in alts}) == len(alts), f"{path.name}: two figures share one alt text"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_built_figures_carry_the_alt_text(built, path):
    alts = [html.unescape(a) for a in re.findall(r'<img\b[^>]*?\salt="([^"]*)"', page(built, path))]
    for i, alt in figure_alts(path):
        assert alt and alt in alts, f"{path.name} cell {i}: the built <img> does not carry its alt text"


# --- 6. offline zip, download and launch buttons ------------------------------------------------

def test_zip_holds_the_current_notebooks_and_the_package(built):
    assert ZIP.is_file(), f"{ZIP} missing: _ext/course_zip.py did not run (check _config.yml)"
    with zipfile.ZipFile(ZIP) as zf:
        names = set(zf.namelist())
        for nb in NOTEBOOKS:
            assert zf.read(f"course/chapters/{nb.name}") == nb.read_bytes(), \
                f"{nb.name} in the zip differs from the source: rebuild the book"
        for py in sorted((ROOT / "nnlib").rglob("*.py")):
            assert f"course/{py.relative_to(ROOT).as_posix()}" in names, f"{py} is not in the zip"
        for name in ("README.md", "requirements.txt", "constraints.txt", "pyproject.toml"):
            assert zf.read(f"course/{name}") == (ROOT / name).read_bytes(), name
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_zip_package_imports_on_its_own(built, tmp_path):
    with zipfile.ZipFile(ZIP) as zf:
        zf.extractall(tmp_path)
    # Drop the editable install's finder first: it would quietly fill in modules the zip lacks.
    code = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in "
            "getattr(f, '__module__', type(f).__module__)]; "
            "import importlib, pkgutil, nnlib; print(nnlib.__file__); "
            "[importlib.import_module(m.name) for m in pkgutil.walk_packages(nnlib.__path__, 'nnlib.')]")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "course", capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert Path(run.stdout.strip()).is_relative_to(tmp_path), run.stdout


def test_intro_links_the_zip(built):
    intro = (built / "chapters" / "intro.html").read_text(encoding="utf-8")
    hrefs = [h for h in re.findall(r'href="([^"]+)"', intro) if h.endswith("course-notebooks.zip")]
    assert hrefs, "the introduction does not link course-notebooks.zip"
    for h in hrefs:
        assert (built / "chapters" / h).resolve() == ZIP.resolve(), f"intro links {h}, not the built zip"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_download_button_and_no_dead_launch_buttons(built, path):
    """The .ipynb download is this notebook; with no public repository there is no Binder, Colab
    or repository button (each would open a placeholder)."""
    text = html.unescape(page(built, path))
    rel = f"chapters/{path.name}"
    assert f'href="../_sources/{rel}"' in text, f"{path.stem}.html has no .ipynb download link"
    assert (built / "_sources" / rel).read_bytes() == path.read_bytes(), "downloadable .ipynb is stale"
    assert not yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    for dead in ("mybinder.org", "colab.research.google.com", "github.com/nn-optimization-course"):
        assert dead not in text, f"{path.stem}.html links {dead}"
