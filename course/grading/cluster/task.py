"""What a Dask worker runs to grade: a scratch course of its own, built from the bundle.

On the worker, :func:`course_root` writes the driver's bundle
(:mod:`course.grading.cluster.bundle`) into a scratch course root
(``/tmp/course-sandbox-<pid>.<start>-cluster/<digest>``, removed by the next grading
run on that host when the worker is gone) with a SQLite gradebook of its own, once
per bundle digest. :func:`grade_submission` writes one student's files there and
grades them through the same path as ``course grade --jobs``: a long-lived grading
process (:class:`GradingProcess`, :mod:`course.grading.cluster.child`) that loaded the
course's configuration once and calls ``NbGraderAPI.autograde``
(:func:`course.grading.local.autograde_one`), with the sandboxed kernel
``nbgrader_config.py`` configures. The grading process is a child of the worker that
dies with it, and so do its kernels.

What comes back is JSON text (:func:`collect`): the autograded files as base64, per
notebook the points and comments nbgrader saved in the scratch gradebook, and what
grading met as records. No object a kernel made is pickled; the driver checks the
shape of the result before it writes anything.
"""

import base64
import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from course.grading.cluster.bundle import BUNDLE_VERSION, mismatch, safe_relative, versions

__all__ = ["course_root", "grade_submission", "check_worker", "GradingProcess", "collect",
           "WorkerMismatch"]

#: What one worker process keeps between tasks, under ``_lock``: a scratch course root
#: per bundle digest, and its idle grading processes.
_lock = threading.Lock()
_courses = {}    # bundle digest -> scratch course root
_idle = {}       # bundle digest -> [GradingProcess]


class WorkerMismatch(RuntimeError):
    """This worker cannot grade the bundle as the driver would (versions, packages, sandbox)."""


def scratch_base():
    """This worker process's scratch folder, named after it (``course.sandbox.cgroup.remove_stale``)."""
    from course.sandbox.cgroup import PREFIX, owner_tag

    base = Path(tempfile.gettempdir()) / f"{PREFIX}{owner_tag()}-cluster"
    base.mkdir(mode=0o700, exist_ok=True)
    # The name can be guessed (a pid and a start time): one made beforehand by somebody
    # else would let them read and replace what this worker grades.
    found = os.lstat(base)
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.geteuid() or \
            stat.S_IMODE(found.st_mode) & 0o077:
        raise WorkerMismatch(f"{base} is not this worker's own private folder (owner uid "
                             f"{found.st_uid}, mode {stat.S_IMODE(found.st_mode):o}); remove it "
                             f"and start the worker again")
    return base


def course_root(bundle):
    """The scratch course root of ``bundle`` on this worker, built once per digest."""
    with _lock:
        root = _courses.get(bundle["digest"])
        if root is not None and root.is_dir():
            return root
        root = scratch_base() / bundle["digest"][:16]
        shutil.rmtree(root, ignore_errors=True)
        for name, data in bundle["files"].items():
            path = root / safe_relative(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        _build_gradebook(root, bundle)
        _courses[bundle["digest"]] = root
        return root


def _db_url(root):
    return f"sqlite:///{root / 'gradebook.db'}?timeout=600"


def _build_gradebook(root, bundle):
    """A SQLite gradebook holding the assignment's cells exactly as the driver's does."""
    from datetime import datetime

    from nbgrader.api import Gradebook

    from course.grading.local import scripts_on_path

    assignment, cells = bundle["assignment"], bundle["cells"]
    due = datetime.fromisoformat(cells["duedate"]) if cells["duedate"] else None
    if bundle["schema"]:
        _create_tables(root, bundle["schema"])
    with scripts_on_path(), Gradebook(_db_url(root), bundle["course_id"]) as gb:
        gb.add_assignment(assignment, duedate=due)
        for nb in cells["notebooks"]:
            gb.add_notebook(nb["name"], assignment)
            for cell in nb["grade_cells"]:
                gb.add_grade_cell(cell["name"], nb["name"], assignment,
                                  max_score=cell["max_score"], cell_type=cell["cell_type"])
            for name in nb["solution_cells"]:
                gb.add_solution_cell(name, nb["name"], assignment)
            for cell in nb["task_cells"]:
                gb.add_task_cell(cell["name"], nb["name"], assignment,
                                 max_score=cell["max_score"], cell_type=cell["cell_type"])
            for cell in nb["source_cells"]:
                gb.add_source_cell(cell["name"], nb["name"], assignment, **{
                    k: cell[k] for k in ("cell_type", "locked", "source", "checksum")})


def _create_tables(root, schema):
    """An empty gradebook of nbgrader's tables, stamped with the driver's ``schema`` revision.

    What ``Gradebook`` does for a new database, but with the revision the driver's
    gradebook holds (the same nbgrader, checked by :func:`mismatch`): nbgrader
    asks for it by running ``alembic heads``, a second of CPU on every worker.
    """
    from nbgrader.api import Base
    from sqlalchemy import create_engine, text

    engine = create_engine(_db_url(root))
    try:
        with engine.begin() as db:
            Base.metadata.create_all(bind=db)
            db.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            db.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": schema})
    finally:
        engine.dispose()


class ChildDied(RuntimeError):
    """The grading process ended while it worked (killed, out of memory)."""


class GradingProcess:
    """A long-lived grading process for one scratch course: ``python -m course.grading.cluster.child``.

    It loads the course's nbgrader configuration once, as a ``course grade``
    worker does, and answers one JSON request per line: ``check`` (the sandbox
    and the grading kernel, before anyone is graded) and ``grade``.
    """

    def __init__(self, root):
        from course.sandbox.lifetime import guarded

        self.root = Path(root)
        threads = max(1, len(os.sched_getaffinity(0)) // _worker_threads())
        # The same interpreter and packages as this worker; its own session, so that a
        # signal meant for the worker's group is not the first thing it sees.
        self.proc = subprocess.Popen(guarded(
            [sys.executable, "-m", "course.grading.cluster.child", str(self.root), _db_url(self.root),
             str(threads)]), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, cwd=self.root)

    def request(self, **message):
        try:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError) as error:
            raise ChildDied(f"the grading process could not be reached ({error})") from None
        if not line:
            code = self.proc.wait()
            raise ChildDied(f"the grading process ended (exit {code}) while it graded")
        return json.loads(line)

    @property
    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _worker_threads():
    """Tasks this Dask worker runs at once (1 outside a worker)."""
    try:
        from distributed import get_worker

        return max(1, get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return 1


@contextlib.contextmanager
def _grading_process(bundle, root):
    """An idle grading process of this scratch course (a new one if none is idle)."""
    with _lock:
        idle = _idle.setdefault(bundle["digest"], [])
        child = idle.pop() if idle else None
    if child is None or not child.alive:
        child = GradingProcess(root)
    try:
        yield child
    finally:
        if child.alive:
            with _lock:
                _idle[bundle["digest"]].append(child)


def check_worker(bundle):
    """Whether this worker can grade ``bundle``: JSON text ``{"worker", "problem", "versions"}``.

    Run once on every worker before anyone is graded: the versions and packages
    agree with the driver's, the sandbox runs, and a grading kernel started in the
    scratch course imports the course's helpers and runs each notebook's locked
    imports cell (``course.autograde.readiness``), as a local run checks before grading.
    """
    import socket

    why = mismatch(bundle)
    if why is None:
        root = course_root(bundle)
        try:
            with _grading_process(bundle, root) as child:
                why = child.request(op="check", assignment=bundle["assignment"])["problem"]
        except ChildDied as error:
            why = str(error)
    return json.dumps({"worker": socket.gethostname(), "problem": why, "versions": versions()})


def _write_submission(root, folder, files):
    """Write a student's files (``{relative path: bytes, or {"link": target}}``) into ``folder``.

    A symbolic link handed in stays a link, so that grading treats it as local
    grading does (its copy left out, one line; a notebook that is a link not
    graded); its target named a path on the driver's machine, so here it points
    to a stand-in of the scratch course: the release's notebook of that name, or
    an empty file.
    """
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    empty = root / ".link-stand-in"
    empty.touch()
    for name, data in files.items():
        path = folder / safe_relative(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, dict):
            release = folder.parents[2] / "release" / folder.name / path.name
            path.symlink_to(release if path.suffix == ".ipynb" and release.is_file() else empty)
        else:
            path.write_bytes(data)


def grade_submission(bundle, student, files):
    """Grade one student's ``files`` in this worker's scratch course; JSON text (:func:`collect`)."""
    why = mismatch(bundle)
    if why:
        raise WorkerMismatch(why)
    root = course_root(bundle)
    assignment = bundle["assignment"]
    submitted = root / "submitted" / safe_relative(student) / assignment
    _write_submission(root, submitted, files)
    start = time.perf_counter()
    try:
        with _grading_process(bundle, root) as child:
            outcome = child.request(op="grade", assignment=assignment, student=student)
    except ChildDied as error:
        outcome = {"student": student, "success": False, "seconds": time.perf_counter() - start,
                   "log": f"[ERROR] {error}", "stopped": "", "reason": str(error),
                   "problems": []}
    try:
        return json.dumps(collect(root, bundle, student, outcome))
    finally:
        _forget(root, assignment, student)


def _forget(root, assignment, student):
    """Remove the student's files and rows from the scratch course (the next is someone else)."""
    from nbgrader.api import Gradebook, MissingEntry

    for step in ("submitted", "autograded"):
        shutil.rmtree(root / step / student, ignore_errors=True)
    with Gradebook(_db_url(root)) as gb, contextlib.suppress(MissingEntry):
        gb.remove_submission(assignment, student)
        gb.remove_student(student)


def collect(root, bundle, student, outcome):
    """What goes back to the driver: the outcome, the autograded files, the gradebook's rows."""
    from nbgrader.api import Gradebook, MissingEntry

    from course.autograde.run import MARKER

    assignment = bundle["assignment"]
    submitted = root / "submitted" / student / assignment
    autograded = root / "autograded" / student / assignment
    notebooks = {}
    with Gradebook(_db_url(root)) as gb:
        for nb in bundle["cells"]["notebooks"]:
            name = nb["name"]
            try:
                found = gb.find_submission_notebook(name, assignment, student)
            except MissingEntry:   # grading stopped before nbgrader made the submission
                notebooks[name] = {"status": "untouched", "grades": {}, "comments": {},
                                   "late_penalty": None}
                continue
            graded = outcome["success"] and (autograded / f"{name}.ipynb").is_file()
            # nbgrader zeroes a notebook not handed in, unless it stopped before (no
            # notebook of the submission known to it, say): then its rows stay as they were
            zeroed = not (submitted / f"{name}.ipynb").is_file() and found.grades and all(
                g.auto_score == 0 and not g.needs_manual_grade for g in found.grades)
            status = "graded" if graded else ("missing" if zeroed else "untouched")
            notebooks[name] = {
                "status": status,
                "grades": {g.name: {"auto_score": g.auto_score,
                                    "needs_manual_grade": bool(g.needs_manual_grade)}
                           for g in found.grades},
                "comments": {c.name: c.auto_comment for c in found.comments},
                "late_penalty": found.late_submission_penalty,
            }
    source = {name.split("/", 2)[2]: data for name, data in bundle["files"].items()
              if name.startswith(f"source/{assignment}/")}
    files, from_source = {}, []
    if outcome["success"] and autograded.is_dir():
        for path in sorted(autograded.rglob("*")):
            rel = path.relative_to(autograded).as_posix()
            if path.is_symlink() or not path.is_file() or path.name == MARKER:
                continue
            data = path.read_bytes()
            if source.get(rel) == data:
                from_source.append(rel)   # the driver copies its own
            else:
                files[rel] = base64.b64encode(data).decode("ascii")
    return {"version": BUNDLE_VERSION, "student": student, "digest": bundle["digest"],
            "success": bool(outcome["success"]), "seconds": float(outcome["seconds"]),
            "log": outcome["log"], "stopped": outcome["stopped"], "reason": outcome["reason"],
            "problems": list(outcome["problems"]), "notebooks": notebooks,
            "files": files, "from_source": from_source}
