"""The instructor's pipeline: nbgrader's own commands, run from the course root."""

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

from .layout import ASSIGNMENT


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
    """One student's grades: points per graded cell, in notebook order.

    A manually graded cell (a written answer) the student filled in has no
    points until an instructor grades it in the formgrader: its points are
    None and its ``grade_id`` is in ``needs_manual``. A blank answer is
    scored 0 by the autograder and needs nothing more.
    """

    student: str
    points: dict      # grade_id -> points scored, None when not graded (yet)
    max_points: dict  # grade_id -> points possible
    notebooks: dict = field(default_factory=dict)    # grade_id -> notebook name
    needs_manual: set = field(default_factory=set)   # grade_ids awaiting an instructor

    @property
    def total(self):
        return sum(p for p in self.points.values() if p is not None)

    def cells(self, notebook):
        """The grade_ids of ``notebook`` (a name without .ipynb), in order."""
        return [g for g in self.points if self.notebooks.get(g) == notebook]

    def subtotal(self, notebook):
        """Points scored in ``notebook``'s cells so far."""
        return sum(self.points[g] or 0 for g in self.cells(notebook))

    @property
    def graded(self):
        """Whether the autograder scored every cell it can score."""
        return all(p is not None for g, p in self.points.items() if g not in self.needs_manual)

    @property
    def complete(self):
        """Whether every cell has its points, the manually graded ones included."""
        return self.graded and not self.needs_manual


def scores(root, assignment=ASSIGNMENT):
    """Every student's :class:`Score` from the gradebook of ``root``, all notebooks together.

    Raises
    ------
    PipelineError
        If two notebooks of the assignment use the same ``grade_id`` for a graded
        cell (their points could not be told apart).
    """
    result = []
    with Gradebook(db_url(root)) as gb:
        cells, notebooks, manual = [], {}, set()
        for nb in gb.find_assignment(assignment).notebooks:
            answers = {cell.name for cell in nb.solution_cells}
            for cell in nb.grade_cells:
                if cell.name in notebooks:
                    raise PipelineError(f"grade_id {cell.name} is used in both "
                                        f"{notebooks[cell.name]} and {nb.name}; graded cells "
                                        f"need ids unique across the assignment")
                notebooks[cell.name] = nb.name
                cells.append((nb.name, cell))
                if cell.name in answers:
                    manual.add(cell.name)
        maxima = {cell.name: cell.max_score for _, cell in cells}
        for sid in students(root):
            points, pending = {}, set()
            for nb_name, cell in cells:
                try:
                    grade = gb.find_grade(cell.name, nb_name, assignment, sid)
                except MissingEntry:
                    points[cell.name] = None
                    continue
                # nbgrader reports 0 for an answer nobody has graded yet; the flag
                # tells it apart from a real 0 (a blank answer, or the grader's).
                if cell.name in manual and grade.needs_manual_grade and grade.manual_score is None:
                    points[cell.name] = None
                    pending.add(cell.name)
                else:
                    points[cell.name] = grade.score
            result.append(Score(sid, points, maxima, notebooks, pending))
    return result


def set_manual_grade(root, student, grade_id, points, assignment=ASSIGNMENT):
    """Record an instructor's points for a manually graded cell, as the formgrader does.

    Raises
    ------
    PipelineError
        If the cell is not a graded cell of the assignment, the student has no
        grade for it, or ``points`` is outside [0, max points].
    """
    with Gradebook(db_url(root)) as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            cell = next((c for c in nb.grade_cells if c.name == grade_id), None)
            if cell is not None:
                break
        else:
            raise PipelineError(f"{assignment} has no graded cell {grade_id}")
        if not 0 <= points <= cell.max_score:
            raise PipelineError(f"{points} points for {grade_id}; expected 0 to {cell.max_score:g}")
        try:
            grade = gb.find_grade(grade_id, nb.name, assignment, student)
        except MissingEntry:
            raise PipelineError(f"{student} has no grade for {grade_id}: "
                                f"autograde the submission first") from None
        grade.manual_score = points
        grade.needs_manual_grade = False
        gb.db.commit()
