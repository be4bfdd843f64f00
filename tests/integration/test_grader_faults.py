"""A fault of the grader, not of a student, stops grading before anyone is scored."""

import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from support import ASSIGNMENT, ROOT, copy_course, lean, make_course
from course import pipeline
from course.grading import local
from course.submissions.build import fill

pytestmark = pytest.mark.slow

RIGHT = {"initialize_parameters_zeros": 'parameters["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))\n'
                                        'parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))'}


@pytest.fixture(scope="module")
def course_with_unknown_test(tmp_path_factory):
    """A course whose source has a test cell that course/specs/initialization.py does not know."""
    root = make_course(tmp_path_factory.mktemp("fault") / "course")
    source = root / "source" / ASSIGNMENT / "Initialization.ipynb"
    nb = nbformat.read(source, as_version=4)
    at = next(i for i, c in enumerate(nb.cells)
              if c.metadata.get("nbgrader", {}).get("grade_id") == "check_zeros_values")
    extra = nbformat.v4.new_code_cell('"""An extra test."""\nassert True')
    extra.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                  "grade_id": "check_zeros_extra", "schema_version": 3}
    nb.cells.insert(at + 1, extra)
    nbformat.write(nb, source)
    pipeline.release(root)
    release = nbformat.read(root / "release" / ASSIGNMENT / "Initialization.ipynb", as_version=4)
    for student in ("s1", "s2"):
        nb = lean(fill(release, RIGHT))
        path = root / "submitted" / student / ASSIGNMENT / "Initialization.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    return root


def _stopped(root):
    """The "grading stopped" lines of a plain `nbgrader autograde` run in ``root``, which must fail."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT],
                            cwd=root, capture_output=True, text=True,
                            env={**os.environ, "PATH": f"{sys.prefix}/bin:/usr/bin:/bin"})
    assert result.returncode != 0
    lines = [l for l in (result.stdout + result.stderr).splitlines() if "grading stopped" in l]
    assert len(lines) == 1, result.stdout + result.stderr
    return lines


def test_autograde_stops_with_one_line_and_scores_nobody(course_with_unknown_test):
    root = course_with_unknown_test
    lines = _stopped(root)
    assert "check_zeros_extra" in lines[0] and "course/specs/initialization.py" in lines[0]
    # nothing written: no autograded notebook, no submission in the gradebook
    assert not list((root / "autograded").glob("*/*/*"))
    assert not [s for s in pipeline.scores(root) if any(v is not None for v in s.points.values())]


def test_course_grade_refuses_before_any_worker_starts(course_with_unknown_test):
    with pytest.raises(local.GradeError, match=r"check_zeros_extra of Initialization\.ipynb has no "
                                               r"spec in course/specs/initialization\.py"):
        local.grade(course_with_unknown_test, jobs=1)
    assert not list((course_with_unknown_test / "autograded").glob("*/*/*.ipynb"))


@pytest.fixture(scope="module")
def right_zeros(tmp_path_factory, released_course):
    """A released course with two students who hand in the right zeros initializer."""
    root = copy_course(released_course, tmp_path_factory.mktemp("kernel") / "course")
    release = nbformat.read(root / "release" / ASSIGNMENT / "Initialization.ipynb", as_version=4)
    for student in ("s1", "s2"):
        path = root / "submitted" / student / ASSIGNMENT / "Initialization.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(fill(release, RIGHT), path)
    return root


def _with_config(root, tmp_path, line):
    """A copy of ``root`` whose nbgrader_config.py ends with ``line``."""
    copy = tmp_path / "course"
    shutil.copytree(root, copy)
    with open(copy / "nbgrader_config.py", "a") as config:
        config.write(f"\n{line}\n")
    return copy


def _nothing_graded(root):
    assert not list((root / "autograded").glob("*/*/*.ipynb"))
    assert not [s for s in pipeline.scores(root) if any(v is not None for v in s.points.values())]


def test_a_sandbox_without_helpers_stops_grading_before_anyone_is_scored(right_zeros, tmp_path):
    # helpers importable by the grader but not in the sandbox: every notebook's imports
    # cell would fail, and the class would be scored zero
    root = _with_config(right_zeros, tmp_path, "c.SandboxKernelManager.packages = []")
    lines = _stopped(root)
    assert "cannot import the course's helpers package (ModuleNotFoundError" in lines[0]
    assert "c.SandboxKernelManager.packages" in lines[0]
    _nothing_graded(root)
    with pytest.raises(local.GradeError, match="cannot import the course's helpers package"):
        local.grade(root, jobs=2)
    _nothing_graded(root)


def test_a_course_root_whose_helpers_differ_from_the_kernels_is_refused(right_zeros, tmp_path):
    root = _with_config(right_zeros, tmp_path, "")
    shutil.copytree(ROOT / "helpers", root / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    with open(root / "helpers" / "checks.py", "a") as checks:
        checks.write("\n# this course's own edit of the checks\n")
    with pytest.raises(local.GradeError, match=r"imports helpers from .* which differs from "
                                               r".*helpers \(checks\.py\)"):
        local.grade(root, jobs=1)
    _nothing_graded(root)
