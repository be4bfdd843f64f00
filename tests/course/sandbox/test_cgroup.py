"""The sandbox's bound, said in one line; cgroups of killed graders found and removed; no user
namespaces named as the fix: the pieces that start no sandbox. The sandboxes themselves (memory
spread over processes, the limits, a grader killed, grading as another user) are
tests/integration/test_sandbox_bounds.py.
"""

import subprocess

from course.sandbox import cgroup
from course.sandbox import kernel


def test_cgroup_kind_is_said_in_one_line():
    line = kernel.memory_bound()
    assert "\n" not in line and "sandbox_memory" in line
    kind, _, why = cgroup.detect()
    if kind == "watchdog":
        assert "watchdog" in line and why in line
    else:
        assert f"cgroup of its own ({kind}" in line


def test_cgroup_v2_needs_memory_and_pids_delegated(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpu io\n")
    assert cgroup._v2_ready(tmp_path) is None        # an empty cgroup2 next to v1
    (tmp_path / "cgroup.controllers").write_text("cpu io memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("memory pids\n")
    assert cgroup._v2_ready(tmp_path) is True


def _dead_owner():
    """The owner tag of a process that has ended."""
    child = subprocess.Popen(["sleep", "30"])
    tag = cgroup.owner_tag(child.pid)
    child.kill()
    child.wait()
    return tag


def test_remove_stale_removes_only_dead_owners(tmp_path):
    dead = tmp_path / f"{cgroup.PREFIX}{_dead_owner()}-abc"
    live = tmp_path / f"{cgroup.PREFIX}{cgroup.owner_tag()}-def"
    unnamed = tmp_path / f"{cgroup.PREFIX}ghi"          # an older grader's: owner unknown
    for folder in (dead, live, unnamed):
        (folder / "scratch").mkdir(parents=True)
    assert dead in cgroup.remove_stale(tmp_path)
    assert not dead.exists() and live.exists() and unnamed.exists()


def test_no_user_namespaces_for_an_ordinary_user_is_one_line_naming_the_fix(monkeypatch):
    monkeypatch.setattr(kernel.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(kernel.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(
        cmd, 1, "", "bwrap: No permissions to create new namespace\n"))
    line = kernel.problem.__wrapped__()
    assert "\n" not in line and "No permissions to create new namespace" in line
    assert "unprivileged_userns_clone=1" in line and "sandbox = False" in line
