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


def _cgroup_bound(folder, kind, stat):
    """A Bound of 1000 bytes whose cgroup files are the ones written in ``folder``."""
    bound = cgroup.Bound("test", 1000, 10, "1000B")
    bound.kind, bound.folders = kind, {"memory": folder, "pids": folder}
    (folder / "memory.stat").write_text(stat)
    (folder / ("memory.events" if kind == "cgroup v2" else "memory.oom_control")).write_text(
        "oom_kill 0\n")
    return bound


def test_anonymous_memory_at_the_limit_is_over_it_before_any_oom_kill(tmp_path):
    """Held at the limit with no swap, the sandbox would thrash for seconds before an OOM kill."""
    for kind, key in (("cgroup v1", "total_rss"), ("cgroup v2", "anon")):
        other = "rss" if kind == "cgroup v1" else "file"   # not the hierarchical anon count
        bound = _cgroup_bound(tmp_path, kind, f"cache 5000\n{other} 990\n{key} 960\n")
        assert bound.anonymous() == 960 and bound._over(0) is None
        (tmp_path / "memory.stat").write_text(f"cache 5000\n{other} 10\n{key} 970\n")
        assert bound._over(0) == ("its processes together went over the sandbox's 1000B "
                                  "memory limit")


def test_an_oom_kill_in_the_cgroup_is_over_the_limit(tmp_path):
    bound = _cgroup_bound(tmp_path, "cgroup v1", "total_rss 0\n")
    assert bound._over(0) is None
    (tmp_path / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
    assert bound._over(0).endswith("went over the sandbox's 1000B memory limit")
