"""pytest plugin (loaded by ``-p tests.nbval_settings`` in pyproject.toml): nbval house rules.

nbval compares every output field of every cell. We do not compare the stderr stream: what a
library writes there (deprecation notices, progress bars) is not what a chapter is about, and
``tests/book/test_notebooks_clean.py`` separately fails if a stored notebook holds any stderr at all.
A kernel that dies while starting is started again; the longest notebooks and modules run first.
"""
from __future__ import annotations

import nbval.kernel

_start_new_kernel = nbval.kernel.start_new_kernel


def _start_with_retry(*args, **kwargs):
    """jupyter_client picks a kernel's ports, frees them, then starts the kernel: with many kernels
    starting at once, another one can take a port first and the new kernel dies at start ("Kernel
    died before replying to kernel_info", jupyter/jupyter_client#154). Then start it once more."""
    try:
        return _start_new_kernel(*args, **kwargs)
    except RuntimeError:
        return _start_new_kernel(*args, **kwargs)


nbval.kernel.start_new_kernel = _start_with_retry


# Longest first. Under pytest-xdist with ``--dist loadscope --no-loadscope-reorder`` each module or
# notebook goes whole to one worker, in collection order (without ``--no-loadscope-reorder``
# xdist puts the modules with the most tests first instead), so a long module collected last keeps
# one core busy while the others idle: measured, the JupyterLab test started at 418 s of a 640 s
# run and ran alone to its end. Seconds per module in `make test` (AMD EPYC, 2 cores, five test
# processes sharing them, 2026-12-04; keys renamed to the test layout of issue 13, the ledger now
# spread over tests/chapters/); a module not listed is short and runs after these.
SECONDS = {
    "test_browser_lab.py": 209, "test_browser_book.py": 168, "test_training.py": 128,
    "07_ema.ipynb": 75, "01_neurons_activations.ipynb": 68, "test_16_capstone.py": 67,
    "10_initialization.ipynb": 65, "08_optimizers.ipynb": 45, "09_minibatches.ipynb": 40, "test_neurons_activations.py": 56,
    "13_regularization.ipynb": 55, "14_training.ipynb": 53, "02_losses.ipynb": 51,
    "test_initialization.py": 48, "12_batch_norm.ipynb": 45, "test_batch_norm.py": 43, "16_capstone.ipynb": 42,
    "test_optimizers.py": 40, "test_10_initialization.py": 40, "test_backprop.py": 39,
    "04_learning_rate.ipynb": 28, "03_softmax.ipynb": 26, "06_lr_decay.ipynb": 25,
    "05_backprop.ipynb": 23, "11_deep_networks.ipynb": 40,
}


def pytest_collection_modifyitems(session, config, items):
    """nbval does not compare the stderr stream; the longest modules and notebooks run first."""
    for notebook in {item.parent for item in items if hasattr(item.parent, "skip_compare")}:
        notebook.skip_compare = tuple(notebook.skip_compare) + ("stderr",)
    items.sort(key=lambda item: -SECONDS.get(item.path.name, 0))   # stable: order within a module kept
