"""Re-execute notebooks in place, each in a fresh kernel (``make execute``; maintainers only).

    python -m nnlib.execute chapters/*.ipynb

Prints one line per notebook with its execution time. A cell error stops with a non-zero exit
and the notebook is left unchanged on disk.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path


def execute(path: Path, timeout: int = 600) -> float:
    """Execute one notebook top to bottom in a new kernel and save it; return seconds taken."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=True, resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    # Widget state is not saved: the book shows the kernel-free explorers instead of the live
    # widgets, and stored state would make every page load a widget manager from a CDN for nothing.
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv if a.endswith(".ipynb")]
    if not paths:
        print("usage: python -m nnlib.execute NOTEBOOK.ipynb [...]", file=sys.stderr)
        return 2
    total = 0.0
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] {path} ...", end=" ", flush=True)
        seconds = execute(path)
        total += seconds
        print(f"{seconds:.1f} s", flush=True)
    print(f"executed {len(paths)} notebook(s) in {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
