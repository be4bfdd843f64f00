"""The mistake catalogue's machinery (course/submissions/catalogue.py), with no nbgrader run.

Entries and notebooks are built here: a release with two notebooks (``A``: answer cell
``f`` and its test cell ``check_f``; ``B``: ``g`` and ``check_g``) and its source. The
course's own catalogue, graded by nbgrader, is ``tests/integration/test_catalogue.py``.
"""

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course import pipeline
from course.gradebook.scores import Score
from course.submissions import catalogue
from course.submissions.catalogue import CatalogueError, Entry, Outcome, Submission

STUB = ("def {f}(x):\n    ### START CODE HERE ### (≈ 1 line of code)\n    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\n    ### END CODE HERE ###\n    return y")
SOLVED = "def {f}(x):\n    ### START CODE HERE ###\n    y = 2 * x\n    ### END CODE HERE ###\n    return y"


def _entry(name, function, loses=(), *, code="y = x", frame=(), message=None, mistake=None):
    wrong = bool(loses)
    return Entry(name, function, "family", code, list(loses),
                 message if message is not None else ("hint" if wrong else ""),
                 list(frame), mistake if mistake is not None else (f"{function}.m" if wrong else ""))


def _answer(function, source):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                 "grade_id": function, "schema_version": 3}
    return cell


def _test(grade_id, outputs=(), verdict=None):
    cell = new_code_cell(f"check({grade_id})", outputs=list(outputs))
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                 "grade_id": grade_id, "schema_version": 3}
    if verdict:
        cell.metadata["course"] = {"verdict": verdict}
    return cell


def _notebook(function, body):
    return new_notebook(cells=[new_markdown_cell(f"## {function}"), _answer(function, body),
                               new_code_cell("plot_everything()"), _test(f"check_{function}")])


@pytest.fixture
def course(tmp_path):
    """A course root with the release and source of notebooks A (``f``) and B (``g``)."""
    root = tmp_path / "course"
    for folder, body in (("release", STUB), ("source", SOLVED)):
        (root / folder / pipeline.ASSIGNMENT).mkdir(parents=True)
        for name, function in (("A", "f"), ("B", "g")):
            nbformat.write(_notebook(function, body.format(f=function)),
                           root / folder / pipeline.ASSIGNMENT / f"{name}.ipynb")
    return root


def _folders(root):
    return root / "release" / pipeline.ASSIGNMENT, root / "source" / pipeline.ASSIGNMENT


# --- the catalogue, read ------------------------------------------------------------------

ENTRY = "[[entry]]\nname='{name}'\nfunction='f'\nfamily='x'\ncode='y = x'\n"
RIGHT = ENTRY + "loses='none'\nmessage=''\n"
WRONG = ENTRY + "loses=['check_f']\nmessage='hint'\nmistake='f.m'\nframe=[['return y', 'return -y']]\n"


def test_load_catalogue_reads_every_entry_in_file_then_entry_order(tmp_path):
    (tmp_path / "b.toml").write_text(RIGHT.format(name="b1"))
    (tmp_path / "a.toml").write_text(WRONG.format(name="a1") + RIGHT.format(name="a2"))
    (tmp_path / "notes.md").write_text("not a catalogue file")
    entries = catalogue.load_catalogue(tmp_path)
    assert [e.name for e in entries] == ["a1", "a2", "b1"]
    assert entries[0] == Entry("a1", "f", "x", "y = x", ["check_f"], "hint",
                               [("return y", "return -y")], "f.m")
    assert entries[0].wrong and not entries[1].wrong
    assert entries[1].loses == [] and entries[1].mistake == ""


def test_load_catalogue_refuses_a_folder_without_a_catalogue_file(tmp_path):
    with pytest.raises(CatalogueError, match=r"^no catalogue file \(\*\.toml\) in "):
        catalogue.load_catalogue(tmp_path)


def test_load_catalogue_names_a_file_that_is_not_toml(tmp_path):
    (tmp_path / "bad.toml").write_text("[[entry]\nname = ")
    with pytest.raises(CatalogueError, match=r"bad\.toml is not valid TOML: "):
        catalogue.load_catalogue(tmp_path)


def test_load_catalogue_refuses_a_name_used_twice_even_across_files(tmp_path):
    (tmp_path / "a.toml").write_text(RIGHT.format(name="same"))
    (tmp_path / "b.toml").write_text(WRONG.format(name="same"))
    with pytest.raises(CatalogueError, match=r"b\.toml: entry name 'same' is used twice"):
        catalogue.load_catalogue(tmp_path)


@pytest.mark.parametrize("text, message", [
    ("[[entry]]\nname = 'a'\n", "entry 'a' lacks code, family, function, loses, message"),
    ("[[entry]]\nname='a'\nfunction='f'\nfamily='x'\ncode=''\nloses='none'\nmessage='hint'\n",
     "a wrong answer needs a message fragment and a mistake code, a right one"),
    ("[[entry]]\nname='a'\nfunction='f'\nfamily='x'\ncode=''\nloses=['c']\nmessage='hint'\n",
     "a wrong answer needs a message fragment and a mistake code"),
    ("[[entry]]\nname='a'\nfunction='f'\nfamily='x'\ncode=''\nloses=3\nmessage='m'\n",
     "loses must be a list of test cell names"),
])
def test_load_catalogue_rejects_malformed_entries(tmp_path, text, message):
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(catalogue.CatalogueError, match=re.escape(message)):
        catalogue.load_catalogue(tmp_path)


# --- the submissions planned ----------------------------------------------------------------

F_WRONG = [_entry("w1", "f", ["check_f"]), _entry("w2", "f", ["check_f"])]
F_RIGHT = [_entry(f"r{k}", "f") for k in (1, 2, 3)]
G_WRONG = [_entry("v1", "g", ["check_g"])]
G_RIGHT = [_entry("s1", "g")]
ENTRIES = F_WRONG + F_RIGHT + G_WRONG + G_RIGHT


def _answers(planned):
    return [(s.student, {f: e.name if e else None for f, e in s.entries.items()}) for s in planned]


def test_plan_grades_each_wrong_entry_beside_right_ones_taken_in_turn():
    assert _answers(catalogue.plan(ENTRIES)) == [
        ("w01-w1", {"f": "w1", "g": "s1"}),
        ("w02-w2", {"f": "w2", "g": "s1"}),
        ("w03-v1", {"f": "r1", "g": "v1"}),
        # r2 and r3 were not used beside a wrong entry: graded in right-only submissions
        ("r04-right", {"f": "r2", "g": "s1"}),
        ("r05-right", {"f": "r3", "g": "s1"}),
        ("z-solution", {"f": None, "g": None})]


def test_plan_packed_places_each_entry_once_wrong_ones_first_and_leaves_out_what_is_placed():
    """g's two entries are placed by the second submission: the later ones leave g out, so
    that its notebook is not handed in again only to be graded right once more."""
    assert _answers(catalogue.plan(ENTRIES, packed=True)) == [
        ("p01-packed", {"f": "w1", "g": "v1"}),
        ("p02-packed", {"f": "w2", "g": "s1"}),
        ("p03-packed", {"f": "r1"}),
        ("p04-packed", {"f": "r2"}),
        ("p05-packed", {"f": "r3"}),
        ("z-solution", {"f": None, "g": None})]


def test_plan_refuses_a_function_without_a_right_answer():
    with pytest.raises(CatalogueError, match=r"^no right answer in the catalogue for g: wrong "
                                             r"answers are graded beside right ones$"):
        catalogue.plan(F_WRONG + F_RIGHT + G_WRONG)


def test_expected_losses_are_the_cells_the_wrong_entries_lose():
    submission = Submission("x", {"f": F_WRONG[0], "g": G_RIGHT[0]})
    assert submission.expected_losses == {"check_f"}
    assert Submission("z", {"f": None, "g": None}).expected_losses == set()


# --- the notebooks built ----------------------------------------------------------------

def test_owners_are_the_closest_answer_cell_above_each_test_cell():
    nb = new_notebook(cells=[_test("check_orphan"), _answer("f", ""), _test("check_f1"),
                             new_code_cell("x = 1"), _test("check_f2"), _answer("g", ""),
                             _test("check_g")])
    assert catalogue.owners(nb) == {"check_f1": "f", "check_f2": "f", "check_g": "g"}


def test_build_puts_each_answer_in_its_notebook_and_the_solution_elsewhere(course):
    entry = _entry("w1", "f", ["check_f"], code="y = 3 * x", frame=[("return y", "return -y")])
    built = catalogue.build(*_folders(course), Submission("s", {"f": entry, "g": None}))
    assert sorted(built) == ["A.ipynb", "B.ipynb"]
    assert built["A.ipynb"].cells[1].source == (
        "def f(x):\n    ### START CODE HERE ### (≈ 1 line of code)\n    y = 3 * x\n"
        "    ### END CODE HERE ###\n    return -y")
    assert built["B.ipynb"].cells[1].source == SOLVED.format(f="g")   # None: the instructor's
    assert built["A.ipynb"].cells[2].source == "plot_everything()"


def test_build_leaves_out_a_notebook_with_none_of_the_submissions_functions(course):
    built = catalogue.build(*_folders(course), Submission("s", {"g": G_RIGHT[0]}), lean=True)
    assert list(built) == ["B.ipynb"]
    # lean: the ungraded code cells go, markdown and nbgrader cells stay
    assert [c.source.split("(")[0] for c in built["B.ipynb"].cells] == ["## g", "def g", "check"]


def test_build_refuses_a_frame_edit_that_finds_nothing_to_replace(course):
    entry = _entry("odd", "f", ["check_f"], frame=[("return z", "return -z")])
    with pytest.raises(CatalogueError, match=r"^entry odd: the answer cell f has no 'return z' "
                                             r"to replace$"):
        catalogue.build(*_folders(course), Submission("s", {"f": entry}))


def test_build_refuses_a_function_no_release_notebook_answers(course):
    with pytest.raises(CatalogueError, match=r"^no release notebook has the answer cell\(s\) h$"):
        catalogue.build(*_folders(course), Submission("s", {"f": None, "h": None}))


def test_hand_in_writes_the_submissions_into_the_roots_in_turn(course, tmp_path):
    other = tmp_path / "other"
    for folder in _folders(course):
        target = other / folder.relative_to(course)
        target.mkdir(parents=True)
        for path in folder.glob("*.ipynb"):
            target.joinpath(path.name).write_bytes(path.read_bytes())
    planned = [Submission("one", {"f": F_RIGHT[0]}), Submission("two", {"g": G_RIGHT[0]}),
               Submission("three", {"f": None, "g": None})]
    where = catalogue.hand_in(planned, [course, other])
    assert where == {"one": course, "two": other, "three": course}
    handed = {(root.name, p.relative_to(root / "submitted").as_posix())
              for root in (course, other) for p in (root / "submitted").rglob("*.ipynb")}
    assert handed == {("course", f"one/{pipeline.ASSIGNMENT}/A.ipynb"),
                      ("other", f"two/{pipeline.ASSIGNMENT}/B.ipynb"),
                      ("course", f"three/{pipeline.ASSIGNMENT}/A.ipynb"),
                      ("course", f"three/{pipeline.ASSIGNMENT}/B.ipynb")}
    written = nbformat.read(course / "submitted" / "one" / pipeline.ASSIGNMENT / "A.ipynb", 4)
    assert "    y = x\n" in written.cells[1].source


# --- what grading left, read ------------------------------------------------------------------

def _error(message):
    return new_output("error", ename="AssertionError", evalue=message, traceback=["frames"])


VERDICT = {"passed": False, "code": "f.m", "text": "f is wrong"}


def _autograded():
    """Notebook A as autograde leaves it: check_f failed with the grader's verdict, check_f2
    passed, and an answer cell whose own error is the student's."""
    answer = _answer("f", "def f(x): ...")
    answer.outputs = [_error("the student's own assert")]
    return new_notebook(cells=[answer,
                               _test("check_f", [_error("f(2):\n  - hint: y is 4\n  - more")],
                                     VERDICT),
                               _test("check_f2", [new_output("stream", name="stdout", text="✓")],
                                     {"passed": True, "code": "", "text": "✓"})])


def test_messages_are_the_errors_of_failed_test_cells_only():
    assert catalogue.messages(_autograded()) == {
        "check_f": "AssertionError: f(2):\n  - hint: y is 4\n  - more"}


def test_mistake_codes_are_the_verdicts_code_in_each_test_cell():
    assert catalogue.mistake_codes(_autograded()) == {"check_f": "f.m", "check_f2": ""}


@pytest.mark.parametrize("message, line", [
    ("AssertionError: f(2):\n  - hint: y is 4\n  - more", "hint: y is 4"),
    ("AssertionError: f is wrong\nsecond line", "AssertionError: f is wrong"),
    ("", ""),
])
def test_first_line_is_the_first_item_a_check_names_else_its_first_line(message, line):
    assert catalogue.first_line(message) == line


def _score(student, points, max_points):
    return Score(student, points, max_points)


def test_submission_outcomes_give_each_function_the_points_its_cells_lost():
    wrong = _entry("w1", "f", ["check_f"], message="hint")
    submission = Submission("w01-w1", {"f": wrong, "g": G_RIGHT[0]})
    notebook_b = new_notebook(cells=[_answer("g", ""), _test("check_g")])
    score = _score("w01-w1", {"check_f": 0.5, "check_f2": 1.0, "check_g": 1.0},
                   {"check_f": 2.0, "check_f2": 1.0, "check_g": 1.0})
    f, g = catalogue.submission_outcomes(submission, score, [_autograded(), notebook_b])
    assert (f.entry, f.function, f.student, f.lost) == (wrong, "f", "w01-w1", {"check_f": 1.5})
    assert f.messages == {"check_f": "AssertionError: f(2):\n  - hint: y is 4\n  - more"}
    assert f.codes == {"check_f": "f.m"}
    assert f.caught and f.wrong and f.points_lost == 1.5 and f.seen == "hint: y is 4"
    assert (g.name, g.lost, g.caught, g.wrong) == ("s1", {}, False, False)
    assert catalogue.unexpected([f, g]) == []


def test_submission_outcomes_refuse_a_submission_that_was_not_graded():
    submission = Submission("w01-w1", {"f": F_WRONG[0]})
    with pytest.raises(pipeline.PipelineError, match=r"^submission w01-w1 was not graded$"):
        catalogue.submission_outcomes(submission, None, [])
    failed = _score("w01-w1", {"check_f": None}, {"check_f": 1.0})   # grading did not finish
    with pytest.raises(pipeline.PipelineError, match="was not graded"):
        catalogue.submission_outcomes(submission, failed, [_autograded()])


# --- outcomes, judged ----------------------------------------------------------------------

def _outcome(entry, lost, messages=None, codes=None):
    function = entry.function if entry else "f"
    messages = messages if messages is not None else {c: "AssertionError: hint" for c in lost}
    codes = codes if codes is not None else {c: "f.m" for c in lost}
    return Outcome(entry, function, "s", lost, messages, codes)


def test_unexpected_names_what_an_entry_lost_that_it_should_not_have():
    right, wrong = _entry("r", "f"), _entry("w", "f", ["check_f", "check_f2"])
    found = catalogue.unexpected([
        _outcome(right, {"check_f": 1.0}),                       # a right answer penalized
        _outcome(wrong, {"check_f": 1.0}),                       # a wrong one lost too little
        _outcome(None, {}),                                      # the solution, untouched
        _outcome(wrong, {"check_f": 1.0, "check_f2": 1.0},       # lost its cells, said else
                 messages={"check_f": "AssertionError: hint", "check_f2": "AssertionError: no"}),
        _outcome(wrong, {"check_f": 1.0, "check_f2": 1.0},       # and with another code
                 codes={"check_f": "f.m", "check_f2": "f.other"}),
    ])
    assert [(o.name, why) for o, why in found] == [
        ("r", "lost ['check_f'], expected nothing"),
        ("w", "lost ['check_f'], expected ['check_f', 'check_f2']"),
        ("w", "check_f2 did not say 'hint'"),
        ("w", "check_f2 carried the mistake code 'f.other', not 'f.m'")]


def test_totals_count_entries_once_and_the_solution_as_a_right_answer():
    right, wrong, missed = _entry("r", "f"), _entry("w", "f", ["check_f"]), _entry("m", "f", ["c"])
    results = [_outcome(wrong, {"check_f": 1.0}), _outcome(wrong, {"check_f": 1.0}),
               _outcome(missed, {}), _outcome(right, {}), _outcome(right, {"check_f": 1.0}),
               _outcome(None, {})]
    assert catalogue.totals(results) == {"wrong": 2, "caught": 1, "right": 2, "penalized": 1}
