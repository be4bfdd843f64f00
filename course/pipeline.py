"""The instructor's pipeline: nbgrader's own commands, run from the course root."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

ASSIGNMENT = "initialization"


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


def db_url(root):
    """The gradebook URL the course's ``nbgrader_config.py`` gives (SQLite by default)."""
    root = str(Path(root).resolve())
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    return CourseDirectory(config=config, root=root).db_url


def students(root):
    """The students who handed something in: the folders of ``submitted/``."""
    submitted = Path(root) / "submitted"
    return sorted(p.name for p in submitted.iterdir() if p.is_dir()) if submitted.is_dir() else []


def release(root, assignment=ASSIGNMENT, *, db=True):
    """Generate ``release/<assignment>`` from ``source/<assignment>``."""
    if db:
        nbgrader(root, "db", "assignment", "add", assignment)
    return nbgrader(root, "generate_assignment", assignment, "--force",
                    *(() if db else ("--no-db",)))


def autograde(root, assignment=ASSIGNMENT, student=None):
    """Autograde one student's submission, or every student's.

    nbgrader exits 1 when any submission could not be graded; that is
    reported by :func:`scores` (no grade), not raised here.
    """
    for sid in ([student] if student else students(root)):
        nbgrader(root, "db", "student", "add", sid)
    args = ["autograde", assignment, "--force"] + (["--student", student] if student else [])
    return nbgrader(root, *args, check=False)


def feedback(root, assignment=ASSIGNMENT):
    """Generate ``feedback/<student>/<assignment>/*.html``."""
    return nbgrader(root, "generate_feedback", assignment, "--force")


def export(root):
    """Write ``grades.csv`` with nbgrader's exporter."""
    return nbgrader(root, "export")


@dataclass
class Score:
    """One student's grades: points per test cell, in notebook order."""

    student: str
    points: dict      # grade_id -> points scored, None when not graded
    max_points: dict  # grade_id -> points possible

    @property
    def total(self):
        return sum(p for p in self.points.values() if p is not None)

    @property
    def graded(self):
        return all(p is not None for p in self.points.values())


def scores(root, assignment=ASSIGNMENT):
    """Every student's :class:`Score` from the gradebook of ``root``."""
    result = []
    with Gradebook(db_url(root)) as gb:
        cells = [(nb.name, cell) for nb in gb.find_assignment(assignment).notebooks
                 for cell in nb.grade_cells]
        maxima = {cell.name: cell.max_score for _, cell in cells}
        for sid in students(root):
            points = {}
            for nb_name, cell in cells:
                try:
                    grade = gb.find_grade(cell.name, nb_name, assignment, sid)
                    points[cell.name] = grade.score
                except MissingEntry:
                    points[cell.name] = None
            result.append(Score(sid, points, maxima))
    return result
