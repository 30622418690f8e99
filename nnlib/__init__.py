"""nnlib: the small helper package behind the course "How neural networks are optimized".

One module per idea, in the order the chapters introduce them:

- :mod:`nnlib.optim`    gradient-descent traces (chapter 3, learning rate)
- :mod:`nnlib.plots`    the figures the chapters draw, one submodule per chapter
- :mod:`nnlib.explore`  explorers: one plot function, a live ipywidgets control in JupyterLab
  and a kernel-free control in the built book
- :mod:`nnlib.notes`    what the five study notes printed, with file and line, one submodule per chapter
- :mod:`nnlib.tfsetup`  :func:`tf_setup`, a quiet, seeded, deterministic TensorFlow

Importing nnlib imports numpy only; TensorFlow is imported by :func:`tf_setup` when a chapter asks.
"""
from .tfsetup import tf_setup

__all__ = ["tf_setup"]
__version__ = "0.1.0"
