"""Sphinx extension: each chapter's "From the notes" part is collapsed by default.

The part is the chapter's last level-2 section, titled exactly "From the notes" (so its id is
``from-the-notes``). Everything under its heading goes into an HTML ``<details>`` element, so
the part is closed until the reader opens it, with or without JavaScript, and print shows the
summary only. Printed lines there may be as wide as the notes printed them: they wrap. A small script opens the part when the address points inside it (an errata-page
link, the page's table of contents), so every link still lands on its target. Listed in
``_config.yml`` under ``sphinx: local_extensions``.
"""
from __future__ import annotations

from pathlib import Path

from docutils import nodes

PART_ID = "from-the-notes"
SUMMARY = ("Show the notes' part: how the study notes printed this, every number reproduced, "
           "their errata with proof, the TensorFlow 1 code mapped to TensorFlow 2")

# Open the part (and any closed <details> around the target) when the address names an element
# inside it: on load and on every hash change.
OPEN_JS = """
function nnlibOpenTarget() {
  var id = decodeURIComponent(location.hash.slice(1));
  var el = id && document.getElementById(id);
  for (; el; el = el.parentElement) { if (el.tagName === 'DETAILS') { el.open = true; } }
  if (id && document.getElementById(id)) { document.getElementById(id).scrollIntoView(); }
}
window.addEventListener('hashchange', nnlibOpenTarget);
document.addEventListener('DOMContentLoaded', function () { if (location.hash) { nnlibOpenTarget(); } });
"""

CSS = """
details.nnlib-notes-part > summary { cursor: pointer; font-weight: 600; margin: 0.5em 0 1em; }
details.nnlib-notes-part > summary:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
details.nnlib-notes-part[open] > summary { margin-bottom: 1.5em; }
details.nnlib-notes-part .cell_output pre { white-space: pre-wrap; overflow-wrap: anywhere; }
"""


def _collapse(app, doctree, docname):
    if app.builder.format != "html":
        return
    for section in doctree.findall(nodes.section):
        if PART_ID not in section["ids"]:
            continue
        title = next(i for i, child in enumerate(section.children) if isinstance(child, nodes.title))
        section.insert(title + 1, nodes.raw("", f'<style>{CSS}</style><details class="nnlib-notes-part">'
                                                f"<summary>{SUMMARY}</summary>", format="html"))
        section.append(nodes.raw("", "</details>", format="html"))


def _static(app):
    app.config.html_static_path.append(str(Path(__file__).parent / "static"))


def setup(app):
    app.connect("builder-inited", _static)
    app.add_css_file("course.css")  # _ext/static/course.css: code, outputs and tables fit the page
    app.connect("doctree-resolved", _collapse)
    app.add_js_file(None, body=OPEN_JS)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

