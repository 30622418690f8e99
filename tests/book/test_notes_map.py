"""The map of the notes (chapters/notes_map.md, issue 18): every section heading of every note is
on it, and every chapter and section it names exists.

The notes mark their headings differently, so the headings are listed here per note, each as the
note writes it on a line of its own; the test first checks that each listed heading really is a
whole line of its note (the list cannot drift from the files), then, where a note numbers its
headings, that the list has every numbered heading the note has (a pattern per note), so that a
heading cannot be left out of the list either.
"""
from __future__ import annotations

import json
import re

import pytest

from tests.helpers import ROOT, SEEDS

MAP = ROOT / "chapters" / "notes_map.md"

#: per note: its headings (whole lines of the note, stripped), and the pattern its numbered
#: headings follow (None: the note does not number them)
HEADINGS = {
    "000": (["【2.2】tensorflow神经网络优化", "一、基本概念", "神经元模型", "激活函数", "复杂度",
             "损失函数(loss)", "交叉熵(Cross Entropy)", "softmax函数", "学习率 learning_rate:",
             "学习率的设置", "指数衰减学习率", "滑动平均", "过拟合", "正则化",
             "二、搭建模块化神经网络八股"],
            r"[一二三四五六七八九十]+、.*"),
    "001": (["【翻译】Sklearn 与 TensorFlow 机器学习实用指南 —— 第11章 训练深层神经网络(上)", "简介:",
             "梯度消失/爆炸问题", "非饱和激活函数", "批量标准化", "使用 TensorFlow 实现批量标准化",
             "完整代码", "相关文章"], None),
    "002": (["Tensorflow笔记—6—神经网络优化之学习率,指数衰减学习率和滑动平均", "一. 学习率",
             "二. 学习率的设置", "三. 指数衰减学习率", "四. 滑动平均"],
            r"[一二三四五六七八九十]+\. .*"),
    # 003's section headings are its table of contents ("- 1、..."), the only place all six appear
    "003": (["神经网络优化器(神经网络优化器momentum)", "1、sklearn 神经网络 MLPClassifier简单应用与参数说明",
             "2、神经网络中各种优化器简介", "3、神经网络的优化", "4、神经网络超参数选择",
             "5、Keras快速构建神经网络模型", "6、深层神经网络的超参数调试、正则化及优化"],
            r"- ([0-9]+、.*)"),
    "004": (["Course2-Week2-神经网络的训练方法", "1. 神经网络的编译和训练", "1.1 TensorFlow实现",
             "1.2 损失函数和代价函数的数学公式", "2. 其他的激活函数", "2.1 Sigmoid激活函数的替代方案",
             "2.2 如何选择激活函数", "2.3 为什么需要激活函数", "3. 多分类问题和Softmax函数", "3.1 多分类问题",
             "3.2 逻辑回归的推广:Softmax回归", "3.3 Softmax神经网络的代码实现", "3.4 多标签问题",
             "4. 更加高级的神经网络概念", "4.1 梯度下降法的改进:Adam算法", "4.2 其他类型的神经网络层",
             "4.3 神经网络代码实例——手写数字识别", "5. 反向传播(选修)", "5.1 计算图和导数",
             "5.2 神经网络中的反向传播"],
            r"[0-9]\.(?:[0-9])? \S.*"),
}


def _note(number: str) -> list[str]:
    """The note's lines, as in the file (right-stripped only: indentation marks list items)."""
    files = sorted(SEEDS.glob(f"{number}_*.txt"))
    if not files:
        pytest.skip(f"note {number} not found in {SEEDS} (set NNLIB_SEEDS)")
    return [line.rstrip() for line in files[0].read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("number", sorted(HEADINGS))
def test_the_heading_list_is_the_notes(number):
    headings, numbered = HEADINGS[number]
    lines = _note(number)
    stripped = {line.strip().removeprefix("- ") for line in lines}   # 003's contents are a list
    missing = [h for h in headings if h not in stripped]
    assert not missing, f"note {number}: not a line of the note: {missing}"
    if numbered:
        found = {m.group(m.lastindex or 0) for line in lines if (m := re.fullmatch(numbered, line))}
        # a numbered heading of the note that the list lacks (numbered list items and quiz
        # questions are indented in the notes, so the pattern, anchored at the line's start,
        # skips them)
        left_out = sorted(found - set(headings))
        assert not left_out, f"note {number}: numbered headings missing from the list: {left_out}"


@pytest.mark.parametrize("number", sorted(HEADINGS))
def test_every_heading_of_the_note_is_on_the_map(number):
    text = MAP.read_text(encoding="utf-8")
    absent = [h for h in HEADINGS[number][0] if h not in text]
    assert not absent, f"note {number}: headings not on {MAP.name}: {absent}"


def _sections(notebook) -> set[str]:
    """The headings (any level) of a chapter notebook's Markdown cells, without the #'s."""
    out = set()
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if m := re.match(r"#{1,6} (.+)", line):
                    out.add(m.group(1).strip())
    return out


_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def test_every_link_and_named_section_exists():
    text = MAP.read_text(encoding="utf-8")
    links = _LINK.findall(text)
    assert len(links) >= 60, "the map links to too few places: was it cut?"
    bad = []
    for label, target in links:
        file, _, anchor = target.partition("#")
        path = (MAP.parent / file).resolve()
        if not path.exists():
            bad.append(f"{target}: no such file")
            continue
        # the book sets no myst_heading_anchors, so a #anchor can only be a (label)= target
        if anchor and f"({anchor})=" not in path.read_text(encoding="utf-8"):
            bad.append(f"{target}: {path.name} has no label ({anchor})=")
        m = re.fullmatch(r"(?:ch\. (\d+)|appendix), (.+)", label)
        if m is None:
            continue   # a page, not a chapter section (intro, errata)
        prefix = f"{int(m.group(1)):02d}_" if m.group(1) else "appendix_"
        if not path.name.startswith(prefix):
            bad.append(f"[{label}]({target}): {label.split(',')[0]} is not {path.name}")
        if m.group(2) not in _sections(path):
            bad.append(f"[{label}]({target}): {path.name} has no section {m.group(2)!r}")
    assert not bad, "\n".join(bad)


def test_the_map_is_in_the_book():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    assert "chapters/notes_map" in toc
