"""The instructor's pipeline: nbgrader's own commands, run from the course root."""

import os
import subprocess
import sys
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

from course.layout import ASSIGNMENT
from course.gradebook.scores import Score, read_scores  # noqa: F401 (Score: the type scores() returns)
from course.gradebook.scores import clear_manual_grade as forget_manual_grade
from course.gradebook.scores import set_manual_grade as record_manual_grade


class PipelineError(RuntimeError):
    """An nbgrader step failed; the message holds the end of its output."""


def nbgrader(root, *args, check=True):
    """Run ``nbgrader ARGS`` in ``root`` with this interpreter; return its output.

    Raises
    ------
    PipelineError
        If ``check`` and the command exits non-zero.
    """
    # nbgrader runs `alembic` (installed beside it) by name: put this
    # environment's scripts first on PATH, as an activated venv would.
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True)
    output = result.stdout + result.stderr
    if check and result.returncode != 0:
        tail = "\n".join(output.splitlines()[-25:])
        raise PipelineError(f"nbgrader {' '.join(args)} failed (exit {result.returncode}) "
                            f"in {root}:\n{tail}")
    return output


def config(root):
    """The course's nbgrader configuration: its ``nbgrader_config.py``."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(Path(root).resolve())).load_config()


def db_url(root):
    """The gradebook URL the course's ``nbgrader_config.py`` gives (SQLite by default)."""
    return CourseDirectory(config=config(root), root=str(Path(root).resolve())).db_url


def students(root):
    """The students who handed something in: the folders of ``submitted/``."""
    submitted = Path(root) / "submitted"
    return sorted(p.name for p in submitted.iterdir() if p.is_dir()) if submitted.is_dir() else []


def release(root, assignment=ASSIGNMENT, *, db=True):
    """Generate ``release/<assignment>`` from ``source/<assignment>``.

    With ``db``, ``generate_assignment`` also adds the assignment to the gradebook
    (its ``create_assignment``), which ``autograde`` needs.
    """
    return nbgrader(root, "generate_assignment", assignment, "--force",
                    *(() if db else ("--no-db",)))


def autograde(root, assignment=ASSIGNMENT, student=None):
    """Autograde one student's submission, or every student's.

    nbgrader exits 1 when any submission could not be graded; that is
    reported by :func:`scores` (no grade), not raised here. nbgrader adds a
    student it does not know yet to the gradebook itself (``create_student``).
    """
    args = ["autograde", assignment, "--force"] + (["--student", student] if student else [])
    return nbgrader(root, *args, check=False)


def feedback(root, assignment=ASSIGNMENT):
    """Generate ``feedback/<student>/<assignment>/*.html``."""
    return nbgrader(root, "generate_feedback", assignment, "--force")


def export(root):
    """Write ``grades.csv`` with nbgrader's exporter."""
    return nbgrader(root, "export")


def scores(root, assignment=ASSIGNMENT):
    """The :class:`~course.gradebook.scores.Score` of every student of ``submitted/`` and of the
    gradebook's roster, all notebooks together, in order of their ids.

    Raises
    ------
    course.gradebook.scores.ScoreError
        If two notebooks of the assignment use the same ``grade_id`` for a graded
        cell (their points could not be told apart).
    """
    with Gradebook(db_url(root)) as gb:
        roster = {s.id for s in gb.students}
        return read_scores(gb, assignment, sorted(roster | set(students(root))), root)


def set_manual_grade(root, student, grade_id, points, assignment=ASSIGNMENT, *, override=False):
    """Record an instructor's points for a cell (:func:`course.gradebook.scores.set_manual_grade`)."""
    with Gradebook(db_url(root)) as gb:
        record_manual_grade(gb, student, grade_id, points, assignment, override=override)


def clear_manual_grade(root, student, grade_id, assignment=ASSIGNMENT):
    """Remove an instructor's points for a cell (:func:`course.gradebook.scores.clear_manual_grade`)."""
    with Gradebook(db_url(root)) as gb:
        forget_manual_grade(gb, student, grade_id, assignment)
