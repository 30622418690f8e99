"""Sphinx extension: after an HTML build, write every chapter notebook, the helper package and the
install files into ``_downloads/course-notebooks.zip`` so a reader can run the course offline.

The archive unpacks into ``course/``; ``pip install -r requirements.txt -e .`` (or ``make lab``)
inside it installs what the notebooks import (the bundled data sets ship with those packages).
Entries are written in a fixed order with a fixed timestamp, so the same sources give the same
bytes. Listed in ``_config.yml`` under ``sphinx: local_extensions``.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

ZIP_NAME = "course-notebooks.zip"
TOP = "course"
# Files at the repository's top level the archive needs to install and run the notebooks.
TOP_FILES = ("README.md", "requirements.txt", "constraints.txt", "pyproject.toml", "Makefile")
_EPOCH = (2026, 1, 1, 0, 0, 0)  # fixed timestamp: reproducible archives


def course_files(root: Path) -> list[Path]:
    """Every file the offline archive holds, relative to the repository root, in a fixed order."""
    root = Path(root)
    files = sorted(p for p in (root / "chapters").glob("*.ipynb"))
    files += sorted(p for p in (root / "nnlib").rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    files += [root / name for name in TOP_FILES]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"course zip: missing {missing}")
    if not any(p.suffix == ".ipynb" for p in files):
        raise FileNotFoundError(f"course zip: no notebooks under {root / 'chapters'}")
    return [p.relative_to(root) for p in files]


def write_zip(root: Path, target: Path) -> Path:
    """Write the archive of :func:`course_files` to ``target`` (replacing it) and return it."""
    root, target = Path(root), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel in course_files(root):
            info = zipfile.ZipInfo(f"{TOP}/{rel.as_posix()}", date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, (root / rel).read_bytes())
    tmp.replace(target)
    return target


def _build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.srcdir)
    target = write_zip(root, Path(app.outdir) / "_downloads" / ZIP_NAME)
    logger.verbose("course zip: wrote %s", target)


def setup(app):
    app.connect("build-finished", _build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
