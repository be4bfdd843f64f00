"""course/gradebook/report.py and report_page.py: the class report counted from records,
written as a page and CSV files, without a kernel or a grading run."""

import ast
import csv
import html
import io
import json
import re
from pathlib import Path

import pytest

from course.gradebook import report, report_page
from course.gradebook.report import Cell, ClassRecord, ExerciseInfo, StudentRecord
from course.judge import spec as specs
from course.submissions.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parents[3]

# Two notebooks whose names sort the other way round from the course's order.
CELLS = [Cell("check_b_structure", "Part1", 1.0, exercise="b", title="Exercise 1: b"),
         Cell("check_b_values", "Part1", 2.0, exercise="b", title="Exercise 1: b"),
         Cell("essay", "Part1", 2.0, written=True, title="Explain"),
         Cell("check_a_values", "Part0", 3.0, exercise="a", title="Exercise 2: a")]
EXERCISES = [ExerciseInfo("b", "fb", "Part1", "Exercise 1: b"),
             ExerciseInfo("a", "fa", "Part0", "Exercise 2: a")]
DESCRIBED = {"b.transposed": "transposes W", "a.off_by_one": "starts at 0",
             "b.not_written": "not written"}


def _student(name, points, state="complete", **kwargs):
    return StudentRecord(name, state, dict(points), **{"handed_in": {"Part1", "Part0"}, **kwargs})


def _record(students):
    return ClassRecord("hw", CELLS, EXERCISES, students, DESCRIBED, "https://hub.example/user/t")


@pytest.fixture
def record():
    full = {"check_b_structure": 1.0, "check_b_values": 2.0, "essay": 2.0, "check_a_values": 3.0}
    return _record([
        # the same mistake in two cells, once per student; a mistake of part 0 as often
        _student("ann", {**full, "check_b_structure": 0.0, "check_b_values": 0.0,
                         "check_a_values": 0.0},
                 verdicts={"check_b_structure": "b.transposed", "check_b_values": "b.transposed",
                           "check_a_values": "a.off_by_one"}),
        _student("bo", {**full, "check_b_values": 0.0, "essay": None},
                 state="needs manual grading", waiting={"essay"}, links={"Part1": "nb-7"},
                 verdicts={"check_b_values": "b.transposed"}),
        _student("cy", {**full, "check_a_values": 0.0}, verdicts={"check_a_values": "a.off_by_one"}),
        # Part0 not handed in (nbgrader scores it 0); b not written; no verdict: time limit
        _student("di", {**full, "check_a_values": 0.0, "check_b_structure": 0.0,
                        "check_b_values": 0.0}, handed_in={"Part1"},
                 verdicts={"check_b_structure": "b.not_written"},
                 no_verdict={"check_b_values": "ran past its time limit"}),
        _student("ed", {**full, "essay": None}, state="needs manual grading", waiting={"essay"}),
        _student("fi", dict.fromkeys(full), state="not graded", handed_in=set()),
        _student("gu", dict.fromkeys(full), state=report.NOT_SUBMITTED, handed_in=set()),
    ])


def test_cell_rows_count_graded_passed_failed_and_the_mean_in_course_order(record):
    rows = {cell.grade_id: (graded, passed, failed, mean)
            for cell, graded, passed, failed, mean in report.cell_rows(record)}
    assert list(rows) == ["check_b_structure", "check_b_values", "check_a_values"]  # no essay
    assert rows["check_b_structure"] == (["ann", "bo", "cy", "di", "ed"], ["bo", "cy", "ed"],
                                         ["ann", "di"], pytest.approx(3 / 5, abs=1e-12))
    assert rows["check_b_values"][2] == ["ann", "bo", "di"]
    assert rows["check_b_values"][3] == pytest.approx(4 / 5, abs=1e-12)
    assert rows["check_a_values"][1:3] == (["bo", "ed"], ["ann", "cy", "di"])


def test_a_mistake_counts_each_student_once_and_the_most_made_comes_first(record):
    rows = report.mistake_rows(record)
    assert [(r.code, r.students, r.cells, r.of) for r in rows] == [
        ("b.transposed", ("ann", "bo"), ("check_b_structure", "check_b_values"), 5),
        ("a.off_by_one", ("ann", "cy"), ("check_a_values",), 5)]   # tie: course order
    assert rows[0].description == "transposes W" and rows[0].notebook == "Part1"
    assert rows[0].count == 2 and rows[0].share == pytest.approx(0.4, abs=1e-12)


def test_other_losses_name_what_is_not_a_misconception(record):
    rows = {(r.code, r.description): r for r in report.other_rows(record)}
    assert set(rows) == {("b.not_written", "not written"), ("", "ran past its time limit"),
                         ("", report.NOT_HANDED_IN)}
    assert rows["", report.NOT_HANDED_IN].notebook == "Part0"
    assert rows["", report.NOT_HANDED_IN].exercise == ""   # the notebook, not an exercise
    assert rows["", "ran past its time limit"].cells == ("check_b_values",)
    assert all(r.students == ("di",) for r in rows.values())


def test_a_code_the_spec_does_not_describe_is_named_by_itself():
    record = _record([])
    assert report.describe(record, "b.transposed") == "transposes W"
    assert report.describe(record, "b.new_thing") == ("new thing (the spec does not describe "
                                                      "b.new_thing)")


def test_state_rows_list_every_state_in_order_with_its_students(record):
    rows = dict(report.state_rows(record))
    assert list(rows) == ["complete", "needs manual grading", "failed to grade", "not graded",
                          report.NOT_SUBMITTED]
    assert rows == {"complete": ["ann", "cy", "di"], "needs manual grading": ["bo", "ed"],
                    "failed to grade": [], "not graded": ["fi"], report.NOT_SUBMITTED: ["gu"]}


def test_waiting_rows_link_each_answer_to_the_formgrader(record):
    rows = [(student, cell.grade_id, url) for student, cell, url in report.waiting_rows(record)]
    assert rows == [("bo", "essay", "https://hub.example/user/t/formgrader/submissions/nb-7/"),
                    ("ed", "essay", "https://hub.example/user/t/formgrader/gradebook/hw/Part1")]


def test_distribution_tells_final_points_from_points_so_far(record):
    scored, left_out = report.distribution(record)
    assert scored == [("ann", 2.0, True), ("bo", 4.0, False), ("cy", 5.0, True),
                      ("di", 2.0, True), ("ed", 6.0, False)]
    assert left_out == ["fi", "gu"]
    assert report.distribution(record, "Part0")[0] == [
        ("ann", 0.0, True), ("bo", 3.0, True), ("cy", 0.0, True), ("di", 0.0, True),
        ("ed", 3.0, True)]


# -- verdicts read from an autograded notebook --------------------------------------------------

def _autograded(folder, cells):
    folder.mkdir(parents=True, exist_ok=True)
    nb = {"cells": [{"cell_type": "code", "source": "", "outputs": outputs,
                     "metadata": {"nbgrader": {"grade_id": gid, "grade": True}, **extra}}
                    for gid, extra, outputs in cells], "metadata": {}, "nbformat": 4,
          "nbformat_minor": 5}
    (folder / "Part1.ipynb").write_text(json.dumps(nb))


def _verdict(passed, code):
    return {"course": {"verdict": {"passed": passed, "code": code, "text": "t"}}}


def test_only_the_judges_verdicts_are_read(tmp_path):
    timeout = [{"output_type": "error", "ename": "CellTimeoutError", "evalue": "", "traceback": []}]
    _autograded(tmp_path, [
        ("check_b_structure", _verdict(False, "a.off_by_one"), []),   # another exercise's code
        ("check_b_values", _verdict(False, "b.transposed"), []),
        ("essay", _verdict(False, "b.transposed"), []),               # not a test cell
    ])
    found = StudentRecord("ann", "complete")
    report._read_verdicts(tmp_path, CELLS, found)
    assert found.verdicts == {"check_b_values": "b.transposed"} and found.no_verdict == {}
    _autograded(tmp_path, [("check_b_structure", {"course": {"verdict": {"passed": "yes"}}}, []),
                           ("check_b_values", {}, timeout)])
    found = StudentRecord("ann", "complete")
    report._read_verdicts(tmp_path, CELLS, found)
    assert found.verdicts == {} and found.no_verdict == {"check_b_values": "ran past its time limit"}


# -- the spec's words for each mistake ------------------------------------------------------------

DESCRIPTIONS = specs.mistakes("initialization")
KEYS = {e.key for e in specs.exercises("initialization")}


def test_every_mistake_of_the_catalogue_has_the_lessons_words():
    codes = {e.mistake for e in load_catalogue(ROOT / "tests" / "catalogue") if e.wrong}
    assert codes and not codes - set(DESCRIPTIONS)


CHECKS = [ROOT / "helpers" / f"{name}.py" for name in
          ("_checking", "checks", "activation_checks", "gradient_checks")]


def _problem_codes():
    """Every mistake code the checks of ``helpers`` write as a literal: ``Problem("code", ...)``,
    ``code = ...``, and the first item of their tables of mistaken scales and draws."""
    found = set()
    for path in CHECKS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem" \
                    and node.args and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
            elif isinstance(node, ast.Tuple) and len(node.elts) >= 2 and isinstance(
                    node.elts[0], ast.Constant) and isinstance(node.elts[0].value, str) and \
                    re.fullmatch(r"[a-z]+(_[a-zA-Z0-9]+)+", node.elts[0].value):
                found.add(node.elts[0].value)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.IfExp) and any(
                    getattr(t, "id", None) == "code" for t in node.targets):
                found.update(c.value for c in (node.value.body, node.value.orelse)
                             if isinstance(c, ast.Constant))   # code = "a" if ... else "b"
    return found


def test_every_code_the_checks_write_is_described_for_some_exercise():
    codes = _problem_codes()
    assert {"scaled_like_xavier", "missing_one_over_m", "std_of_n", "not_written", "raised",
            "input_in_list", "broadcast"} <= codes
    described = {code.split(".", 1)[1] for code in DESCRIPTIONS}
    assert not codes - described, codes - described


def test_every_description_is_of_an_exercise_and_a_mistake_someone_can_make():
    """No stale words: each described mistake is one the checks (or the grader) can name."""
    from helpers.gradients import ACTIVATIONS

    sources = "".join(p.read_text() for p in [*CHECKS, ROOT / "course" / "autograde" / "execute.py",
                                              ROOT / "helpers" / "activation_checks.py"])
    for code in DESCRIPTIONS:
        key, mistake = code.split(".", 1)
        assert key in KEYS, code
        if mistake.startswith("derivative_of_"):   # f"derivative_of_{other}"
            assert mistake.removeprefix("derivative_of_") in ACTIVATIONS, code
        else:
            assert re.search(rf"\b{mistake}\b", sources), code


def test_descriptions_hold_none_of_a_students_numbers():
    """Only the lesson's own constants (sqrt(2/n_prev), 1/m, 0.01, 10, W1): never a shape,
    a layer list or a value one student's call gave."""
    lesson = {"0", "1", "2", "10", "0.01"}
    for code, text in DESCRIPTIONS.items():
        numbers = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?", text))
        assert numbers <= lesson, (code, numbers)
        assert not re.search(r"\(\d+, \d+\)|\[\d+(, \d+)+\]", text), code


def test_the_notebooks_come_in_the_courses_order():
    assert specs.notebook_order("initialization") == ("Initialization", "Layers", "Gradients")


# -- the page and the CSV files --------------------------------------------------------------------

def test_mistakes_csv_lists_every_mistake_then_the_other_losses_with_their_students(record):
    rows = list(csv.DictReader(io.StringIO(report_page.mistakes_csv(record))))
    assert [(r["kind"], r["rank"], r["code"], r["students"], r["of"], r["student_ids"])
            for r in rows] == [
        ("mistake", "1", "b.transposed", "2", "5", "ann bo"),
        ("mistake", "2", "a.off_by_one", "2", "5", "ann cy"),
        ("other", "1", "b.not_written", "1", "5", "di"), ("other", "2", "", "1", "5", "di"),
        ("other", "3", "", "1", "5", "di")]
    assert rows[0]["exercise"] == "Exercise 1: b" and rows[0]["function"] == "fb"
    assert rows[0]["cells"] == "check_b_structure check_b_values"
    assert rows[3]["description"] == "ran past its time limit"
    assert rows[4]["exercise"] == "Part0.ipynb" and rows[4]["description"] == report.NOT_HANDED_IN


def test_cells_csv_has_one_row_per_test_cell_in_course_order(record):
    rows = list(csv.DictReader(io.StringIO(report_page.cells_csv(record))))
    assert [(r["notebook"], r["grade_id"], r["graded"], r["passed"], r["failed"],
             r["mean_points"], r["failed_share"]) for r in rows] == [
        ("Part1", "check_b_structure", "5", "3", "2", "0.600", "0.400"),
        ("Part1", "check_b_values", "5", "2", "3", "0.800", "0.600"),
        ("Part0", "check_a_values", "5", "2", "3", "1.200", "0.600")]


def test_the_figure_draws_each_number_of_points_with_its_count():
    scored = [("a", 2.0, True), ("b", 2.0, True), ("c", 2.0, False), ("d", 4.5, True)]
    figure = report_page.distribution_figure(scored, 6, "t")
    [ax] = figure.axes
    heights = {}
    for bar in ax.patches:
        x = round(bar.get_x() + bar.get_width() / 2, 6)
        heights[x] = heights.get(x, 0) + bar.get_height()
    assert {x: h for x, h in heights.items() if h} == {2.0: 3, 4.5: 1}
    assert [t.get_text() for t in ax.texts] == ["3", "1"]
    assert [t.get_text() for t in ax.get_legend().get_texts()][0] == "final"
    assert report_page.figure_png(scored, 6, "t").startswith(b"\x89PNG\r\n\x1a\n")


def test_the_page_escapes_every_name_and_runs_no_script(record):
    record.students[0].student = '<img src=x onerror="alert(1)">'
    page = report_page.render(record)
    assert '<img src=x onerror' not in page and "&lt;img src=x onerror" in page
    assert "<script" not in page.lower()
    [policy] = [html.unescape(p) for p in re.findall(
        r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)]
    assert "default-src 'none'" in policy and "script-src 'none'" in policy
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == 3 and all(i.startswith("data:image/png;base64,") for i in images)
    links = re.findall(r'href="(https?:[^"]+)"', page)
    assert links == ["https://hub.example/user/t/formgrader/submissions/nb-7/",
                     "https://hub.example/user/t/formgrader/gradebook/hw/Part1"]


def test_write_replaces_the_files_whole_or_leaves_them(record, tmp_path, monkeypatch):
    written = report_page.write(record, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "cells.csv", "mistakes.csv", "report.html"] == sorted(p.name for p in written)
    before = {p.name: p.read_text() for p in written}

    def broken(record):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_page, "cells_csv", broken)
    record.students.pop(0)
    with pytest.raises(RuntimeError):
        report_page.write(record, tmp_path / "out")
    assert {p.name: p.read_text() for p in (tmp_path / "out").iterdir()} == before


def test_a_report_before_any_grading_says_so_in_one_line_and_writes_nothing(tmp_path, capsys):
    import shutil

    from course import cli

    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    assert cli.main(["--root", str(tmp_path), "report"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("course report: no gradebook at") and "course grade" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nbgrader_config.py"]
