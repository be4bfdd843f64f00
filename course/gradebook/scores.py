"""Every student's points from the gradebook, in states an instructor can act on.

nbgrader's gradebook reports 0 for a cell nobody has scored: an answer waiting
for an instructor, a submission whose grading failed, a student never graded.
:func:`read_scores` tells them apart from points earned, and marks the cells an
instructor overrode (a manual score on an autograded test cell). The same
reading serves ``course scores``, ``course grade``'s table and ``grades.csv``
(:mod:`course.gradebook.grades_csv`).
"""

from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import MissingEntry

__all__ = ["Score", "ScoreError", "read_scores", "set_manual_grade", "handed_in", "STATES"]

#: A student's state, in the words every table, CSV file and report uses: every
#: cell scored; a written answer waits for a grader; grading started and did not
#: finish; notebooks handed in and never graded; no notebook handed in.
STATES = ("complete", "needs manual grading", "failed to grade", "not graded", "not submitted")
#: The states whose total is not known yet: left empty, never written as 0.
NOT_FINAL = ("failed to grade", "not graded")


def handed_in(root, assignment, student):
    """The notebooks (file names) ``student`` handed in for ``assignment``: ``[]`` if none.

    A folder with no notebook in it (notes, a zip, nothing) is nothing handed in.
    """
    folder = Path(root) / "submitted" / student / assignment
    return sorted(p.name for p in folder.glob("*.ipynb") if p.is_file()) if folder.is_dir() \
        else []


class ScoreError(ValueError):
    """A manual grade that cannot be recorded as asked."""


@dataclass
class Score:
    """One student's grades: points per graded cell, in notebook order.

    A manually graded cell (a written answer) the student filled in has no
    points until an instructor grades it in the formgrader: its points are
    None and its ``grade_id`` is in ``needs_manual``. A blank answer is
    scored 0 by the autograder and needs nothing more. A cell the autograder
    has not scored (grading failed, or never ran) is None too, and not in
    ``needs_manual``. ``overrides`` holds the autograded cells whose points an
    instructor set by hand.
    """

    student: str
    points: dict      # grade_id -> points scored, None when not graded (yet)
    max_points: dict  # grade_id -> points possible
    notebooks: dict = field(default_factory=dict)    # grade_id -> notebook name
    needs_manual: set = field(default_factory=set)   # grade_ids awaiting an instructor
    overrides: set = field(default_factory=set)      # autograded grade_ids set by hand
    submitted: bool = True   # whether the gradebook holds a submission of the student's
    handed_in: bool = True   # whether submitted/ holds a notebook of the student's

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

    @property
    def status(self):
        """One of :data:`STATES`."""
        if not self.submitted:
            return "not graded" if self.handed_in else "not submitted"
        if not self.graded:
            return "failed to grade"
        return "needs manual grading" if self.needs_manual else "complete"

    @property
    def final_total(self):
        """The total as a gradebook file says it: None while it is not known
        (:data:`NOT_FINAL`), 0 for nothing handed in."""
        return None if self.status in NOT_FINAL else self.total


def course_order(gb, assignment):
    """The gradebook's notebooks of ``assignment`` in course order (its spec's), then the rest."""
    from course.judge.spec import notebook_order

    order = {name: i for i, name in enumerate(notebook_order(assignment))}
    return sorted(gb.find_assignment(assignment).notebooks,
                  key=lambda nb: (order.get(nb.name, len(order)), nb.name))


def _cells(gb, assignment):
    """(notebook, grade cell) pairs of ``assignment`` in course order, and the manually graded ids."""
    cells, notebooks, manual = [], {}, set()
    for nb in course_order(gb, assignment):
        answers = {cell.name for cell in nb.solution_cells}
        for cell in nb.grade_cells:
            if cell.name in notebooks:
                raise ScoreError(f"grade_id {cell.name} is used in both {notebooks[cell.name]} "
                                 f"and {nb.name}; graded cells need ids unique across the "
                                 f"assignment")
            notebooks[cell.name] = nb.name
            cells.append((nb.name, cell))
            if cell.name in answers:
                manual.add(cell.name)
    return cells, manual


def _lost_notebooks(root, assignment, student, names):
    """The notebooks handed in whose autograded copy is missing: their grading failed.

    nbgrader removes a submission's autograded folder when its grading fails, and
    keeps whatever grades an earlier run left in the gradebook.
    """
    if root is None:
        return set()
    submitted = Path(root) / "submitted" / student / assignment
    autograded = Path(root) / "autograded" / student / assignment
    return {name for name in names if (submitted / f"{name}.ipynb").is_file()
            and not (autograded / f"{name}.ipynb").is_file()}


def read_scores(gb, assignment, students, root=None):
    """The :class:`Score` of each of ``students`` in the open gradebook ``gb``.

    ``root``, the course root, lets a notebook whose autograded copy is missing
    count as failed even where an earlier run left grades behind, and tells a
    student who handed in nothing (``not submitted``) from one not graded yet.
    """
    cells, manual = _cells(gb, assignment)
    maxima = {cell.name: cell.max_score for _, cell in cells}
    notebooks = {cell.name: nb_name for nb_name, cell in cells}
    result = []
    for sid in students:
        try:
            gb.find_submission(assignment, sid)
        except MissingEntry:
            result.append(Score(sid, dict.fromkeys(maxima), maxima, notebooks, submitted=False,
                                handed_in=root is None or bool(handed_in(root, assignment, sid))))
            continue
        lost = _lost_notebooks(root, assignment, sid, set(notebooks.values()))
        points, pending, overrides = {}, set(), set()
        for nb_name, cell in cells:
            try:
                grade = gb.find_grade(cell.name, nb_name, assignment, sid)
            except MissingEntry:
                grade = None
            if grade is None or nb_name in lost:
                points[cell.name] = None
            elif grade.manual_score is not None:
                points[cell.name] = grade.score
                if cell.name not in manual:
                    overrides.add(cell.name)
            elif cell.name in manual and grade.needs_manual_grade:
                points[cell.name] = None     # nbgrader would say 0: nobody has graded it yet
                pending.add(cell.name)
            elif grade.auto_score is None:
                points[cell.name] = None     # nbgrader would say 0: the autograder never scored it
            else:
                points[cell.name] = grade.score
        result.append(Score(sid, points, maxima, notebooks, pending, overrides))
    return result


def set_manual_grade(gb, student, grade_id, points, assignment, *, override=False):
    """Record an instructor's points for a cell, as the formgrader does.

    A written answer takes its points. An autograded test cell keeps the
    autograder's verdict unless ``override`` is set, and then shows as an
    override (:attr:`Score.overrides`) until :func:`clear_manual_grade`.

    Raises
    ------
    ScoreError
        If the cell is not a graded cell of the assignment, the student has no
        grade for it, ``points`` is outside [0, max points], or the cell is
        autograded and ``override`` is not set.
    """
    grade, cell, manual = _grade(gb, student, grade_id, assignment)
    if not 0 <= points <= cell.max_score:
        raise ScoreError(f"{points:g} points for {grade_id}; expected 0 to {cell.max_score:g}")
    if not manual and not override:
        scored = "not scored" if grade.auto_score is None else f"scored {grade.auto_score:g}"
        raise ScoreError(f"{grade_id} is an autograded test cell ({student}'s was {scored} by "
                         f"the autograder); to replace the autograder's points, pass --override")
    grade.manual_score = points
    grade.needs_manual_grade = False
    gb.db.commit()


def clear_manual_grade(gb, student, grade_id, assignment):
    """Remove an instructor's points: the cell goes back to the autograder's, or to waiting."""
    grade, _, manual = _grade(gb, student, grade_id, assignment)
    if grade.manual_score is None:
        raise ScoreError(f"{student} has no manual grade for {grade_id} to clear")
    grade.manual_score = None
    # A written answer the autograder did not score (not blank) waits for a grader again.
    grade.needs_manual_grade = manual and grade.auto_score is None
    gb.db.commit()


def not_in_gradebook(what, name, known, where="the gradebook"):
    """One line: ``name`` (a ``what``) is not in the gradebook, and what it holds instead."""
    known = sorted(known)
    held = ", ".join(map(repr, known[:10])) + (", ..." if len(known) > 10 else "")
    return f"no {what} {name!r} in {where} (it holds {held or f'no {what}'})"


def _grade(gb, student, grade_id, assignment):
    try:
        gb.find_student(student)
    except MissingEntry:
        raise ScoreError(not_in_gradebook("student", student,
                                          (s.id for s in gb.students))) from None
    for nb in gb.find_assignment(assignment).notebooks:
        cell = next((c for c in nb.grade_cells if c.name == grade_id), None)
        if cell is not None:
            break
    else:
        raise ScoreError(f"{assignment} has no graded cell {grade_id}")
    try:
        grade = gb.find_grade(grade_id, nb.name, assignment, student)
    except MissingEntry:
        raise ScoreError(f"{student} has no grade for {grade_id}: "
                         f"autograde the submission first") from None
    manual = any(c.name == grade_id for c in nb.solution_cells)
    return grade, cell, manual
