"""The sandbox on this machine: it starts, and its working folder holds the files handed in
and no more than its size. Each test starts a sandbox (bubblewrap).

Moved from tests/course/sandbox/test_kernel.py, which keeps the kernel manager's pieces that
start no sandbox.
"""

import os
import subprocess
import sys

import pytest

from course.sandbox import kernel


def test_sandbox_works_on_this_machine():
    assert kernel.problem() is None


def _sandboxed(km, work, code):
    """Run ``code`` with this interpreter in ``km``'s sandbox of ``work`` (no kernel); its stdout."""
    import tempfile
    from pathlib import Path

    km._workdir = str(work)
    km._scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=km._runtime))
    km._handed_in = kernel._copy_workdir(work, km._scratch, km.uid, km.uid)
    os.chmod(km._scratch, 0o700)
    if os.geteuid() == 0:
        os.chown(km._scratch, km.uid, km.uid)
    (km._runtime / "kernel.json").write_text("{}")
    result = subprocess.run(km.sandbox_command([sys.executable, "-c", code]),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_working_folder_holds_the_files_handed_in_and_no_more_than_its_size(tmp_path):
    """Many files, each under the file-size limit, stop at workdir_size in all."""
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    (work / "data" / "digits.h5").write_bytes(b"d" * 5000)
    (work / "Initialization.ipynb").write_text("{}")
    km = kernel.SandboxKernelManager(workdir_size="8M", file_size_limit="4M")
    assert km._handed_in == 0 and km.workdir_short == 0
    out = _sandboxed(km, work, """
import os
print(sorted(os.listdir(".")), len(open("data/digits.h5", "rb").read()))
os.remove("data/digits.h5")
written = 0
try:
    for i in range(100):
        with open(f"filler-{i}", "wb") as f:
            f.write(b"x" * (1 << 20))
        written += 1
except OSError as error:
    print(written, error.errno)
""")
    assert out.split("\n")[:2] == ["['data'] 5000", "8 28"]   # ENOSPC after 8 MiB
    assert sorted(p.name for p in work.rglob("*")) == ["Initialization.ipynb", "data",
                                                       "digits.h5"]   # untouched
    assert km._handed_in == 8192   # two pages of a memory file system


def test_files_handed_in_that_do_not_fit_are_counted(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "big.npy").write_bytes(b"b" * (3 << 20))
    (work / "small.txt").write_text("s")
    km = kernel.SandboxKernelManager(workdir_size="2M")
    out = _sandboxed(km, work, "import os; print(sorted(os.listdir('.')))")
    assert km.workdir_short == (3 << 20) + 4096 - (2 << 20)
    assert "small.txt" in out   # what fits is there; the kernel starts all the same
    with pytest.raises(Exception, match="optional K, M or G suffix"):
        kernel.SandboxKernelManager(workdir_size="lots")
