"""Appendix (building models in Keras 3): every number the appendix prints, recomputed
independently (numpy, scipy, hand arithmetic) and found in the stored outputs; what it quotes
from notes 003 and 004; the figures its exercises and the errata page quote.

The notes' examples for this part lost their code and output (only the headings survive), so
there is no ledger of printed numbers to reproduce: ``nnlib.notes`` has no module for it.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from nnlib import keras_models as km
from tests.helpers import CHAPTERS, markdown_text, note_line, note_text, stored_text

NOTEBOOK = "appendix_keras.ipynb"
PATH = CHAPTERS / NOTEBOOK
NOTE_003, NOTE_004 = "003_99928f6c1ab2e452.txt", "004_385524f38fad12f2.txt"


@pytest.fixture(scope="module")
def stored() -> list[str]:
    return stored_text(PATH)


def shows(stored, line):
    assert line in stored, f"{NOTEBOOK} does not show {line!r}"


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]


# --- what the appendix quotes from the notes -----------------------------------------------------

def test_the_notes_sections_this_appendix_covers():
    """003 §5: seven steps (save last), three models, add/pop, six families, SimpleDense,
    ComputeSum, the core layers, the cut-off convolution; 004 §4.2: the 100-sample EKG, the layer
    list, quiz 2's answer."""
    assert note_line(NOTE_003, 169).startswith("Keras快速构建神经网络模型")
    assert "7. 模型保存 Save model" in note_line(NOTE_003, 178)
    assert "Sequential model, Functional model, Subclass model" in note_line(NOTE_003, 180)
    assert "add method" in note_line(NOTE_003, 183) and "pop method" in note_line(NOTE_003, 183)
    assert "基础层,核心层,卷基层,池化层,循环层,融合层" in note_line(NOTE_003, 187)
    assert "SimpleDense" in note_line(NOTE_003, 193) and "trainable weights" in note_line(NOTE_003, 193)
    assert "ComputeSum" in note_line(NOTE_003, 195) and "non-trainable" in note_line(NOTE_003, 195)
    assert note_line(NOTE_003, 215).endswith("卷积是一种定义在两个函数(")   # and there it stops
    text = note_text(NOTE_004)
    assert "长度为100的心电图信号" in text and "√ Convolutional layer." in text
    for layer in ("全连接层", "卷积层", "池化层", "循环神经网络层", "长短时记忆网络层"):
        assert layer in text


def test_the_errata_quote_the_notes():
    assert "按1 /(1-rate)放大,以使所有输入的总和不变" in note_line(NOTE_003, 203)
    assert "时间步(张量的第一个维度)" in note_line(NOTE_003, 209)
    assert "如果所有时间步中输入张量的值与mask_value相等" in note_line(NOTE_003, 209)
    assert "该层只能用作模型中的第一层" in note_line(NOTE_003, 211)
    assert "Lambda层是通过序列化Python字节码来保存的" in note_line(NOTE_003, 207)


# --- models --------------------------------------------------------------------------------------

def test_sequential_add_pop_counts(stored):
    hidden, out, new_out = 3 * 4 + 4, 4 * 2 + 2, 4 * 1 + 1
    shows(stored, f"['hidden', 'out'] {hidden + out} parameters")
    shows(stored, f"['hidden'] {hidden} parameters")
    shows(stored, f"['hidden', 'new_out'] {hidden + new_out} parameters")


def test_functional_two_heads(stored):
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    shared = np.full(2, np.concatenate([a, b]).sum())
    shows(stored, f"total = [{shared.sum():g}.]  diff = [{a.sum() - b.sum():g}.]")
    shows(stored, "inputs:  ['a', 'b']")
    shows(stored, "outputs: ['total', 'diff']")


def test_subclassed_residual(stored):
    x = np.array([1.0, -3.0])
    inner = np.maximum(np.ones((2, 2)).T @ x, 0)
    y = x + np.ones((2, 2)).T @ inner
    assert y.tolist() == [1.0, -3.0]
    shows(stored, f"y = [[ 1. -3.]]  parameters: {2 * (2 * 2 + 2)}")


def test_custom_layers(stored):
    x = np.array([[1.0, 2.0]])
    y = x @ np.array([[1, 0, 2], [0, 1, -1]]) + np.array([0.5, 0, 0])
    assert y.tolist() == [[1.5, 2.0, 0.0]]
    shows(stored, "x W + b = [[1.5 2.  0. ]]")
    shows(stored, "after: [(2, 3), (3,)] trainable: 2  non-trainable: 0")
    shows(stored, "same settings: True  built yet: False")
    total = np.zeros(2)
    for call in (1, 2):
        total += np.ones((2, 2)).sum(axis=0)
        shows(stored, f"call {call}: total = [{total[0]:g}. {total[1]:g}.]")
    shows(stored, "trainable: 0  non-trainable: 1")
    shows(stored, "SimpleDense reloaded; output for (1, 2): [[1.5 2.  0. ]]")


# --- the core layers -----------------------------------------------------------------------------

def test_dense_and_activation(stored):
    z = np.array([1.0, 0.0, 2.0]) @ np.array([[1, -2], [3, 4], [-1, 1]]) + np.array([0.5, -1])
    assert z.tolist() == [-0.5, -1.0]
    shows(stored, "x W + b          = [[-0.5 -1. ]]")
    shows(stored, "Dense(relu)      = [[0. 0.]]")
    shows(stored, "Activation(relu) = [[0. 0.]]")


def test_dropout_output_obeys_the_rule(stored):
    x = np.arange(1, 11, dtype=float)
    line = next(s for s in stored if s.startswith("training=True   ="))
    y = np.array(numbers(line.split("=", 1)[1]))
    assert y.shape == (10,) and all(v in (0.0, 2 * xi) for v, xi in zip(y, x))
    m = re.search(r"kept (\d+) of 20; every kept value is x/\(1 - 0.5\): True\n"
                  r"inference returns x unchanged: True", "\n".join(stored))
    assert m and int(m.group(1)) >= np.count_nonzero(y)
    for rate in (0.2, 0.5):
        line = next(s for s in stored if s.startswith(f"rate {rate}: kept"))
        kept = float(line.split("kept ")[1].split(" ")[0])
        assert abs(kept - (1 - rate)) <= 4 * math.sqrt(rate * (1 - rate) / 1e5) + 0.005
        assert f"each as {1 / (1 - rate):g} = 1/(1 - {rate})" in line


def test_flatten_reshape_lambda(stored):
    x = np.arange(12).reshape(2, 3, 2)
    shows(stored, f"Flatten: (2, 3, 2) -> {x.reshape(2, -1).shape}")
    shows(stored, "  example 0: [0. 1. 2. 3. 4. 5.]")
    shows(stored, f"Flatten: (3,) -> {np.ones(3).reshape(3, -1).shape}")
    shows(stored, "Reshape((3, 2)): (2, 6) -> (2, 3, 2)  equal to x: True")
    t = np.array([-2.0, 0.0, 3.0])
    assert (t ** 2 + 1).tolist() == [5, 1, 10]
    shows(stored, "[[ 5.  1. 10.]]")


def test_masking(stored):
    seq = np.array([[1, 2], [0, 0], [0, 3], [5, 7]], float)
    mask = np.any(seq != 0, axis=-1)
    assert mask.tolist() == [True, False, True, True]
    shows(stored, "mask: [[ True False  True  True]]")
    assert seq.mean(axis=0).tolist() == [1.5, 3.0] and seq[mask].mean(axis=0).tolist() == [2.0, 4.0]
    shows(stored, "average without the mask: [[1.5 3. ]]")
    shows(stored, "average with the mask:    [[2. 4.]]")
    shows(stored, " [False False False False]]")


def test_embedding(stored):
    table = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [2, -1]], float)
    rows = table[[3, 1, 4]].tolist()
    shows(stored, f"ids [3, 1, 4] -> {rows}")
    shows(stored, "same as table[ids]: True ; parameters: 10")
    assert np.floor([3.7, 1.2, 4.0]).astype(int).tolist() == [3, 1, 4]
    shows(stored, f"[{rows}]")


# --- convolution ---------------------------------------------------------------------------------

def test_conv1d_worked_example_is_numpys_correlate(stored):
    x, w = [0, 1, 2, 3, 2, 1, 0], [1, 0, -1]
    y = np.correlate(x, w, mode="valid")
    assert y.tolist() == [-2, -2, 0, 2, 2]
    shows(stored, "numpy: [-2. -2.  0.  2.  2.]  Keras: [-2. -2.  0.  2.  2.]  equal: True")
    assert "$y_0 = 0 - 2 = -2$, $y_1 = 1 - 3 = -2$, $y_2 = 2 - 2 = 0$" in markdown_text(PATH)


def test_heartbeat_conv(stored):
    signal = km.heartbeat().astype(float)
    out = np.correlate(signal, [-0.25, -0.25, 1, -0.25, -0.25], mode="valid")
    peaks = (np.flatnonzero(out > 0.5) + 2).tolist()
    shows(stored, f"outputs above 0.5 are centred on samples {peaks}")
    shows(stored, f"parameters: Conv1D {5 + 1}  vs a Dense layer with as many outputs {100 * 96 + 96}")
    shows(stored, f"kernel: [-0.25 -0.25  1.   -0.25 -0.25]  outputs: {len(out)}")
    shows(stored, "inputs that output 10 depends on: [10, 11, 12, 13, 14]")
    shows(stored, "Dense:  output 10 depends on 100 of 100 inputs")
    shows(stored, "Conv1D: output 10 depends on 5 of 100 inputs")


def test_conv2d_and_pooling_are_scipys(stored):
    from scipy.signal import correlate2d

    image = np.zeros((6, 6))
    image[:, :3] = 1
    feature = correlate2d(image, np.array([[1, 0, -1]] * 3), mode="valid")
    assert feature.tolist() == [[0, 3, 3, 0]] * 4
    shows(stored, " [0. 3. 3. 0.]]")
    pooled = feature.reshape(2, 2, 2, 2).max(axis=(1, 3))
    assert pooled.tolist() == [[3, 3], [3, 3]]
    shows(stored, "equal to km.conv2d: True")
    shows(stored, "equal to km.max_pool: True")


def test_layer_family_counts(stored):
    conv1, conv2 = 5 * 1 * 8 + 8, 3 * 3 * 8 * 16 + 16
    rnn, lstm = 3 * (2 + 3) + 3, 4 * (3 * (2 + 3) + 3)
    shows(stored, f"formula: {conv1} {conv2} {rnn} {lstm}")
    text = "\n".join(stored)
    for name, count in (("Conv1D", conv1), ("Conv2D", conv2), ("SimpleRNN", rnn), ("LSTM", lstm)):
        assert re.search(rf"^{name} .*\s{count} parameters$", text, re.M), name


# --- in practice ---------------------------------------------------------------------------------

def test_cnn_parameter_counts(stored):
    c1, c2, d = 3 * 3 * 1 * 4 + 4, 3 * 3 * 4 * 8 + 8, (5 * 5 * 8) * 10 + 10
    dense = 784 * 25 + 25 + 25 * 15 + 15 + 15 * 10 + 10
    shows(stored, f"CNN: {c1 + c2 + d:,d} parameters;  dense 784-25-15-10: {dense:,d}")
    assert (28 - 2) // 2 == 13 and (13 - 2) // 2 == 5
    text = "\n".join(stored)
    for shape, count in (("(None, 26, 26, 4)", c1), ("(None, 11, 11, 8)", c2), ("(None, 10)", f"{d:,d}")):
        assert re.search(rf"{re.escape(shape)}\s+{count} parameters", text), shape


def _log_rows(stored, name):
    """The epoch log rows printed after ``name`` (dense or CNN): {epoch: (accuracy, val_accuracy)}."""
    start = stored.index(name)
    rows = {}
    for line in stored[start + 1:]:
        if line in ("dense", "CNN") or line.startswith("dense:") or line.startswith("CNN  :"):
            break
        m = re.fullmatch(r"\s+(\d+)\s+([\d.]+)\s+([\d.]+)", line)
        if m:
            rows[int(m.group(1))] = (float(m.group(2)), float(m.group(3)))
    return rows


def test_printed_validation_accuracy_is_the_logs_rounded(stored):
    for name in ("dense", "CNN"):
        rows = _log_rows(stored, name)
        assert set(rows) == {1, 3}
        shows(stored, f"{name:<5} validation accuracy after 3 epochs: {rows[3][1]:.2f}")
    assert any(s.startswith("dense test accuracy: 0.") for s in stored)
    assert any(s.startswith("CNN   test accuracy: 0.") for s in stored)


def test_fresh_training_gives_the_stored_logs(stored, keras):
    """The In-practice runs, again: the same seeds give the log rows and accuracies stored."""
    from nnlib import data, training

    X, y, X_val, y_val, X_test, y_test = data.mnist_with_validation()
    for name, build, fit_x, val_x in (("dense", training.digit_network, X, X_val),
                                      ("CNN", km.mnist_cnn, km.as_images(X), km.as_images(X_val))):
        keras.utils.set_random_seed(0)
        model = build()
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                      metrics=["accuracy"], steps_per_execution=25)
        history = model.fit(fit_x, y, epochs=3, validation_data=(val_x, y_val), verbose=0).history
        rows = _log_rows(stored, name)
        for epoch in (1, 3):
            assert rows[epoch] == (round(history["accuracy"][epoch - 1], 4),
                                   round(history["val_accuracy"][epoch - 1], 4)), (name, epoch)


def test_saving(stored):
    shows(stored, "saved cnn.keras - a zip archive of:")
    shows(stored, "['config.json', 'metadata.json', 'model.weights.h5']")
    shows(stored, "same predictions on 100 test images: True")
    shows(stored, f"same optimizer step count: {3 * 100} = {3 * 100}")


# --- exercises, quiz, errata ---------------------------------------------------------------------

def test_exercise_solutions(keras):
    md = markdown_text(PATH)
    assert 5 * 5 * 3 * 16 + 16 == 1216 and 32 * 32 * 3 == 3072 and 28 * 28 * 16 == 12544
    assert 3072 * 12544 + 12544 == 38547712 and round(38547712 / 1216, -3) == 32000
    assert "$5\\cdot 5\\cdot 3\\cdot 16 + 16 = 1216$" in md and "38{,}547{,}712$" in md
    model = keras.Sequential([keras.Input((100, 1)), keras.layers.Conv1D(4, 5),
                              keras.layers.MaxPooling1D(2), keras.layers.Conv1D(8, 5)])
    assert [tuple(layer.output.shape)[1:] for layer in model.layers] == [(96, 4), (48, 4), (44, 8)]
    assert [layer.count_params() for layer in model.layers] == [24, 0, 168] and model.count_params() == 192
    assert "In all 192" in md
    assert 1 / (1 - 0.2) == 1.25 and f"{math.sqrt(1000 * 0.2 * 0.8):.1f}" == "12.6"
    assert "$1/(1 - 0.2) = 1.25$" in md and "\\approx 12.6" in md


def test_dropout_sum_erratum_and_the_errata_page(stored, keras):
    x = np.arange(1, 21, dtype=np.float32).reshape(1, 20)
    assert "sum of x: 210.0" in stored
    line = next(s for s in stored if s.startswith("sums after dropout, seeds 0-4:"))
    sums = numbers(line.split("seeds 0-4:")[1])
    assert len(sums) == 5 and all(s % 2 == 0 and 0 <= s <= 2 * 210 for s in sums)   # 2 x (a subset sum)
    assert sums != [210.0] * 5
    again = [float(keras.ops.sum(keras.layers.Dropout(0.5, seed=s)(x, training=True))) for s in range(5)]
    assert again == sums
    many = keras.ops.convert_to_numpy(keras.layers.Dropout(0.5, seed=7)(
        np.repeat(x, 10000, axis=0), training=True)).sum(axis=1)
    shows(stored, f"mean of 10,000 sums: {many.mean():.0f}; smallest {many.min():g}, largest {many.max():g}")
    assert abs(many.mean() - 210) < 4 * math.sqrt(x[0] @ x[0] / 10000)     # the expectation is 210
    errata = (CHAPTERS / "errata.md").read_text(encoding="utf-8")
    assert f"sums from {min(sums):g} to {max(sums):g} over five seeds" in errata
    assert f"and {many.mean():.0f} on average" in errata
    for label in ("errata-appendix-dropout-sum", "errata-appendix-masking", "errata-appendix-embedding"):
        assert f"]({label})" in errata and f"({label})=" in "\n".join(
            "".join(c["source"]) for c in __import__("json").loads(PATH.read_text())["cells"])


def test_lambda_needs_safe_mode_off(stored):
    assert any(s.startswith("load_model: ValueError: Requested the deserialization of a `Lambda` layer")
               for s in stored)
    shows(stored, "safe_mode=False: [[ 5.  1. 10.]]")
