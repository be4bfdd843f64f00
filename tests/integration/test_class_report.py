"""`course report` on a class of known mistakes: every count is what the catalogue declares.

The class (``support.report_class``) answers the exercises with entries of the mistake
catalogue, each of which loses exactly its ``loses`` cells with its ``mistake`` code
(tests/integration/test_catalogue.py holds every entry to that); a student leaves an
exercise as released, one hands in no Layers.ipynb, one an empty folder, one is on the
roster with nothing handed in, and written answers wait, are graded or are blank. The
class is graded once for this module; the report is written by the `course` command.
"""

import csv
import os
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup
from nbgrader.api import Gradebook

from course import pipeline
from course.gradebook import report
from course.judge import spec as specs
from support import ASSIGNMENT, DEMO_LOSSES
from support.report_class import (BLANK_ANSWER, CLASS, EMPTY, GRADED_ANSWER, ROSTER_ONLY, STUB,
                                  WRITTEN, build_graded_class, entries)

pytestmark = pytest.mark.slow

EXERCISES = specs.exercises(ASSIGNMENT)
COURSE_ORDER = ["Initialization", "Layers", "Gradients"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory, released_course):
    root = build_graded_class(released_course, tmp_path_factory.mktemp("class-report") / "course")
    result = subprocess.run([sys.executable, "-m", "course", "--root", str(root), "report"],
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stdout + result.stderr
    return root, result, root / "reports" / ASSIGNMENT


def _csv(folder, name):
    with open(folder / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _test_cells(exercise):
    return [t.grade_id for t in exercise.tests]


def _hands_in(answers, notebook):
    """Whether a student of CLASS hands ``notebook`` in: it holds a function they answer."""
    return bool({e.function for e in EXERCISES if e.notebook == notebook} & set(answers))


def _expected_losses():
    """``{student: {grade_id: mistake code, or "" for a notebook not handed in}}``."""
    catalogue = entries()
    losses = {}
    for student, answers in CLASS.items():
        lost = losses.setdefault(student, {})
        for exercise in EXERCISES:
            answer = answers.get(exercise.function)
            if not _hands_in(answers, exercise.notebook):
                lost.update(dict.fromkeys(_test_cells(exercise), ""))   # not handed in
            elif answer == STUB:
                lost.update(dict.fromkeys(_test_cells(exercise), f"{exercise.key}.not_written"))
            elif answer is not None and catalogue[answer].wrong:
                lost.update(dict.fromkeys(catalogue[answer].loses, catalogue[answer].mistake))
    return losses


LOSSES = _expected_losses()


def _grouped(kind):
    """``{(code, description or ""): (students, cells)}`` the catalogue declares."""
    found = {}
    for student, lost in LOSSES.items():
        for cell, code in lost.items():
            other = code == "" or code.endswith(".not_written")
            if other != (kind == "other"):
                continue
            key = (code, report.NOT_HANDED_IN if code == "" else "")
            students, cells = found.setdefault(key, (set(), set()))
            students.add(student)
            cells.add(cell)
    return found


def test_the_class_is_what_the_test_needs():
    """At least one mistake made by two students with two different entries, one shown
    in two cells, one shared by two students; a right answer of each function."""
    mistakes = _grouped("mistake")
    assert any(len(students) >= 2 for students, _ in mistakes.values())
    assert any(len(cells) == 2 for _, cells in mistakes.values())
    catalogue = entries()
    by_code = {}
    for answers in CLASS.values():
        for name in answers.values():
            if name != STUB and catalogue[name].wrong:
                by_code.setdefault(catalogue[name].mistake, set()).add(name)
    assert any(len(names) >= 2 for names in by_code.values())   # he.missing_sqrt


def test_every_mistake_is_counted_once_per_student_with_its_cells(graded):
    _, _, folder = graded
    rows = [r for r in _csv(folder, "mistakes.csv") if r["kind"] == "mistake"]
    descriptions = specs.mistakes(ASSIGNMENT)
    found = {(r["code"], ""): (set(r["student_ids"].split()), set(r["cells"].split()))
             for r in rows}
    assert found == _grouped("mistake")
    for r in rows:
        assert int(r["students"]) == len(r["student_ids"].split())
        assert int(r["of"]) == len(CLASS)      # every student who handed something in
        assert r["description"] == descriptions[r["code"]]
        exercise = next(e for e in EXERCISES if e.key == r["code"].split(".")[0])
        assert (r["function"], r["notebook"]) == (exercise.function, exercise.notebook)


def test_the_mistakes_most_students_made_come_first(graded):
    _, _, folder = graded
    rows = [r for r in _csv(folder, "mistakes.csv") if r["kind"] == "mistake"]
    counts = [int(r["students"]) for r in rows]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 2
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    # among as many students, in course order: never alphabetical
    cell_order = [t.grade_id for e in EXERCISES for t in e.tests]
    for count in set(counts):
        firsts = [cell_order.index(r["cells"].split()[0]) for r in rows
                  if int(r["students"]) == count]
        assert firsts == sorted(firsts)


def test_cells_lost_without_a_misconception_say_why(graded):
    _, _, folder = graded
    rows = [r for r in _csv(folder, "mistakes.csv") if r["kind"] == "other"]
    found = {(r["code"], r["description"] if not r["code"] else ""):
             (set(r["student_ids"].split()), set(r["cells"].split())) for r in rows}
    assert found == _grouped("other")
    assert {r["notebook"] for r in rows if not r["code"]} == {"Layers"}


def test_every_test_cell_counts_graded_passed_failed_and_its_mean(graded):
    root, _, folder = graded
    rows = _csv(folder, "cells.csv")
    maxima = next(s for s in pipeline.scores(root) if s.student == "dia").max_points
    tests = [t.grade_id for e in EXERCISES for t in e.tests]
    assert [r["grade_id"] for r in rows] == tests
    assert list(dict.fromkeys(r["notebook"] for r in rows)) == COURSE_ORDER
    for r in rows:
        failed = {s for s, lost in LOSSES.items() if r["grade_id"] in lost}
        graded_count = len(CLASS)
        assert (int(r["graded"]), int(r["failed"]), int(r["passed"])) == (
            graded_count, len(failed), graded_count - len(failed)), r["grade_id"]
        mean = maxima[r["grade_id"]] * (graded_count - len(failed)) / graded_count
        assert float(r["mean_points"]) == pytest.approx(mean, abs=5e-4)
        assert float(r["failed_share"]) == pytest.approx(len(failed) / graded_count, abs=5e-4)


def test_each_student_has_one_state_as_course_scores_says(graded):
    root, result, _ = graded
    record = report.collect(root, ASSIGNMENT)
    states = dict(report.state_rows(record))
    waiting = {s for s, answers in CLASS.items() if _hands_in(answers, "Layers")
               and s not in BLANK_ANSWER | set(GRADED_ANSWER)}
    assert set(states["needs manual grading"]) == waiting == {"ana", "eli"}
    assert set(states["complete"]) == set(CLASS) - waiting
    # a folder without a notebook is nothing handed in (course.gradebook.scores.handed_in)
    assert states[report.NOT_SUBMITTED] == sorted(ROSTER_ONLY + EMPTY)
    scores = {s.student: s.status for s in pipeline.scores(root)}
    assert {s: state for state, students in states.items() for s in students} == scores
    assert f"{len(CLASS) + len(EMPTY) + len(ROSTER_ONLY)} students:" in result.stdout


def test_written_answers_waiting_link_to_their_submission_in_the_formgrader(graded):
    root, _, folder = graded
    soup = BeautifulSoup((folder / "report.html").read_text(), "html.parser")
    links = {row.find_all("td")[0].get_text(): row.find("a")["href"]
             for row in soup.select(f'table.waiting-table[data-cell="{WRITTEN}"] tbody tr')}
    assert set(links) == {"ana", "eli"}
    with Gradebook(pipeline.db_url(root)) as gb:
        for student, href in links.items():
            notebook = gb.find_submission_notebook("Layers", ASSIGNMENT, student)
            assert href == f"http://localhost:8888/formgrader/submissions/{notebook.id}/"


def test_the_page_shows_the_same_counts_as_the_csv(graded):
    _, _, folder = graded
    soup = BeautifulSoup((folder / "report.html").read_text(), "html.parser")
    rows = [r for r in _csv(folder, "mistakes.csv") if r["kind"] == "mistake"]
    shown = [(tr["data-code"], tr.find_all("td")[1].get_text())
             for tr in soup.select("#mistakes-table tbody tr")]
    assert shown == [(r["code"], f"{r['students']} of {r['of']}") for r in rows]
    for r in rows:
        tr = soup.select_one(f'#mistakes-table tr[data-code="{r["code"]}"]')
        assert tr.find("details").get_text(" ").split(maxsplit=2)[2] == ", ".join(
            r["student_ids"].split())
    cells = [tr["data-cell"] for tr in soup.select("#cells-table tbody tr")]
    assert cells == [r["grade_id"] for r in _csv(folder, "cells.csv")]
    states = {tr["data-state"]: int(tr.find_all("td")[1].get_text())
              for tr in soup.select("#states-table tbody tr")}
    assert states[report.NOT_SUBMITTED] == len(ROSTER_ONLY) + len(EMPTY)
    assert sum(states.values()) == len(CLASS) + len(EMPTY) + len(ROSTER_ONLY)


def test_the_score_figures_count_what_the_gradebook_holds(graded):
    root, _, folder = graded
    record = report.collect(root, ASSIGNMENT)
    scores = {s.student: s for s in pipeline.scores(root)}
    assert record.notebooks == COURSE_ORDER
    for notebook in COURSE_ORDER:
        scored, left_out = report.distribution(record, notebook)
        assert {s for s, _, _ in scored} == set(CLASS)
        assert set(left_out) == set(EMPTY) | set(ROSTER_ONLY)
        for student, points, final in scored:
            assert points == pytest.approx(scores[student].subtotal(notebook), abs=1e-9)
            assert final == (notebook != "Layers" or WRITTEN not in scores[student].needs_manual)
    soup = BeautifulSoup((folder / "report.html").read_text(), "html.parser")
    images = soup.select("#scores ~ figure img")
    assert len(images) == len(COURSE_ORDER) + 1
    assert all(img["src"].startswith("data:image/png;base64,") for img in images)


def test_the_demo_class_report_names_every_cell_a_demo_student_lost(graded_demo):
    """The demo class, graded once per session: each cell a student lost is in one row of
    the mistakes or of the other losses, with that student, and no other cell is."""
    record = report.collect(graded_demo, ASSIGNMENT)
    shown = {}
    for row in report.mistake_rows(record) + report.other_rows(record):
        for student in row.students:
            for cell in row.cells:
                shown.setdefault(student, set()).add(cell)
    for student, lost in DEMO_LOSSES.items():
        assert shown.get(student, set()) == lost, student
    assert "solution" not in shown
