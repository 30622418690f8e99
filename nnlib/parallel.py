"""Independent runs on every CPU: ``fork_map`` (chapters 1, 8, 10 and every explorer).

``fork_map(fn, items)`` is ``[fn(item) for item in items]`` computed by worker processes, one
per CPU this process may use. Each item is computed whole by one worker, with the same code on
the same data, so a deterministic ``fn`` gives exactly the results of the plain loop, only
sooner on a machine with several cores. ``fn`` may be defined in a notebook and close over its
data. Only results travel back, and they must pickle. ``fn`` must not print.

Two kinds of worker, because forking a process that has imported TensorFlow is not safe
(measured here: a forked worker crashed inside TensorFlow's runtime library, a segfault in
``libtensorflow_framework``, and a ``multiprocessing.Pool`` whose worker dies waits forever):

- before TensorFlow is imported, the workers are forks of this process: they inherit ``fn`` and
  its data, nothing is pickled on the way in;
- once TensorFlow is imported, the workers are forks of a *fork server*, a fresh Python process
  (started by fork + exec, which is safe) that has imported numpy, matplotlib and nnlib and never
  TensorFlow. ``fn`` and its items travel to it by value with ``cloudpickle`` (closures over
  notebook data included). :func:`nnlib.tf_setup` starts the server just before it imports
  TensorFlow, so the server's imports overlap TensorFlow's.

matplotlib's settings (``rcParams``) and the thread limits of BLAS and OpenMP (``threadpoolctl``)
travel with every task, so a worker draws and computes exactly as this process would. If ``fn`` cannot be pickled, or a worker dies, the loop runs here: the
results are the same, only later. With ``processes=1`` or one item the loop runs here too.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Callable, Iterable

__all__ = ["cpus", "fork_map", "start_server"]

_WORK = None  # (fn, items) while forked workers run them

# what the fork server imports once, so that each worker starts with them loaded
_PRELOAD = ["numpy", "matplotlib", "matplotlib.pyplot", "nnlib", "nnlib.plots"]


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


def _server_context():
    """The multiprocessing context whose workers come from the fork server (None without one)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def start_server() -> bool:
    """Start the fork server now (it imports numpy, matplotlib and nnlib), if this system has one.

    Called by :func:`nnlib.tf_setup` before TensorFlow's import, so that the server's start costs
    no time later; harmless to call again. Returns whether a server runs.
    """
    ctx = _server_context()
    if ctx is None or cpus() < 2:
        return False
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return True


def _run_chunk(blob: bytes) -> list:
    """In a worker: unpickle ``(fn, items, rc, threads)``, adopt matplotlib's settings and the
    thread limits of BLAS and OpenMP, run the loop."""
    import cloudpickle  # noqa: F401  (cloudpickle's output loads with pickle once it is importable)
    import pickle

    from threadpoolctl import threadpool_limits

    fn, items, rc, threads = pickle.loads(blob)
    if rc is not None:
        import matplotlib

        matplotlib.rcParams.update(rc)
    with threadpool_limits(limits=threads):
        return [fn(item) for item in items]


def _thread_limits() -> dict:
    """How many threads BLAS and OpenMP may use here (``{'blas': 1, ...}``): a forked worker
    inherits these limits, a fork server's worker gets them with its task."""
    from threadpoolctl import threadpool_info

    limits = {}
    for lib in threadpool_info():
        api = lib["user_api"]
        limits[api] = min(limits.get(api, lib["num_threads"]), lib["num_threads"])
    return limits


def _rc_params():
    """matplotlib's current settings, if this process has loaded matplotlib (else None)."""
    if "matplotlib" not in sys.modules:
        return None
    import matplotlib

    return dict(matplotlib.rcParams)


def _server_map(fn, items: list, processes: int):
    """The results from the fork server's workers, or None when that cannot be done."""
    import concurrent.futures as cf
    import pickle

    import cloudpickle

    ctx = _server_context()
    if ctx is None:
        return None
    rc, threads = _rc_params(), _thread_limits()
    # a few chunks per worker balance uneven items; each chunk carries fn and its data once
    n_chunks = min(len(items), 4 * processes)
    bounds = [round(k * len(items) / n_chunks) for k in range(n_chunks + 1)]
    try:
        blobs = [cloudpickle.dumps((fn, items[a:b], rc, threads), protocol=pickle.HIGHEST_PROTOCOL)
                 for a, b in zip(bounds, bounds[1:])]
    except Exception:  # fn or an item does not pickle: compute here
        return None
    try:
        with cf.ProcessPoolExecutor(processes, mp_context=ctx) as pool:
            chunks = list(pool.map(_run_chunk, blobs))
    except cf.process.BrokenProcessPool:  # a worker died (the pool does not hang): compute here
        return None
    return [r for chunk in chunks for r in chunk]


def fork_map(fn: Callable, items: Iterable, processes: int | None = None) -> list:
    """``[fn(item) for item in items]``, computed by worker processes, one per usable CPU (chapters 1, 8, 10).

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
    if processes <= 1:
        return [fn(item) for item in items]
    if _tensorflow_loaded() or "fork" not in multiprocessing.get_all_start_methods():
        results = _server_map(fn, items, processes)
        return [fn(item) for item in items] if results is None else results
    _WORK = (fn, items)
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return pool.map(_work, range(len(items)), chunksize=1)
    finally:
        _WORK = None
