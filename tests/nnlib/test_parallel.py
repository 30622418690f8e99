"""nnlib.parallel.fork_map: the plain loop's results, in order, computed by forked workers (or,
once TensorFlow is imported, by the fork server's)."""
from __future__ import annotations

import os

import numpy as np
import pytest

from nnlib import parallel


_FORKS = """
import os
import numpy as np
from nnlib import parallel

data = np.arange(12.0)          # a closure over data, as a notebook's function is


def fn(k):
    return float(np.sum(data[:k] ** 2)), k, os.getpid()


items = list(range(9))
here = [fn(k)[:2] for k in items]
forked = parallel.fork_map(fn, items, processes=3)
print([r[:2] for r in forked] == here, os.getpid() not in {r[2] for r in forked})
print([r[:2] for r in parallel.fork_map(fn, items)] == here)
print({r[2] for r in parallel.fork_map(fn, items, processes=1)} == {os.getpid()})
print(parallel.fork_map(fn, []) == [], parallel.cpus() >= 1)
"""


def _run(code):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


def test_fork_map_is_the_plain_loop():
    """In a fresh process (no TensorFlow): the workers compute, and the results are the loop's."""
    assert _run(_FORKS) == ["True"] * 6


def test_fork_map_raises_the_workers_error_and_rejects_bad_arguments():
    def fn(k):
        if k == 3:
            raise ArithmeticError("three")
        return k

    with pytest.raises(ArithmeticError, match="three"):
        parallel.fork_map(fn, range(5), processes=2)
    for bad in (0, -1, True, 1.5, "2"):
        with pytest.raises(ValueError, match="processes must be"):
            parallel.fork_map(fn, [1, 2], processes=bad)
    with pytest.raises(ValueError, match="fn must be callable"):
        parallel.fork_map(3, [1, 2])


def test_networks_come_back_from_the_workers_whole():
    """A Network's activation kernels are closures; it pickles by rebuilding them (chapter 10 sends
    trained networks back from fork_map's workers)."""
    import pickle

    from nnlib import network, portable

    X = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    y = np.arange(8) % 3

    def fit(activation):
        net = network.glorot_network([4, 5, 3], activation, alpha=0.1 if activation == "elu" else None,
                                     loss="softmax_ce", dot=portable.dot, seed=1)
        network.train(X, y, net, lr=0.1, num_epochs=3)
        return net

    acts = ["relu", "elu", "tanh", "sigmoid"]
    for here, back in zip([fit(a) for a in acts], parallel.fork_map(fit, acts, processes=2)):
        assert back.activation == here.activation and back.alpha == here.alpha and back.dot is portable.dot
        for p, q in zip(here.weights + here.biases, back.weights + back.biases):
            assert np.array_equal(p, q)
        assert np.array_equal(back.predict(X), here.predict(X))
        assert np.array_equal(pickle.loads(pickle.dumps(here)).predict(X), here.predict(X))


def test_workers_come_from_the_fork_server_once_tensorflow_is_imported():
    """A forked worker of a process with TensorFlow loaded can crash in TensorFlow's runtime and
    hang the pool (measured in chapter 3's kernel). After tf_setup the workers are forks of the
    fork server (started by tf_setup, without TensorFlow); a closure over data travels to them by
    value, matplotlib's settings and BLAS's thread limit with it, and the results are the loop's."""
    code = ("import os, sys\n"
            "import numpy as np\n"
            "import matplotlib\n"
            "from nnlib import parallel, tf_setup\n"
            "data = np.arange(10.0)\n"
            "def probe(k):\n"
            "    import matplotlib\n"
            "    from threadpoolctl import threadpool_info\n"
            "    blas = {lib['num_threads'] for lib in threadpool_info() if lib['user_api'] == 'blas'}\n"
            "    return (os.getpid(), 'tensorflow' in sys.modules, float(data[:k].sum()),\n"
            "            matplotlib.rcParams['lines.linewidth'], blas)\n"
            "before = parallel.fork_map(probe, range(4), processes=2)\n"
            "tf_setup(seed=0)\n"
            "matplotlib.rcParams['lines.linewidth'] = 3.25\n"
            "from threadpoolctl import threadpool_limits\n"
            "limit = threadpool_limits(1, 'blas')\n"
            "after = parallel.fork_map(probe, range(6), processes=2)\n"
            "me = os.getpid()\n"
            "print(me not in {r[0] for r in before}, me not in {r[0] for r in after})\n"
            "print(any(r[1] for r in after), [r[2] for r in after] == [float(data[:k].sum()) for k in range(6)])\n"
            "print({r[3] for r in after} == {3.25}, all(r[4] <= {1} for r in after))\n")
    assert _run(code) == ["True", "True", "False", "True", "True", "True"]


def test_after_tensorflow_what_cannot_go_to_a_worker_runs_here():
    """A function that does not pickle, or a worker that dies, leaves the loop to this process:
    the same results, no hang."""
    code = ("import os, threading\n"
            "from nnlib import parallel, tf_setup\n"
            "tf_setup(seed=0)\n"
            "me = os.getpid()\n"
            "lock = threading.Lock()   # does not pickle\n"
            "def locked(k):\n"
            "    with lock:\n"
            "        return k * k, os.getpid()\n"
            "def dies_in_a_worker(k):\n"
            "    if os.getpid() != me:\n"
            "        os._exit(3)\n"
            "    return k + 1, os.getpid()\n"
            "a = parallel.fork_map(locked, range(5), processes=2)\n"
            "b = parallel.fork_map(dies_in_a_worker, range(5), processes=2)\n"
            "print(a == [(k * k, me) for k in range(5)], b == [(k + 1, me) for k in range(5)])\n")
    assert _run(code) == ["True", "True"]
