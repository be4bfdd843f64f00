"""One memory and process bound for a whole sandbox: a cgroup of its own, or a watchdog.

``prlimit`` bounds each process of a sandboxed kernel (address space, processes
of its user), but a notebook that starts many processes could still use many
times the per-process memory. :class:`Bound` bounds the sum, for the kernel and
everything it starts:

- **cgroup v2**, where ``/sys/fs/cgroup`` (or the grader's own hierarchy) is
  cgroup2 with the ``memory`` and ``pids`` controllers delegated: a child
  cgroup of the grader's own, with ``memory.max``, ``memory.swap.max = 0``,
  ``memory.oom.group = 1`` (the kernel kills the whole sandbox at once) and
  ``pids.max``;
- **cgroup v1**, where the ``memory`` and ``pids`` hierarchies are mounted and
  writable (root): a child of the grader's own cgroup in each, with
  ``memory.limit_in_bytes`` (and ``memsw``: no swap) and ``pids.max``;
- otherwise (not root, no controller) a **watchdog** thread of the grader that
  sums the proportional set size (PSS) of the kernel's process tree four times
  a second and kills the tree past the limit. It cannot see memory held in the
  sandbox's ``/tmp`` (a memory file system bounded by its own size).

The first process of the kernel command joins the cgroup (the ``sh`` guard of
:mod:`course.sandbox.lifetime` writes its own pid to each of :meth:`Bound.procs`,
then execs ``bwrap``), so bubblewrap and everything under it are inside it from
the start. When the kernel's memory
is exhausted the kernel's OOM killer picks a process; the watchdog thread
(also run with cgroups) then kills the rest, so that the cell crashes as a
whole and :attr:`Bound.exceeded` says why. It does so too when the sandbox's
anonymous memory reaches :data:`FULL` of the limit, where the kernel would
thrash before its OOM killer acts.

Names carry their owner: ``course-sandbox-<pid>.<start time>-<random>``, the
grading process's id and start time (so that a reused pid is not taken for the
owner). :func:`remove_stale` deletes the cgroups and scratch folders of graders
that are gone (killed with SIGKILL, say).
"""

import errno
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path

PREFIX = "course-sandbox-"
NAME = re.compile(re.escape(PREFIX) + r"(\d+)\.(\d+)-")
CGROUP_ROOT = Path("/sys/fs/cgroup")
#: Seconds between two looks of the watchdog.
POLL = 0.25
#: The share of a cgroup's memory limit that, held as anonymous memory, counts as over it.
FULL = 0.97


def start_time(pid):
    """The start time of process ``pid`` in clock ticks since boot, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_tag(pid=None):
    """``<pid>.<start time>`` of this (or ``pid``'s) process: names its sandboxes."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}.{start_time(pid)}"


def owner_alive(name):
    """Whether the process that made the sandbox ``name`` still runs (None: not ours)."""
    match = NAME.match(name)
    if match is None:
        return None
    return start_time(match.group(1)) == match.group(2)


# -- finding the hierarchies ---------------------------------------------------

def _own_cgroups():
    """{controller or "": path} of this process, from /proc/self/cgroup."""
    own = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return own
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            own[controller] = path
    return own


def _mounts():
    """[(mount point, its root in the hierarchy, fstype, super options)] of the cgroups."""
    mounts = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return mounts
    for line in lines:
        left, right = line.split(" - ", 1)
        fstype, _, options = right.split(" ", 2)
        if fstype in ("cgroup", "cgroup2"):
            fields = left.split()
            mounts.append((fields[4], fields[3], fstype, options.split(",")))
    return mounts


def _inside(point, root, path):
    """The folder of cgroup ``path`` in a hierarchy mounted at ``point`` from ``root``."""
    relative = os.path.relpath(path, root) if path.startswith(root) else path.lstrip("/")
    return Path(point) / ("" if relative == "." else relative)


def _writable(folder):
    return folder.is_dir() and os.access(folder, os.W_OK)


@lru_cache(maxsize=1)
def detect():
    """``(kind, {controller: parent folder}, why)`` of the bound this process can use.

    ``kind`` is ``"cgroup v2"``, ``"cgroup v1"`` or ``"watchdog"``; ``why`` says
    why no cgroup could be used (``None`` when one can).
    """
    own = _own_cgroups()
    mounts = _mounts()
    v1 = {}
    for point, root, fstype, options in mounts:
        for controller in ("memory", "pids"):
            if fstype == "cgroup" and controller in options and controller in own:
                v1[controller] = _inside(point, root, own[controller])
    if not v1 and "" in own:
        for point, root, fstype, _ in mounts:
            if fstype != "cgroup2":
                continue
            folder = _inside(point, root, own[""])
            ready = _v2_ready(folder)
            if ready is True:
                return "cgroup v2", {"memory": folder, "pids": folder}, None
            if ready:
                return "watchdog", {}, ready
    if set(v1) == {"memory", "pids"}:
        if all(_writable(folder) for folder in v1.values()):
            return "cgroup v1", v1, None
        return "watchdog", {}, (f"the cgroups {v1['memory']} and {v1['pids']} are not "
                                f"writable (grade as root for a cgroup per sandbox)")
    return "watchdog", {}, "no memory and pids cgroup controllers are available"


def _v2_ready(folder):
    """True when sandboxes can be made under the cgroup2 ``folder``, else why not (or None)."""
    try:
        controllers = (folder / "cgroup.controllers").read_text().split()
    except OSError:
        return None
    if not {"memory", "pids"} <= set(controllers):
        return None   # an empty or partial cgroup2 next to v1 controllers: not the real one
    if not _writable(folder):
        return f"the cgroup {folder} is not writable (not delegated to this user)"
    wanted = {"memory", "pids"}
    if wanted <= set((folder / "cgroup.subtree_control").read_text().split()):
        return True
    try:
        (folder / "cgroup.subtree_control").write_text("+memory +pids")
    except OSError as error:
        if error.errno != errno.EBUSY:
            return f"cannot enable memory and pids in {folder}: {error.strerror}"
        # No processes in inner cgroups: move this grader to a leaf of its own first.
        try:
            leaf = folder / f"{PREFIX}{owner_tag()}-grader"
            leaf.mkdir(exist_ok=True)
            (leaf / "cgroup.procs").write_text(str(os.getpid()))
            (folder / "cgroup.subtree_control").write_text("+memory +pids")
        except OSError as error:
            return f"cannot enable memory and pids in {folder}: {error.strerror}"
    return True


def describe():
    """One line saying how a sandbox's total memory and processes are bounded here."""
    kind, parents, why = detect()
    if kind == "watchdog":
        return (f"the total memory of each sandbox is bounded by the grader's watchdog "
                f"(the sum of its processes' PSS), not by a cgroup: {why}; its processes "
                f"by RLIMIT_NPROC only")
    where = ", ".join(sorted({str(p) for p in parents.values()}))
    return (f"the total memory and processes of each sandbox are bounded by a cgroup of "
            f"its own ({kind}, under {where})")


# -- one sandbox ---------------------------------------------------------------

def _read(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _procs(folder):
    return [int(p) for p in _read(folder / "cgroup.procs").split()]


def _kill_cgroup(folder):
    """SIGKILL every process in the cgroup ``folder``; wait (2 s at most) for them to go."""
    kill = folder / "cgroup.kill"
    if kill.exists():
        try:
            kill.write_text("1")
        except OSError:
            pass
    deadline = time.monotonic() + 2
    while True:
        procs = _procs(folder)
        if not procs or time.monotonic() > deadline:
            return
        for pid in procs:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


def _remove_cgroup(folder):
    """Kill what is left in the cgroup ``folder`` and remove it."""
    if not folder.is_dir():
        return
    _kill_cgroup(folder)
    for _ in range(50):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


def _children():
    """{parent pid: [child pids]} of every process."""
    tree = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def process_tree(pid):
    """``pid`` and all its descendants."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def _pss(pid):
    """Proportional set size of ``pid`` in bytes (its RSS where PSS is not readable)."""
    text = _read(f"/proc/{pid}/smaps_rollup")
    match = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    if match is None:
        match = re.search(r"^VmRSS:\s+(\d+) kB", _read(f"/proc/{pid}/status"), re.M)
    return int(match.group(1)) * 1024 if match else 0


class Bound:
    """The total memory and process bound of one sandboxed kernel.

    Parameters
    ----------
    name : str
        The sandbox's name (``course-sandbox-<owner>-<random>``), also its cgroup's.
    memory : int
        Bytes the kernel and all its processes may use together.
    pids : int
        Processes and threads they may run at once (cgroups only; the watchdog
        leaves that to RLIMIT_NPROC).
    memory_text : str
        The limit as configured ("4G"), for messages.
    """

    def __init__(self, name, memory, pids, memory_text=None):
        self.name, self.memory, self.pids = name, memory, pids
        self.memory_text = memory_text or f"{memory >> 20}M"
        self.kind, parents, self.why = detect()
        self.folders = {c: p / name for c, p in parents.items()}
        self.exceeded = None      # why the watchdog killed the sandbox, once it did
        self._root_pid = None
        self._stop = threading.Event()
        self._thread = None

    def create(self):
        """Make the cgroup(s) with their limits (nothing to make for the watchdog)."""
        if self.kind == "watchdog":
            return
        for folder in set(self.folders.values()):
            folder.mkdir(exist_ok=True)
        if self.kind == "cgroup v2":
            folder = self.folders["memory"]
            (folder / "memory.max").write_text(str(self.memory))
            for setting, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                if (folder / setting).exists():
                    (folder / setting).write_text(value)
        else:
            folder = self.folders["memory"]
            (folder / "memory.limit_in_bytes").write_text(str(self.memory))
            if (folder / "memory.memsw.limit_in_bytes").exists():
                (folder / "memory.memsw.limit_in_bytes").write_text(str(self.memory))
        (self.folders["pids"] / "pids.max").write_text(str(self.pids))

    def procs(self):
        """The ``cgroup.procs`` files the sandbox's first process joins (none for the watchdog)."""
        if self.kind == "watchdog":
            return []
        return [f / "cgroup.procs" for f in dict.fromkeys(self.folders.values())]

    def watch(self, root_pid):
        """Start the watchdog thread over the sandbox started as process ``root_pid``."""
        self.stop()
        self._root_pid, self._stop = root_pid, threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watchdog {self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self):
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def _run(self):
        oom_before = self.oom_kills()
        while not self._stop.wait(POLL):
            why = self._over(oom_before)
            if why:
                self.exceeded = why
                self.kill()
                return

    def oom_kills(self):
        """How many processes the kernel's OOM killer killed in this sandbox's cgroup."""
        if self.kind == "watchdog":
            return 0
        folder = self.folders["memory"]
        text = _read(folder / ("memory.events" if self.kind == "cgroup v2" else "memory.oom_control"))
        match = re.search(r"^oom_kill (\d+)", text, re.M)
        return int(match.group(1)) if match else 0

    def anonymous(self):
        """Bytes of anonymous memory (no file behind it) the sandbox's processes hold (cgroups)."""
        if self.kind == "watchdog":
            return 0
        text = _read(self.folders["memory"] / "memory.stat")
        key = "anon" if self.kind == "cgroup v2" else "total_rss"
        match = re.search(rf"^{key} (\d+)", text, re.M)
        return int(match.group(1)) if match else 0

    def _over(self, oom_before):
        if self.kind != "watchdog":
            # With no swap, anonymous memory cannot be given back: at the limit, the
            # kernel takes the processes' code pages away and reads them in again, over
            # and over, for seconds before its OOM killer acts (a busy machine, cgroup v1).
            if self.oom_kills() > oom_before or self.anonymous() >= self.memory * FULL:
                return (f"its processes together went over the sandbox's {self.memory_text} "
                        f"memory limit")
            return None
        used = sum(_pss(pid) for pid in process_tree(self._root_pid))
        if used > self.memory:
            return (f"its processes together went over the sandbox's {self.memory_text} "
                    f"memory limit ({used >> 20} MB)")
        return None

    def kill(self):
        """SIGKILL every process of the sandbox."""
        if self.kind != "watchdog":
            for folder in set(self.folders.values()):
                _kill_cgroup(folder)
        elif self._root_pid is not None:
            for pid in reversed(process_tree(self._root_pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def remove(self):
        """Stop watching; kill what is left; remove the cgroup(s)."""
        self.stop()
        if self.kind == "watchdog":
            self.kill()
            return
        for folder in set(self.folders.values()):
            _remove_cgroup(folder)


def remove_stale(tmp=None):
    """Remove the scratch folders and cgroups of graders that are gone; return their paths.

    A grader killed with SIGKILL cannot clean up: its ``/tmp/course-sandbox-<pid>.<start>-*``
    folders and cgroups stay. Called when a grading run starts (``nbgrader_config.py``).
    Folders of live graders, and ones not named after their owner, are left alone.
    """
    removed = []
    tmp = Path(tmp or tempfile.gettempdir())
    _, parents, _ = detect()
    places = [(tmp, "folder")] + [(p, "cgroup") for p in dict.fromkeys(parents.values())]
    for place, what in places:
        try:
            entries = list(place.iterdir())
        except OSError:
            continue
        for path in entries:
            if owner_alive(path.name) is not False:
                continue
            if what == "cgroup":
                _remove_cgroup(path)
            else:
                shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
    if removed:
        print(f"course: removed {len(removed)} sandbox folder(s) and cgroup(s) left by grading "
              f"runs that were killed", file=sys.stderr)
    return removed
