"""`course grade --scheduler`: a real Dask scheduler and workers on 127.0.0.1, run as user nobody.

The workers cannot read the course root (pytest's temporary folder, private to
root): whatever they grade, they got from the tasks. One class of 12 lean
submissions (two controls and ten broken or hostile entries of
tests/hostile/catalogue.toml) is released once and copied for each run
(`class_template`). It is graded once by sequential `nbgrader autograde` with
the SQLite gradebook (`sequential`, the reference), and once on three workers
with a PostgreSQL gradebook, one worker SIGKILLed while it grades
(`on_the_cluster`): every cell must get the same points, every student one
submission, and the controls, handed in late (one with an extension, which only the
driver's extensions.csv knows), the same late penalties. Two controls of it are
graded again, with SQLite, by the scheduler test (the scheduler stopped mid-run,
then the run started again) and by the TLS test (a scheduler and worker on tls://
only, and drivers that must be refused).
"""

import concurrent.futures
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import dask.config as dask_config
import pytest

from course import cli, pipeline
from course.grading.cluster import driver as cluster_driver
from support import ASSIGNMENT, copy_course, processes_holding
from support.dask_cluster import Cluster, interpreter_for_workers
from support.hostile import ENTRIES, hand_in
from support.nonroot import NOBODY

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the workers run as user nobody: "
                                 "becoming another user needs root (setpriv)")]

CONTROLS = {"control-right": "right", "control-wrong": "wrong"}
HOSTILE = ["h-invalid-json", "h-renamed", "h-tests-deleted", "h-metadata-stripped",
           "h-infinite-loop", "h-os-exit-in-function", "h-patch-checks", "h-forged-answer",
           "h-read-solutions", "h-symlink-solution"]
CLASS = [*CONTROLS, *HOSTILE]
FEW = list(CONTROLS)   # where a test needs submissions, not the whole class
# What `course worker` sets (course.grading.cluster.worker.SETTINGS), as Dask's keys and values.
GRADING_SETTINGS = {"distributed.worker.profile.enabled": False,
                    "distributed.admin.tick.interval": "1s",
                    "distributed.worker.memory.monitor-interval": "1s",
                    "distributed.admin.system-monitor.interval": "2s"}
# The grading venv's packages: the workers' interpreter reaches them through a .pth
# file (support.nonroot), so their sandboxed kernels must be shown them too.
SITE = next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix))
# Short limits, so that the endless loop costs seconds.
LIMITS = f"""
c.Execute.timeout = 8
c.SandboxedExecute.notebook_timeout = 120
c.SandboxKernelManager.memory_limit = "1G"
c.SandboxKernelManager.sandbox_memory = "1500M"
c.SandboxKernelManager.process_limit = 64
c.SandboxKernelManager.extra_readonly = [{SITE!r}]
c.Deadlines.due = {{"initialization": "2027-03-01 23:59 UTC"}}
"""
# The controls hand in late: right 36 hours after the due date (2 days started: -20%),
# wrong 12 hours after, with an extension of 24 hours (on time).
HANDED_IN = {"control-right": "2027-03-03 12:00:00 UTC", "control-wrong": "2027-03-02 12:00:00 UTC"}
EXTENSIONS = "assignment,student_id,hours\ninitialization,control-wrong,24\n"


def _course(released, path, students):
    root = copy_course(released, path)
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(LIMITS)
    for student in students:
        if student in CONTROLS:
            hand_in(root, student, answers=CONTROLS[student])
            (root / "submitted" / student / ASSIGNMENT / "timestamp.txt").write_text(HANDED_IN[student])
        else:
            hand_in(root, student, entry=ENTRIES[student])
    (root / "extensions.csv").write_text(EXTENSIONS)
    return root


@pytest.fixture(scope="module")
def class_template(tmp_path_factory, released_course):
    """The class handed in and released (SQLite gradebook), never graded: runs grade copies."""
    return _course(released_course, tmp_path_factory.mktemp("template") / "course", CLASS)


def _copy(template, dest, students=CLASS, db_url=None):
    """A copy of the template course with ``students``' submissions; a PostgreSQL gradebook at ``db_url``."""
    from support.postgres import copy_gradebook

    root = copy_course(template, dest)
    for student in set(CLASS) - set(students):
        shutil.rmtree(root / "submitted" / student)
    if db_url:
        copy_gradebook(pipeline.db_url(root), db_url)
        (root / "gradebook.db").unlink()
        with open(root / "nbgrader_config.py", "a") as f:
            f.write(f"c.CourseDirectory.db_url = {db_url!r}\n")
    return root


def _points(root):
    return {s.student: s.points for s in pipeline.scores(root)}


def _late(root):
    """The controls' time, extension and stored penalty per notebook, as the gradebook holds them."""
    from nbgrader.api import Gradebook

    with Gradebook(pipeline.db_url(root)) as gb:
        return {student: (gb.find_submission(ASSIGNMENT, student).timestamp,
                          gb.find_submission(ASSIGNMENT, student).extension,
                          {nb.notebook.name: (nb.score, nb.late_submission_penalty)
                           for nb in gb.find_submission(ASSIGNMENT, student).notebooks})
                for student in CONTROLS}


def _grade(root, *args):
    console = cli.Console(record=True, width=140)
    code = cli.cmd_grade(cli.build_parser().parse_args(["--root", str(root), "grade", *args]),
                         console)
    return code, console.export_text()


@pytest.fixture(scope="module")
def sequential(tmp_path_factory, class_template):
    """The reference: the class graded by `nbgrader autograde`, one submission after the other.

    ``(points, statuses, late)``: {student: {cell: points}}, {student: status} and the
    controls' lateness (:func:`_late`).
    """
    root = _copy(class_template, tmp_path_factory.mktemp("sequential") / "course")
    pipeline.nbgrader(root, "autograde", ASSIGNMENT, "--force", check=False)
    return _points(root), {s.student: s.status for s in pipeline.scores(root)}, _late(root)


@pytest.fixture(scope="module")
def worker_python():
    """An interpreter, the course packages and a folder that user nobody can read."""
    base = Path(tempfile.mkdtemp(prefix="cluster-test-", dir="/tmp"))
    try:
        yield base, interpreter_for_workers(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def start_cluster(worker_python):
    """Start a scheduler and workers; every one started is stopped at the end, by pid.

    ``start(n, background=True)`` returns at once a future of the started cluster.
    """
    started, pool = [], concurrent.futures.ThreadPoolExecutor(1)

    def start(workers=2, background=False):
        started.append(Cluster(*worker_python, workers=workers))
        return pool.submit(started[-1].start) if background else started[-1].start()

    yield start
    pool.shutdown(wait=True)   # a start under way finishes first, then is stopped
    for one in started:
        one.stop()


def _kill_one_while_it_grades(dask, driver):
    """SIGKILL the first worker seen grading, well inside a submission: (its process, its keys)."""
    with dask.client() as client:
        deadline = time.monotonic() + 300
        busy = {}
        while not busy and time.monotonic() < deadline and driver.is_alive():
            busy = {w: [str(k) for k in keys if str(k).startswith("grade-")]
                    for w, keys in client.processing().items()}
            busy = {w: keys for w, keys in busy.items() if keys}
            time.sleep(0.2)
        assert busy, "no worker was seen grading"
        address, keys = next(iter(busy.items()))
        name = client.scheduler_info(n_workers=-1)["workers"][address]["name"]
        victim = dask.workers[int(name.removeprefix("w"))]
        time.sleep(1.5)   # well inside the submission: its kernel runs
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
    return victim, keys


@pytest.fixture(scope="module")
def on_the_cluster(tmp_path_factory, postgres, class_template, worker_python, sequential):
    """The class graded by `course grade --scheduler-file` on three workers run as nobody.

    The gradebook is PostgreSQL's; one worker is SIGKILLed while it grades (a host
    lost), and the run goes on with the other two. Then the same command again.
    """
    from support.postgres import create_database

    url = create_database(*postgres, f"gradebook_{uuid.uuid4().hex[:8]}")
    root = _copy(class_template, tmp_path_factory.mktemp("cluster") / "course", db_url=url)
    dask = Cluster(*worker_python, workers=3).start()
    try:
        run = {}
        driver = threading.Thread(daemon=True, target=lambda: run.update(zip(
            ("code", "output"), _grade(root, "--scheduler-file", str(dask.scheduler_file)))))
        driver.start()
        victim, keys = _kill_one_while_it_grades(dask, driver)
        driver.join(timeout=900)
        assert not driver.is_alive(), "the run did not end after a worker was killed"
        time.sleep(2)
        left = processes_holding(f"course-sandbox-{victim.pid}.")   # its scratch course
        with dask.client() as client:
            uids = client.run(os.getuid)
            settings = {key: client.run(dask_config.get, key) for key in GRADING_SETTINGS}
        rerun = _grade(root, "--scheduler", dask.address())
    finally:
        dask.stop()
    return {"root": root, "uids": uids, "settings": settings, "rerun": rerun, "victim": victim, "keys": keys,
            "left": left, **run}


def test_the_workers_ran_as_nobody_who_cannot_read_the_course(on_the_cluster):
    assert set(on_the_cluster["uids"].values()) == {65534}
    root = on_the_cluster["root"]
    unreadable = subprocess.run([*NOBODY, "cat", str(root / "nbgrader_config.py")],
                                capture_output=True)
    assert unreadable.returncode != 0


def test_the_workers_ran_with_the_settings_of_course_worker(on_the_cluster):
    for key, value in GRADING_SETTINGS.items():
        assert set(on_the_cluster["settings"][key].values()) == {value}, key


def test_the_cluster_grades_every_cell_as_sequential_nbgrader(on_the_cluster, sequential):
    points, *_ = sequential
    assert len(points) >= 12
    assert _points(on_the_cluster["root"]) == points
    # Not two equally broken runs: the controls got their usual points.
    right, wrong = points["control-right"], points["control-wrong"]
    assert right["check_he_values"] == 2 and wrong["check_random_values"] == 0
    assert points["h-infinite-loop"]["check_he_values"] == 0   # the loop cost its cells


def test_the_cluster_stores_the_late_penalties_of_sequential_grading(on_the_cluster, sequential):
    """The plugin applies on the workers as locally, the extension included (the driver's)."""
    *_, late = sequential
    assert _late(on_the_cluster["root"]) == late
    right_time, right_extension, right = late["control-right"]
    # nbgrader stores a penalty for the notebooks handed in only (the controls: the first)
    handed_in = {name: value for name, value in right.items() if value[1] is not None}
    assert right_extension is None and set(handed_in) == {"Initialization"}, right
    assert all(penalty == pytest.approx(0.2 * score) for score, penalty in handed_in.values())
    assert any(penalty > 0 for _, penalty in handed_in.values())
    _, wrong_extension, wrong = late["control-wrong"]
    assert wrong_extension == timedelta(hours=24)
    assert all(penalty is None for _, penalty in wrong.values())
    assert "control-right: late by 1 day 12 hours: -20% of the score" in on_the_cluster["output"]


def test_the_summary_and_exit_status_are_those_of_local_grading(on_the_cluster, sequential):
    _, statuses, _ = sequential
    root, code, output = on_the_cluster["root"], on_the_cluster["code"], on_the_cluster["output"]
    assert {s.student: s.status for s in pipeline.scores(root)} == statuses
    failed = sum(status == "failed to grade" for status in statuses.values())
    assert f"{len(CLASS) - failed} graded, {failed} failed, {len(CLASS)} submissions" in output
    assert "with 3 Dask workers" in output
    assert code == (1 if failed else 0)
    assert "h-tests-deleted: test cell check_he_values was deleted" in output   # problems listed
    assert not (root / "autograded" / "h-symlink-solution" / ASSIGNMENT / "notes.txt").exists()
    for student in CLASS:
        assert student in output


def test_feedback_export_and_scores_read_what_the_driver_wrote(on_the_cluster):
    """nbgrader's feedback (of the controls: a page takes seconds) and export, from PostgreSQL."""
    import csv

    root = on_the_cluster["root"]
    pipeline.nbgrader(root, "generate_feedback", ASSIGNMENT, "--force", "--student=control-*")
    pipeline.export(root)
    with open(root / "grades.csv") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    for score in pipeline.scores(root):
        row = rows[score.student]
        if score.final_total is None:   # failed to grade, or a written answer waits
            assert row["raw_score"] == row["score"] == "", score.student
            continue
        # the score after the late penalty as of now
        assert float(row["raw_score"]) == pytest.approx(score.total)
        if row["late_submission_penalty"] == "":   # no readable submission time: unknown
            assert row["score"] == "" and row["lateness"], score.student
            continue
        assert float(row["score"]) == pytest.approx(
            score.total - float(row["late_submission_penalty"] or 0))
        if score.student in CONTROLS:   # their whole score is the first notebook's
            html = root / "feedback" / score.student / ASSIGNMENT / "Initialization.html"
            assert f"Score: {float(row['score']):.1f} / " in html.read_text(), score.student
    assert not list(root.glob("autograded/*/.initialization.*"))   # no half-written folder


def test_a_rerun_grades_only_what_is_not_graded(on_the_cluster):
    code, output = on_the_cluster["rerun"]
    failed = [s for s in pipeline.scores(on_the_cluster["root"]) if s.status == "failed to grade"]
    assert f"{len(CLASS) - len(failed)} submissions graded already, not graded again" in output
    assert code == (1 if failed else 0)   # the failed ones were graded again, and failed again


def _graded_once(url, students):
    """{student: (submissions, grade rows)} in the gradebook at ``url``."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        rows = {}
        for sub in gb.assignment_submissions(ASSIGNMENT):
            count, grades = rows.get(sub.student.id, (0, 0))
            rows[sub.student.id] = (count + 1, grades + sum(len(nb.grades) for nb in sub.notebooks))
        cells = sum(len(nb.grade_cells) for nb in gb.find_assignment(ASSIGNMENT).notebooks)
    return rows, cells


def test_a_worker_killed_while_it_grades_costs_nothing(on_the_cluster, sequential):
    """Its submissions were graded elsewhere: each student once, with the points of sequential grading."""
    victim, keys = on_the_cluster["victim"], on_the_cluster["keys"]
    assert victim.returncode == -signal.SIGKILL and keys
    assert on_the_cluster["left"] == [], "the killed worker's grading outlived it"
    points, statuses, _ = sequential
    root = on_the_cluster["root"]
    assert pipeline.db_url(root).startswith("postgresql")
    assert _points(root) == points   # the killed worker's students among them
    rows, cells = _graded_once(pipeline.db_url(root), CLASS)
    assert set(rows) == set(CLASS) and all(count == 1 for count, _ in rows.values()), rows
    for student, (_, grades) in rows.items():   # no duplicate or missing grade rows
        assert grades == cells or statuses[student] == "failed to grade" and grades <= cells, student


def test_the_scheduler_stopped_mid_run_then_a_rerun_completes(tmp_path, class_template,
                                                              start_cluster, sequential):
    """SQLite gradebook, one worker: the first student written, the scheduler SIGKILLed."""
    students = FEW
    root = _copy(class_template, tmp_path / "course", students)
    dask = start_cluster(1)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    command = [sys.executable, "-m", "course", "--root", str(root), "grade",
               "--scheduler-file", str(dask.scheduler_file)]
    driver = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        deadline = time.monotonic() + 300
        while not list(root.glob("autograded/*/initialization/Initialization.ipynb")):
            assert time.monotonic() < deadline and driver.poll() is None, driver.stdout.read()
            time.sleep(0.2)
        dask.stop_scheduler(signal.SIGKILL)
        stopped = time.monotonic()
        again = start_cluster(1, background=True)   # while the driver waits for the scheduler
        output, _ = driver.communicate(timeout=60)
        waited = time.monotonic() - stopped
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    assert driver.returncode == 1, output
    said = " ".join(output.split())   # rich wraps the line at the terminal's width
    assert said.count("lost the Dask scheduler") == 1, output
    assert "graded and written, the others not; run the same command again" in said, output
    assert "Traceback" not in output and "ERROR" not in output, output
    assert waited < 30, f"the error came {waited:.0f} s after the scheduler stopped"
    url = pipeline.db_url(root)
    graded = cluster_driver.graded_already(root, url, ASSIGNMENT, students)
    assert graded and len(graded) < len(students)
    for student in set(students) - set(graded):   # nothing half-written
        assert not (root / "autograded" / student / ASSIGNMENT).exists()
    assert not list(root.glob("autograded/*/.initialization.*"))

    again = again.result(timeout=300)
    code, output = _grade(root, "--scheduler-file", str(again.scheduler_file))
    assert code == 0, output
    assert f"{len(graded)} submissions graded already" in output
    points, *_ = sequential
    assert _points(root) == {s: points[s] for s in students}
    rows, cells = _graded_once(url, students)
    assert rows == {s: (1, cells) for s in students}


def _drivers(root, runs):
    """Run `course grade` once per ``{name: arguments}``, side by side: {name: (code, output, seconds)}."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
               COLUMNS="1000")   # one line stays one line
    started = time.monotonic()
    procs = {name: subprocess.Popen([sys.executable, "-m", "course", "--root", str(root), "grade",
                                     *args], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
             for name, args in runs.items()}
    done = {}
    try:
        for name, proc in procs.items():
            output, _ = proc.communicate(timeout=120)
            done[name] = (proc.returncode, output, time.monotonic() - started)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return done


@pytest.fixture(scope="module")
def over_tls(tmp_path_factory, worker_python, class_template):
    """Two controls graded over TLS (SQLite gradebook), after three drivers were refused.

    The scheduler and its worker (as nobody) speak tls:// only, with certificates
    of a CA made for the test (support.tls, the README's openssl commands). The
    refused drivers: one without certificates, one that trusts another CA, one
    whose certificate another CA signed.
    """
    from support.tls import Certificates

    certs = Certificates(worker_python[0] / "tls")
    root = _copy(class_template, tmp_path_factory.mktemp("tls") / "course", FEW)
    gradebook = (root / "gradebook.db").read_bytes()
    dask = Cluster(*worker_python, workers=1, tls=certs).start()
    try:
        address = dask.address()
        refused = _drivers(root, {
            "no certificate": ["--scheduler-file", str(dask.scheduler_file)],
            "another CA": ["--scheduler", address, *certs.options("client", ca=certs.other_ca)],
            "a certificate of another CA": ["--scheduler", address, *certs.options("stranger")],
        })
        written = {"autograded/": (root / "autograded").exists(),
                   "gradebook": (root / "gradebook.db").read_bytes() != gradebook}
        code, output = _grade(root, "--scheduler", address, *certs.options("client"))
    finally:
        dask.stop()
    return {"root": root, "address": address, "refused": refused, "written": written,
            "code": code, "output": output}


def test_over_tls_the_class_gets_the_points_of_sequential_grading(over_tls, sequential):
    assert over_tls["address"].startswith("tls://127.0.0.1:")
    assert over_tls["code"] == 0, over_tls["output"]
    assert f"{len(FEW)} graded, 0 failed" in over_tls["output"]
    assert "with 1 Dask worker (" in over_tls["output"]
    points, *_ = sequential
    assert _points(over_tls["root"]) == {s: points[s] for s in FEW}


def test_a_driver_without_the_right_certificates_is_refused_in_one_line(over_tls):
    """Within 30 s, naming what to fix; nothing written to autograded/ or the gradebook."""
    expected = {
        "no certificate": "speaks TLS (tls://127.0.0.1:",
        "another CA": "presented a TLS certificate that",
        "a certificate of another CA": "does not accept this client's certificate",
    }
    assert set(over_tls["refused"]) == set(expected)
    for name, (code, output, seconds) in over_tls["refused"].items():
        errors = [line for line in output.splitlines() if line.startswith("course grade: ")]
        lines = [line for line in output.splitlines() if line.strip()]
        assert code == 1 and lines == errors and len(errors) == 1, (name, output)   # no bar
        assert expected[name] in errors[0] and "--tls-" in errors[0], (name, output)
        assert "Traceback" not in output, (name, output)
        assert seconds < 30, f"{name}: the error came after {seconds:.0f} s"
    assert over_tls["written"] == {"autograded/": False, "gradebook": False}
