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

from . import kernel_check, pipeline
from .sandbox import THREAD_ENV
from .workers import context as worker_context

#: Seconds a worker waits for SQLite's write lock before giving up.
SQLITE_TIMEOUT = 600


class GradeError(ValueError):
    """The class cannot be graded as asked (unknown students, no assignment...)."""


@dataclass
class Outcome:
    """One submission's autograde."""

    student: str
    success: bool
    seconds: float
    log: str = ""   # nbgrader's log, and the traceback when it failed
    stopped: str = ""   # why grading stopped, when the grader itself was at fault
    problems: list = field(default_factory=list)   # one line each: what grading met

    @property
    def reason(self):
        """Why the submission failed to grade, in one line ("" when it was graded)."""
        return "" if self.success else failure_reason(self.log)


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


def select_students(root, students=None):
    """The students to grade: all of ``submitted/``, or the shard asked for.

    Raises
    ------
    GradeError
        If a student of the shard handed nothing in, or nobody did.
    """
    submitted = pipeline.students(root)
    if students is None:
        if not submitted:
            raise GradeError(f"{Path(root) / 'submitted'} holds no submission")
        return submitted
    missing = [s for s in students if s not in submitted]
    if missing:
        raise GradeError(f"no submission in submitted/ for {', '.join(missing)} "
                         f"({len(submitted)} students handed in)")
    return list(dict.fromkeys(students))


def prepare_gradebook(url, assignment, students):
    """Check the assignment is in the gradebook and add the students up front.

    Adding them here, in one process, keeps the workers from racing to
    create the same rows.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise GradeError(f"no gradebook at {parsed.database}; run `course release` first")
    with _scripts_on_path(), Gradebook(url) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            known = sorted(a.name for a in gb.assignments)
            raise GradeError(f"assignment {assignment!r} is not in the gradebook {parsed}; "
                             f"it holds {', '.join(map(repr, known)) or 'no assignment'}"
                             f"{'' if known else '; run `course release` first'}") from None
        for student in students:
            gb.update_or_create_student(student)


@contextlib.contextmanager
def _scripts_on_path():
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
        Called with each :class:`Outcome` as soon as it is known (progress).

    Returns
    -------
    list of Outcome
        In the order of ``students``.
    """
    root = Path(root).resolve()
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise GradeError(f"jobs must be at least 1, got {jobs}")
    students = select_students(root, students)
    url = worker_db_url(pipeline.db_url(root))
    prepare_gradebook(url, assignment, students)
    checked = check_grader(root, url, assignment)
    outcomes = {}
    workers = min(jobs, len(students))
    with ProcessPoolExecutor(workers, mp_context=worker_context(),
                             initializer=_start_worker,
                             initargs=(str(root), url, kernel_threads(workers), checked)) as pool:
        futures = {pool.submit(_autograde, assignment, s): s for s in students}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as error:  # the worker itself died (killed, out of memory)
                outcome = Outcome(futures[future], False, 0.0, f"worker failed: {error!r}")
            if outcome.stopped:   # the grader's own fault: nobody else is graded
                pool.shutdown(wait=False, cancel_futures=True)
                raise GradeError(outcome.stopped)
            outcomes[outcome.student] = outcome
            if on_done is not None:
                on_done(outcome)
    return [outcomes[s] for s in students]


def check_grader(root, url, assignment):
    """Raise GradeError naming the fix if the grader cannot grade ``assignment`` here.

    The same checks as an autograde run's (``course.recovery``), made once, before
    any worker starts: the sandbox can run, every test cell of the gradebook has
    a spec in ``course/specs/<assignment>.py``, and the grading kernel imports the course's
    helpers and runs the locked cells (``course.kernel_check``). Returns the key
    that tells the workers the kernel check passed.
    """
    from .judge import spec as specs
    from .sandbox import problem

    config = _config(root)
    why = problem()
    if why and config.SandboxedExecute.get("sandbox", True):
        raise GradeError(why)
    with _scripts_on_path(), Gradebook(url) as gb:
        try:
            specs.require_gradebook(gb, assignment,
                                    spec_path=config.SandboxedExecute.get("spec_path", []))
        except specs.MissingTestCell as error:
            raise GradeError(str(error)) from None
    why = kernel_check.kernel_problem(root, assignment, config)
    if why:
        raise GradeError(why)
    return kernel_check.check_key(root, assignment)


def _config(root):
    """The course's nbgrader configuration."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def problems(log, student):
    """The lines of ``log`` that name what grading met in ``student``'s submission.

    They are the submission preflight's (``course.preflight``) and the sandbox's
    reports, logged as ``student <id>: ...`` or ``<id> (<notebook>): ...``.
    """
    found = []
    for line in log.splitlines():
        level, _, text = line.partition("] ")
        if level.lstrip("[") not in ("WARNING", "ERROR") or not text:
            continue
        if text.startswith(f"student {student}: "):
            found.append(text.removeprefix("student "))
        elif text.startswith(f"{student} (") and "): " in text:
            found.append(text)
    return found


#: nbgrader's closing lines, which say only that something failed.
_GENERIC = ("There was an error processing assignment", "Please see the")
_NBGRADER_EXCEPTION = "nbgrader.converters.base.NbGraderException: "


def failure_reason(log):
    """One line from nbgrader's ``log`` of a failed autograde: the error that stopped it.

    nbgrader logs the traceback of the error and then lines that say only that it
    failed; the reason is the traceback's last line (the exception and its message).
    """
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.endswith("Traceback (most recent call last):")]
    for start in reversed(starts):
        block = lines[start + 1:]
        end = next((i for i, line in enumerate(block) if line.startswith("[")), len(block))
        exception = (block[end - 1] if end else "").removeprefix(_NBGRADER_EXCEPTION)
        if exception and not exception.startswith(_GENERIC):
            return exception
    errors = [line for line in lines if line.startswith(("[ERROR]", "[CRITICAL]"))
              and not any(g in line for g in _GENERIC)]
    return errors[-1] if errors else (lines[-1] if lines else "nbgrader logged nothing")


def stop_line(log, error):
    """Why the grader stopped (its own fault), from nbgrader's ``log`` and ``error`` traceback.

    Only a run that ended with the grader's own exit (``GradingFault``,
    ``SandboxUnavailableExit``) stopped; its reason is the one critical log line.
    Text of a student's reaches the log escaped, on lines of its own level.
    """
    from .execute import STOPPED

    last = error.strip().splitlines()[-1] if error.strip() else ""
    if not last.startswith(("course.execute.GradingFault", "course.execute.SandboxUnavailableExit")):
        return ""
    prefix = f"[CRITICAL] {STOPPED}"
    return next((line[len(prefix):] for line in log.splitlines() if line.startswith(prefix)),
                "the grader stopped (see nbgrader's log)")


# --- inside a worker process -------------------------------------------------

_api = None


def _start_worker(root, url, threads, checked):
    """Load the course's nbgrader configuration, as ``nbgrader autograde`` would."""
    global _api
    os.environ[kernel_check.CHECKED_ENV] = checked   # the driver ran the kernel check
    # Kernels started without the sandbox inherit this environment; the
    # sandbox sets its own (SandboxKernelManager.threads).
    for name in THREAD_ENV:
        os.environ.setdefault(name, str(threads))
    from nbgrader.apps import NbGraderAPI
    from nbgrader.apps.baseapp import NbGrader  # both already imported by the forkserver

    os.chdir(root)  # nbgrader reads nbgrader_config.py from the current folder
    # What nbgrader logs comes back with each Outcome; the kernels' and
    # SQLAlchemy's chatter on the inherited stdout/stderr would only break
    # up the progress bar.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    # nbgrader runs `alembic` by name: this environment's scripts come first.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent),
                                          os.environ.get("PATH", "")])
    app = NbGrader()
    app.initialize([f"--CourseDirectory.root={root}", f"--CourseDirectory.db_url={url}"])
    _api = NbGraderAPI(coursedir=app.coursedir, parent=app)


def _autograde(assignment, student):
    start = time.perf_counter()
    result = _api.autograde(assignment, student, force=True, create=True)
    log, error = result.get("log", ""), result.get("error", "")
    return Outcome(student, bool(result["success"]), time.perf_counter() - start, log + error,
                   stop_line(log, error), problems(log, student))
