"""CPU profiles: environment settings that change which kernels numpy and OpenBLAS run.

Read at import time by numpy (``NPY_DISABLE_CPU_FEATURES``) and OpenBLAS (``OPENBLAS_CORETYPE``),
so they act on a new process: a subprocess, or a Jupyter kernel that nbval starts.

- ``machine``: the environment as the machine gives it (OpenBLAS picks the CPU's kernel, numpy
  its widest SIMD paths: AVX-512 where there is AVX-512).
- ``foreign``: what ``make test`` runs every chapter under a second time: the machine seen as a
  CPU without AVX2 and FMA. OpenBLAS's Sandybridge kernel (AVX without FMA: every product in a
  matrix multiply rounds where FMA kernels such as Haswell, Zen and SkylakeX do not), numpy's
  baseline paths (every AVX2 and AVX-512 loop off: other ``exp``, ``log``, ``tanh``, ``power``
  last bits), and glibc's libm without its FMA variants (other last bits from Python's
  ``math.exp``, ``math.log``, ``math.pow`` and numpy's float64 functions that call libm).
  Measured on an AMD EPYC (AVX2): of the stored outputs of an Intel Xeon (AVX-512), 12 cells
  moved under ``machine`` and 18 under ``foreign``. Runs on any x86-64 CPU with AVX.
- ``prescott``: OpenBLAS's SSE3 kernel, a third summation order (used by the unit tests).

    python -m tests.profiles foreign CMD [ARGS...]   # run CMD under the foreign profile
"""
from __future__ import annotations

import os
import sys

_NUMPY_SIMD_OFF = "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"
# glibc picks its libm variants by CPU features; switch off those that use AVX2 and FMA
_GLIBC_NO_FMA = "glibc.cpu.hwcaps=-AVX2_Usable,-FMA_Usable,-AVX2,-FMA"

PROFILES: dict[str, dict[str, str]] = {
    "machine": {},
    "foreign": {"OPENBLAS_CORETYPE": "Sandybridge", "NPY_DISABLE_CPU_FEATURES": _NUMPY_SIMD_OFF,
                "GLIBC_TUNABLES": _GLIBC_NO_FMA},
    "prescott": {"OPENBLAS_CORETYPE": "Prescott"},
}


def environ(name: str) -> dict[str, str]:
    """``os.environ`` with profile ``name`` applied."""
    if name not in PROFILES:
        raise ValueError(f"unknown CPU profile {name!r}; known: {', '.join(PROFILES)}")
    return {**os.environ, **PROFILES[name]}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(f"usage: python -m tests.profiles {{{'|'.join(PROFILES)}}} CMD [ARGS...]", file=sys.stderr)
        return 2
    env = environ(argv[0])
    shown = " ".join(f"{k}={v!r}" for k, v in PROFILES[argv[0]].items()) or "(the machine's own)"
    print(f">> CPU profile {argv[0]}: {shown}", flush=True)
    os.execvpe(argv[1], argv[1:], env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
