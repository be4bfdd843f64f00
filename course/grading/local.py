"""Autograde a class in parallel: nbgrader's own autograde, one submission per task.

nbgrader grades one notebook at a time and says nothing until it is done
(its issues #174 and #1456). :func:`grade` hands the students of
``submitted/`` to N worker processes. Each worker loads the course's
configuration once, as ``nbgrader autograde`` does, then grades one student
after another through ``NbGraderAPI.autograde``, the call behind the
formgrader's "autograde" button: the same converter, preprocessors and kernel
settings (a sandboxed kernel configured in ``nbgrader_config.py`` applies), so
the grades are the ones sequential ``nbgrader autograde`` gives. A long-lived
worker pays nbgrader's start-up (seconds of imports) once, not per student.

The gradebook is whatever ``CourseDirectory.db_url`` names. SQLite, the
default, lets one writer in at a time: workers wait for the lock (a long
``timeout`` is added to the URL) instead of failing on "database is locked".
With PostgreSQL, graders on several machines can share one gradebook, each
grading a shard of the class (``students=``).
"""

import contextlib
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.engine import make_url

from course.autograde import readiness
from course import pipeline
from course.sandbox.cgroup import owner_tag
from course.sandbox.kernel import THREAD_ENV
from course.grading.forkserver import context as worker_context

#: Seconds a worker waits for SQLite's write lock before giving up.
SQLITE_TIMEOUT = 600


class GradeError(ValueError):
    """The class cannot be graded as asked (unknown students, no assignment...)."""


@dataclass
class Graded:
    """One submission's autograde, as records (:mod:`course.autograde.outcomes`)."""

    student: str
    success: bool
    seconds: float
    log: str = ""   # nbgrader's log, for people: nothing is read back from it
    stopped: str = ""   # why grading stopped, when the grader itself was at fault
    problems: list = field(default_factory=list)   # one line each: what grading met
    reason: str = ""   # why the submission failed to grade ("" when it was graded)


def default_jobs():
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def kernel_threads(workers):
    """BLAS/OpenMP threads for each worker's kernels: the cores shared out, at least one.

    Without a limit every kernel starts one OpenBLAS thread per core, and
    kernels graded side by side fight over the cores (the threads spin).

    >>> kernel_threads(default_jobs() * 2)
    1
    """
    return max(1, default_jobs() // workers)


def worker_db_url(url):
    """``url`` as the workers use it: SQLite gets a lock timeout, others are unchanged.

    >>> worker_db_url("sqlite:////course/gradebook.db")
    'sqlite:////course/gradebook.db?timeout=600'
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or "timeout" in parsed.query:
        return url
    return parsed.update_query_dict({"timeout": str(SQLITE_TIMEOUT)}).render_as_string(
        hide_password=False)


def select_students(root, students=None, assignment=pipeline.ASSIGNMENT):
    """The students to grade: those of ``submitted/`` (or of the shard asked for) who
    handed in a notebook of ``assignment``; the others are not submitted
    (:func:`nothing_handed_in` says what their folder holds).

    Raises
    ------
    GradeError
        If a student of the shard has no folder in ``submitted/``, or nobody
        handed in a notebook.
    """
    from course.gradebook.scores import handed_in

    submitted = pipeline.students(root)
    if students is None:
        chosen = [s for s in submitted if handed_in(root, assignment, s)]
        if not chosen:
            raise GradeError(f"{Path(root) / 'submitted'} holds no notebook of {assignment}")
        return chosen
    missing = [s for s in students if s not in submitted]
    if missing:
        raise GradeError(f"no submission in submitted/ for {', '.join(missing)} "
                         f"({len(submitted)} students handed in)")
    return [s for s in dict.fromkeys(students) if handed_in(root, assignment, s)]


def nothing_handed_in(root, assignment, students):
    """``{student: what their folder holds}`` for those of ``students`` with no notebook."""
    from course.gradebook.scores import handed_in

    found = {}
    for student in students:
        if handed_in(root, assignment, student):
            continue
        folder = Path(root) / "submitted" / student / assignment
        names = sorted(p.name for p in folder.iterdir())[:5] if folder.is_dir() else None
        found[student] = (f"no {assignment} folder" if names is None else
                          f"found {', '.join(names)}" if names else "an empty folder")
    return found


def require_assignment(url, assignment):
    """Raise GradeError, naming what the gradebook at ``url`` holds, unless it has ``assignment``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise GradeError(f"no gradebook at {parsed.database}; run `course release` first")
    with scripts_on_path(), Gradebook(url) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            from course.gradebook.scores import not_in_gradebook

            known = [a.name for a in gb.assignments]
            raise GradeError(not_in_gradebook("assignment", assignment, known,
                                              f"the gradebook {parsed}")
                             + ("" if known else "; run `course release` first")) from None


def prepare_gradebook(url, assignment, students):
    """Check the assignment is in the gradebook and add the students up front.

    Adding them here, in one process, keeps the workers from racing to
    create the same rows.
    """
    require_assignment(url, assignment)
    with scripts_on_path(), Gradebook(url) as gb:
        for student in students:
            gb.update_or_create_student(student)


@contextlib.contextmanager
def scripts_on_path():
    """This environment's scripts first on PATH: nbgrader runs `alembic` by name."""
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])
    try:
        yield
    finally:
        os.environ["PATH"] = saved


def grade(root, assignment=pipeline.ASSIGNMENT, *, jobs=None, students=None, on_done=None):
    """Autograde every submission (or ``students``) with ``jobs`` worker processes.

    Parameters
    ----------
    root : path-like
        The course root, holding ``nbgrader_config.py`` and ``submitted/``.
    assignment : str
    jobs : int, optional
        Worker processes; default :func:`default_jobs`.
    students : list of str, optional
        Grade only these (a shard of the class); default: all of ``submitted/``.
    on_done : callable, optional
        Called with each :class:`Graded` as soon as it is known (progress).

    Returns
    -------
    list of Graded
        In the order of ``students``.
    """
    root = Path(root).resolve()
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise GradeError(f"jobs must be at least 1, got {jobs}")
    students = select_students(root, students, assignment)
    url = worker_db_url(pipeline.db_url(root))
    prepare_gradebook(url, assignment, students)   # an unknown assignment is named here
    if not students:
        return []
    checked = check_grader(root, url, assignment)
    outcomes = {}
    for student, why in check_deadlines(root, url, assignment, students).items():
        outcomes[student] = Graded(student, False, 0.0, reason=why)
        if on_done is not None:
            on_done(outcomes[student])
    todo = [s for s in students if s not in outcomes]
    if not todo:
        return [outcomes[s] for s in students]
    workers = min(jobs, len(todo))
    with ProcessPoolExecutor(workers, mp_context=worker_context(),
                             initializer=start_worker,
                             initargs=(str(root), url, kernel_threads(workers), checked,
                                       owner_tag())) as pool:
        futures = {pool.submit(autograde_one, assignment, s): s for s in todo}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as error:  # the worker itself died (killed, out of memory)
                outcome = Graded(futures[future], False, 0.0, f"worker failed: {error!r}")
            if outcome.stopped:   # the grader's own fault: nobody else is graded
                pool.shutdown(wait=False, cancel_futures=True)
                raise GradeError(outcome.stopped)
            outcomes[outcome.student] = outcome
            if on_done is not None:
                on_done(outcome)
    return [outcomes[s] for s in students]


def check_grader(root, url, assignment):
    """Start the run (:func:`course.autograde.run.start_run`: recovery, and the one readiness
    check, raised as GradeError naming the fix); return the key that tells the workers
    the kernel check passed."""
    from course.autograde.execute import GradingFault
    from course.autograde.outcomes import collecting
    from course.autograde.run import start_run
    from traitlets.log import get_logger

    log = get_logger()
    with scripts_on_path(), collecting(log) as run:
        try:
            start_run(root, readiness.course_config(root), assignment, url, log)
        except GradingFault:
            raise GradeError(run.stopped) from None
    return readiness.check_key(root, assignment)


def check_deadlines(root, url, assignment, students):
    """The students whose ``timestamp.txt`` nbgrader cannot read: ``{student: why}``.

    nbgrader 0.9.6 stops on such a file with an AttributeError of its own (its
    ``CourseDirectory.get_existing_timestamp`` calls a ``fail`` it does not have),
    which would read as a fault of the submission; they are not graded, and the
    line says which file and what to do. First the deadline settings are read
    (the configured due date, the extensions file, the late policy), so that a
    mistake there stops the run before anyone is graded.

    Raises
    ------
    GradeError
        If the deadline settings cannot be read.
    """
    from course.gradebook import deadlines
    from course.gradebook.extensions import ExtensionError

    with scripts_on_path(), Gradebook(url) as gb:
        try:
            deadlines.Rules.load(root, gb, assignment)
        except (deadlines.DeadlineError, ExtensionError) as error:
            raise GradeError(str(error)) from None
    refused = {}
    for student in students:
        why = deadlines.unreadable_by_nbgrader(Path(root) / "submitted" / student / assignment,
                                               f"submitted/{student}/{assignment}")
        if why:
            refused[student] = why
    return refused


# --- inside a worker process -------------------------------------------------

_api = None


def start_worker(root, url, threads, checked, owner=None):
    """Load the course's nbgrader configuration, as ``nbgrader autograde`` would.

    ``owner``: the run's process (:func:`course.sandbox.cgroup.owner_tag`), which this
    worker dies with (:func:`course.sandbox.lifetime.die_with_run`); None where the
    worker's process sees to that itself (a Dask worker's grading process).
    """
    global _api
    if owner is not None:
        from course.sandbox.lifetime import die_with_run

        die_with_run(owner)
    os.environ[readiness.CHECKED_ENV] = checked   # the driver ran the kernel check
    from course.autograde import interrupt

    interrupt.install()
    # Kernels started without the sandbox inherit this environment; the
    # sandbox sets its own (SandboxKernelManager.threads).
    for name in THREAD_ENV:
        os.environ.setdefault(name, str(threads))
    from nbgrader.apps import NbGraderAPI
    from nbgrader.apps.baseapp import NbGrader  # both already imported by the forkserver

    os.chdir(root)  # nbgrader reads nbgrader_config.py from the current folder
    # What nbgrader logs comes back with each Graded; the kernels' and
    # SQLAlchemy's chatter on the inherited stdout/stderr would only break
    # up the progress bar.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    # nbgrader runs `alembic` by name: this environment's scripts come first.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent),
                                          os.environ.get("PATH", "")])
    app = NbGrader()
    app.initialize([f"--CourseDirectory.root={root}", f"--CourseDirectory.db_url={url}",
                    "--GradingRunExporter.started=True"])   # by the driver: start_run
    _api = NbGraderAPI(coursedir=app.coursedir, parent=app)


def autograde_one(assignment, student):
    from traitlets.log import get_logger

    from course.autograde.outcomes import collecting

    start = time.perf_counter()
    with collecting(get_logger()) as run:
        result = _api.autograde(assignment, student, force=True, create=True)
    success = bool(result["success"])
    reason = "" if success else (run.stopped or run.ungradable or run.failure or
                                 "nbgrader could not grade the submission (see its log)")
    problems = [f.line for f in run.findings if f.kind == "problem" and f.text != reason]
    return Graded(student, success, time.perf_counter() - start,
                  result.get("log", "") + result.get("error", ""), run.stopped, problems,
                  reason)
