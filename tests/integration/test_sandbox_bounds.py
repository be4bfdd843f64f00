"""The sandbox as a whole is bounded (cgroup or watchdog); leftovers of killed graders go;
grading as an ordinary user works: each test starts sandboxed kernels (tests/support/sandbox_probe.py).

Moved from tests/course/sandbox/test_cgroup.py, which keeps the cgroup pieces that start no sandbox.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from course.sandbox import cgroup
from course.sandbox import kernel
from support import outlived
from support.nonroot import NOBODY, venv_for_others

PROBE = Path(__file__).parents[1] / "support" / "sandbox_probe.py"
# Four processes of 400 MB each: every one under the 1G address-space limit,
# together over the 1G the probe gives its sandbox.
SPREAD = """
import subprocess, sys
hogs = [subprocess.Popen([sys.executable, "-c", "import time; pages = b'x' * (400 << 20); time.sleep(60)"])
        for _ in range(4)]
for hog in hogs:
    hog.wait()
print("all four ran to the end")
"""


def _probe(workdir, code, *options, user=(), env=None, python=sys.executable, probe=PROBE):
    result = subprocess.run([*user, python, str(probe), str(workdir), code, *options],
                            capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", ["where-possible", "watchdog"])
def test_memory_spread_over_processes_stops_the_sandbox(tmp_path, mode):
    options = ["--watchdog"] if mode == "watchdog" else []
    report = _probe(tmp_path, SPREAD, *options)
    if mode == "watchdog":
        assert report["kind"] == "watchdog" and report["cgroups"] == []
    else:
        assert report["kind"] == cgroup.detect()[0]
    assert report["status"] == "dead", report
    assert "all four ran to the end" not in report["stdout"]
    assert "went over the sandbox's 1G memory limit" in report["exceeded"]
    assert not Path(report["runtime"]).exists()
    for folder in report["cgroups"]:
        assert not Path(folder).exists(), "the sandbox's cgroup was left behind"


@pytest.mark.skipif(cgroup.detect()[0] == "watchdog", reason="no cgroup can be made here")
def test_cgroup_limits_are_the_settings(tmp_path):
    report = _probe(tmp_path, "print('hello')")
    assert report["stdout"] == "hello\n"
    memory = report["limits"].get("memory.limit_in_bytes") or report["limits"]["memory.max"]
    assert int(memory) == 1 << 30
    assert int(report["limits"]["pids.max"]) == kernel.SandboxKernelManager().process_limit


def test_a_grader_killed_with_sigkill_leaves_nothing_after_the_next_start(tmp_path):
    grader = subprocess.Popen([sys.executable, str(PROBE), str(tmp_path), "print('ready')",
                               "--hang"], stdout=subprocess.PIPE, text=True)
    try:
        line = grader.stdout.readline()
        while line and not line.startswith("{"):   # the kernel's banner comes first
            line = grader.stdout.readline()
        report = json.loads(line)
        assert report["stdout"] == "ready\n"
    finally:
        grader.kill()
        grader.wait()
    runtime = Path(report["runtime"])
    assert runtime.exists()
    for folder in report["cgroups"]:
        assert Path(folder).exists()
    removed = cgroup.remove_stale()
    assert runtime in removed and not runtime.exists()
    for folder in map(Path, report["cgroups"]):
        assert folder in removed and not folder.exists()


def test_a_grader_killed_as_its_sandbox_starts_leaves_no_sandbox(tmp_path):
    """Killed at the fork, before setpriv or bwrap could ask to die with it, and while
    bwrap sets the sandbox up (course.sandbox.lifetime)."""
    marks = []
    # bwrap's setup took from about 18 to 22 ms after the fork on a quiet machine here
    # (2026-12-07), later on a busy one: every 2 ms up to 48, then more coarsely
    for seconds in [step / 500 for step in range(25)] + [0.06, 0.08, 0.1, 0.15, 0.2, 0.3]:
        grader = subprocess.Popen([sys.executable, str(PROBE), str(tmp_path), "print('ran')",
                                   "--die-at-launch", str(seconds)], stdout=subprocess.PIPE,
                                  text=True)
        out, _ = grader.communicate(timeout=120)
        assert grader.returncode == -9 and "ran" not in out, out
        marks.append(f"{cgroup.PREFIX}{grader.pid}.")   # its sandbox's runtime folder
    left = outlived(marks, 10)   # a sandbox that lived on would run its kernel by then
    cgroup.remove_stale()
    assert left == [], "a sandbox outlived the grader that started it"


# A grader that starts bwrap as the course does (course.sandbox.lifetime.guarded, its
# own session, a lifeline or none: argv[2]) but holds bwrap's first process before it
# lets the second run (--userns-block-fd argv[3], a pipe the test writes nothing to
# and closes only at its end), and SIGKILLs itself once the first has cloned the
# second (--info-fd). argv[1]: a mark for the sandbox's command.
HELD = """
import os, signal, subprocess, sys
from course.sandbox.lifetime import Lifeline, guarded
mark, how, block = sys.argv[1:]
lifeline = Lifeline()
info, info_end = os.pipe()
bwrap = ["bwrap", "--unshare-user", "--unshare-pid", "--die-with-parent", "--info-fd",
         str(info_end), "--userns-block-fd", block, "--ro-bind", "/", "/", "--proc", "/proc",
         "--dev", "/dev", "sleep", "120", mark]
subprocess.Popen(guarded(bwrap, lifeline=0 if how == "lifeline" else None),
                 stdin=lifeline.read_end, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                 pass_fds=(info_end, int(block)), start_new_session=True)
os.close(info_end)
assert b"child-pid" in os.read(info, 4096)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("how", ["lifeline", "none"])
def test_bwraps_second_process_held_before_it_may_run_dies_with_the_grader(how):
    """bwrap's second process waits on an eventfd until its first lets it run, and asks
    for no signal before: a grader killed then leaves it waiting for good, unless the
    guard's watcher on the lifeline ends the session (course.sandbox.lifetime)."""
    mark = f"held-{os.getpid()}-{time.monotonic_ns()}"
    block, unblock = os.pipe()
    try:
        result = subprocess.run([sys.executable, "-c", HELD, mark, how, str(block)],
                                capture_output=True, text=True, timeout=60, pass_fds=(block,))
        assert result.returncode == -9, result.stderr
        left = outlived([mark], 10 if how == "lifeline" else 2)
    finally:
        os.close(block)
        os.close(unblock)
    if how == "lifeline":
        assert left == [], "bwrap's second process outlived the grader"
    else:   # the control: bwrap as it is leaves it waiting
        assert len(left) == 1


def test_grading_as_an_ordinary_user_works_and_hides_the_course():
    """Run as user nobody: the kernel starts in a user namespace, or one line names the fix."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user (setpriv)")
    base = Path(tempfile.mkdtemp(prefix="nonroot-course-", dir="/tmp"))
    try:
        for folder in ("source", "work", "home"):
            (base / folder).mkdir()
        (base / "source" / "secret.txt").write_text("the solutions")
        (base / "work" / "data.txt").write_text("the student's data")
        python, site, lib = venv_for_others(base, [PROBE])
        probe = lib / PROBE.name
        for path in [base, *base.rglob("*")]:
            if not path.is_symlink():
                os.chmod(path, 0o777 if path.name == "home" else
                         (0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644))
        env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(base / "home"),
               "LANG": "C.UTF-8"}
        check = subprocess.run([*NOBODY, str(python), "-c",
                                "import course, helpers; assert course.__file__.startswith("
                                f"{str(base)!r}) and helpers.__file__.startswith({str(base)!r});"
                                "from course.sandbox import kernel; print(kernel.problem())"],
                               capture_output=True, text=True, env=env, cwd=base / "home")
        line = check.stdout.strip()
        assert line, check.stderr
        if line != "None":
            # No unprivileged user namespaces: grading refuses in one line naming the fix.
            assert "\n" not in line and "unprivileged_userns_clone" in line, line
            return
        code = ("import os, helpers.checks\n"
                "print(open('data.txt').read(), os.getuid(), os.path.exists('../source/secret.txt'),"
                " os.path.exists('../source'), os.statvfs('.').f_blocks * os.statvfs('.').f_frsize)")
        report = _probe(base / "work", code, "--readonly", str(site), user=NOBODY, env=env,
                        python=str(python), probe=probe)
        # its working folder is a copy of the files handed in, on a file system of workdir_size
        assert report["stdout"].split() == ["the", "student's", "data", "65534", "False", "False",
                                            str(256 << 20)]
        assert report["kind"] == "watchdog" and "not writable" in report["why"]
        assert not Path(report["runtime"]).exists()
    finally:
        shutil.rmtree(base, ignore_errors=True)
