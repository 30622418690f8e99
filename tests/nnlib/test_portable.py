"""nnlib.portable: float32 arithmetic with the same bits on every CPU.

Accuracy against numpy in float64 (rounded once to float32), the fixed order of ``dot``, and the
point of it all: in subprocesses under other CPU profiles (another OpenBLAS kernel, numpy's SIMD
paths switched off) numpy's own ``@`` and ``exp`` change their last bits while nnlib.portable's
results stay identical.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nnlib import portable as P
from tests.profiles import PROFILES, environ

F32 = np.float32


def _inputs():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(4000) * s for s in (1e-8, 1e-3, 0.3, 1, 3, 10, 40, 100)])
    return x.astype(F32)


def _ulps(ours, exact64):
    """Largest distance from the float64 reference, in float32 ulps of the reference."""
    ref = exact64.astype(F32)
    ok = np.isfinite(ref) & (ref != 0)
    spacing = np.spacing(np.abs(ref[ok])).astype(np.float64)
    return float(np.max(np.abs(ours[ok].astype(np.float64) - exact64[ok]) / spacing))


@pytest.mark.parametrize("name, ref, domain", [
    ("exp", np.exp, lambda x: x[np.abs(x) < 85]),
    ("log", np.log, lambda x: np.abs(x[x != 0])),
    ("tanh", np.tanh, lambda x: x),
    ("expm1", np.expm1, lambda x: x[x < 85]),
    ("sigmoid", lambda v: 1 / (1 + np.exp(-v)), lambda x: x),
])
def test_within_half_an_ulp_and_a_bit_of_the_exact_value(name, ref, domain):
    x = domain(_inputs())
    ours = getattr(P, name)(x)
    assert ours.dtype == F32 and ours.shape == x.shape
    # correct rounding is 0.5 ulp; the float64 evaluation adds ~1e-16 relative
    assert _ulps(ours, ref(x.astype(np.float64))) <= 0.5 + 1e-6


def test_a_wrong_polynomial_is_caught():
    x = _inputs()[:1000]
    bad = (P.exp(x) * F32(1 + 2 ** -20)).astype(F32)
    assert _ulps(bad, np.exp(x.astype(np.float64))) > 1


def test_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 89.0, -104.0], F32)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(P.exp(x), np.exp(x))
        np.testing.assert_array_equal(P.log(x), np.log(x))
        np.testing.assert_array_equal(P.tanh(x), np.tanh(x))
        np.testing.assert_array_equal(P.sigmoid(x[:4]), F32([0.5, 0.5, 1.0, 0.0]))
    assert np.signbit(P.tanh(F32([-0.0])))[0]


def _sequential(A, B):
    """A @ B (stacks broadcast) with each product rounded to float32 and added in increasing k."""
    prods = A[..., :, :, None] * B[..., None, :, :]
    out = prods[..., 0, :].copy()
    for k in range(1, A.shape[-1]):
        out = out + prods[..., k, :]
    return out


@pytest.mark.parametrize("m, k, n", [(5, 37, 4), (32, 64, 64), (64, 32, 64), (1347, 64, 10), (1, 50, 9)])
def test_dot_adds_in_increasing_k(m, k, n):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((m, k)).astype(F32)
    W = rng.standard_normal((n, k)).astype(F32)
    B = np.ascontiguousarray(W.T)
    expected = _sequential(A, B)
    np.testing.assert_array_equal(P.dot(A, B), expected)
    # transposed views, as a backward pass passes them: copied, so the same order
    np.testing.assert_array_equal(P.dot(np.asfortranarray(A), W.T), expected)
    exact = A.astype(np.float64) @ B
    assert np.max(np.abs(P.dot(A, B) - exact)) < k * 2 ** -22 * np.max(np.abs(A)) * np.max(np.abs(B))


def test_dot_with_one_column_is_a_pairwise_sum():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((7, 300)).astype(F32)
    b = rng.standard_normal((300, 1)).astype(F32)
    np.testing.assert_array_equal(P.dot(A, b)[:, 0], np.array([np.sum(row * b[:, 0]) for row in A]))


def test_dot_shapes_and_errors():
    assert P.dot(np.ones((2, 0), F32), np.ones((0, 3), F32)).tolist() == [[0, 0, 0], [0, 0, 0]]
    np.testing.assert_array_equal(P.dot([[1, 2]], [[3], [4]]), F32([[11]]))


def test_norm():
    x = np.arange(12, dtype=F32).reshape(3, 4)
    assert P.norm(x) == F32(np.sqrt(np.sum(np.arange(12.0) ** 2)))
    assert P.norm(x).dtype == F32


SCRIPT = r"""
import hashlib, numpy as np
from nnlib import portable as P
rng = np.random.default_rng(0)
x = (rng.standard_normal(3000) * 5).astype(np.float32)
A = rng.standard_normal((64, 300)).astype(np.float32)
B = rng.standard_normal((300, 48)).astype(np.float32)
def h(*arrays):
    m = hashlib.sha256()
    for a in arrays:
        m.update(np.ascontiguousarray(a).tobytes())
    return m.hexdigest()[:16]
S = rng.standard_normal((7, 30, 11)).astype(np.float32)
stacks = (P.matmul(A[:30, :2], S[:, :2]), P.matmul(S, S[:, :11, :1]), P.matmul(A[:2, :30], S))
pw = P.power(np.float32(0.9), np.arange(1, 2001))
print(h(P.dot(A, B), P.expm1(x), P.exp(x), P.log(np.abs(x)), P.tanh(x), P.sigmoid(x), P.norm(A), pw, *stacks),
      h(A @ B), h(np.exp(x), np.tanh(x), np.log(np.abs(x))))
"""


def _run(name):
    env = environ(name)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return out.stdout.split()


def test_same_bits_under_every_cpu_profile_while_numpy_moves():
    runs = {name: _run(name) for name in PROFILES}
    ours = {r[0] for r in runs.values()}
    assert len(ours) == 1, f"nnlib.portable changed bits between CPU profiles: {runs}"
    # the profiles are a real test: numpy's own BLAS product or SIMD functions move between them
    numpy_results = {(r[1], r[2]) for r in runs.values()}
    assert len(numpy_results) > 1, f"the CPU profiles did not change numpy's digits: {runs}"


def test_ulps_counts_float32_steps():
    one = F32(1)
    up = np.nextafter(one, F32(2))
    assert P.ulps([one, 2], [one, 2]) == 0
    assert P.ulps([up], [one]) == 1
    assert P.ulps([np.nan, np.inf], [np.nan, np.inf]) == 0
    assert P.ulps([np.nan], [one]) == np.inf
    tiny = F32(1e-30)
    assert P.ulps([tiny * 2], [tiny]) > 1e6                   # in ulps of 1e-30 ...
    assert P.ulps([tiny * 2], [tiny], floor=1.0) < 1e-20      # ... and of 1


def test_below_states_the_claim_or_shows_the_value():
    assert P.below(4e-7, 1e-6) == "below 1e-06"
    assert P.below(3, 16, "ulp") == "below 16 ulp"
    assert P.below(2e-6, 1e-6) == "2e-06, NOT below 1e-06"       # a real error changes the text


def test_agreement():
    a = np.array([1, 2, 3], F32)
    assert P.agreement(a, a) == "exact"
    assert P.agreement(np.nextafter(a, F32(9)), a) == "below 16 ulp"
    assert P.agreement(a * F32(1.01), a).endswith("NOT below 16 ulp")


@pytest.mark.parametrize("shapes", [((30, 2), (11, 2, 11)), ((11, 30, 11), (11, 11, 1)),
                                    ((11, 11, 30), (11, 30, 1)), ((11, 30, 1), (11, 1, 11)),
                                    ((2, 30), (11, 30, 11)), ((3, 5, 9), (9, 4))])
def test_matmul_is_a_matmul_in_a_fixed_order(shapes):
    rng = np.random.default_rng(2)
    A, B = (rng.standard_normal(s).astype(F32) for s in shapes)
    got = P.matmul(A, B)
    exact = np.matmul(A.astype(np.float64), B.astype(np.float64))
    assert got.dtype == F32 and got.shape == exact.shape
    k = A.shape[-1]
    assert np.max(np.abs(got - exact)) < k * 2 ** -22 * np.max(np.abs(exact)) + 1e-6
    # the order: products rounded to float32, then added one by one (n > 1), or pairwise (n == 1)
    if B.shape[-1] > 1 or k < 8:
        np.testing.assert_array_equal(got, _sequential(A, B))
    out = np.empty_like(got)
    assert P.matmul(A, B, out=out) is out and np.array_equal(out, got)


def test_power_is_correctly_rounded_on_adams_range():
    t = np.arange(1, 2001)
    for beta in (F32(0.9), F32(0.999)):
        num, den = float(beta).as_integer_ratio()
        exact = np.array([num ** int(k) / den ** int(k) for k in t]).astype(F32)   # integer arithmetic
        np.testing.assert_array_equal(P.power(beta, t), exact)
    assert P.power(F32(2), 0.5) == F32(np.sqrt(2))


@pytest.mark.parametrize("name, args, match", [
    ("dot", (np.ones((2, 3)), np.ones((2, 3))), r"dot needs .* \(2, 3\) and \(2, 3\)"),
    ("matmul", (np.ones((2, 3)), np.ones((2, 3))), r"matmul needs .* \(2, 3\) and \(2, 3\)"),
    ("power", (F32(0), 2), "bases > 0"),
    ("ulps", ([1, 2], [1]), "one shape"),
    ("below", (1, 0), "bound must be"),
])
def test_bad_arguments_are_refused(name, args, match):
    with pytest.raises(ValueError, match=match):
        getattr(P, name)(*args)
