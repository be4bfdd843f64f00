"""The stored outputs hold on other CPUs: nbval passes on another machine's floating-point paths.

The digits of a float past the 15th depend on the paths NumPy and OpenBLAS take on
the CPU at hand (AVX-512 or not, FMA or not, the BLAS kernels' blocking). The same
builds take another machine's paths when told: ``NPY_DISABLE_CPU_FEATURES`` turns
NumPy's dispatch down to its baseline, and ``OPENBLAS_CORETYPE`` makes OpenBLAS use
another CPU's kernels (Prescott's: SSE3, no FMA, which any x86-64 runs). The large
random run then ends elsewhere in its 4th decimal. nbval with the committed sanitize
file must pass all the same, as it must on an instructor's CI or a student's Binder.
"""

import os
import platform
import subprocess
import sys

import pytest

from support import ROOT

pytestmark = pytest.mark.slow

DIGEST = ("import hashlib, numpy as np; r = np.random.default_rng(0); "
          "a = r.standard_normal((10, 400)); b = r.standard_normal((400, 5)); "
          "print(hashlib.sha1((a.T @ a @ b).tobytes()).hexdigest())")


def _native_blas():
    probe = ("import numpy, threadpoolctl; print(next(i.get('architecture', '') for i in "
             "threadpoolctl.threadpool_info() if i['user_api'] == 'blas'))")
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def other_cpu():
    """The environment that makes NumPy and OpenBLAS take another CPU's paths."""
    if platform.machine() != "x86_64":
        pytest.skip(f"OPENBLAS_CORETYPE's x86-64 kernel names do not apply on {platform.machine()}")
    native = _native_blas()
    coretype = "Nehalem" if native.lower() == "prescott" else "Prescott"
    return {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
            "OPENBLAS_CORETYPE": coretype}


def _run(env_extra, *args, **kwargs):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NPY_", "OPENBLAS_"))}
    return subprocess.run([sys.executable, *args], env={**env, **env_extra}, cwd=ROOT,
                          capture_output=True, text=True, **kwargs)


def test_the_other_paths_change_the_last_bits(other_cpu):
    """Else the nbval run below would prove nothing about another CPU."""
    native, other = (_run(env, "-c", DIGEST, check=True).stdout for env in ({}, other_cpu))
    assert native != other
    # NumPy's dispatch targets (X86_V3, X86_V4, AVX512_SKX...) all off: it runs its
    # baseline's loops. The CPU's own flags (AVX512F...) stay reported as the CPU has them.
    probe = ("from numpy._core._multiarray_umath import __cpu_features__ as f, "
             "__cpu_dispatch__ as d; print(' '.join(t for t in d if f.get(t)))")
    assert _run(other_cpu, "-c", probe, check=True).stdout.split() == []


@pytest.mark.parametrize("notebook", ["Initialization.ipynb", "Layers.ipynb", "Gradients.ipynb"])
def test_stored_outputs_hold_on_another_cpu(other_cpu, notebook, tmp_path):
    result = _run(other_cpu, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                  "--nbval", "--nbval-current-env", "--nbval-sanitize-with",
                  "nbval-sanitize.cfg", f"--basetemp={tmp_path / 'nbval'}",
                  f"source/initialization/{notebook}", timeout=900)
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
    assert result.returncode == 0, f"nbval on another CPU's paths ({other_cpu}):\n{tail}"
