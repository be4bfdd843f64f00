"""Deadlines end to end: late and on-time work through nbgrader's exchange and an LMS download.

One course, due two and a half days before the test runs (`course release --due`),
its class registered from the roster with nbgrader's own `db student import`:

- through the exchange (`release_assignment`, `submit` from each student's own HOME,
  `collect`): alice hands in now, 2.5 days late (3 days started: -30%); emeka too,
  with an extension of 80 hours granted before he handed anything in: on time;
- through an LMS download (Canvas's file names, `zip_collect` with the course's
  collector): carol 2 hours before the due date and dmitri 30 hours after (2 days
  started: -20%), both from `submission_times.csv`; bob flagged LATE_ by the LMS with
  no time: unknown, and said so at every step.

One `course grade` run grades the five (lean notebooks); the written answers are then
graded by hand (the penalty, a share of the score, follows); dmitri is given 24
hours (-10% at once), graded again (still -10%: from the timestamp and the
extension), and the extension is revoked (-20% again). Then grades.csv, a feedback
page, and the Canvas and Moodle files, read back by each LMS's rules.
"""

import csv
import io
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat
import pytest
from nbgrader.api import Gradebook

from course import pipeline
from course.submissions import lms_archive
from support import ASSIGNMENT, ROOT, lean, make_course
from support.lms_import import canvas_import, moodle_import

pytestmark = pytest.mark.slow

COURSE_ID = "initialization-course"
EXCHANGE = ["alice", "emeka"]
LMS = ["bob", "carol", "dmitri"]
MANUAL = {"alice": 2.0, "carol": 1.0, "dmitri": 1.5, "emeka": 2.0}   # bob's answer is blank: 0
ROSTER = """id,last_name,first_name,email,canvas_id,sis_user_id,sis_login_id,section
alice,Liddell,Alice,alice@example.edu,20460,S-1001,aliddell,Section 1
bob,Builder,Bob,bob@example.edu,20461,S-1002,bbuilder,Section 1
carol,Danvers,Carol,carol@example.edu,20462,S-1003,cdanvers,Section 2
dmitri,Mendeleev,Dmitri,dmitri@example.edu,20463,S-1004,dmendeleev,Section 2
emeka,Okafor,Emeka,emeka@example.edu,20464,S-1005,eokafor,Section 1
gus,Grissom,Gus,gus@example.edu,20466,S-1007,ggrissom,Section 2
"""


def _course(*args, root):
    result = subprocess.run([sys.executable, "-m", "course", "--root", str(root), *args],
                            capture_output=True, text=True, timeout=900,
                            env={**os.environ, "COLUMNS": "250"})
    assert result.returncode == 0, f"course {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def _nbgrader_as(home, cwd, *args):
    """``nbgrader ARGS`` as another user would: own HOME (own ~/.jupyter), own folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_", "JPY_", "NBGRADER_"))}
    env.update(HOME=str(home), PATH=os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert result.returncode == 0, f"nbgrader {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def _lean_copy(student, folder):
    folder.mkdir(parents=True, exist_ok=True)
    for path in (ROOT / "submitted" / student / ASSIGNMENT).glob("*.ipynb"):
        nbformat.write(lean(nbformat.read(path, as_version=4)), folder / path.name)


def _gradebook(root):
    """Per student: the gradebook's time, extension, and each notebook's score and stored penalty."""
    with Gradebook(pipeline.db_url(root)) as gb:
        return {s.student.id: {"timestamp": s.timestamp, "extension": s.extension,
                               "notebooks": {nb.notebook.name: (nb.score, nb.late_submission_penalty)
                                             for nb in s.notebooks}}
                for s in gb.assignment_submissions(ASSIGNMENT)}


def _scores_csv(root):
    return {r["student"]: r for r in csv.DictReader(io.StringIO(_course("scores", "--csv", root=root)))}


@pytest.fixture(scope="module")
def late(tmp_path_factory):
    base = tmp_path_factory.mktemp("deadlines")
    now = datetime.now(timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
    due = now - timedelta(days=2, hours=12)
    root = make_course(base / "instructor" / "course")
    run = {"due": due, "root": root}
    run["released"] = _course("release", "--due", f"{due:%Y-%m-%d %H:%M} UTC", root=root)
    (root / "roster.csv").write_text(ROSTER)
    pipeline.nbgrader(root, "db", "student", "import", str(root / "roster.csv"))
    run["granted"] = _course("extend", "emeka", "--hours", "80", "--note", "flu, certificate seen",
                             root=root)

    # nbgrader's exchange, as on a JupyterHub
    exchange = base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    flag = f"--Exchange.root={exchange}"
    _nbgrader_as(base / "instructor", root, "release_assignment", ASSIGNMENT, flag)
    for student in EXCHANGE:
        home = base / "students" / student
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.Exchange.root = {str(exchange)!r}\n")
        _lean_copy(student, home / ASSIGNMENT)   # the fetched assignment, filled in
        _nbgrader_as(home, home, "submit", ASSIGNMENT, f"--CourseDirectory.student_id={student}")
    _nbgrader_as(base / "instructor", root, "collect", ASSIGNMENT, flag,
                 "--ExchangeCollect.check_owner=False")

    # an LMS download: Canvas's names (LATE_ for dmitri and bob), times from the instructor
    for student in LMS:
        _lean_copy(student, base / "lms-class" / student / ASSIGNMENT)
    downloaded = root / "downloaded" / ASSIGNMENT
    (downloaded / "archive").mkdir(parents=True)
    lms_archive.write_archive(base / "lms-class", ASSIGNMENT,
                              downloaded / "archive" / "submissions.zip", late=["dmitri", "bob"])
    berlin = (due - timedelta(hours=2)).replace(tzinfo=timezone.utc).astimezone(
        ZoneInfo("Europe/Berlin"))
    india = (due + timedelta(hours=30)).replace(tzinfo=timezone.utc).astimezone(
        timezone(timedelta(hours=5, minutes=30)))
    (downloaded / "submission_times.csv").write_text(
        f"student_id,submitted_at\ncarol,{berlin:%Y-%m-%d %H:%M} Europe/Berlin\n"
        f"dmitri,{india.isoformat()}\n")
    run["collected"] = _nbgrader_as(base / "instructor", root, "zip_collect", ASSIGNMENT)

    run["graded"] = _course("grade", "--jobs", "2", root=root)
    run["after_grading"] = _gradebook(root)
    run["scores_after_grading"] = _scores_csv(root)
    for student, points in MANUAL.items():   # as `course manual-grade` does
        pipeline.set_manual_grade(root, student, "relu_spread_answer", points)
    run["after_manual"] = _gradebook(root)

    # dmitri: 24 hours more after grading; graded again; the extension revoked
    run["extended"] = _course("extend", "dmitri", "--hours", "24", root=root)
    run["extended_scores"] = _scores_csv(root)
    run["after_extension"] = _gradebook(root)
    _course("grade", "--students", "dmitri", "--jobs", "1", root=root)
    run["after_regrade"] = _gradebook(root)
    run["extensions"] = _course("extensions", root=root)
    run["revoked"] = _course("extend", "dmitri", "--revoke", root=root)
    run["after_revoke"] = _gradebook(root)
    run["scores"] = _scores_csv(root)
    run["table"] = _course("scores", root=root)
    return run


def _fraction(student):
    return {"alice": 0.3, "dmitri": 0.2}.get(student, 0.0)


def test_release_records_the_due_date_and_says_the_policy(late):
    due = late["due"]
    assert f"due {due:%Y-%m-%d %H:%M} UTC; late work: 10% of the score per day started past the due " \
           f"date, at most 50%; 0 after 7 days; 5 minutes of grace" in late["released"]
    with Gradebook(pipeline.db_url(late["root"])) as gb:
        assert gb.find_assignment(ASSIGNMENT).duedate == due


def test_times_from_the_exchange_and_the_lms_reach_the_gradebook(late):
    book, due = late["after_grading"], late["due"]
    assert sorted(book) == sorted(EXCHANGE + LMS)
    assert book["carol"]["timestamp"] == due - timedelta(hours=2)      # from Europe/Berlin
    assert book["dmitri"]["timestamp"] == due + timedelta(hours=30)    # from +05:30
    for student in EXCHANGE:   # nbgrader submit's own clock: after the fixture started
        assert due + timedelta(days=2, hours=12) <= book[student]["timestamp"] \
            < due + timedelta(days=2, hours=14)
    assert book["bob"]["timestamp"] is None
    assert book["emeka"]["extension"] == timedelta(hours=80)
    assert ("bob: the LMS marks the submission late but gives no time; write it in "
            f"{late['root'] / 'downloaded' / ASSIGNMENT / 'submission_times.csv'}") in late["collected"]
    assert "dmitri: the LMS marks" not in late["collected"]   # his time is known
    assert "emeka: 80 hours more on initialization: due " in late["granted"]


def test_course_grade_says_who_was_late_and_what_it_cost(late):
    lines = [line for line in late["graded"].splitlines() if re.match(r"(alice|bob|carol|dmitri|emeka): ", line)]
    book = late["after_grading"]

    def points(student):   # the penalty on the score the autograder gave
        return f"{round(_fraction(student) * sum(s for s, _ in book[student]['notebooks'].values()), 2):g}"

    assert len(lines) == 3, late["graded"]
    assert re.fullmatch(r"alice: late by 2 days 1[23] hours: -30% of the score \(3 days started, "
                        rf"10% a day\), -{points('alice')} points", lines[0]), lines
    assert lines[1] == ("bob: lateness unknown, no penalty applied: no submitted/bob/initialization/"
                        "timestamp.txt (neither the exchange nor the LMS gave a time)")   # once
    assert lines[2] == (f"dmitri: late by 1 day 6 hours: -20% of the score (2 days started, 10% a day), "
                        f"-{points('dmitri')} points")


def test_nbgrader_stores_the_policys_penalty_and_a_manual_grade_moves_it(late):
    for stage in ("after_grading", "after_manual"):
        for student, facts in late[stage].items():
            for notebook, (score, penalty) in facts["notebooks"].items():
                wanted = _fraction(student) * score if student in ("alice", "dmitri") else None
                assert penalty == (pytest.approx(wanted) if wanted is not None else None), \
                    (stage, student, notebook)
    layers = lambda stage: late[stage]["alice"]["notebooks"]["Layers"]   # noqa: E731
    assert layers("after_manual")[0] == layers("after_grading")[0] + 2
    assert layers("after_manual")[1] == pytest.approx(0.3 * layers("after_manual")[0])


def test_an_extension_granted_after_grading_counts_at_once_through_a_regrade_and_revoked(late):
    def penalties(stage):
        return {nb: p for nb, (_, p) in late[stage]["dmitri"]["notebooks"].items()}

    def shares(stage, fraction):
        return {nb: pytest.approx(fraction * s) for nb, (s, _) in late[stage]["dmitri"]["notebooks"].items()}

    assert "dmitri: 24 hours more on initialization: due " in late["extended"]
    assert ("dmitri's graded submission: late by 6 hours after an extension of 24 hours: -10% of the "
            "score (1 day started, 10% a day)") in late["extended"]
    assert penalties("after_extension") == shares("after_extension", 0.1)      # at once
    assert late["after_extension"]["dmitri"]["extension"] == timedelta(hours=24)
    assert penalties("after_regrade") == shares("after_regrade", 0.1)          # the regrade agrees
    assert re.search(r"dmitri\W+24\W+\S+ \S+ UTC\W+\S+ \S+ UTC", late["extensions"]), late["extensions"]
    assert re.search(r"emeka\W+80\W+.* flu, certificate seen", late["extensions"])
    assert "dmitri: the extension of 24 hours on initialization is revoked" in late["revoked"]
    assert penalties("after_revoke") == shares("after_revoke", 0.2)
    assert late["after_revoke"]["dmitri"]["extension"] is None
    row = late["extended_scores"]["dmitri"]
    assert float(row["late_penalty"]) == pytest.approx(0.1 * float(row["total"]), abs=0.006)


def test_scores_say_how_late_what_it_cost_and_the_final_score(late):
    rows = late["scores"]
    for student in ("alice", "carol", "dmitri", "emeka"):
        total = float(rows[student]["total"])
        assert rows[student]["status"] == "complete"
        assert float(rows[student]["late_penalty"]) == pytest.approx(_fraction(student) * total, abs=0.006)
        assert float(rows[student]["final"]) == pytest.approx((1 - _fraction(student)) * total, abs=0.006)
    assert rows["carol"]["late"] == "on time"
    assert rows["emeka"]["late"] == "on time (with an extension of 80 hours)"
    assert rows["bob"]["late"].startswith("lateness unknown") and rows["bob"]["final"] == ""
    assert "Late work" in late["table"] and "unknown" in late["table"]


def test_grades_csv_takes_the_penalty_off_and_leaves_an_unknown_lateness_empty(late):
    root = late["root"]
    pipeline.export(root)
    with open(root / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    for student in ("alice", "carol", "dmitri", "emeka"):
        raw = float(rows[student]["raw_score"])
        assert float(rows[student]["late_submission_penalty"]) == pytest.approx(_fraction(student) * raw)
        assert float(rows[student]["score"]) == pytest.approx((1 - _fraction(student)) * raw)
    assert rows["emeka"]["extension_hours"] == "80"
    assert rows["dmitri"]["lateness"].startswith("late by 1 day 6 hours: -20% of the score")
    assert rows["bob"]["score"] == "" and rows["bob"]["lateness"].startswith("lateness unknown")
    assert rows["gus"]["status"] == "not submitted"


def test_the_feedback_page_says_when_it_was_handed_in_and_what_lateness_cost(late):
    root = late["root"]
    pipeline.nbgrader(root, "generate_feedback", ASSIGNMENT, "--student", "alice", "--force")
    page = (root / "feedback" / "alice" / ASSIGNMENT / "Initialization.html").read_text()
    score, penalty = late["after_revoke"]["alice"]["notebooks"]["Initialization"]
    assert re.search(rf"Handed in \S+ \S+ UTC, 2 days 1[23] hours late \(due {late['due']:%Y-%m-%d %H:%M} "
                     rf"UTC\): -30% of the score \(3 days started, 10% a day\); "
                     rf"{round(penalty, 2):g} points in this notebook\.", page), page[:3000]
    assert f"Late submission penalty (Score: -{round(penalty, 2)}" in page
    assert f"(Score: {round(score - penalty, 2)} / " in page


def test_the_canvas_and_moodle_files_hold_the_final_scores_and_name_who_is_left_out(late):
    root = late["root"]
    out = _course("export", "--to", "canvas", "--column", "Initialization (4242)", root=root)
    scores = {s.student: s.total for s in pipeline.scores(root)}
    wanted = {student: f"{round((1 - _fraction(student)) * scores[student], 2):g}"
              for student in ("alice", "carol", "dmitri", "emeka")}
    users = [{"id": 20460 + i, "name": n, "sortable_name": n, "sis_user_id": f"S-100{i + 1}",
              "login_id": ""} for i, n in enumerate(["A", "B", "C", "D", "E"])]
    imported = canvas_import((root / "canvas-grades.csv").read_text(encoding="utf-8"), users,
                             {4242: "Initialization"})
    assert imported["columns"] == [(4242, "Initialization", "18")]
    ids = {"alice": 20460, "carol": 20462, "dmitri": 20463, "emeka": 20464}
    assert imported["grades"] == {ids[s]: {5: points} for s, points in wanted.items()}
    assert "bob: not final, lateness unknown (no submitted/bob/initialization/timestamp.txt" in out
    assert "gus: on roster.csv, nothing handed in: left out (--zero-missing writes 0)" in out
    out = _course("export", "--to", "moodle", "--id-field", "email", root=root)
    emails = [{"id": s, "email": f"{s}@example.edu"} for s in ("alice", "carol", "dmitri", "emeka", "bob")]
    grades = moodle_import((root / "moodle-grades.csv").read_text(encoding="utf-8"), emails,
                           map_from="Email address", map_to="useremail", grade_column="initialization")
    assert grades == {s: pytest.approx(float(p)) for s, p in wanted.items()}
    assert "map from 'Email address' to useremail" in out
