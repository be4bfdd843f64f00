"""What an exercise is to the grader: one spec, found by assignment.

An :class:`Exercise` names the student's function and its answer cell, and
holds its test cells (:class:`TestCell`): each a list of :class:`Call` (the
visible example first, then the hidden cases) and a ``judge`` that turns what
the calls returned into a :class:`Verdict`, computing the expected values with
the exercise's reference. A :class:`Verdict` carries a stable mistake ``code``
beside its message, so that reports can count mistakes across a class.

The specs of assignment ``A`` are the ``EXERCISES`` of the module ``A`` in the
package ``course.specs`` or in a folder of ``c.SandboxedExecute.spec_path``
(:func:`exercises`); nothing in the grader names an assignment.
"""

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Rng", "Named", "Constant", "Call", "Verdict", "TestCell", "Exercise", "Observed",
           "exercises", "notebook_order", "mistakes", "find", "require", "MissingTestCell",
           "PASSED", "example_verdict"]

#: The mistake code of a verdict that passed.
PASSED = "passed"


@dataclass(frozen=True)
class Rng:
    """A ``numpy.random.Generator`` argument: ``np.random.default_rng(seed)``, the real thing."""

    seed: int


@dataclass(frozen=True)
class Named:
    """A function argument the judge builds: ``"relu"``, ``"sigmoid"``, ``"tanh"``, or a
    weight scale of n_prev, ``"inverse_sqrt"``, ``"xavier"``, ``"he"``."""

    name: str


@dataclass(frozen=True)
class Constant:
    """A weight scale argument that returns ``value`` whatever n_prev."""

    value: float


@dataclass(frozen=True, eq=False)
class Call:
    """One call of the student's function.

    Parameters
    ----------
    args : tuple
        Arrays (placed in memory the judge's fork server watches), lists, tuples,
        numbers, strings (interned, like literals), :class:`Rng`, :class:`Named`,
        :class:`Constant`.
    reseed : (int, int), optional
        NumPy's global generator is seeded with the first and drawn from that
        many times before the first call: the result may not depend on it.
    repeat : int, default=1
        Calls with the very same argument objects; between two, the judge spoils
        what the first returned (``runner.spoil``).
    """

    args: tuple = field(repr=False)
    reseed: tuple = None
    repeat: int = 1


@dataclass(frozen=True)
class Observed:
    """What the judge saw of one :class:`Call`: outcomes per repeat, the changed arrays, and
    whether a repeat returned the first result (or part of it) again."""

    outcomes: list
    changed: list
    reused: bool = False


@dataclass(frozen=True)
class Verdict:
    """A test cell's verdict: passed or not, a mistake code, and the text the student reads."""

    passed: bool
    code: str
    text: str

    @classmethod
    def ok(cls, text):
        return cls(True, PASSED, text)

    @classmethod
    def failed(cls, code, text):
        return cls(False, code, text)

    def as_data(self):
        return {"passed": self.passed, "code": self.code, "text": self.text}


@dataclass(frozen=True)
class TestCell:
    """A test cell: its grade id, its calls and how they are judged.

    ``judge(observed)`` gets one :class:`Observed` per call and returns a
    :class:`Verdict`; it raises nothing for any observation (a fault there is the
    grader's and stops grading).
    """

    grade_id: str
    calls: tuple = field(repr=False)
    judge: object = field(repr=False)
    visible: int = 1


def example_verdict(test, observed):
    """The verdict of ``test`` on its visible example alone (its first ``test.visible`` calls).

    What the check under the exercise tells the student, decided by the grader from its
    own observations (Gradescope shows it before the grades are published). None where
    the judge cannot judge the example by itself (it is written for every call): the
    cell's verdict is unaffected.
    """
    try:
        return test.judge(observed[:test.visible])
    except Exception:
        return None


@dataclass(frozen=True)
class Exercise:
    """One exercise: the notebook, the answer cell's grade id, the function, its test cells.

    ``key`` begins the mistake codes of its verdicts (``"he"`` in ``"he.scaled_like_xavier"``).
    """

    notebook: str
    answer: str
    function: str
    tests: tuple
    key: str = ""

    def test(self, grade_id):
        return next((t for t in self.tests if t.grade_id == grade_id), None)


_LOADED = {}


def _module(assignment, spec_path):
    """The spec module of ``assignment``: from a folder of ``spec_path``, else ``course.specs``."""
    for folder in spec_path:
        path = Path(folder) / f"{assignment}.py"
        if path.is_file():
            key = str(path.resolve())
            if key not in _LOADED:
                spec = importlib.util.spec_from_file_location(f"course_specs_{assignment}", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                _LOADED[key] = module
            return _LOADED[key]
    if not assignment.isidentifier():
        return None
    try:
        return importlib.import_module(f"course.specs.{assignment}")
    except ModuleNotFoundError as error:
        if error.name != f"course.specs.{assignment}":
            raise
        return None


def exercises(assignment, spec_path=()):
    """The exercises of ``assignment`` (an empty tuple if it has no spec module)."""
    module = _module(assignment, tuple(spec_path))
    return tuple(getattr(module, "EXERCISES", ())) if module is not None else ()


def notebook_order(assignment, spec_path=()):
    """The notebooks of ``assignment`` in course order: as its exercises come in its spec."""
    return tuple(dict.fromkeys(e.notebook for e in exercises(assignment, spec_path)))


def mistakes(assignment, spec_path=()):
    """``{mistake code: what it means}`` of ``assignment``: the spec module's ``MISTAKES``.

    The words a class report counts a mistake under, the same for every student who
    made it (a verdict's text holds the numbers of the student's own call).
    """
    module = _module(assignment, tuple(spec_path))
    return dict(getattr(module, "MISTAKES", {})) if module is not None else {}


def find(assignment, notebook, grade_id, spec_path=()):
    """``(exercise, test cell)`` of test cell ``grade_id`` of ``notebook``, or None."""
    for exercise in exercises(assignment, spec_path):
        if exercise.notebook == notebook:
            test = exercise.test(grade_id)
            if test is not None:
                return exercise, test
    return None


class MissingTestCell(LookupError):
    """A test cell of the gradebook that the grader cannot judge."""


def require(assignment, notebook, grade_ids, spec_path=()):
    """Raise :class:`MissingTestCell` naming the test cells of ``grade_ids`` with no spec."""
    missing = sorted(g for g in grade_ids if find(assignment, notebook, g, spec_path) is None)
    if missing:
        many = len(missing) > 1
        raise MissingTestCell(
            f"test cell{'s' * many} {', '.join(missing)} of {notebook}.ipynb "
            f"{'have' if many else 'has'} no spec in course/specs/{assignment}.py, so the "
            f"grader cannot judge {'them' if many else 'it'}: add "
            f"{'them' if many else 'it'} there (README, 'Adding an exercise')")


def test_cell_ids(notebook):
    """The grade ids of the autograded test cells of a gradebook ``notebook`` (nbgrader's)."""
    answers = {cell.name for cell in notebook.solution_cells}
    return [cell.name for cell in notebook.grade_cells
            if cell.cell_type == "code" and cell.name not in answers]


def require_gradebook(gradebook, assignment, notebook=None, spec_path=()):
    """:func:`require` for every notebook of ``assignment`` in the gradebook (or one of them)."""
    for nb in gradebook.find_assignment(assignment).notebooks:
        if notebook is None or nb.name == notebook:
            require(assignment, nb.name, test_cell_ids(nb), spec_path)
