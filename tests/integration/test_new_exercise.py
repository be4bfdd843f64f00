"""A new exercise from one spec and its notebook cells, graded through the trusted path.

This is what "Adding an exercise" in the README asks of an instructor, done on a
throwaway assignment: a notebook with an imports cell, an answer cell and a test cell,
and one spec (its calls, reference and judge) in a folder of
``c.SandboxedExecute.spec_path``; nothing of the grader changes. nbgrader releases it
and autogrades a right and a wrong answer in the sandbox; the grader's verdicts, with
their mistake codes, are what the spec says.
"""

import shutil
import textwrap

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course import pipeline
from support import ROOT

pytestmark = pytest.mark.slow

ASSIGNMENT = "cubes"

SPEC = '''
"""The exercise of the throwaway assignment: cube(x), elementwise."""

import numpy as np

from course.judge.spec import Call, Exercise, TestCell, Verdict


def reference(x):
    return np.asarray(x, dtype=float) ** 3


CALLS = (Call((np.arange(3.0),)),                       # the visible example
         Call((np.linspace(-2, 2, 7),)), Call((np.zeros((2, 3)),), repeat=2))


def judge(observed):
    for call, seen in zip(CALLS, observed):
        for outcome in seen.outcomes:
            got = outcome.get("returned")
            if "raised" in outcome:
                return Verdict.failed("cube.raised", f"cube: calling it raised {outcome['raised']}")
            if type(got) is not np.ndarray or got.shape != call.args[0].shape:
                return Verdict.failed("cube.shape", "cube: return an array of x's shape")
            if not np.allclose(got, reference(call.args[0])):
                if np.allclose(got, call.args[0] ** 2):
                    return Verdict.failed("cube.squared", "cube: x ** 2 is the square; the "
                                                          "cube is x ** 3")
                return Verdict.failed("cube.values", "cube: the values are wrong")
        if seen.changed:
            return Verdict.failed("cube.changed_input", "cube: x was changed in place")
    return Verdict.ok("✓ cube(np.arange(3.0)) is right")


EXERCISES = (Exercise("Cubes", "cube", "cube", (TestCell("check_cube", CALLS, judge),), "cube"),)
MISTAKES = {"cube.squared": "squares x where the cube is asked for"}
'''


def _cell(source, **nbgrader):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, **nbgrader}
    return cell


def _notebook():
    return new_notebook(cells=[
        new_markdown_cell("# Cubes"),
        _cell("import numpy as np", grade_id="cubes_imports", locked=True, solution=False,
              grade=False),
        _cell(textwrap.dedent('''\
            def cube(x):
                """x ** 3, elementwise."""
                ### START CODE HERE ### (1 line of code)
                return np.asarray(x, dtype=float) ** 3
                ### END CODE HERE ###'''), grade_id="cube", locked=False, solution=True,
              grade=False),
        _cell(textwrap.dedent('''\
            """Check cube: the cubes of 0, 1, 2."""
            assert np.allclose(cube(np.arange(3.0)), [0, 1, 8])
            print("✓ cube(np.arange(3.0)) is right")
            ### BEGIN HIDDEN TESTS
            # At autograde the grader decides this test (specs/cubes.py).
            ### END HIDDEN TESTS'''), grade_id="check_cube", locked=True, solution=False,
              grade=True, points=2),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})


ANSWERS = {"right-student": "return x * x * x",
           "squares-student": "return x ** 2",
           "in-place-student": "x **= 3\n    return x.copy()"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("new-exercise") / "course"
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    specs = root / "specs"
    specs.mkdir()
    (specs / f"{ASSIGNMENT}.py").write_text(SPEC)
    shutil.copy2(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.SandboxedExecute.spec_path = [{str(specs)!r}]\n")
    nbformat.write(_notebook(), root / "source" / ASSIGNMENT / "Cubes.ipynb")
    pipeline.release(root, ASSIGNMENT)
    released = nbformat.read(root / "release" / ASSIGNMENT / "Cubes.ipynb", as_version=4)
    for student, body in ANSWERS.items():
        answered = nbformat.from_dict(released)
        for cell in answered.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "cube":
                cell.source = f"def cube(x):\n    {body}\n"
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(answered, folder / "Cubes.ipynb")
    log = pipeline.autograde(root, ASSIGNMENT)
    return root, log


def _points(root, student):
    score = next(s for s in pipeline.scores(root, ASSIGNMENT) if s.student == student)
    return score.points["check_cube"]


def _verdict(root, student):
    nb = nbformat.read(root / "autograded" / student / ASSIGNMENT / "Cubes.ipynb", as_version=4)
    cell = next(c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "check_cube")
    return cell.metadata["course"]["verdict"]


def test_new_exercise_release_holds_no_spec(course):
    root, _ = course
    released = (root / "release" / ASSIGNMENT / "Cubes.ipynb").read_text()
    assert "np.asarray(x, dtype=float) ** 3" not in released
    assert "x ** 3, elementwise" in released
    assert not any(p.suffix == ".py" for p in (root / "release").rglob("*"))


def test_new_exercise_right_answer_keeps_its_points(course):
    root, log = course
    assert _points(root, "right-student") == 2, log
    assert _verdict(root, "right-student") == {
        "passed": True, "code": "passed", "text": "✓ cube(np.arange(3.0)) is right"}


@pytest.mark.parametrize("student, code", [("squares-student", "cube.squared"),
                                           ("in-place-student", "cube.changed_input")])
def test_new_exercise_wrong_answer_loses_its_points_with_its_mistake_code(course, student,
                                                                          code):
    root, log = course
    assert _points(root, student) == 0, log
    verdict = _verdict(root, student)
    assert verdict["passed"] is False and verdict["code"] == code


def test_new_exercise_mistakes_are_counted_in_its_spec_s_words(course):
    """`course report` finds the spec where the grader does (spec_path) and names each
    mistake with the spec's MISTAKES, or by its code where the spec says nothing."""
    from course.gradebook import report

    root, _ = course
    record = report.collect(root, ASSIGNMENT)
    assert [(r.code, r.description, r.students) for r in report.mistake_rows(record)] == [
        ("cube.changed_input", "changed input (the spec does not describe cube.changed_input)",
         ("in-place-student",)),
        ("cube.squared", "squares x where the cube is asked for", ("squares-student",))]
    assert [e.function for e in record.exercises] == ["cube"]
