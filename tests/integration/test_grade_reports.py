"""What `course grade` and `course scores` tell an instructor about submissions that went wrong.

One `course grade` run over students of the demo class: alice as handed in;
bob with an Initialization.ipynb that is not JSON; carol with a Layers.ipynb that
nbformat reads but its schema rejects; emeka with an answer cell whose
nbgrader metadata another tool wrote as a string; una, whose notebooks are all
named otherwise than released; zed, who handed in no notebook (a note); yan, on the
roster, with an empty submitted/yan/; and ned, who handed in and was left out of the
run. Each has one state, the same in `course grade`, `course scores`, its CSV and
grades.csv. Then the overrides of `course manual-grade` on the graded class.
"""

import csv
import io
import json
import os
import subprocess
import sys

import nbformat
import pytest
from bs4 import BeautifulSoup

from course import pipeline
from support import ASSIGNMENT, DEMO_LOSSES, ROOT, copy_course, lean, lost_cells

pytestmark = pytest.mark.slow

STUDENTS = ["alice", "bob", "carol", "emeka", "una", "zed", "yan"]


def _course(*args, root, piped=False):
    """``course ARGS``; ``piped``: as into a log file, at Rich's default width (80)."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run([sys.executable, "-m", "course", "--root", str(root), *args],
                          capture_output=True, text=True, env=env if piped else
                          {**env, "COLUMNS": "250"}, timeout=600)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, released_course):
    root = copy_course(released_course, tmp_path_factory.mktemp("reports") / "course")
    for student in ("alice", "bob", "carol", "emeka"):   # their demo work, lean
        for path in (ROOT / "submitted" / student / ASSIGNMENT).glob("*.ipynb"):
            copy = root / "submitted" / student / ASSIGNMENT / path.name
            copy.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(lean(nbformat.read(path, as_version=4)), copy)
    alice = root / "submitted" / "alice" / ASSIGNMENT / "Initialization.ipynb"
    nb = json.loads(alice.read_text())   # a heading of her own above the He tests
    at = next(i for i, c in enumerate(nb["cells"])
              if c["metadata"].get("nbgrader", {}).get("grade_id") == "check_he_structure")
    nb["cells"].insert(at, {"cell_type": "markdown", "metadata": {}, "id": "injected",
                            "source": "## Exercise 3: full marks, agreed by e-mail"})
    alice.write_text(json.dumps(nb))
    carol = root / "submitted" / "carol" / ASSIGNMENT / "Layers.ipynb"
    nb = json.loads(carol.read_text())   # nbformat reads it, and its schema rejects it
    next(c for c in nb["cells"] if c["cell_type"] == "markdown")["source"] = {"not": "text"}
    carol.write_text(json.dumps(nb))
    (root / "submitted" / "bob" / ASSIGNMENT / "Initialization.ipynb").write_text("{not json\n")
    emeka = root / "submitted" / "emeka" / ASSIGNMENT / "Initialization.ipynb"
    nb = json.loads(emeka.read_text())
    answer = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution"))
    answer["metadata"]["nbgrader"] = "solution"   # not the dict nbgrader reads
    emeka.write_text(json.dumps(nb))
    for student in ("una", "ned"):
        for path in (ROOT / "submitted" / "alice" / ASSIGNMENT).glob("*.ipynb"):
            name = f"{path.stem} (1).ipynb" if student == "una" else path.name
            copy = root / "submitted" / student / ASSIGNMENT / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(lean(nbformat.read(path, as_version=4)), copy)
    (root / "submitted" / "zed" / ASSIGNMENT).mkdir(parents=True)
    (root / "submitted" / "zed" / ASSIGNMENT / "notes.txt").write_text("my notebook is on my laptop")
    (root / "submitted" / "yan").mkdir(parents=True)
    pipeline.nbgrader(root, "db", "student", "add", "yan")   # on the roster, handed nothing in
    result = _course("grade", "--jobs", "2", "--students", ",".join(STUDENTS), root=root,
                     piped=True)
    pipeline.export(root)
    return root, result, {s.student: s for s in pipeline.scores(root)}


def _lines(result, student):
    return [line for line in result.stdout.splitlines() if line.startswith(f"{student}: ")]


def test_a_failed_submission_is_reported_in_one_line_with_its_reason(graded):
    _, result, _ = graded
    assert result.returncode == 1, result.stdout + result.stderr   # una failed
    assert _lines(result, "una") == [
        "una: failed to grade: none of Gradients.ipynb, Initialization.ipynb, Layers.ipynb was "
        "handed in (found Gradients (1).ipynb, Initialization (1).ipynb, Layers (1).ipynb); "
        "the submission cannot be graded: name the notebooks as released and grade it again"]
    assert "Traceback" not in result.stdout and "NbGraderException" not in result.stdout
    assert "No notebooks" not in result.stdout   # nbgrader's words for what we said better
    assert not _lines(result, "alice")


def test_nothing_handed_in_is_not_submitted_in_one_line_and_not_a_failure(graded):
    _, result, _ = graded
    assert _lines(result, "zed") == [f"zed: handed in no notebook of {ASSIGNMENT} (found "
                                     f"notes.txt); not submitted"]
    assert _lines(result, "yan") == [f"yan: handed in no notebook of {ASSIGNMENT} (no "
                                     f"{ASSIGNMENT} folder); not submitted"]
    assert "zed" not in "".join(line for line in result.stdout.splitlines() if "FAILED" in line)


def test_piped_output_keeps_each_message_on_one_line(graded):
    _, result, _ = graded
    lines = result.stdout.splitlines()
    assert "" not in lines[:1], "no blank line before the first message"
    for student in ("una", "zed", "yan", "bob", "carol"):
        [line] = _lines(result, student)
        assert line.endswith(("again", "not submitted", "scores zero")), line


def test_every_table_and_file_says_the_same_state(graded):
    root, _, scores = graded
    expected = {"alice": "needs manual grading", "bob": "complete", "una": "failed to grade",
                "zed": "not submitted", "yan": "not submitted", "ned": "not graded"}
    assert {s: scores[s].status for s in expected} == expected
    table = _course("scores", root=root).stdout
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(
        _course("scores", "--csv", root=root).stdout))}
    with open(root / "grades.csv", newline="") as f:
        grades = {r["student_id"]: r for r in csv.DictReader(f)}
    for student, state in expected.items():
        assert rows[student]["status"] == state and grades[student]["status"] == state
        final = state not in ("failed to grade", "not graded")
        assert (rows[student]["total"] != "") == final, student
        assert (grades[student]["score"] != "") == final, student
        assert student in table
    assert rows["zed"]["total"] == "0" and float(grades["yan"]["score"]) == 0


def test_tables_and_csv_columns_follow_the_course_not_the_alphabet(graded):
    root, _, scores = graded
    header = _course("scores", "--csv", root=root).stdout.splitlines()[0].split(",")
    notebooks = [scores["alice"].notebooks[c] for c in header if c in scores["alice"].notebooks]
    assert list(dict.fromkeys(notebooks)) == ["Initialization", "Layers", "Gradients"]
    table = _course("scores", root=root).stdout
    assert table.index("Scores: Initialization") < table.index("Scores: Layers") < \
        table.index("Scores: Gradients")


def test_the_grade_summary_says_a_written_answer_still_waits(graded):
    _, result, _ = graded
    [row] = [line for line in result.stdout.splitlines() if line.startswith("│ alice ")]
    assert "+ manual" in row


def test_manual_grade_of_a_student_nobody_knows_says_so(graded):
    root, _, _ = graded
    said = _course("manual-grade", "nobody", "relu_spread_answer", "1", root=root)
    assert said.returncode == 1
    assert said.stdout.strip().startswith("course manual-grade: no student 'nobody' in the "
                                          "gradebook (it holds 'alice', 'bob'"), said.stdout
    assert "autograde" not in said.stdout


def test_an_unreadable_notebook_scores_zero_and_the_other_is_graded(graded):
    root, result, scores = graded
    [line] = _lines(result, "bob")
    assert line.startswith("bob: Initialization.ipynb is not a readable notebook (")
    bob = scores["bob"]
    assert bob.status == "complete" and bob.subtotal("Initialization") == 0
    layers = set(bob.cells("Layers"))
    assert lost_cells(bob) & layers == DEMO_LOSSES["bob"] & layers   # graded as handed in
    feedback = root / "autograded" / "bob" / ASSIGNMENT / "Initialization.ipynb"
    note = "".join(json.loads(feedback.read_text())["cells"][0]["source"])
    assert "could not be read" in note and "NotJSONError" in note


def test_a_notebook_against_nbformats_schema_scores_zero_and_the_other_is_graded(graded):
    _, result, scores = graded
    [line] = _lines(result, "carol")
    assert line.startswith("carol: Layers.ipynb is not a readable notebook (not a valid notebook: ")
    carol = scores["carol"]
    assert carol.status == "complete" and carol.subtotal("Layers") == 0
    initialization = set(carol.cells("Initialization"))
    assert lost_cells(carol) & initialization == DEMO_LOSSES["carol"] & initialization


def test_a_notebook_whose_metadata_another_tool_mangled_is_graded_as_handed_in(graded):
    _, result, scores = graded
    assert not _lines(result, "emeka")   # matched back to the release (course/autograde/match.py)
    assert lost_cells(scores["emeka"]) == DEMO_LOSSES["emeka"]


def test_scores_tell_earned_zero_from_failed_and_waiting(graded):
    root, _, scores = graded
    assert scores["una"].status == "failed to grade"
    assert scores["alice"].status == "needs manual grading"
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(_course("scores", "--csv", root=root).stdout))}
    assert rows["una"]["status"] == "failed to grade" and rows["una"]["check_he_values"] == ""
    assert rows["bob"]["check_he_values"] == "0"      # an earned zero is a number
    assert rows["alice"]["relu_spread_answer"] == ""  # waiting, not zero


def test_grades_csv_says_each_students_state_and_leaves_no_fake_zero(graded):
    root, _, scores = graded
    with open(root / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert rows["alice"]["status"] == "needs manual grading"
    assert float(rows["alice"]["score"]) == scores["alice"].total
    assert rows["bob"]["status"] == "complete" and float(rows["bob"]["score"]) == scores["bob"].total
    assert rows["una"]["status"] == "failed to grade" and rows["una"]["score"] == ""
    assert rows["yan"]["status"] == "not submitted" and float(rows["yan"]["score"]) == 0


def test_an_override_needs_its_flag_shows_and_can_be_cleared(graded):
    root, _, _ = graded
    refused = _course("manual-grade", "alice", "check_he_values", "0", root=root)
    assert refused.returncode == 1
    assert "check_he_values is an autograded test cell" in refused.stdout
    assert "--override" in refused.stdout
    assert pipeline.scores(root)[0].points["check_he_values"] == 2   # unchanged

    done = _course("manual-grade", "alice", "check_he_values", "0", "--override", root=root)
    assert done.returncode == 0, done.stdout + done.stderr
    alice = next(s for s in pipeline.scores(root) if s.student == "alice")
    assert alice.points["check_he_values"] == 0 and alice.overrides == {"check_he_values"}
    table = _course("scores", root=root).stdout
    assert "an instructor's points in place of the autograder's" in table
    assert [line for line in table.splitlines() if line.startswith("│ alice") and " 1* " in line]  # he: 1 + 0

    cleared = _course("manual-grade", "alice", "check_he_values", "--clear", root=root)
    assert cleared.returncode == 0, cleared.stdout + cleared.stderr
    alice = next(s for s in pipeline.scores(root) if s.student == "alice")
    assert alice.points["check_he_values"] == 2 and not alice.overrides
    again = _course("manual-grade", "alice", "check_he_values", "--clear", root=root)
    assert again.returncode == 1 and "no manual grade for check_he_values" in again.stdout


def test_clearing_a_written_answer_puts_it_back_in_the_queue(graded):
    root, _, _ = graded
    assert _course("manual-grade", "alice", "relu_spread_answer", "1.5", root=root).returncode == 0
    assert next(s for s in pipeline.scores(root) if s.student == "alice").complete
    assert _course("manual-grade", "alice", "relu_spread_answer", "--clear", root=root).returncode == 0
    alice = next(s for s in pipeline.scores(root) if s.student == "alice")
    assert alice.needs_manual == {"relu_spread_answer"} and alice.status == "needs manual grading"


def test_feedback_names_the_exercises_from_the_release_not_the_submission(graded):
    root, _, _ = graded
    pipeline.nbgrader(root, "generate_feedback", ASSIGNMENT, "--student", "alice", "--force")
    page = (root / "feedback" / "alice" / ASSIGNMENT / "Initialization.html").read_text()
    summary = " ".join(BeautifulSoup(page, "html.parser").select_one("#toc").get_text().split())
    assert "Exercise 3: initialize_parameters_he: keys, shapes and dtypes" in summary
    assert "full marks" not in summary                           # her heading titles no test
    assert "Exercise 3: full marks, agreed by e-mail" in page    # (it is in her notebook)
