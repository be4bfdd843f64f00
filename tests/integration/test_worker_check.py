"""`course worker-check` on this machine: the real imports and the real sandbox."""

import subprocess
import sys


def test_this_machine_can_grade_as_a_dask_worker():
    result = subprocess.run([sys.executable, "-m", "course", "worker-check"], capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "1000"}, timeout=300)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("course", "helpers", "nbgrader", "distributed"):
        assert any(line.startswith(f"{name} ") and " importable (" in line for line in lines), name
    assert "the grading sandbox (bubblewrap) works on this machine" in lines
    assert any(line.startswith("memory: ") and "sandbox_memory" in line for line in lines)
    assert lines[-1] == "this machine can grade as a Dask worker"
