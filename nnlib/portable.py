"""Float32 arithmetic that gives the same bits on every x86-64 CPU (the numpy trainers, chapters 1 and 10-13).

numpy's ``@`` hands matrix products to OpenBLAS, which picks a kernel for the CPU it runs on
(``OPENBLAS_CORETYPE``: Haswell, SkylakeX, Zen, Sandybridge ...), and each kernel adds the
products in its own order; numpy's ``exp``, ``log`` and ``tanh`` pick a SIMD implementation for
the CPU (AVX2, AVX-512, or the plain baseline), and they differ in the last bit. A training run
amplifies such last-bit differences, so a curve computed with them changes from one machine to
the next.

Everything here is built from operations that IEEE 754 rounds exactly and that numpy performs one
at a time (``+``, ``-``, ``*``, ``/``, ``sqrt``, ``rint``, ``ldexp``, ``frexp``, comparisons),
in an order fixed by this code, never by the CPU: :func:`dot` and :func:`matmul` add float32
products in increasing ``k``; :func:`exp`, :func:`log`, :func:`tanh` and :func:`sigmoid` evaluate
fixed polynomials in float64 and round once. The products are slower than BLAS, so only the
trainers whose printed curves depend on the last bits use them.

``tests/nnlib/test_portable.py`` checks the accuracy against numpy and, in subprocesses with other
``OPENBLAS_CORETYPE`` and ``NPY_DISABLE_CPU_FEATURES`` settings, that the bits do not move.
"""
from __future__ import annotations

import numpy as np

F32 = np.float32
F64 = np.float64

# ln 2 split so that n * _LN2_HI is exact for |n| < 2**11 (fdlibm's constants)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00
# 1 / k! for k = 12 .. 0: Taylor series of exp on |r| <= ln2 / 2 (truncation error < 2e-16)
_EXP_COEF = tuple(1.0 / float(np.prod(np.arange(1, k + 1, dtype=F64))) for k in range(12, -1, -1))
# 1 / (2k + 1) for k = 11 .. 0: log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716
_LOG_COEF = tuple(1.0 / (2 * k + 1) for k in range(11, -1, -1))


def _horner(coef, x):
    p = x * coef[0]
    p += coef[1]
    for c in coef[2:]:
        p *= x
        p += c
    return p


def _exp64(x):
    """exp of a float64 array with a fixed evaluation order (float64 result)."""
    x = np.minimum(np.maximum(x, -746.0), 710.0)   # beyond: 0 and inf; NaN stays NaN
    n = np.rint(x * _INV_LN2)
    r = x - n * _LN2_HI
    r -= n * _LN2_LO
    with np.errstate(invalid="ignore"):
        k = n.astype(np.int64)                       # NaN -> some integer; ldexp keeps the NaN
    return np.ldexp(_horner(_EXP_COEF, r), k)


def _as_f64(x):
    return np.asarray(x, dtype=F32).astype(F64)


def exp(x):
    """e**x of float32 input, rounded once to float32, the same bits on every CPU (chapter 10)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return _exp64(_as_f64(x)).astype(F32)


def _log64(x64):
    """Natural log of a float64 array of finite numbers > 0, fixed evaluation order (float64)."""
    m, e = np.frexp(x64)                             # x = m * 2**e, m in [0.5, 1)
    low = m < 0.70710678118654752440
    m = np.where(low, m * 2.0, m)
    e = np.where(low, e - 1, e).astype(F64)
    s = (m - 1.0) / (m + 1.0)
    out = 2.0 * s * _horner(_LOG_COEF, s * s)
    out += e * _LN2_LO
    out += e * _LN2_HI
    return out


def log(x):
    """Natural log of float32 input, rounded once to float32, the same bits on every CPU (chapter 10)."""
    x64 = _as_f64(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = _log64(np.where((x64 > 0) & np.isfinite(x64), x64, 1.0))
        out = np.select([np.isnan(x64), np.isposinf(x64), x64 > 0, x64 == 0],
                        [np.nan, np.inf, out, -np.inf], np.nan)
        return out.astype(F32)


def power(base, t):
    """``base ** t`` for float32 ``base`` > 0 and real ``t``, rounded once to float32, the same bits on every CPU (chapter 8).

    Computed as ``exp(t * log(base))`` in float64 with this module's fixed polynomials. numpy's
    float32 ``power`` (AVX2, AVX-512 or baseline code) and libm's differ from CPU to CPU in the
    last bit; Adam's bias corrections ``beta**t`` are where that shows.
    """
    b64 = _as_f64(base)
    t64 = np.asarray(t, dtype=F64)
    if np.any(~(b64 > 0)) or np.any(~np.isfinite(b64)):
        raise ValueError(f"power needs finite bases > 0, got {base!r}")
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return _exp64(t64 * _log64(b64)).astype(F32)


def _expm1_64(x64):
    """e**x - 1 of a float64 array (float64): exp(x) - 1, and a Taylor series where |x| < 1/2."""
    out = np.asarray(_exp64(x64) - 1.0)
    small = np.abs(x64) < 0.5
    if small.any():
        u = x64[small]
        # u * (1 + u/2 * (1 + u/3 * (1 + ... (1 + u/16)))): truncation below 1e-17 relative
        p = np.ones_like(u)
        for k in range(16, 1, -1):
            p *= u / k
            p += 1.0
        out[small] = u * p
    return out


def expm1(x):
    """e**x - 1 of float32 input, rounded once to float32 (accurate near 0), the same bits on every CPU (chapter 10)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _expm1_64(_as_f64(x)).astype(F32)


def tanh(x):
    """tanh of float32 input, rounded once to float32, the same bits on every CPU (chapter 10)."""
    x64 = _as_f64(x)
    a = np.minimum(np.abs(x64), 20.0)                # tanh(20) rounds to 1 in float64
    with np.errstate(invalid="ignore", over="ignore"):
        em1 = _expm1_64(2.0 * a)
        t = em1 / (em1 + 2.0)
        t = np.where(np.isnan(x64), np.nan, t)
        return np.copysign(t, x64).astype(F32)


def sigmoid(x):
    """1 / (1 + e**-x) of float32 input, rounded once to float32, the same bits on every CPU (chapter 10)."""
    x64 = _as_f64(x)
    with np.errstate(over="ignore", invalid="ignore"):
        return (1.0 / (1.0 + _exp64(-x64))).astype(F32)


def dot(A, B):
    """Float32 ``A @ B`` for 2-D arrays with a fixed order of additions: the same bits on every CPU (chapter 10).

    Each product ``A[i, k] * B[k, j]`` is rounded to float32 and the products are added in
    increasing ``k`` (pairwise, numpy's fixed scheme, when ``B`` has one column), exactly as
    :func:`matmul`. The work is done by ``np.einsum(..., optimize=False)`` on C-contiguous
    copies: its sum-of-products loops are compiled once, for the baseline x86-64 instruction set
    (no FMA, no per-CPU variants), and with both operands contiguous it adds over ``k`` one
    product at a time (``tests/nnlib/test_portable.py`` checks that order). No BLAS: about 10 times
    slower than ``@``, and 10 times faster than :func:`matmul` on large products.
    """
    A = np.ascontiguousarray(A, dtype=F32)
    B = np.ascontiguousarray(B, dtype=F32)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"dot needs (m, k) and (k, n) arrays, got shapes {A.shape} and {B.shape}")
    if B.shape[1] == 1:
        return np.add.reduce(A * B[:, 0], axis=1, keepdims=True)
    return np.einsum("ik,kj->ij", A, B, optimize=False)


def matmul(A, B, out=None):
    """Float32 ``np.matmul(A, B)`` (stacks broadcast) with a fixed order of additions, no BLAS (chapter 13).

    Each product ``A[..., i, k] * B[..., k, j]`` is rounded to float32, then numpy adds them
    over ``k``: one after another when the result has more than one column, pairwise (numpy's
    fixed 8-way scheme, which adds fewer than 8 terms one by one) when it has one. Either way the
    order comes from the shapes, not the CPU. Called in tight training loops, so it skips
    ``np.errstate``: an overflow warns as numpy's ``@`` would. For large 2-D products use
    :func:`dot`.
    """
    if type(A) is not np.ndarray or A.dtype != F32:
        A = np.asarray(A, dtype=F32)
    if type(B) is not np.ndarray or B.dtype != F32:
        B = np.asarray(B, dtype=F32)
    if A.ndim < 2 or B.ndim < 2 or A.shape[-1] != B.shape[-2]:
        raise ValueError(f"matmul needs (..., m, k) and (..., k, n) arrays, got shapes {A.shape} and {B.shape}")
    k = A.shape[-1]
    if 0 < k <= 4:
        # the same order, as k multiply-adds of whole arrays: faster than reducing a short axis
        acc = A[..., :, 0, None] * B[..., 0, None, :]
        for j in range(1, k):
            acc += A[..., :, j, None] * B[..., j, None, :]
        if out is None:
            return acc
        out[...] = acc
        return out
    if B.shape[-1] == 1:   # one column: the same pairwise sum, along a contiguous axis
        return np.add.reduce(A * np.swapaxes(B, -1, -2), axis=-1, keepdims=True, out=out)
    return np.add.reduce(A[..., :, :, None] * B[..., None, :, :], axis=-2, out=out)


def norm(x):
    """Euclidean norm of all entries: sqrt of numpy's pairwise sum of x * x, a fixed order (chapter 10)."""
    x = np.asarray(x, dtype=F32).ravel()
    return F32(np.sqrt(np.add.reduce(x * x)))


# --- printing rounding noise as a claim that holds on every CPU ----------------------------------

def ulps(a, b, floor=0.0):
    """Largest distance between float32 arrays ``a`` and ``b`` in float32 ulps of ``b`` (chapters 1, 3, 10).

    One ulp of ``b`` is the gap from ``max(|b|, floor)`` to the next float32 up (``np.spacing``):
    with ``floor=1``, values below 1 in size are measured in ulps of 1 (2**-23), as rounding in a
    computation on numbers of size 1 leaves them. Entries where both are equal (infinities
    included) count 0; a NaN in only one of them counts as infinitely far.
    """
    a = np.asarray(a, dtype=F32)
    b = np.asarray(b, dtype=F32)
    if a.shape != b.shape:
        raise ValueError(f"ulps needs arrays of one shape, got {a.shape} and {b.shape}")
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.maximum(np.abs(b), F32(floor))
        gap = np.abs(a.astype(F64) - b.astype(F64)) / np.spacing(scale).astype(F64)
    gap = np.where(same, 0.0, np.where(np.isfinite(gap), gap, np.inf))
    return float(gap.max()) if gap.size else 0.0


def below(value, bound, unit=""):
    """``'below 1e-06'`` when ``value < bound``, else the value itself, flagged (chapters 1, 3, 10).

    Rounding noise (a difference between two float32 implementations) moves from one CPU to the
    next; the claim that it is below a bound does not, and a real error still shows: the printed
    text changes, so a stored output stops matching.
    """
    value, bound = float(value), float(bound)
    if not bound > 0:
        raise ValueError(f"bound must be a number > 0, got {bound!r}")
    unit = f" {unit}" if unit else ""
    if value < bound:
        return f"below {bound:g}{unit}"
    return f"{value:.3g}{unit}, NOT below {bound:g}{unit}"


def agreement(a, b, bound=16, floor=1.0):
    """``'exact'`` when float32 arrays agree bit for bit, else ``below(ulps(a, b, floor), bound, 'ulp')`` (chapters 1, 3)."""
    gap = ulps(a, b, floor)
    return "exact" if gap == 0 else below(gap, bound, "ulp")
