"""A small nbgrader gradebook made with nbgrader's own API: no release, no grading run.

For tests of what is read from a gradebook (lateness, penalties, LMS files): an
assignment ``ps1`` of two notebooks, ``one`` (test cells ``check_a``, 2 points, and
``check_b``, 3) and ``two`` (a written answer ``answer``, 5 points), in a course
root whose ``nbgrader_config.py`` sets the late policy :data:`POLICY`.
"""

import os
import shutil
import sys
from datetime import datetime

from nbgrader.api import Gradebook

ASSIGNMENT = "ps1"
CELLS = {"check_a": ("one", 2), "check_b": ("one", 3), "answer": ("two", 5)}
POLICY = """c = get_config()
c.AssignLatePenalties.plugin_class = "course.gradebook.deadlines.LatePolicy"
c.LatePolicy.percent_per_day = 10
c.LatePolicy.max_percent = 50
c.LatePolicy.zero_after_days = 7
c.LatePolicy.grace_minutes = 5
"""
DUE = datetime(2027, 3, 1, 22, 59)   # naive UTC, as nbgrader stores it


def url_of(root):
    return f"sqlite:///{root / 'gradebook.db'}"


def build_template(root):
    """A course root holding the empty gradebook (run once: nbgrader stamps it with alembic)."""
    root.mkdir(parents=True, exist_ok=True)
    saved = os.environ["PATH"]   # nbgrader runs `alembic` by name to stamp a new gradebook
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), saved])
    try:
        with Gradebook(url_of(root)) as gb:
            gb.add_assignment(ASSIGNMENT, duedate=DUE)
            for notebook in ("one", "two"):
                gb.add_notebook(notebook, ASSIGNMENT)
            for cell, (notebook, points) in CELLS.items():
                gb.add_grade_cell(cell, notebook, ASSIGNMENT, max_score=points,
                                  cell_type="markdown" if cell == "answer" else "code")
            gb.add_solution_cell("answer", "two", ASSIGNMENT)
    finally:
        os.environ["PATH"] = saved
    (root / "nbgrader_config.py").write_text(POLICY)
    return root


def copy_course(template, root):
    """A fresh copy of the template course to change."""
    shutil.copytree(template, root)
    return root


def hand_in(root, student, *, submitted=None, points=None, manual=None, timestamp_file=None):
    """Add ``student``'s graded submission: ``points`` per autograded cell, ``manual`` for the answer.

    ``submitted`` is the gradebook's time (naive UTC); ``timestamp_file`` the text of
    ``submitted/<student>/ps1/timestamp.txt`` (not written when None). The answer waits
    for a grader when ``manual`` is None.
    """
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    for notebook in ("one", "two"):   # handed in (their content is not read here)
        (folder / f"{notebook}.ipynb").write_text("{}")
    if timestamp_file is not None:
        (folder / "timestamp.txt").write_text(timestamp_file)
    points = {"check_a": 2, "check_b": 3, **(points or {})}
    with Gradebook(url_of(root)) as gb:
        gb.update_or_create_student(student)
        gb.add_submission(ASSIGNMENT, student, timestamp=submitted)
        for cell, (notebook, _) in CELLS.items():
            grade = gb.find_grade(cell, notebook, ASSIGNMENT, student)
            if cell == "answer":
                grade.auto_score, grade.manual_score = None, manual
                grade.needs_manual_grade = manual is None
            else:
                grade.auto_score, grade.needs_manual_grade = points[cell], False
        gb.db.commit()
