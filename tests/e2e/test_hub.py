"""The course on a real JupyterHub, on loopback: a student's and the instructor's whole journey.

``course_hub`` starts JupyterHub as root with the course's own configuration
(``hub/jupyterhub_config.py``, loaded whole): configurable-http-proxy from npm,
PAM logins for Unix accounts made for the run (an instructor, alice and bob, with
private homes and random passwords), the local process spawner starting each
server as its account, nbgrader's exchange (a folder of mode 1777), and the
formgrader in the instructor's own server on the course root in their home. The
students' servers run an environment without the ``course`` package; the
instructor's is theirs alone (``support.hub``). Everything is stopped and removed
afterwards, whatever happened: the hub by its pid (it stops every server), the
accounts' processes by pid, the accounts, their homes, the group, the folders.

In Debian's Chromium, one context (one set of cookies) per person: the instructor
releases from the formgrader; alice logs in, fetches the assignment from the
Assignment List, answers, presses Validate, writes her answer to the written
question and submits; bob hands in with nbgrader's commands run as him; the
instructor collects and grades (``nbgrader collect``, ``course grade``, typed in a
terminal of their JupyterLab), opens alice's written answer in the formgrader with
the network cut (MathJax typesets from the instructor's own server), grades it,
generates and releases feedback; alice fetches the feedback and reads it. Between,
what bob cannot do: read alice's work, list the exchange's submissions or feedback,
read the course root, import ``course``, reach alice's server or the formgrader.
Screenshots go to test-artifacts/e2e/<test>/<account>/, the hub's log (every
server's too) to test-artifacts/e2e/hub/.
"""

import os
import re
import secrets
import shutil
import string
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from support import ASSIGNMENT, DEMO_LOSSES, ROOT, lean, lost_cells, make_course
from support.hub import (HUB, PROXY, Accounts, Hub, close_environments, proxy_missing_message,
                         run_as, server_environments, site_packages)
from course import pipeline

from .answers import RIGHT, type_answers
from .hub import HubSession
from .jupyterlab import CHROMIUM, CHROMIUM_ARGS, PAGE_READY

pytestmark = pytest.mark.e2e

COURSE_ID = "initialization-course"
ARTIFACTS = ROOT / "test-artifacts" / "e2e" / "hub"   # the hub's log, kept after the run
WRITTEN = "relu_spread_answer"          # the written answer of Layers.ipynb (2 points, by hand)
ANSWER = ("He keeps ReLU activations spread: its variance 2/n makes up for the half of "
          "the units ReLU sets to zero, so the spread stays the same from layer to layer.")
COMMENT = "Right: the factor 2 makes up for the zeros of ReLU."
GRADE = "course grade"                  # seconds each: the instructor's commands in a terminal
COMMAND_TIME = {"nbgrader collect": 120, GRADE: 600}
INITIALIZATION_CELLS = {"check_zeros_structure", "check_zeros_values", "check_random_structure",
                        "check_random_values", "check_he_structure", "check_he_values"}




def wait_for_file(path, seconds, what):
    """Wait until ``path`` exists and is not empty; return its text."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text()
        time.sleep(1)
    raise AssertionError(f"waited {seconds} s for {what} ({path}); it never came")


class CourseHub:
    """What ``course_hub`` made: the hub, the accounts, their environments and folders."""

    def __init__(self, **parts):
        self.__dict__.update(parts)

    def user_env(self, account):
        """The environment a student's server gets from the hub, for commands run as ``account``."""
        return {"PATH": f"{self.student_env / 'bin'}:/usr/bin:/bin",
                "JUPYTER_CONFIG_PATH": str(self.jupyter_config),
                "COURSE_HUB_EXCHANGE": str(self.exchange)}

    def instructor_env(self):
        return {"PATH": f"{self.instructor_env_dir / 'bin'}:/usr/bin:/bin",
                "JUPYTER_CONFIG_PATH": f"{self.instructor_config}:{self.jupyter_config}",
                "COURSE_HUB_EXCHANGE": str(self.exchange)}


@pytest.fixture(scope="module")
def course_hub():
    """The course's hub with an instructor and two students; removed whatever happens."""
    if os.geteuid() != 0:
        pytest.fail("the hub test makes Unix accounts and starts JupyterHub as root, as a hub "
                    "runs: run it as root (CI does)", pytrace=False)
    if not PROXY.exists():
        pytest.fail(proxy_missing_message(), pytrace=False)
    tag = "".join(secrets.choice(string.ascii_lowercase) for _ in range(5))
    accounts = Accounts(tag)
    made = []
    base = Path(tempfile.mkdtemp(prefix="course-hub-", dir="/tmp"))
    base.chmod(0o755)
    try:
        students = accounts.group("course")
        teacher = accounts.add("teach")
        alice = accounts.add("alice", [students])
        bob = accounts.add("bob", [students])
        made = [teacher, alice, bob]
        student_env, instructor_env = server_environments(base / "envs", teacher, [alice, bob])
        exchange = base / "exchange"            # nbgrader's documented exchange: everyone writes
        exchange.mkdir()
        exchange.chmod(0o1777)
        # the course's folder in it, the instructor's before any student could make it
        # (nbgrader refuses to release into a course folder somebody else owns)
        (exchange / COURSE_ID).mkdir(mode=0o755)
        os.chown(exchange / COURSE_ID, teacher.uid, teacher.gid)
        jupyter_config = shutil.copytree(HUB / "jupyter", base / "jupyter")
        instructor_config = shutil.copytree(HUB / "jupyter-instructor", base / "jupyter-instructor")
        with open(instructor_config / "nbgrader_config.py", "a") as config:
            # The run's instructor environment reaches the grading venv's packages through a
            # .pth file (support.hub); the sandbox shows a kernel its environment's prefix
            # only, where a real environment (pip install '.[hub]') has them.
            config.write(f"\nc.SandboxKernelManager.extra_readonly = [{str(site_packages())!r}]\n")
        hub = CourseHub(teacher=teacher, alice=alice, bob=bob, exchange=exchange,
                        student_env=student_env, instructor_env_dir=instructor_env,
                        jupyter_config=jupyter_config, instructor_config=instructor_config)
        # The instructor's course root: a copy of the course in their home, released by them.
        course = make_course(teacher.home / "initialization-course")
        subprocess.run(["chown", "-R", f"{teacher.uid}:{teacher.gid}", str(course)], check=True)
        run_as(teacher, ["course", "release"], cwd=course, env=hub.instructor_env())
        hub.course = course
        settings = {"COURSE_HUB_STUDENT_ENV": str(student_env),
                    "COURSE_HUB_INSTRUCTOR_ENV": str(instructor_env),
                    "COURSE_HUB_EXCHANGE": str(exchange),
                    "COURSE_HUB_JUPYTER_CONFIG": str(jupyter_config),
                    "COURSE_HUB_INSTRUCTOR_CONFIG": str(instructor_config),
                    "COURSE_HUB_STUDENTS": students,
                    "COURSE_HUB_INSTRUCTORS": teacher.name}
        with Hub(base / "hub", settings) as running:
            hub.hub = running
            yield hub
    finally:
        try:
            close_environments(made)
            accounts.remove()
        finally:
            log = base / "hub" / "jupyterhub.log"   # the hub's and every server's log, for CI
            if log.exists():
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                shutil.copy2(log, ARTIFACTS / "jupyterhub.log")
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def submission(course, student, notebook):
    """The gradebook's submission of ``notebook`` by ``student``: its id and each cell's grade."""
    from nbgrader.api import Gradebook

    with Gradebook(pipeline.db_url(course)) as gradebook:
        found = gradebook.find_submission_notebook(notebook, ASSIGNMENT, student)
        grades = {g.name: (g.score, g.needs_manual_grade) for g in found.grades}
        comments = {c.name: c.comment for c in found.comments}
        return found.id, grades, comments


def cell_of(nb, grade_id):
    return next(i for i, cell in enumerate(nb.cells)
                if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def formgrader_action(session, column, what):
    """Press the link in ``column`` of the assignment's row on Manage Assignments; its modal's text.

    Fails with the modal's text where nbgrader reports an error.
    """
    session.page.locator(f"#main-table tr:has-text('{ASSIGNMENT}') td.{column} a").click()
    modal = session.wait_for_selector(f"the formgrader to report on {what}",
                                      "#success-modal .modal-body, #error-modal .modal-body",
                                      EXCHANGE_MODAL)
    text = modal.inner_text()
    session.screenshot(column)
    assert session.page.locator("#error-modal").count() == 0, f"{what} failed:\n{text}"
    session.page.locator("#success-modal button[data-dismiss='modal']").first.click()
    session.page.wait_for_selector("#success-modal", state="detached")
    return text


EXCHANGE_MODAL = 300   # seconds: feedback for every submission is generated before it answers


def instructor_command(session, hub, command, what):
    """Type ``command`` into the instructor's terminal (in the course root); wait for its exit.

    The terminal writes the command's output and exit code to files of the instructor's
    home, which the test reads as root.
    """
    log = hub.teacher.home / f"{what.replace(' ', '-')}.log"
    status = log.with_suffix(".exit")
    session.type_command(f"cd ~/initialization-course && {command} > {log} 2>&1; "
                         f"echo $? > {status}")
    code = wait_for_file(status, COMMAND_TIME[what], f"`{command}` to end in the terminal")
    session.screenshot(what.replace(" ", "-"))
    output = log.read_text()
    assert code.strip() == "0", f"`{command}` exited {code.strip()} in the instructor's terminal:\n{output}"
    return output


def denied(account, args, what):
    """Assert that ``args`` run as ``account`` fails with Permission denied."""
    done = run_as(account, args, check=False)
    assert done.returncode != 0 and "Permission denied" in done.stderr, (
        f"{account.name} could {what}: {' '.join(map(str, args))} exited {done.returncode}\n"
        f"{done.stdout[:500]}{done.stderr[:500]}")


def test_a_student_and_the_instructor_on_the_course_hub(course_hub, browser, artifacts):
    hub, teacher, alice, bob = course_hub, course_hub.teacher, course_hub.alice, course_hub.bob
    exchange = hub.exchange / COURSE_ID
    release = hub.course / "release" / ASSIGNMENT
    sessions = []
    try:
        # -- The instructor logs in and releases the assignment from the formgrader ------
        instructor = HubSession(hub.hub, teacher, browser, artifacts)
        sessions.append(instructor)
        instructor.log_in()
        assert {"Assignment List", "Formgrader"} <= set(instructor.menu_items("Nbgrader"))
        instructor.formgrader("manage_assignments")
        instructor.wait_for_selector("the assignment's release button on Manage Assignments",
                                     f"#main-table tr:has-text('{ASSIGNMENT}') td.release a",
                                     PAGE_READY)
        assert instructor.page.locator("#warning-exchange, #info-lms").count() == 0, (
            "the formgrader of the hub's course warns about its exchange: "
            + instructor.page.locator("#warning-exchange, #info-lms").first.inner_text())
        formgrader_action(instructor, "release", "releasing the assignment")
        for notebook in release.glob("*.ipynb"):
            assert (exchange / "outbound" / ASSIGNMENT / notebook.name).read_bytes() == \
                notebook.read_bytes(), f"the exchange does not hand out release/'s {notebook.name}"

        # -- alice: log in, fetch, answer, Validate, the written answer, submit ------------
        student = HubSession(hub.hub, alice, browser, artifacts)
        sessions.append(student)
        student.log_in()
        menu = student.menu_items("Nbgrader")
        assert "Assignment List" in menu and not {"Formgrader", "Course List"} & set(menu), (
            f"a student's Nbgrader menu should hold the Assignment List only; it holds {menu}")
        student.assignment_list()
        student.screenshot("assignment-list")
        student.fetch(ASSIGNMENT)
        fetched = alice.home / ASSIGNMENT
        for notebook in release.glob("*.ipynb"):
            assert (fetched / notebook.name).read_bytes() == notebook.read_bytes()
            assert (fetched / notebook.name).stat().st_uid == alice.uid

        nb = nbformat.read(release / "Initialization.ipynb", as_version=4)
        student.open_notebook(f"{ASSIGNMENT}/Initialization.ipynb")
        type_answers(student, nb, RIGHT)
        student.save()
        succeeded, message = student.validate()
        student.screenshot("validated")
        assert succeeded and "passes all the tests" in message, (
            f"Validate in alice's server did not succeed; its dialog says:\n{message}")
        student.close_dialog()

        layers = nbformat.read(release / "Layers.ipynb", as_version=4)
        student.open_notebook(f"{ASSIGNMENT}/Layers.ipynb")
        student.write_cell(cell_of(layers, WRITTEN), ANSWER)
        student.save()
        saved = nbformat.read(fetched / "Layers.ipynb", as_version=4).cells[cell_of(layers, WRITTEN)]
        assert saved.source == ANSWER, f"alice's written answer was saved as {saved.source!r}"

        student.assignment_list()
        student.submit(ASSIGNMENT)
        student.screenshot("submitted")
        handed_in = sorted(exchange.glob(f"inbound/{alice.name}+{ASSIGNMENT}+*"))
        assert len(handed_in) == 1, f"alice's submissions in the exchange: {handed_in}"

        # -- bob hands in through nbgrader's commands (his work: the demo class's bob) ----
        run_as(bob, ["nbgrader", "fetch_assignment", ASSIGNMENT], env=hub.user_env(bob))
        for notebook in (ROOT / "submitted" / "bob" / ASSIGNMENT).glob("*.ipynb"):
            mine = bob.home / ASSIGNMENT / notebook.name
            nbformat.write(lean(nbformat.read(notebook, as_version=4)), mine)
            os.chown(mine, bob.uid, bob.gid)
        run_as(bob, ["nbgrader", "submit", ASSIGNMENT], env=hub.user_env(bob))

        # -- What bob cannot do -------------------------------------------------------------
        denied(bob, ["cat", fetched / "Initialization.ipynb"], "read alice's work")
        denied(bob, ["ls", exchange / "inbound"], "list the submissions in the exchange")
        denied(bob, ["ls", hub.course], "list the course root")
        denied(bob, ["cat", hub.course / "nbgrader_config.py"], "read the course root")
        imported = run_as(bob, ["python", "-c", "import course"], env=hub.user_env(bob),
                          check=False)
        assert "No module named 'course'" in imported.stderr, (
            f"a student's environment imports the instructor's package:\n{imported.stderr}")
        others = HubSession(hub.hub, bob, browser, artifacts)
        sessions.append(others)
        others.log_in()
        for path, what in ((f"/user/{alice.name}/lab", "alice's JupyterLab"),
                           (f"/user/{alice.name}/api/contents/{ASSIGNMENT}", "alice's files"),
                           (f"/user/{teacher.name}/formgrader", "the formgrader")):
            answer = others.page.request.get(hub.hub.url + path)
            assert answer.status == 403, (
                f"bob, logged in, asked for {what} ({path}) and got {answer.status}, not 403")

        # -- The instructor collects and grades, in a terminal of their JupyterLab --------
        instructor.open_lab()
        instructor.open_terminal()
        collected = instructor_command(instructor, hub, f"nbgrader collect {ASSIGNMENT}",
                                       "nbgrader collect")
        for account in (alice, bob):
            assert f"Collecting submission: {account.name} {ASSIGNMENT}" in collected, collected
        instructor_command(instructor, hub, GRADE, GRADE)
        scores = {s.student: s for s in pipeline.scores(hub.course)}
        assert sorted(scores) == sorted([alice.name, bob.name]), scores
        assert lost_cells(scores[bob.name]) == DEMO_LOSSES["bob"], scores[bob.name]
        alice_lost = lost_cells(scores[alice.name])
        assert not alice_lost & INITIALIZATION_CELLS, (
            f"alice's right initializers lost points: {sorted(alice_lost & INITIALIZATION_CELLS)}")
        assert scores[alice.name].points[WRITTEN] is None, "alice's written answer was not left to grade"

        # -- ... opens alice's written answer in the formgrader, offline, and grades it ----
        asked = []
        instructor.page.context.route("**/*", lambda route: (
            route.continue_() if route.request.url.startswith(hub.hub.url + "/")
            else (asked.append(route.request.url), route.abort())))
        layers_id, grades, _ = submission(hub.course, alice.name, "Layers")
        assert grades[WRITTEN][1], f"alice's written answer does not wait for a grader: {grades[WRITTEN]}"
        instructor.formgrader(f"submissions/{layers_id}/")
        instructor.wait_for("the submission's formulas typeset by MathJax from the instructor's server",
                            """() => window.MathJax && MathJax.Hub && MathJax.isReady
                                     && MathJax.Hub.queue.pending === 0
                                     && document.querySelectorAll('.MathJax').length > 0""",
                            PAGE_READY)
        prose = " ".join(instructor.page.locator(".text_cell_render").all_inner_texts())
        assert r"$\sqrt{1/n^{[l-1]}}$" not in prose, "the formgrader shows raw TeX"
        assert ANSWER[:40] in instructor.page.locator("body").inner_text(), (
            "the formgrader does not show alice's written answer")
        instructor.page.fill(f"#{WRITTEN}", "2")
        instructor.page.keyboard.press("Tab")
        instructor.page.fill(f"#{WRITTEN}-comment", COMMENT)
        instructor.page.keyboard.press("Tab")
        instructor.page.locator(f"#{WRITTEN}").scroll_into_view_if_needed()
        instructor.screenshot("manual-grade")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            _, grades, comments = submission(hub.course, alice.name, "Layers")
            if grades[WRITTEN] == (2.0, False) and comments.get(WRITTEN) == COMMENT:
                break
            time.sleep(0.5)
        assert grades[WRITTEN] == (2.0, False) and comments.get(WRITTEN) == COMMENT, (
            f"the formgrader did not save alice's grade: {grades[WRITTEN]}, {comments.get(WRITTEN)!r}")
        assert not asked, f"the formgrader asked beyond the hub for {asked[:5]}"
        assert not [e for e in instructor.errors if "MathJax" in e], instructor.errors
        instructor.page.context.unroute("**/*")

        # -- ... generates and releases feedback from Manage Assignments -------------------
        instructor.formgrader("manage_assignments")
        instructor.wait_for_selector("the feedback buttons on Manage Assignments",
                                     f"#main-table tr:has-text('{ASSIGNMENT}') td.generate-feedback a",
                                     PAGE_READY)
        formgrader_action(instructor, "generate-feedback", "generating feedback")
        formgrader_action(instructor, "release-feedback", "releasing feedback")
        denied(bob, ["ls", exchange / "feedback"], "list the feedback in the exchange")

        # -- alice fetches her feedback and reads it ------------------------------------------
        student.open_lab()
        student.assignment_list()
        student.fetch_feedback(ASSIGNMENT)
        student.screenshot("feedback-fetched")
        pages = sorted((fetched / "feedback").glob("*/Layers.html"))
        assert len(pages) == 1, f"alice's fetched feedback: {pages}"
        relative = pages[0].relative_to(alice.home)
        student.page.goto(f"{student.url}/files/{relative}", wait_until="load")
        student.wait_for("the feedback page to show alice's written answer and its comment",
                         "(text) => document.body.innerText.includes(text)", PAGE_READY,
                         arg=COMMENT)
        student.screenshot("feedback")
        text = student.page.locator("body").inner_text()
        assert ANSWER[:40] in text and COMMENT in text, text[:2000]
        assert re.search(r"Score:\s*2(\.0)?\s*/\s*2(\.0)?", text), (
            f"the feedback does not show alice's 2 points for her written answer:\n{text[:2000]}")
        assert not (bob.home / ASSIGNMENT / "feedback").exists() or not any(
            (bob.home / ASSIGNMENT / "feedback").rglob("*.html")), "bob got feedback he did not fetch"

        # Everything the hub started, kernels included, listened on loopback only.
        sockets = hub.hub.check_loopback()
        assert len({s.port for s in sockets}) >= 5, (
            f"expected the proxy, the hub and three servers on loopback; saw {sockets}")
    finally:
        for session in sessions:
            session.close()
