"""What the class got wrong, counted: ``course report``'s numbers, from gradebook and verdicts.

The judge names the mistake behind each failed test cell with a stable code
(``he.scaled_like_xavier``) and keeps the verdict in the autograded notebook, in the
test cell's ``metadata.course.verdict``; the gradebook holds the points. :func:`collect`
reads both into a :class:`ClassRecord`: plain records in course order (the notebooks as
the spec lists its exercises, the cells as the release has them). Everything else here
reads only those records, so that unit tests reach the counting without a kernel or a
gradebook:

- :func:`cell_rows`: per test cell, the students graded, passed and failed, the mean
  points and the share who failed it;
- :func:`mistake_rows`: per mistake, the students who made it, in the lesson's words (the
  spec's ``MISTAKES``, the same for every student, never a student's own numbers), and
  :func:`other_rows`: test cells lost without a misconception to name (not written, not
  judged, the notebook not handed in, past the time limit, no result); both sorted with
  what most students share first;
- :func:`state_rows`: every student's state, with counts;
- :func:`waiting_rows`: written answers waiting for a grader, each with its formgrader link;
- :func:`distribution`: the points of each notebook and of the whole assignment.

A student counts once per mistake, however many test cells show it (a transposed ``W``
fails the structure and the values). A verdict counts as the grader wrote it, whatever
points an instructor set afterwards: the mistake was made. :mod:`course.gradebook.report_page`
writes the records as an offline page and CSV files.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from course.gradebook.scores import STATES
from course.layout import FORMGRADER_URL

__all__ = ["Cell", "ExerciseInfo", "StudentRecord", "ClassRecord", "Row", "collect",
           "cell_rows", "mistake_rows", "other_rows", "state_rows", "waiting_rows",
           "distribution", "describe", "NOT_SUBMITTED", "STATES", "FORMGRADER_URL"]

#: A student on the roster who handed nothing in (one of ``course.gradebook.scores.STATES``).
NOT_SUBMITTED = "not submitted"

# Verdicts that name no misconception: the answer was not there, or not judged.
_NOT_MISCONCEPTIONS = {"not_written", "reaches_interpreter"}
# Why a test cell failed without a verdict, from the error the grader left in its place.
_NO_VERDICT = {"CellTimeoutError": "ran past its time limit",
               "NoResult": "no valid result reached the grader"}
NOT_HANDED_IN = "the notebook was not handed in"
NO_VERDICT = "failed without a verdict (graded without the course's judge?)"
_CODE = re.compile(r"[A-Za-z_]\w*\.[A-Za-z_]\w*")


@dataclass(frozen=True)
class Cell:
    """A graded cell: a test the autograder scores, or a written answer a grader scores."""

    grade_id: str
    notebook: str
    max_points: float
    written: bool = False
    exercise: str = ""        # the exercise key of its spec ("he"), "" if none
    title: str = ""           # the heading above it in the release
    checks: str = ""          # what it checks, from its docstring ("keys, shapes and dtypes")


@dataclass(frozen=True)
class ExerciseInfo:
    """An exercise as the spec knows it (its key begins its mistake codes)."""

    key: str
    function: str
    notebook: str
    title: str = ""


@dataclass
class StudentRecord:
    """One student of the roster, as the gradebook and the autograded notebooks say.

    ``points``: grade_id -> points, None where nothing is scored (waiting, failed, never
    graded); ``verdicts``: grade_id -> the mistake code of a test cell's failed verdict;
    ``no_verdict``: grade_id -> why a test cell failed without one; ``handed_in``: the
    notebooks handed in; ``links``: notebook -> the formgrader's id of the submission.
    """

    student: str
    state: str
    points: dict = field(default_factory=dict)
    waiting: set = field(default_factory=set)
    verdicts: dict = field(default_factory=dict)
    no_verdict: dict = field(default_factory=dict)
    handed_in: set = field(default_factory=set)
    links: dict = field(default_factory=dict)


@dataclass
class ClassRecord:
    """What :func:`collect` read: cells and exercises in course order, the roster by name."""

    assignment: str
    cells: list
    exercises: list
    students: list
    descriptions: dict = field(default_factory=dict)
    formgrader_url: str = FORMGRADER_URL

    def cell(self, grade_id):
        return next(c for c in self.cells if c.grade_id == grade_id)

    def exercise(self, key):
        return next((e for e in self.exercises if e.key == key), None)

    @property
    def notebooks(self):
        return list(dict.fromkeys(c.notebook for c in self.cells))

    def tests(self):
        return [c for c in self.cells if not c.written]


@dataclass(frozen=True)
class Row:
    """One line of the mistakes (or other losses) table: what, where, and who."""

    code: str            # the mistake code, "" where the grader reached no verdict
    description: str     # in the lesson's words
    exercise: str        # the exercise key ("" for a whole notebook not handed in)
    notebook: str
    cells: tuple         # grade_ids that showed it, in course order
    students: tuple      # sorted
    of: int              # students the gradebook scored on those cells

    @property
    def count(self):
        return len(self.students)

    @property
    def share(self):
        return self.count / self.of if self.of else 0.0


# -- counting ---------------------------------------------------------------------------------

def cell_rows(record):
    """Per test cell in course order: ``(cell, graded, passed, failed, mean points)``.

    A student counts as graded on a cell the gradebook scored (a notebook not handed in
    scores 0 and counts, as nbgrader scores it); passed means full points.
    """
    rows = []
    for cell in record.tests():
        scored = [(s.student, s.points[cell.grade_id]) for s in record.students
                  if s.points.get(cell.grade_id) is not None]
        passed = [who for who, points in scored if points >= cell.max_points]
        failed = [who for who, points in scored if points < cell.max_points]
        mean = sum(p for _, p in scored) / len(scored) if scored else None
        rows.append((cell, [w for w, _ in scored], passed, failed, mean))
    return rows


def _failures(record):
    """Every failed test cell: ``(student, cell, code, description, misconception)``."""
    for s in record.students:
        for cell in record.tests():
            points = s.points.get(cell.grade_id)
            code = s.verdicts.get(cell.grade_id)
            if code is not None:
                name = code.split(".", 1)[1]
                yield (s.student, cell, code, describe(record, code),
                       name not in _NOT_MISCONCEPTIONS)
            elif points is not None and points < cell.max_points:
                why = s.no_verdict.get(cell.grade_id) or (
                    NOT_HANDED_IN if cell.notebook not in s.handed_in else NO_VERDICT)
                yield s.student, cell, "", why, False


def describe(record, code):
    """A mistake code in the lesson's words: the spec's description, else the code's own."""
    known = record.descriptions.get(code)
    if known:
        return known
    return f"{code.split('.', 1)[1].replace('_', ' ')} (the spec does not describe {code})"


def _rows(record, misconceptions):
    order = {c.grade_id: k for k, c in enumerate(record.cells)}
    found = {}
    for student, cell, code, text, misconception in _failures(record):
        if misconception != misconceptions:
            continue
        # a notebook not handed in is one row for the notebook, not one per exercise
        key = "" if text == NOT_HANDED_IN else code.split(".", 1)[0] if code else cell.exercise
        cells, students = found.setdefault((key, cell.notebook, code, text), (set(), set()))
        cells.add(cell.grade_id)
        students.add(student)
    rows = []
    for (key, notebook, code, text), (cells, students) in found.items():
        scored = {s.student for s in record.students for g in cells
                  if s.points.get(g) is not None}
        rows.append(Row(code, text, key, notebook, tuple(sorted(cells, key=order.get)),
                        tuple(sorted(students)), len(scored)))
    return sorted(rows, key=lambda r: (-r.count, order[r.cells[0]], r.code, r.description))


def mistake_rows(record):
    """The mistakes of the class, one :class:`Row` per code, most students first
    (then in course order): what to teach again, from the top."""
    return _rows(record, True)


def other_rows(record):
    """Test cells lost without a misconception to name, one :class:`Row` per exercise and
    cause (not written, not judged, notebook not handed in, time limit, no result)."""
    return _rows(record, False)


def state_rows(record):
    """``[(state, students)]`` for every state in order (complete first), empty ones too."""
    rows = {state: [] for state in STATES}
    for s in record.students:
        rows.setdefault(s.state, []).append(s.student)
    return list(rows.items())


def waiting_rows(record):
    """Written answers waiting for a grader: ``(student, cell, formgrader URL)`` in course
    order, then by student. The URL opens that student's notebook in the formgrader."""
    base = record.formgrader_url.rstrip("/")
    rows = []
    for cell in (c for c in record.cells if c.written):
        for s in record.students:
            if cell.grade_id in s.waiting:
                link = s.links.get(cell.notebook)
                url = (f"{base}/formgrader/submissions/{link}/" if link else
                       f"{base}/formgrader/gradebook/{record.assignment}/{cell.notebook}")
                rows.append((s.student, cell, url))
    return rows


def distribution(record, notebook=None):
    """The points of ``notebook`` (None: the whole assignment), one entry per student scored.

    Returns
    -------
    scored : list of (str, float, bool)
        ``(student, points, final)`` for each student whose autograded cells there all
        have points; ``final`` is False while a written answer there waits for a grader
        (the points are then those so far).
    left_out : list of str
        Students not scored there (not submitted, not graded, grading failed).
    """
    cells = [c for c in record.cells if notebook is None or c.notebook == notebook]
    scored, left_out = [], []
    for s in record.students:
        tests = [s.points.get(c.grade_id) for c in cells if c.grade_id not in s.waiting]
        if s.state == NOT_SUBMITTED or not tests or None in tests:
            left_out.append(s.student)
            continue
        waiting = any(c.grade_id in s.waiting for c in cells)
        scored.append((s.student, float(sum(tests)), not waiting))
    return scored, left_out


# -- reading the gradebook and the autograded notebooks ------------------------------------------

def collect(root, assignment, *, formgrader_url=FORMGRADER_URL):
    """The :class:`ClassRecord` of ``assignment`` in the course at ``root``.

    The roster is every student of the gradebook and every folder of ``submitted/``; the
    specs are those the grader uses (``c.SandboxedExecute.spec_path`` first).

    Raises
    ------
    course.pipeline.PipelineError
        If the gradebook does not know the assignment (nothing released or graded yet).
    """
    from nbgrader.api import Gradebook, MissingEntry

    from course import pipeline
    from course.gradebook.scores import course_order, handed_in, read_scores
    from course.judge import spec as specs

    root = Path(root)
    url = pipeline.db_url(root)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise pipeline.PipelineError(f"no gradebook at {url.removeprefix('sqlite:///')}: "
                                     f"grade the class first (course grade {assignment})")
    with Gradebook(url) as gb:
        try:
            notebooks = course_order(gb, assignment)
        except MissingEntry:
            raise pipeline.PipelineError(
                f"the gradebook has no assignment {assignment}: release it "
                f"(course release) and grade it (course grade {assignment}) first") from None
        roster = sorted(set(pipeline.students(root)) | {s.id for s in gb.students})
        scores = read_scores(gb, assignment, roster, root)
        links = _links(gb, assignment, scores)
        spec_path = [str(root / folder) for folder in
                     pipeline.config(root).SandboxedExecute.get("spec_path", [])]
        cells, exercises = _cells(root, assignment, notebooks,
                                  specs.exercises(assignment, spec_path))
    students = []
    for score in scores:
        notebooks_in = {Path(name).stem for name in handed_in(root, assignment, score.student)}
        record = StudentRecord(score.student, score.status, dict(score.points),
                               set(score.needs_manual), handed_in=notebooks_in,
                               links=links.get(score.student, {}))
        _read_verdicts(root / "autograded" / score.student / assignment, cells, record)
        students.append(record)
    return ClassRecord(assignment, cells, exercises, students,
                       specs.mistakes(assignment, spec_path), formgrader_url)


def _links(gb, assignment, scores):
    """``{student: {notebook: submitted notebook id}}`` where a written answer waits."""
    from nbgrader.api import MissingEntry

    found = {}
    for score in scores:
        for grade_id in score.needs_manual:
            notebook = score.notebooks[grade_id]
            try:
                found.setdefault(score.student, {})[notebook] = gb.find_submission_notebook(
                    notebook, assignment, score.student).id
            except MissingEntry:
                pass
    return found


def _cells(root, assignment, notebooks, exercises):
    """The graded cells and the exercises of ``notebooks`` (in course order), named as the
    release names them."""
    exercise_of = {t.grade_id: (e.notebook, e.key) for e in exercises for t in e.tests}
    cells, infos = [], []
    for nb in notebooks:
        released = _release_cells(root / "release" / assignment / f"{nb.name}.ipynb")
        place = {gid: k for k, gid in enumerate(released)}
        answers = {c.name for c in nb.solution_cells}
        graded = sorted(nb.grade_cells, key=lambda c: place.get(c.name, len(place)))
        for cell in graded:
            title, checks = released.get(cell.name, (cell.name, ""))
            notebook, key = exercise_of.get(cell.name, (None, ""))
            cells.append(Cell(cell.name, nb.name, float(cell.max_score), cell.name in answers,
                              key if notebook == nb.name else "", title, checks))
        infos += [ExerciseInfo(e.key, e.function, e.notebook, released.get(e.answer, ("",))[0])
                  for e in exercises if e.notebook == nb.name]
    return cells, infos


def _release_cells(path):
    """``{grade_id: (heading above it, what it checks)}`` of a release notebook, in order."""
    import nbformat

    from course.feedback.summary import headings, what_it_checks

    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return {}
    return {cell.metadata["nbgrader"]["grade_id"]: (heading or "", what_it_checks(cell))
            for cell, heading in zip(nb.cells, headings(nb.cells))
            if cell.metadata.get("nbgrader", {}).get("grade_id")}


def _read_verdicts(folder, cells, record):
    """Fill ``record``'s verdicts (failed ones) and no-verdict causes from its autograded notebooks.

    A verdict is read only from a test cell of the gradebook, and only if it has the
    judge's form with a code of that cell's exercise; anything else there is not the
    grader's and counts as no verdict.
    """
    tests = {c.grade_id: c for c in cells if not c.written}
    for notebook in {c.notebook for c in tests.values()}:
        path = folder / f"{notebook}.ipynb"
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
            meta = cell.get("metadata") if isinstance(cell, dict) else None
            grade_id = (meta or {}).get("nbgrader", {}).get("grade_id") if isinstance(
                (meta or {}).get("nbgrader"), dict) else None
            test = tests.get(grade_id)
            if test is None or test.notebook != notebook:
                continue
            verdict = (meta.get("course") or {}).get("verdict") if isinstance(
                meta.get("course"), dict) else None
            if _is_verdict(verdict, test.exercise):
                if not verdict["passed"]:
                    record.verdicts[grade_id] = verdict["code"]
                continue
            errors = [o.get("ename") for o in cell.get("outputs", [])
                      if isinstance(o, dict) and o.get("output_type") == "error"]
            why = next((_NO_VERDICT[e] for e in errors if e in _NO_VERDICT), None)
            if why:
                record.no_verdict[grade_id] = why


def _is_verdict(verdict, exercise):
    """Whether ``verdict`` is the judge's: passed, or failed with a code of ``exercise``."""
    if not isinstance(verdict, dict) or type(verdict.get("passed")) is not bool:
        return False
    code = verdict.get("code")
    return verdict["passed"] or (type(code) is str and _CODE.fullmatch(code) is not None
                                 and code.split(".", 1)[0] == exercise)
