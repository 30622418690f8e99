"""Shared by the test modules: where things are, and reading stored notebook outputs."""
from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
# The notes are beside the repository (shared/seeds); NNLIB_SEEDS points elsewhere if needed.
SEEDS = Path(os.environ.get("NNLIB_SEEDS", ROOT.parent / "shared" / "seeds"))


def toc_files() -> list[str]:
    """Every page of the book, as ``_toc.yml`` lists it (root first, no extensions)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


def notebooks() -> list[Path]:
    """Every chapter notebook, in reading order."""
    return sorted(CHAPTERS.glob("*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def stored_text(path: Path) -> list[str]:
    """All text a notebook's stored outputs show (streams and text/plain), as lines."""
    lines: list[str] = []
    for cell in load(path)["cells"]:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                text = out["text"]
            elif "data" in out and "text/plain" in out["data"]:
                text = out["data"]["text/plain"]
            else:
                continue
            lines.extend("".join(text).splitlines() if isinstance(text, list) else text.splitlines())
    return lines
