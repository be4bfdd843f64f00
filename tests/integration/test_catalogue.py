"""The grader, put to the test by the mistake catalogue (tests/catalogue/*.toml).

Every wrong answer must lose exactly the test cells its entry lists, with a
message that names the mistake, and nothing else; every right answer and the
instructor's solution must keep every point. The slow tests grade real
submissions, built from the release, with `nbgrader autograde`.

To keep `make test` short, submissions are packed: the k-th answers each
function with its k-th entry (wrong ones first), and a function whose entries
are all placed is left out, with its notebook when none of the notebook's
functions is answered, so 97 entries take 27 submissions (61 notebooks) in
place of 74 (222). A test cell calls only its own function (checked below), so
each entry is still judged on its own cells alone. They are also lean (``course.submissions.build.lean``: no
training runs or plots, which no test cell depends on; a notebook then grades
in about 5 s in place of 17). `course mutants` grades one whole submission per
wrong entry, beside right answers, for the full picture. The catalogue's machinery on
built entries and notebooks (reading, planning, building, reading what grading left) is
``tests/course/submissions/test_catalogue.py``.
"""

import contextlib
import html
import io
import re

import nbformat
import pytest

from support import hidden
from support import ASSIGNMENT, ROOT
from course import pipeline
from course.submissions import catalogue
from course.submissions import build
from course.feedback.page import bundled_mathjax

_MATHJAX = bundled_mathjax()
ENTRIES = catalogue.load_catalogue(ROOT / "tests" / "catalogue")
WRONG = [e for e in ENTRIES if e.wrong]
RIGHT = [e for e in ENTRIES if not e.wrong]

# The families of mistakes and of right answers the catalogue must hold
# (issue 3), each as a word of some entry's family.
WRONG_FAMILIES = ["transposed", "transposed weight", "forgotten 1/m", "wrong activation",
                  "1-D biases", "random biases", "missing last layer", "0.01",
                  "uniform", "seed forgotten", "different seed", "reseeding inside the loop",
                  "extra draws", "default_rng", "Xavier", "current layer", "square root forgotten",
                  "Glorot", "integer division", "hard-coded from the visible example"]
# Mistakes the notebook's example cannot show, which only the hidden cases catch: the
# classes issue 23 found hidden tests missing (a zero pre-activation, a special size, a
# result reused or a list changed between calls, which one example call cannot show).
HIDDEN_ONLY = {"bw-relu-slope-one-at-zero", "bw-square-W-not-transposed",
               "bw-square-A-prev-not-transposed"}
RIGHT_FAMILIES = ["np.random.normal(0, s, shape)", "randn / sqrt(n/2)", "(2/n) ** 0.5",
                  "math.sqrt", "f-string keys", "np.zeros_like"]


def _name(entry):
    return entry.name


def test_catalogue_has_enough_wrong_and_right_answers():
    assert len(WRONG) >= 30 and len(RIGHT) >= 10
    functions = {e.function for e in ENTRIES}
    assert functions == {"initialize_parameters_zeros", "initialize_parameters_random",
                         "initialize_parameters_he", "xavier_scale", "he_scale",
                         "propagate_activations", "backward_step"}
    backward = [e for e in ENTRIES if e.function == "backward_step"]
    assert sum(e.wrong for e in backward) >= 10 and sum(not e.wrong for e in backward) >= 4
    for function in functions:
        assert any(e.function == function for e in WRONG)
        assert any(e.function == function for e in RIGHT)


@pytest.mark.parametrize("family", WRONG_FAMILIES + RIGHT_FAMILIES)
def test_catalogue_covers_the_family(family):
    entries = WRONG if family in WRONG_FAMILIES else RIGHT
    assert any(family.lower() in e.family.lower() for e in entries)


def test_entries_lose_only_cells_of_their_own_function():
    owner = {}
    for path in hidden.source_notebooks():
        owner.update(catalogue.owners(nbformat.read(path, as_version=4)))
    for entry in WRONG:
        assert entry.loses and all(owner[cell] == entry.function for cell in entry.loses), entry.name


@pytest.mark.parametrize("packed", [False, True])
def test_plan_grades_every_entry(packed):
    planned = catalogue.plan(ENTRIES, packed=packed)
    seen = [e.name for s in planned for e in s.entries.values() if e]
    assert set(seen) == {e.name for e in ENTRIES}
    assert sorted(e.name for s in planned for e in s.entries.values() if e and e.wrong) == \
        sorted(e.name for e in WRONG)  # each wrong entry exactly once
    for submission in planned:
        wrong = [e for e in submission.entries.values() if e and e.wrong]
        assert len(wrong) <= (len(submission.entries) if packed else 1)
    assert planned[-1].entries == dict.fromkeys(planned[-1].entries)  # the solution, last
    assert len(planned) < len(ENTRIES)


def test_a_test_cell_calls_only_its_own_function():
    """What lets a submission hold answers to several functions: cells do not mix them."""
    for path in hidden.source_notebooks():
        nb = nbformat.read(path, as_version=4)
        functions = set(build.answer_cells(nb))
        for grade_id, function in catalogue.owners(nb).items():
            source = hidden.test_cells(path)[grade_id]
            assert function in source
            assert not [f for f in functions - {function} if f in source], grade_id


def _notebook_of(function):
    """The release notebook (file name) that holds ``function``'s answer cell."""
    return next(path.name for path in sorted((ROOT / "release" / ASSIGNMENT).glob("*.ipynb"))
                if function in build.answer_cells(nbformat.read(path, as_version=4)))


def _visible_messages(submission, notebook):
    """Run the cells of one release notebook (visible checks only) in this process:
    {grade_id: message}."""
    nb = catalogue.build(ROOT / "release" / ASSIGNMENT, ROOT / "source" / ASSIGNMENT,
                       submission)[notebook]
    namespace, found = {}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta:
            continue
        code = re.sub(r"^%.*$", "", cell.source, flags=re.MULTILINE)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, namespace)
        except AssertionError as error:
            found[meta["grade_id"]] = f"AssertionError: {error}"
    return found


@pytest.mark.parametrize("entry", WRONG, ids=_name)
def test_visible_check_names_the_mistake(entry):
    """Where the visible check already fails, it says what the catalogue says."""
    submission = next(s for s in catalogue.plan(ENTRIES) if entry in s.entries.values())
    found = _visible_messages(submission, _notebook_of(entry.function))
    assert set(found) <= set(entry.loses)
    for cell, message in found.items():
        assert entry.message in message


# ---------------------------------------------------------------- graded by nbgrader

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    planned = catalogue.plan(ENTRIES, packed=True)
    where = catalogue.grade(ROOT, planned, tmp_path_factory.mktemp("mutants"), workers=2,
                          feedback=True, lean=True)
    return planned, where, catalogue.outcomes(planned, where)


def _outcomes(graded, entry):
    return [o for o in graded[2] if o.entry is entry]


@pytest.mark.slow
@pytest.mark.parametrize("entry", WRONG, ids=_name)
def test_wrong_entry_loses_exactly_its_cells_with_its_message(graded, entry):
    [outcome] = _outcomes(graded, entry)
    assert set(outcome.lost) == set(entry.loses)
    for cell, message in outcome.messages.items():
        assert entry.message in message, f"{cell} said: {message}"
        assert "Traceback" not in message
        assert outcome.codes[cell] == entry.mistake, f"{cell}: {outcome.codes[cell]}"
    # the other functions of the same submission lose only what their own entries lose
    for other in (o for o in graded[2] if o.student == outcome.student and o is not outcome):
        assert set(other.lost) == set(other.entry.loses if other.entry else ())


@pytest.mark.slow
@pytest.mark.parametrize("entry", RIGHT, ids=_name)
def test_right_entry_keeps_every_point(graded, entry):
    outcomes = _outcomes(graded, entry)
    assert outcomes
    assert all(not o.lost for o in outcomes), [(o.student, o.messages) for o in outcomes]


@pytest.mark.slow
def test_solution_gets_full_marks(graded):
    planned, where, _ = graded
    student = planned[-1].student
    [score] = [s for s in pipeline.scores(where[student]) if s.student == student]
    # The catalogue's submissions hand in only the notebooks they answer in.
    cells = score.cells("Initialization")
    assert score.graded and cells
    assert score.subtotal("Initialization") == sum(score.max_points[c] for c in cells)


@pytest.mark.slow
def test_mutation_score_is_full_and_no_right_answer_is_penalized(graded):
    totals = catalogue.totals(graded[2])
    assert totals["caught"] == totals["wrong"] == len(WRONG)
    assert totals["penalized"] == 0 and totals["right"] == len(RIGHT) + 1
    assert catalogue.unexpected(graded[2]) == []


@pytest.mark.slow
@pytest.mark.parametrize("entry", WRONG, ids=_name)
def test_autograded_message_is_the_visible_one(graded, entry):
    [outcome] = _outcomes(graded, entry)
    submission = next(s for s in graded[0] if s.student == outcome.student)
    notebook = _notebook_of(entry.function)
    visible = {c: m for c, m in _visible_messages(submission, notebook).items()
               if c in entry.loses}
    assert visible or entry.function.startswith("initialize") or entry.name in HIDDEN_ONLY, (
        f"{entry.name}: the visible check of {notebook} does not fail")
    seeds_itself = "np.random.seed(3)" in catalogue.build(
        ROOT / "release" / ASSIGNMENT, ROOT / "source" / ASSIGNMENT, submission
    )[notebook].cells[_answer_index(notebook, entry.function)].source
    random_draws = entry.function.startswith("initialize") and not entry.function.endswith("zeros")
    for cell, message in visible.items():
        if seeds_itself or not random_draws:
            assert outcome.messages[cell] == message
        else:  # its draws depend on the cells run before it, here and in the kernel
            assert outcome.messages[cell].splitlines()[0] == message.splitlines()[0]
            assert entry.message in outcome.messages[cell] and entry.message in message


def _answer_index(notebook, function):
    nb = nbformat.read(ROOT / "release" / ASSIGNMENT / notebook, as_version=4)
    return next(i for i, c in enumerate(nb.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == function)


@pytest.mark.slow
def test_no_test_cell_writes_to_stderr(graded):
    planned, where, _ = graded
    for submission in planned:
        folder = where[submission.student] / "autograded" / submission.student / ASSIGNMENT
        for path in folder.glob("*.ipynb"):
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.metadata.get("nbgrader", {}).get("grade"):
                    streams = [o.name for o in cell.get("outputs", []) if o.output_type == "stream"]
                    assert "stderr" not in streams, (submission.student, cell.metadata.nbgrader.grade_id)


def _feedback_text(graded, student):
    """The text of every feedback page of ``student``, one after the other.

    Without the MathJax bundle each page inlines (2 MB of the library's own code,
    the same on every page; tests/integration/test_feedback_offline.py checks that
    it holds no hidden line or value): searched once per entry, it cost minutes.
    """
    folder = graded[1][student] / "feedback" / student / ASSIGNMENT
    pages = sorted(folder.glob("*.html"))
    assert pages, f"no feedback page for {student}"
    texts = []
    for path in pages:
        page = path.read_text()
        assert page.count(_MATHJAX) == 1, f"{path.name}: the MathJax bundle is not inlined once"
        texts.append(html.unescape(re.sub(r"<[^>]+>", "", page.replace(_MATHJAX, ""))))
    return "\n".join(texts)


@pytest.mark.slow
def test_feedback_shows_the_message_and_never_a_hidden_test(graded):
    lines, values = hidden.hidden_lines(), hidden.hidden_only_values()
    assert lines and values
    for outcome in (o for o in graded[2] if o.wrong):
        text = _feedback_text(graded, outcome.student)
        assert "HIDDEN TESTS" not in text
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{outcome.student}'s feedback shows hidden lines: {leaked[:3]}"
        leaked = [v for v in values if v in text]
        assert not leaked, f"{outcome.student}'s feedback shows hidden values: {leaked[:3]}"
        for message in outcome.messages.values():
            assert catalogue.first_line(message) in text


@pytest.mark.slow
def test_no_message_shows_solution_code(graded):
    solution = set()
    cells = [cell for path in hidden.source_notebooks()
             for cell in build.answer_cells(nbformat.read(path, as_version=4)).values()
             if cell.cell_type == "code"]
    for cell in cells:
        block = cell.source.split("START CODE HERE")[1].split("### END CODE HERE")[0]
        solution.update(line.strip() for line in block.splitlines()[1:] if line.strip())
    solution.add("randn(layers_dims[l], layers_dims[l - 1])")
    for outcome in graded[2]:
        for message in outcome.messages.values():
            assert not [line for line in solution if line in message], message


def test_mutants_table_shows_entry_function_points_and_message():
    from rich.console import Console

    from course.cli import mutants_table
    entry = next(e for e in WRONG if e.name == "he-xavier")
    caught = catalogue.Outcome(entry, entry.function, "w01", {"check_he_values": 2},
                             {"check_he_values": "AssertionError: f([2, 4, 1]):\n  - W2 [l] looks"})
    missed = catalogue.Outcome(WRONG[1], WRONG[1].function, "w02", {}, {})
    console = Console(width=200, record=True)
    console.print(mutants_table([caught, missed]))
    text = console.export_text()
    assert "he-xavier" in text and "W2 [l] looks" in text  # markup in messages is escaped
    assert "not caught" in text
    assert catalogue.totals([caught, missed]) == {"wrong": 2, "caught": 1, "right": 0, "penalized": 0}
    assert catalogue.unexpected([missed])[0][1].startswith("lost nothing, expected")
