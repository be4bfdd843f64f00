"""``course grade --scheduler``: grade on a Dask cluster, with no file system shared.

The driver (this process, on the machine that holds the course root) connects
to a Dask scheduler, sends the assignment once (:func:`course.grading.cluster.task.
make_bundle`, a task of its own that each worker fetches once and keeps,
recomputed if the worker holding it is lost), checks on every worker that it
can grade as the driver would (versions, the course's packages, the sandbox and
a grading kernel: :func:`course.grading.cluster.task.check_worker`), and only then
submits one task per submission, keyed by assignment, student and the digest of
what is graded (:func:`task_key`). Each task carries the student's files as
bytes and returns JSON text, which :func:`validate` checks before
:func:`record` writes anything: the autograded folder (written aside, then
moved into place) and the gradebook's rows through nbgrader's ``Gradebook``,
as nbgrader's ``SaveAutoGrades`` and ``AssignLatePenalties`` would.

Faults: a worker lost mid-task (SIGKILL, a host gone) is Dask's to handle: the
scheduler runs the task again elsewhere (``distributed.scheduler.allowed-failures``
times), and the driver writes each student once, when the task's one result
arrives. A student's endless loop or crash is the sandboxed kernel's, inside the
task, and costs cells, never a retry (tasks are submitted with ``retries=0``).
A scheduler that cannot be reached, or is lost, stops the run with one line
within :data:`LOST_AFTER` seconds; what was written stays written (each student
whole), and running the command again grades only who is not graded yet
(``force`` grades everyone).
"""

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import math
import os
import shutil
import ssl
import tempfile
import time
from pathlib import Path

from course import pipeline
from course.grading.local import (GradeError, Graded, check_deadlines, prepare_gradebook,
                                  scripts_on_path, select_students)

__all__ = ["grade", "connect", "task_key", "validate", "record", "graded_already",
           "submission_files", "MalformedResult", "CONNECT_TIMEOUT", "LOST_AFTER"]

#: Seconds to reach the scheduler (or for its scheduler file to appear).
CONNECT_TIMEOUT = 20
#: Seconds to wait for a first worker to join.
WORKER_TIMEOUT = 60
#: Seconds without the scheduler after which a run stops.
LOST_AFTER = 20
#: The most a result may carry (the autograded files, base64).
MAX_RESULT_CHARS = 256 << 20


class MalformedResult(GradeError):
    """A worker sent back something that is not a grading result: the grader's fault."""


def _where(address, scheduler_file):
    return address or f"the scheduler named in {scheduler_file}"


def _address_in(scheduler_file):
    """The address a scheduler file names, or None if it cannot be read (Client will say)."""
    try:
        address = json.loads(Path(scheduler_file).read_text())["address"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return address if isinstance(address, str) else None


def _client_tls(security):
    """Whether ``security`` gives this client a TLS context (a CA, a certificate and its key)."""
    if security is None:
        return False
    try:
        return security.get_connection_args("client").get("ssl_context") is not None
    except (OSError, ValueError) as error:   # ssl.SSLError is an OSError: a key of another cert
        raise GradeError(f"cannot load this client's TLS certificate and key "
                         f"({type(error).__name__}: {error}); check --tls-cert and --tls-key "
                         f"(PEM files, the key of that certificate)") from None


def _check_protocol(address, where, security):
    """GradeError if the scheduler's protocol and this client's TLS settings do not go together.

    Checked before connecting: distributed would raise TypeError or RuntimeError
    and then hang for 20 s or more when the half-made client is collected.
    """
    tls = _client_tls(security)
    if address is None:
        return
    named = "" if address == where else f" ({address})"
    if address.startswith("tls://") and not tls:
        raise GradeError(f"the Dask scheduler at {where} speaks TLS{named}: give "
                         f"--tls-ca-file (the CA that signed the scheduler's certificate), "
                         f"--tls-cert and --tls-key (this client's certificate and key)")
    if not address.startswith("tls://") and security is not None and security.require_encryption:
        raise GradeError(f"TLS was asked for (--tls-*), but the scheduler's address {address} "
                         f"is not tls://: give the scheduler's tls:// address, or leave out "
                         f"the --tls-* options")


def _connect_error(error, address, where, security, timeout):
    """The one line that says why connecting failed, and what to do."""
    text = (str(error).splitlines() or [""])[0][:200]
    tls = bool(address and address.startswith("tls://"))
    cause = error.__cause__
    if tls and (isinstance(cause, ssl.SSLCertVerificationError) or "certificate does not match" in text):
        why = getattr(cause, "verify_message", "") or "not signed by it"
        return GradeError(f"the Dask scheduler at {where} presented a TLS certificate that "
                          f"{security.tls_ca_file} does not vouch for ({why}): give "
                          f"--tls-ca-file the CA that signed the scheduler's certificate")
    if tls and ("SSL" in text or "TLS" in text):
        reason = text.rsplit(">: ", 1)[-1]   # distributed's text starts with the connection
        return GradeError(f"the Dask scheduler at {where} closed the TLS connection "
                          f"({reason}): it does not accept this client's "
                          f"certificate ({security.tls_client_cert}); give --tls-cert and "
                          f"--tls-key a certificate signed by the CA the scheduler trusts "
                          f"(its --tls-ca-file)")
    after = f" within {timeout} s" if isinstance(error, TimeoutError) or "Timed out" in text else ""
    return GradeError(f"cannot reach the Dask scheduler at {where}{after} "
                      f"({type(error).__name__}: {text}); is it running (`dask scheduler`), "
                      f"and is the address right (tls:// for a scheduler that speaks TLS)?")


def _refuse_fast(address, where):
    """GradeError at once if nothing listens at the scheduler's address.

    distributed retries a refused connection until its timeout (20 s and more);
    a refusal is an answer already: nothing listens there.
    """
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(address or "")
        host, port = parts.hostname, parts.port
    except ValueError:
        return   # distributed says what is wrong with the address
    if not host or not port:
        return
    try:
        socket.create_connection((host, port), timeout=5).close()
    except ConnectionRefusedError:
        raise GradeError(f"the Dask scheduler at {where} refused the connection: nothing "
                         f"listens on {host}:{port}; is the scheduler running "
                         f"(`dask scheduler`), and is the port right?") from None
    except OSError:
        return   # unreachable or slow: distributed waits its timeout and says so


def connect(address=None, scheduler_file=None, security=None, timeout=CONNECT_TIMEOUT):
    """A ``distributed.Client`` of the scheduler, or GradeError saying why not, in one line."""
    from distributed import Client

    if address and "://" not in address:
        raise GradeError(f"--scheduler {address!r} is not a scheduler address; expected "
                         f"tcp://HOST:PORT (or tls://HOST:PORT), as `dask scheduler` prints")
    where = _where(address, scheduler_file)
    if address:
        _check_protocol(address, where, security)
    deadline = time.monotonic() + timeout   # a scheduler started a moment ago writes it soon
    while scheduler_file and not Path(scheduler_file).is_file() and time.monotonic() < deadline:
        time.sleep(0.5)
    if scheduler_file and not Path(scheduler_file).is_file():
        raise GradeError(f"no scheduler file at {scheduler_file} after {timeout} s; start the "
                         f"scheduler with "
                         f"`dask scheduler --scheduler-file {scheduler_file}`, or give "
                         f"--scheduler tcp://HOST:PORT")
    target = address or _address_in(scheduler_file)
    if not address:
        _check_protocol(target, where, security)
    _refuse_fast(target, where)
    try:
        return Client(address, scheduler_file=scheduler_file, security=security,
                      timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise _connect_error(error, target, where, security, timeout) from None


def submission_files(folder):
    """A student's files as ``{relative path: bytes}``; a symbolic link as ``{"link": target}``.

    Links are sent as links, never followed here: their target is on this
    machine (the solutions, say), and the worker's grading deletes them as
    local grading does.
    """
    folder = Path(folder)
    files = {}
    for here, dirs, names in os.walk(folder):
        for name in sorted(dirs + names):
            path = Path(here) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                files[rel] = {"link": os.readlink(path)}
            elif path.is_file():
                files[rel] = path.read_bytes()
        dirs[:] = sorted(d for d in dirs if not (Path(here) / d).is_symlink())
    return files


def task_key(assignment, student, bundle_digest, files):
    """The task's key: assignment, student and a digest of what is graded with what.

    The same work gets the same key, run after run, so that Dask (and anyone
    reading its dashboard) recognises it.
    """
    h = hashlib.sha256(bundle_digest.encode())
    for name in sorted(files):
        data = files[name]
        data = json.dumps(data).encode() if isinstance(data, dict) else data
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return f"grade-{assignment}-{student}-{h.hexdigest()[:16]}"


def graded_already(root, url, assignment, students):
    """The students whose submission is graded: autograded folder whole, gradebook row there."""
    from nbgrader.api import Gradebook

    from course.autograde.run import MARKER

    with scripts_on_path(), Gradebook(url) as gb:
        known = {s.student.id for s in gb.assignment_submissions(assignment)}
    done = []
    for student in students:
        submitted = Path(root) / "submitted" / student / assignment
        autograded = Path(root) / "autograded" / student / assignment
        notebooks = [p.name for p in submitted.glob("*.ipynb")]
        if student in known and autograded.is_dir() and not (autograded / MARKER).exists() \
                and all((autograded / name).is_file() for name in notebooks):
            done.append(student)
    return done


# --- what a worker sends back ----------------------------------------------------------

def _fail(student, what):
    raise MalformedResult(f"a worker sent back a malformed result for {student} ({what}); "
                          f"nothing of it was written: check that every worker runs the "
                          f"driver's course package (`course worker-check`)")


def _number_or_none(value, maximum):
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                             and math.isfinite(value) and -1e-9 <= value <= maximum + 1e-9)


def validate(text, student, digest, cells):
    """The result of ``student``'s task, checked against the assignment's ``cells``.

    Parameters
    ----------
    text : str
        What the task returned (JSON text).
    digest : str
        The bundle the driver sent.
    cells : dict
        ``course.grading.cluster.bundle.assignment_cells`` of the driver's gradebook.

    Raises
    ------
    MalformedResult
        Naming the first thing that is not as a grading result must be.
    """
    if not isinstance(text, str) or len(text) > MAX_RESULT_CHARS:
        _fail(student, f"not JSON text of at most {MAX_RESULT_CHARS} characters")
    try:
        result = json.loads(text)
    except ValueError as error:
        _fail(student, f"not JSON: {error}")
    keys = {"version", "student", "digest", "success", "seconds", "log", "stopped", "reason",
            "problems",
            "notebooks", "files", "from_source"}
    if not isinstance(result, dict) or set(result) != keys:
        _fail(student, f"expected the keys {sorted(keys)}")
    if result["student"] != student or result["digest"] != digest:
        _fail(student, "it names another student or another version of the assignment")
    if not isinstance(result["success"], bool) or not _number_or_none(result["seconds"], 1e9) \
            or result["seconds"] is None:
        _fail(student, "success must be true or false, seconds a number")
    if not all(isinstance(result[k], str) for k in ("log", "stopped", "reason")) or not (
            isinstance(result["problems"], list) and all(isinstance(p, str) for p in result["problems"])):
        _fail(student, "log, stopped and reason must be text, problems a list of lines")
    expected = {nb["name"]: nb for nb in cells["notebooks"]}
    notebooks = result["notebooks"]
    if not isinstance(notebooks, dict) or set(notebooks) != set(expected):
        _fail(student, f"expected the notebooks {sorted(expected)}")
    for name, got in notebooks.items():
        _check_notebook(student, name, got, expected[name])
    _check_files(student, result)
    return result


def _check_notebook(student, name, got, nb):
    if not isinstance(got, dict) or set(got) != {"status", "grades", "comments", "late_penalty"}:
        _fail(student, f"{name}: expected status, grades, comments and late_penalty")
    if got["status"] not in ("graded", "missing", "untouched"):
        _fail(student, f"{name}: unknown status {got['status']!r}")
    if got["status"] == "untouched" and not got["grades"] and not got["comments"]:
        return
    maxima = {c["name"]: c["max_score"] for c in nb["grade_cells"] + nb["task_cells"]}
    grades = got["grades"]
    if not isinstance(grades, dict) or set(grades) != set(maxima):
        _fail(student, f"{name}: expected grades of the cells {sorted(maxima)}")
    for cell, grade in grades.items():
        if not isinstance(grade, dict) or set(grade) != {"auto_score", "needs_manual_grade"} \
                or not _number_or_none(grade["auto_score"], maxima[cell]) \
                or not isinstance(grade["needs_manual_grade"], bool):
            _fail(student, f"{name}: {cell}: expected auto_score in [0, {maxima[cell]:g}] "
                           f"or null and needs_manual_grade true or false")
    commented = set(nb["solution_cells"]) | {c["name"] for c in nb["task_cells"]}
    comments = got["comments"]
    if not isinstance(comments, dict) or set(comments) != commented or not all(
            c is None or isinstance(c, str) and len(c) <= 10_000 for c in comments.values()):
        _fail(student, f"{name}: expected a comment (text or null) for each of {sorted(commented)}")
    if not _number_or_none(got["late_penalty"], 1e9):
        _fail(student, f"{name}: late_penalty must be a number or null")


def _check_files(student, result):
    from course.grading.cluster.bundle import safe_relative

    files, from_source = result["files"], result["from_source"]
    if not isinstance(files, dict) or not isinstance(from_source, list):
        _fail(student, "files must map paths to base64 text, from_source list paths")
    for name in [*files, *from_source]:
        try:
            safe_relative(name)
        except (TypeError, ValueError) as error:
            _fail(student, f"file {name!r}: {error}")
    for name, data in files.items():
        try:
            base64.b64decode(data, validate=True)
        except (TypeError, binascii.Error):
            _fail(student, f"file {name}: not base64")


# --- writing on the driver ---------------------------------------------------------------

def record(root, url, assignment, student, result):
    """Write a validated result: the autograded folder and the gradebook's rows for ``student``.

    The folder is written aside and moved into place after the gradebook's rows
    are committed; a driver stopped in between leaves the submission counted as
    not graded (no autograded copy), and the next run grades it again.
    """
    from nbgrader.api import Gradebook

    from course.grading.cluster.bundle import safe_relative
    from course.gradebook import deadlines

    root = Path(root)
    dest = root / "autograded" / student / assignment
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{assignment}.", dir=dest.parent))
    try:
        if result["success"]:
            for name, data in result["files"].items():
                path = staging / safe_relative(name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(base64.b64decode(data))
            for name in result["from_source"]:
                path = staging / safe_relative(name)
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(root / "source" / assignment / safe_relative(name), path)
            for path in staging.rglob("*"):
                if path.is_file():
                    path.chmod(0o444)   # nbgrader's permissions for autograded files
        with scripts_on_path(), Gradebook(url) as gb:
            gb.update_or_create_submission(assignment, student)
            for name, got in result["notebooks"].items():
                _record_notebook(gb, assignment, student, name, got)
            gb.db.commit()
            # The worker's penalty lacks the extension (extensions.csv stays here): the
            # time, due date and extension go in, and the plugin's penalty is stored again.
            rules = deadlines.Rules.load(root, gb, assignment)
            deadlines.sync(gb, rules, student)
            deadlines.store(gb, rules, student)
        if dest.exists():
            shutil.rmtree(dest)
        if result["success"]:
            staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _record_notebook(gb, assignment, student, name, got):
    """One notebook's rows, as nbgrader's autograde leaves them in this gradebook."""
    if got["status"] == "untouched":
        return   # grading stopped before this notebook: nbgrader leaves its rows as they were
    for cell, new in got["grades"].items():
        grade = gb.find_grade(cell, name, assignment, student)
        if got["status"] == "missing":   # not handed in: zero (Autograde.init_assignment)
            grade.auto_score, grade.needs_manual_grade = 0, False
            continue
        grade.auto_score = new["auto_score"]
        # SaveAutoGrades: an earlier manual grade, or no autograder score, needs review
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
    if got["status"] == "graded":
        for cell, text in got["comments"].items():
            gb.find_comment(cell, name, assignment, student).auto_comment = text
        gb.find_submission_notebook(name, assignment, student).late_submission_penalty = \
            got["late_penalty"]


# --- the run ------------------------------------------------------------------------------

def _bundle_task(bundle):
    """The assignment bundle as a task's result: each worker fetches it once and keeps it."""
    return bundle


def grade(root, assignment=pipeline.ASSIGNMENT, *, scheduler=None, scheduler_file=None,
          students=None, force=False, security=None, on_start=None, on_done=None):
    """Grade ``students`` (default: all of ``submitted/``) on a Dask cluster.

    Parameters
    ----------
    scheduler, scheduler_file : str
        The scheduler's address (``tcp://host:port``), or its scheduler file.
    force : bool
        Grade again the students graded already (default: only the others).
    security : distributed.Security, optional
        TLS between this driver and the scheduler.
    on_start : callable, optional
        Called with (number of workers, students skipped as graded) before grading.
    on_done : callable, optional
        Called with each :class:`~course.grading.local.Graded` once it is written.

    Returns
    -------
    list of Graded
        Of the students graded in this run, in the order of ``students``.
    """
    if not (scheduler or scheduler_file):
        raise GradeError("give the scheduler: --scheduler tcp://HOST:PORT or --scheduler-file FILE")
    root = Path(root).resolve()
    students = select_students(root, students, assignment)
    with _quiet_distributed():
        # connected first: a scheduler that cannot be reached, or refuses this client's
        # certificate, stops the run before anything is written
        client = connect(scheduler, scheduler_file, security)
        try:
            return _grade_on(client, root, assignment, students, force, scheduler or scheduler_file,
                             on_start, on_done)
        finally:
            _close(client)


def _grade_on(client, root, assignment, students, force, where, on_start, on_done):
    from nbgrader.api import Gradebook

    from course.judge import spec as specs
    from course.grading.cluster.bundle import assignment_cells, make_bundle
    from course.grading.local import worker_db_url
    from course.autograde.run import recover_interrupted

    from course.autograde.readiness import course_config

    if course_config(root).SandboxedExecute.get("spec_path"):
        raise GradeError("c.SandboxedExecute.spec_path names folders of this machine, which "
                         "Dask workers do not have: put the assignment's specs in "
                         "course/specs/ (installed on every worker), or grade with "
                         "course grade --jobs")
    url = worker_db_url(pipeline.db_url(root))
    prepare_gradebook(url, assignment, students)
    recover_interrupted(root)
    with scripts_on_path(), Gradebook(url) as gb:
        try:
            specs.require_gradebook(gb, assignment)
        except specs.MissingTestCell as error:
            raise GradeError(str(error)) from None
        cells = assignment_cells(gb, assignment)
    skipped = [] if force else graded_already(root, url, assignment, students)
    refused = {s: Graded(s, False, 0.0, reason=why) for s, why in
               check_deadlines(root, url, assignment, students).items() if s not in skipped}
    todo = [s for s in students if s not in skipped and s not in refused]
    if not todo:
        if on_start is not None:
            on_start(0, skipped)
        for outcome in refused.values():
            if on_done is not None:
                on_done(outcome)
        return list(refused.values())
    bundle = make_bundle(root, assignment, url, _course_id(root))
    graded = _run(client, root, url, assignment, todo, skipped, bundle, cells, where,
                  on_start, on_done, refused)
    by_student = {o.student: o for o in [*graded, *refused.values()]}
    return [by_student[s] for s in students if s in by_student]


@contextlib.contextmanager
def _quiet_distributed():
    """distributed logs each reconnection attempt with its traceback; what matters
    reaches the instructor as one line (GradeError)."""
    import warnings

    import distributed  # noqa: F401 (its import sets its loggers' levels: set them after)

    names = ["distributed", *(n for n in logging.root.manager.loggerDict
                              if n.startswith("distributed."))]
    loggers = [logging.getLogger(n) for n in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            # the versions that matter are compared, with one line, by the workers' check
            warnings.filterwarnings("ignore", message="Mismatched versions found")
            warnings.filterwarnings("ignore", module="nbgrader")   # SQLAlchemy's, from its api
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _run(client, root, url, assignment, todo, skipped, bundle, cells, where, on_start, on_done,
         refused=None):
    from course.grading.cluster.task import grade_submission

    workers = _wait_for_workers(client, where)
    shared = client.submit(_bundle_task, bundle, key=f"course-bundle-{bundle['digest'][:16]}",
                           pure=False)
    _check_workers(client, shared, workers)
    if on_start is not None:
        on_start(len(workers), skipped)
    for outcome in (refused or {}).values():   # timestamp.txt unreadable: said, not graded
        if on_done is not None:
            on_done(outcome)
    futures = {}
    for student in todo:
        files = submission_files(root / "submitted" / student / assignment)
        future = client.submit(grade_submission, shared, student, files, retries=0,
                               key=task_key(assignment, student, bundle["digest"], files))
        futures[future] = student
    outcomes = _collect(client, futures, root, url, assignment, bundle["digest"], cells,
                        on_done, where)
    return [outcomes[s] for s in todo]


def _course_id(root):
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    return config.CourseDirectory.get("course_id", "") or "default_course"


def _close(client):
    try:
        client.close(timeout=5)
    except Exception:   # the scheduler is gone already: nothing to close politely
        pass


def _wait_for_workers(client, where):
    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
    except (TimeoutError, OSError):
        raise GradeError(f"the Dask scheduler at {where} has no worker after {WORKER_TIMEOUT} s; "
                         f"start some (`course worker {where}`)") from None
    return sorted(client.scheduler_info(n_workers=-1)["workers"])


def _check_workers(client, shared, workers):
    """Every worker can grade as the driver would, or GradeError naming the first that cannot."""
    from course.grading.cluster.task import check_worker

    checks = {client.submit(check_worker, shared, workers=[address], allow_other_workers=False,
                            pure=False, key=f"course-check-{address}-{time.time_ns()}"): address
              for address in workers}
    deadline = time.monotonic() + 600
    pending = set(checks)
    while pending:
        pending = _wait(pending, 5)
        if client.status != "running":
            raise GradeError("lost the Dask scheduler while the workers were checked; "
                             "nothing was graded")
        alive = set(client.scheduler_info(n_workers=-1)["workers"])
        for future in list(pending):   # a worker gone before its check: it grades nothing
            if checks[future] not in alive:
                future.cancel()
                pending.discard(future)
        if time.monotonic() > deadline:
            raise GradeError("the workers' checks took over 600 s; nothing was graded")
    for future, address in checks.items():
        if future.status == "cancelled":
            continue
        if future.status == "error":
            error = future.exception()
            raise GradeError(f"worker {address} could not check that it can grade "
                             f"({type(error).__name__}: {error}); nothing was graded")
        report = json.loads(future.result())
        if report.get("problem"):
            raise GradeError(f"worker {address} ({report.get('worker')}) cannot grade: "
                             f"{report['problem']}; nothing was graded")


def _collect(client, futures, root, url, assignment, digest, cells, on_done, where):
    """Write each result as it arrives; stop at the grader's own fault or the scheduler's loss."""
    from distributed import KilledWorker

    outcomes = {}
    pending = set(futures)
    lost_since = None
    try:
        while pending:
            still = _wait(pending, 1)
            done, pending = pending - still, still
            if client.status == "running":
                lost_since = None
            else:
                lost_since = lost_since or time.monotonic()
                if time.monotonic() - lost_since > LOST_AFTER:
                    raise GradeError(_lost_message(where, outcomes, futures))
            for future in done:
                student = futures[future]
                if future.status == "cancelled":   # the scheduler forgot it: lost, or restarted
                    raise GradeError(_lost_message(where, outcomes, futures))
                if future.status == "error":
                    error = future.exception()
                    if not isinstance(error, KilledWorker):
                        raise GradeError(f"grading {student} failed on a worker "
                                         f"({type(error).__name__}: {error}); grading stopped")
                    died = f"every worker that graded it died ({error})"
                    outcome = Graded(student, False, 0.0, f"[ERROR] {died}", reason=died)
                else:
                    result = validate(future.result(), student, digest, cells)
                    if result["stopped"]:
                        raise GradeError(result["stopped"])
                    record(root, url, assignment, student, result)
                    outcome = Graded(student, result["success"], result["seconds"],
                                     result["log"], "", result["problems"], result["reason"])
                outcomes[student] = outcome
                if on_done is not None:
                    on_done(outcome)
    except BaseException:
        _cancel(client, pending)
        raise
    return outcomes


def _wait(futures, seconds):
    """The futures of ``futures`` not done after at most ``seconds`` (sooner once one is)."""
    deadline = time.monotonic() + seconds
    while True:
        pending = {f for f in futures if not f.done()}
        if len(pending) < len(futures) or time.monotonic() > deadline:
            return pending
        time.sleep(0.2)


def _cancel(client, futures):
    try:
        client.cancel(list(futures))
    except Exception:   # the scheduler is gone: nothing runs for us any more
        pass


def _lost_message(where, outcomes, futures):
    return (f"lost the Dask scheduler at {where} (no answer for {LOST_AFTER} s): "
            f"{len(outcomes)} of {len(futures)} submissions graded and written, the others "
            f"not; run the same command again to grade the rest")
