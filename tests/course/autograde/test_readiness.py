"""The one readiness check (course/autograde/readiness.py), without a kernel.

What the check's kernel would print is printed here by the grader's own report snippet,
run in this process; a kernel's errors are written as nbformat's error outputs. The
kernel itself is started by ``tests/integration/test_grader_faults.py``.
"""

import contextlib
import io
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.api import Gradebook
from traitlets.config import Config

from course.autograde import readiness
from support import ROOT

SANDBOX = "the grading sandbox's kernel"


def _locked(source, grade_id, *, grade=False, cell=new_code_cell):
    cell = cell(source)
    cell.metadata["nbgrader"] = {"locked": True, "grade": grade, "solution": False,
                                 "grade_id": grade_id, "schema_version": 3}
    if grade:
        cell.metadata["nbgrader"]["points"] = 1
    return cell


def _release(folder, notebooks):
    """``folder`` holding one notebook per ``{name: cells}``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, cells in notebooks.items():
        nbformat.write(new_notebook(cells=cells), folder / f"{name}.ipynb")
    return folder


def _root(tmp_path, *, pyproject=False):
    """A course root whose ``helpers/`` holds the files of this checkout's helpers package."""
    root = tmp_path / "course"
    (root / "helpers").mkdir(parents=True)
    for path in (ROOT / "helpers").glob("*.py"):
        shutil.copy2(path, root / "helpers" / path.name)
    if pyproject:
        (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return root


def _graders_report():
    """What the check's first cell prints, run here: this process imports this checkout's helpers."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(readiness.check_notebook([]).cells[0].source, {})
    return printed.getvalue()


def _ran(locked, report=None, *outputs):
    """The check's notebook as a kernel leaves it: the report cell's output, each locked cell's."""
    nb = readiness.check_notebook(locked)
    nb.cells[0].outputs = [report if report is not None
                           else new_output("stream", name="stdout", text=_graders_report())]
    for cell, output in zip(nb.cells[1:], outputs):
        cell.outputs = [output] if output else []
    return nb


IMPORTS = [("Initialization", "imports", "import numpy as np\nfrom helpers import checks")]


def test_locked_cells_are_each_notebooks_first_locked_code_cell_that_is_not_a_test(tmp_path):
    release = _release(tmp_path / "release", {
        "B": [_locked("# Title", "intro", cell=new_markdown_cell),
              _locked("assert f(1) == 2", "check_f", grade=True),
              new_code_cell("x = 1"),
              _locked("import numpy as np", "imports_b"),
              _locked("import os", "later_b")],
        "A": [_locked("import math", "imports_a")],
        "C": [new_code_cell("import math"), _locked("check()", "check_c", grade=True)],
    })
    assert readiness.locked_cells(release) == [("A", "imports_a", "import math"),
                                               ("B", "imports_b", "import numpy as np")]


def test_check_notebook_runs_the_report_first_then_each_locked_cell_in_order():
    nb = readiness.check_notebook([("A", "a", "import math"), ("B", "b", "import os")])
    assert [c.cell_type for c in nb.cells] == ["code"] * 3
    assert [c.source for c in nb.cells[1:]] == ["import math", "import os"]
    assert "import helpers" in nb.cells[0].source


def test_read_check_passes_a_kernel_that_imports_the_course_roots_helpers(tmp_path):
    root = _root(tmp_path)
    assert readiness.read_check(root, IMPORTS, _ran(IMPORTS, None, None), SANDBOX) is None


def test_read_check_names_the_files_in_which_the_kernels_helpers_differ(tmp_path):
    root = _root(tmp_path, pyproject=True)
    with open(root / "helpers" / "checks.py", "a") as f:
        f.write("\n# edited in this course root only\n")
    (root / "helpers" / "extra.py").write_text("")
    line = readiness.read_check(root, IMPORTS, _ran(IMPORTS), SANDBOX)
    assert line.startswith(f"{SANDBOX} imports helpers from {ROOT / 'helpers'}, which differs "
                           f"from {root / 'helpers'} (checks.py, extra.py): grading would judge")
    assert line.endswith(f"(`pip install -e {root}`)") and "\n" not in line


def test_read_check_ignores_helpers_when_the_course_root_has_none(tmp_path):
    root = tmp_path / "elsewhere"
    root.mkdir()
    assert readiness.read_check(root, IMPORTS, _ran(IMPORTS), "the grading kernel") is None


@pytest.mark.parametrize("pyproject, install", [
    (True, "`pip install -e {root}`"),
    (False, "`pip install -e` of the course repository")])
def test_read_check_says_the_kernel_cannot_import_helpers_and_how_to_install_it(
        tmp_path, pyproject, install):
    root = _root(tmp_path, pyproject=pyproject)
    missing = new_output("error", ename="ModuleNotFoundError", evalue="No module named 'helpers'",
                         traceback=[])
    line = readiness.read_check(root, IMPORTS, _ran(IMPORTS, missing), SANDBOX)
    assert line == (f"{SANDBOX} cannot import the course's helpers package (ModuleNotFoundError: "
                    f"No module named 'helpers'): install the course package in the grader's "
                    f"environment ({install.format(root=root)}), or list its folder in "
                    f"c.SandboxKernelManager.packages")


@pytest.mark.parametrize("text", [
    "",                                              # printed nothing
    "helpers imported\n",                            # not the grader's line
    "COURSE-KERNEL-CHECK:{not json\n",               # the grader's mark, then garbage
    'COURSE-KERNEL-CHECK:{"folder": "/x", "files": []}\n',   # the wrong shape
])
def test_read_check_refuses_a_report_the_grader_did_not_write(tmp_path, text):
    report = new_output("stream", name="stdout", text=text)
    line = readiness.read_check(_root(tmp_path), IMPORTS, _ran(IMPORTS, report), SANDBOX)
    assert line == f"{SANDBOX} did not report which helpers it imports"


def test_read_check_names_the_notebook_and_cell_of_a_locked_cell_that_fails(tmp_path):
    locked = IMPORTS + [("Layers", "layers_imports", "import h5py")]
    error = new_output("error", ename="ModuleNotFoundError", evalue="No module named 'h5py'",
                       traceback=["frames that are not read"])
    line = readiness.read_check(_root(tmp_path), locked, _ran(locked, None, None, error),
                                "the grading kernel")
    assert line == ("the grading kernel cannot run Layers.ipynb's locked cell layers_imports "
                    "(ModuleNotFoundError: No module named 'h5py'); no student's code is "
                    "involved: fix the grading environment")


def test_helpers_digests_are_the_sha256_of_each_python_file(tmp_path):
    (tmp_path / "a.py").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not python")
    # the SHA-256 of no bytes (FIPS 180-4's well-known value)
    assert readiness.helpers_digests(tmp_path) == {
        "a.py": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}


def test_check_key_changes_with_the_root_the_assignment_and_the_helpers(tmp_path):
    root = _root(tmp_path)
    key = readiness.check_key(root, "ps1")
    assert readiness.check_key(root, "ps1") == key
    assert readiness.check_key(root, "ps2") != key
    other = tmp_path / "other"
    shutil.copytree(root, other)
    assert readiness.check_key(other, "ps1") != key
    (root / "helpers" / "checks.py").write_text("changed")
    assert readiness.check_key(root, "ps1") != key


def _failing_release(root):
    """A release whose imports cell fails: a check that ran a kernel could not pass it."""
    _release(root / "release" / "ps1", {"one": [_locked("1 / 0", "imports")]})


def _config(sandbox=False):
    config = Config()
    config.SandboxedExecute.sandbox = sandbox
    return config


def test_kernel_problem_starts_no_kernel_without_a_release(tmp_path):
    assert readiness.kernel_problem(tmp_path, "ps1", _config()) is None


def test_kernel_problem_starts_no_kernel_where_the_driver_checked_the_same_course(
        tmp_path, monkeypatch):
    root = _root(tmp_path)
    _failing_release(root)
    monkeypatch.setenv(readiness.CHECKED_ENV, readiness.check_key(root, "ps1"))
    assert readiness.kernel_problem(root, "ps1", _config()) is None


def _gradebook(url, assignment, notebook, test_cells):
    with Gradebook(url) as gb:
        gb.add_assignment(assignment)
        gb.add_notebook(notebook, assignment)
        gb.add_solution_cell("answer", notebook, assignment)
        gb.add_grade_cell("answer", notebook, assignment, max_score=2, cell_type="markdown")
        for grade_id in test_cells:
            gb.add_grade_cell(grade_id, notebook, assignment, max_score=1, cell_type="code")


def test_problem_names_test_cells_without_a_spec_before_any_kernel_starts(tmp_path, gradebook_url):
    root = _root(tmp_path)
    _failing_release(root)
    _gradebook(gradebook_url, "ps1", "one", ["check_b", "check_a"])
    assert readiness.problem(root, "ps1", _config(), gradebook_url) == (
        "test cells check_a, check_b of one.ipynb have no spec in course/specs/ps1.py, so the "
        "grader cannot judge them: add them there (README, 'Adding an exercise')")


def test_problem_is_none_where_every_test_cell_has_a_spec(tmp_path, gradebook_url):
    _gradebook(gradebook_url, "initialization", "Initialization",
               ["check_zeros_structure", "check_he_values"])
    assert readiness.problem(tmp_path, "initialization", _config(), gradebook_url) is None


@pytest.mark.parametrize("case", ["no gradebook file", "assignment not in it", "all assignments"])
def test_problem_leaves_what_nbgrader_reports_itself_to_nbgrader(tmp_path, gradebook_url, case):
    _gradebook(gradebook_url, "ps1", "one", ["check_a"])
    url, assignment = gradebook_url, "ps1"
    if case == "no gradebook file":
        url = f"sqlite:///{tmp_path / 'none.db'}"
    elif case == "assignment not in it":
        assignment = "ps2"
    else:
        assignment = "ps*"
    assert readiness.problem(tmp_path, assignment, _config(), url) is None
    assert not (tmp_path / "none.db").exists()


def test_course_config_reads_the_roots_nbgrader_config(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.SandboxedExecute.sandbox = False\nc.Execute.timeout = 7\n")
    config = readiness.course_config(tmp_path)
    assert config.SandboxedExecute.sandbox is False and config.Execute.timeout == 7
