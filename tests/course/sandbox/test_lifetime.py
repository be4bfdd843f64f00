"""A guarded command dies with the process that started it, even one killed right after the fork;
a worker of `course grade` ends with the run's process."""

import json
import subprocess
import sys
import uuid

import pytest

from course.sandbox.cgroup import owner_tag
from course.sandbox.lifetime import GONE, Lifeline, guarded
from support import outlived

# Started by a throwaway "grader" (argv[1]: the command as JSON, argv[2]: how it gets
# it): "own" builds the guarded command itself; "handed" is given one that another
# process built. It SIGKILLs itself as soon as Popen returns, the moment a sandbox
# started by a grader that is being killed could slip through.
GRADER = """
import json, os, signal, subprocess, sys
from course.sandbox.lifetime import guarded
command = json.loads(sys.argv[1])
command = guarded(command) if sys.argv[2] == "own" else command
process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
if sys.argv[3] == "die":
    os.kill(os.getpid(), signal.SIGKILL)
sys.exit(process.wait())
"""


def _grader(command, how, then):
    return subprocess.run([sys.executable, "-c", GRADER, json.dumps(command), how, then],
                          capture_output=True, text=True, timeout=60)


def test_a_guarded_command_runs_with_its_arguments_and_its_status():
    result = subprocess.run(guarded(["/bin/sh", "-c", 'echo "$1|$2"; exit 7', "sh", "a b", "--"]),
                            capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (7, "a b|--\n")


def test_a_guarded_command_joins_each_file_it_is_given_as_itself(tmp_path):
    first, second = tmp_path / "first.procs", tmp_path / "second.procs"
    result = subprocess.run(guarded(["/bin/sh", "-c", "echo $$"], join=[first, second]),
                            capture_output=True, text=True)
    assert result.returncode == 0
    pid = result.stdout.strip()
    assert first.read_text() == second.read_text() == f"{pid}\n"


def test_a_guarded_command_that_cannot_join_does_not_run(tmp_path):
    ran = tmp_path / "ran"
    result = subprocess.run(guarded(["touch", str(ran)], join=[tmp_path / "no" / "cgroup.procs"]),
                            capture_output=True, text=True)
    assert result.returncode == GONE and not ran.exists()


def test_a_guarded_command_started_by_another_process_than_its_grader_does_not_run(tmp_path):
    """The check that covers a grader killed before setpriv asked for the signal."""
    ran = tmp_path / "ran"
    result = _grader(guarded(["touch", str(ran)]), "handed", "wait")
    assert result.returncode == GONE, result.stderr
    assert not ran.exists()
    control = _grader(["touch", str(ran)], "own", "wait")   # its own grader: it runs
    assert control.returncode == 0 and ran.exists(), control.stderr


def test_a_grader_killed_right_after_the_fork_leaves_nothing_running():
    mark = f"lifetime-{uuid.uuid4().hex}"
    command = [sys.executable, "-c", "import time; time.sleep(120)", mark]
    for _ in range(10):
        result = _grader(command, "own", "die")
        assert result.returncode == -9, result.stderr
    assert outlived([mark], 10) == [], "a guarded command outlived its grader"


# A grader whose command leaves a process behind as bwrap's second process can: one
# that never asked to die with its parent, still in the session the command started
# (argv[1]: a mark for its command line; argv[2]: "lifeline" or "none"; argv[3]: a file
# it creates once it runs). The grader SIGKILLs itself once that process runs.
LEAVING = """
import os, signal, subprocess, sys, time
from course.sandbox.lifetime import Lifeline, guarded
mark, how, ready = sys.argv[1:]
lifeline = Lifeline()
left = [sys.executable, "-c", "import sys, time; open(sys.argv[1], 'x').close(); time.sleep(120)",
        ready, mark]
process = subprocess.Popen(guarded(["/bin/sh", "-c", '"$@" & wait', "sh", *left],
                                   lifeline=0 if how == "lifeline" else None),
                           stdin=lifeline.read_end, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
lifeline.started()
while not os.path.exists(ready):
    time.sleep(0.01)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("how", ["lifeline", "none"])
def test_a_grader_killed_leaves_nothing_of_its_commands_session_with_a_lifeline(how, tmp_path):
    """What bwrap's second process is, before its first lets it run (course.sandbox.lifetime)."""
    mark = f"lifetime-{uuid.uuid4().hex}"
    result = subprocess.run([sys.executable, "-c", LEAVING, mark, how, str(tmp_path / "ready")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr
    assert (tmp_path / "ready").exists()
    left = outlived([mark], 10 if how == "lifeline" else 2)
    if how == "lifeline":
        assert left == [], "a process of the command's session outlived its grader"
    else:   # the control: without the watcher, it lives on
        assert len(left) == 1


def test_a_guarded_command_with_a_lifeline_outside_a_session_of_its_own_does_not_run(tmp_path):
    """Its watcher would kill the grader's own process group."""
    ran = tmp_path / "ran"
    lifeline = Lifeline()
    try:
        result = subprocess.run(guarded(["touch", str(ran)], lifeline=0), stdin=lifeline.read_end,
                                capture_output=True, text=True, timeout=30)
    finally:
        lifeline.cut()
    assert result.returncode == GONE and not ran.exists()


def test_the_lifelines_watcher_holds_none_of_the_commands_pipes():
    """A judge's stdin and stdout: the grader sees their end when the command ends,
    while the lifeline (another fd) is still whole."""
    lifeline = Lifeline()
    process = subprocess.Popen(guarded(["/bin/sh", "-c", "read -r line; echo got $line"],
                                       lifeline=lifeline.read_end),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               start_new_session=True, pass_fds=(lifeline.read_end,))
    lifeline.started()
    try:
        out, _ = process.communicate("x\n", timeout=30)   # its stdout's end, not the watcher's
        assert (process.returncode, out) == (0, "got x\n")
    finally:
        lifeline.cut()


# A grader started with its stdin closed: os.pipe() would hand the lifeline fd 0.
NO_STDIN = """
import os, subprocess
from course.sandbox.lifetime import Lifeline, guarded
lifeline = Lifeline()
assert lifeline.read_end > 2, lifeline.read_end
process = subprocess.Popen(guarded(["/bin/sh", "-c", "read -r line; echo got $line"],
                                   lifeline=lifeline.read_end),
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                           start_new_session=True, pass_fds=(lifeline.read_end,))
lifeline.started()
out, _ = process.communicate("x\\n", timeout=30)
lifeline.cut()
print("ok" if out == "got x\\n" and process.returncode == 0 else repr(out))
"""


def test_a_lifeline_made_with_stdin_closed_is_not_the_commands_stdin():
    result = subprocess.run(["/bin/sh", "-c", 'exec "$@" <&-', "sh", sys.executable, "-c", NO_STDIN],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, "ok\n"), result.stderr


WORKER = """
import os, sys, time
if sys.argv[2] == "no-pidfd":   # a Linux before 5.3
    def pidfd_open(pid, flags=0):
        raise OSError(38, "Function not implemented")
    os.pidfd_open = pidfd_open
from course.sandbox.lifetime import die_with_run
die_with_run(sys.argv[1])
print("watching", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("how", ["pidfd", "no-pidfd"])
def test_a_worker_ends_when_the_runs_process_does(how):
    run = subprocess.Popen(["sleep", "60"])
    worker = subprocess.Popen([sys.executable, "-c", WORKER, owner_tag(run.pid), how],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline() == "watching\n"
        assert worker.poll() is None
    finally:
        run.kill()
        run.wait()
    assert worker.wait(timeout=10) == GONE


def test_a_worker_whose_run_is_gone_ends_at_once():
    run = subprocess.Popen(["sleep", "60"])
    tag = owner_tag(run.pid)
    run.kill()
    run.wait()
    worker = subprocess.run([sys.executable, "-c", WORKER, tag, "pidfd"], capture_output=True,
                            text=True, timeout=60)
    assert (worker.returncode, worker.stdout) == (GONE, "")
