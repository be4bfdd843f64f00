"""course.publish.secrets: the instructor's material, found from the course, and found again where it leaks."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course.publish.secrets import find_leaks, instructor_secrets, telling_lines, texts_of

SOLUTION = '''def scale(n_prev):
    """The He scale."""
    ### START CODE HERE ### (≈ 2 lines of code)
    variance = 2 / n_prev
    std = np.sqrt(variance)
    ### END CODE HERE ###
    return std'''
TEST = '''"""scale: the He value."""
check_scale(scale)
### BEGIN HIDDEN TESTS
# the grader also tries n_prev = 1, 7 and 100
assert_close(scale(7), 0.5345224838)
### END HIDDEN TESTS'''
MODEL = "**Model answer.** He keeps the spread.\n\nRubric: 1 point for the factor 2, 1 for why."
MODULE = '''"""The reference (hidden)."""

import math

HIDDEN_SIZES = [(1, 1), (7, 3), (100, 40)]
EXPECTED = {7: 0.5345224838, 100: 0.1414213562}


def reference_scale(n_prev):
    return math.sqrt(2 / n_prev)
'''


def _cell(make, source, **nbgrader):
    return make(source, metadata={"nbgrader": {"schema_version": 3, "locked": False,
                                               "grade": False, "solution": False, **nbgrader}})


def _course(tmp_path):
    root = tmp_path / "course-root"
    (root / "source" / "a").mkdir(parents=True)
    (root / "course" / "specs").mkdir(parents=True)
    (root / "course" / "specs" / "a.py").write_text(MODULE)
    nb = new_notebook(cells=[
        new_markdown_cell("The standard deviation is the root of the variance:\n\n"
                          "```python\nstd = np.sqrt(variance)\n```"),
        _cell(new_code_cell, SOLUTION, solution=True, grade_id="scale"),
        _cell(new_code_cell, TEST, grade=True, grade_id="check_scale", points=1),
        _cell(new_markdown_cell, MODEL, solution=True, grade=True, grade_id="why", points=2),
        _cell(new_code_cell, "answer = compute_everything(data, 42)", solution=True,
              grade_id="bare"),
    ])
    nbformat.write(nb, root / "source" / "a" / "A.ipynb")
    return root


def _secrets(tmp_path):
    return instructor_secrets(_course(tmp_path), "a", begin="START CODE HERE",
                              end="END CODE HERE")


def test_regions_of_the_source_notebook_are_secrets_without_their_visible_lines(tmp_path):
    regions = {s.origin: s.lines for s in _secrets(tmp_path) if not s.in_a_row}
    assert regions == {
        # std = np.sqrt(variance) is in a visible cell: it gives nothing away
        "the solution of A.ipynb, cell scale": ("variance = 2 / n_prev",),
        "a hidden test of A.ipynb, cell check_scale": (
            "# the grader also tries n_prev = 1, 7 and 100",
            "assert_close(scale(7), 0.5345224838)"),
        "the model answer or rubric of A.ipynb, cell why": (
            "**Model answer.** He keeps the spread.",
            "Rubric: 1 point for the factor 2, 1 for why."),
        "the solution of A.ipynb, cell bare": ("answer = compute_everything(data, 42)",),
    }


def test_modules_are_secrets_three_telling_lines_in_a_row(tmp_path):
    windows = [s.lines for s in _secrets(tmp_path)
               if s.origin == "the instructor's module course/specs/a.py"]
    assert ('HIDDEN_SIZES = [(1, 1), (7, 3), (100, 40)]',
            'EXPECTED = {7: 0.5345224838, 100: 0.1414213562}',
            'def reference_scale(n_prev):') in windows
    assert all(len(w) == 3 for w in windows)
    assert not [w for w in windows if "import math" in w]   # too short to tell


def test_a_copied_region_or_module_is_found_and_a_shared_line_is_not(tmp_path):
    secrets = _secrets(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "fine.py").write_text("variance_note = 1\nreturn np.sqrt(2 / n_prev)\n"
                                 "EXPECTED = {7: 0.5345224838, 100: 0.1414213562}\n")
    assert find_leaks(out, secrets) == []
    (out / "copied.py").write_text(MODULE.replace("\n", "\n    "))   # indented: still a copy
    (out / "answer.txt").write_text("  variance = 2 / n_prev\n")
    leaks = {(str(leak.path), leak.secret.origin) for leak in find_leaks(out, secrets)}
    assert leaks == {("copied.py", "the instructor's module course/specs/a.py"),
                     ("answer.txt", "the solution of A.ipynb, cell scale")}


def test_a_notebook_is_searched_string_by_string(tmp_path):
    """Its JSON escapes quotes and splits lines: the cells are read as a reader reads them."""
    secrets = _secrets(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    nb = new_notebook(cells=[new_code_cell(TEST),
                             new_markdown_cell(MODEL)])
    nbformat.write(nb, out / "Leaky.ipynb")
    origins = {leak.secret.origin for leak in find_leaks(out, secrets)}
    assert origins == {"a hidden test of A.ipynb, cell check_scale",
                       "the model answer or rubric of A.ipynb, cell why"}


def test_bytes_that_are_not_utf8_hide_no_line_and_lines_are_stripped(tmp_path):
    (tmp_path / "data.h5").write_bytes(b"\x89HDF\r\n\x1a\n\xff\xfe")
    assert telling_lines(texts_of(tmp_path / "data.h5")[0]) == []
    # one Latin-1 byte, and old Mac line ends, do not hide a solution's line
    (tmp_path / "answer.py").write_bytes(b"# caf\xe9 au lait\r    dW = np.dot(dZ, A_prev.T) / m\r")
    assert "dW = np.dot(dZ, A_prev.T) / m" in telling_lines(texts_of(tmp_path / "answer.py")[0])
    assert telling_lines("    x = 1\n    return something_long\n# a comment line here\n") == [
        "return something_long", "# a comment line here"]
    assert telling_lines("# a comment line here\n", comments=False) == []
