"""Independent runs on every CPU: ``fork_map`` (chapters 1, 8, 9 and every explorer).

``fork_map(fn, items)`` is ``[fn(item) for item in items]`` computed by forked worker processes,
one per CPU this process may use. Each item is computed whole by one worker, with the same code
on the same data, so a deterministic ``fn`` gives exactly the results of the plain loop, only
sooner on a machine with several cores. The workers are forked, so ``fn`` may be defined in a
notebook and close over its data (nothing is pickled on the way in); only the results travel
back, and they must pickle. ``fn`` must not print.

Forking a process that has imported TensorFlow is not safe: measured here, a forked worker
crashed inside TensorFlow's runtime library (a segfault in ``libtensorflow_framework``), and a
pool whose worker dies waits for its result forever. So once TensorFlow is imported, and with
``processes=1``, one item, or no ``fork`` on the system, the loop runs here.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Callable, Iterable

__all__ = ["cpus", "fork_map"]

_WORK = None  # (fn, items) while forked workers run them


def cpus() -> int:
    """The number of CPUs this process may run on (its affinity mask, else ``os.cpu_count()``)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _tensorflow_loaded() -> bool:
    """Whether this process has imported TensorFlow (then forking it is not safe)."""
    return "tensorflow" in sys.modules


def _work(i: int):
    fn, items = _WORK
    return fn(items[i])


def fork_map(fn: Callable, items: Iterable, processes: int | None = None) -> list:
    """``[fn(item) for item in items]``, computed by forked workers, one per usable CPU (chapters 1, 8, 9).

    ``processes``: None (one per CPU, :func:`cpus`) or an integer >= 1. Results come back in
    the order of ``items``; an exception in ``fn`` is raised here.
    """
    global _WORK
    if not callable(fn):
        raise ValueError(f"fn must be callable, got {type(fn).__name__}")
    if processes is not None and (isinstance(processes, bool) or not isinstance(processes, int)
                                  or processes < 1):
        raise ValueError(f"processes must be None (one per CPU) or an integer >= 1, got {processes!r}")
    items = list(items)
    processes = min(cpus() if processes is None else processes, len(items))
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods() or _tensorflow_loaded():
        return [fn(item) for item in items]
    _WORK = (fn, items)
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return pool.map(_work, range(len(items)), chunksize=1)
    finally:
        _WORK = None
