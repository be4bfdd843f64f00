"""results.json from the grader's report (course/gradescope/results.py), against Gradescope's spec."""

import copy

import pytest

from course.gradescope import results
from support.gradescope import validate

MANIFEST = {
    "assignment": "initialization", "time_limit": 600, "if_no_sandbox": "refuse",
    "notebooks": [
        {"name": "Initialization", "cells": [
            {"grade_id": "check_zeros_structure", "kind": "test", "points": 1.0,
             "title": "Exercise 1: initialize_parameters_zeros",
             "checks": "keys, shapes and dtypes"},
            {"grade_id": "check_he_values", "kind": "test", "points": 2.0,
             "title": "Exercise 3: initialize_parameters_he",
             "checks": "the seeded values for [2, 4, 1]"}]},
        {"name": "Layers", "cells": [
            {"grade_id": "check_xavier_scale_values", "kind": "test", "points": 1.0,
             "title": "Exercise 1: xavier_scale", "checks": "sqrt(1 / n_prev)"},
            {"grade_id": "relu_spread_answer", "kind": "answer", "points": 2.0,
             "title": "4 - Your turn to explain", "checks": "written answer"}]},
    ]}

PASSED = {"passed": True, "code": "passed", "text": "✓ right"}
HIDDEN_FAIL = {"passed": False, "code": "he.scaled_like_xavier",
               "text": "initialize_parameters_he([5, 4, 3, 2]): W2 looks scaled like Xavier"}


def _report(**changes):
    report = {
        "status": "graded", "success": True, "reason": "", "sandboxed": True,
        "student": "student",
        "problems": ["student: files.html was handed in beside the notebooks; it is left out "
                     "(a browser could run it)",
                     "student: test cell check_he_values was edited; it is graded from the "
                     "instructor's copy",
                     "student (Layers): cell 7 (check_xavier_scale_values) ran past its 120 s "
                     "time limit and was stopped"],
        "notebooks": {
            "Initialization": {"status": "graded", "cells": {
                "check_zeros_structure": {"score": 1.0, "needs_manual": False,
                                          "verdict": PASSED, "example": PASSED},
                "check_he_values": {"score": 0.0, "needs_manual": False,
                                    "verdict": HIDDEN_FAIL, "example": PASSED}}},
            "Layers": {"status": "graded", "cells": {
                "check_xavier_scale_values": {"score": 0.0, "needs_manual": False,
                                              "verdict": None, "example": None,
                                              "said": "CellTimeoutError: the function under "
                                                      "test ran past the 120 s time limit"},
                "relu_spread_answer": {"score": None, "needs_manual": True,
                                       "answer": "He keeps the spread."}}}}}
    report.update(changes)
    return report


def _tests(data, name):
    return [t for t in data["tests"] if t["name"] == name]


def test_graded_results_follow_gradescope_spec_and_carry_the_cells_points():
    data = results.graded(MANIFEST, _report(), 12.6)
    validate(data)
    assert data["score"] == 1.0 and data["execution_time"] == 13
    assert data["stdout_visibility"] == "hidden"
    scored = [t for t in data["tests"] if t["max_score"] > 0]
    assert [t["name"] for t in scored] == [
        "Exercise 1: initialize_parameters_zeros: keys, shapes and dtypes",
        "Exercise 3: initialize_parameters_he: the seeded values for [2, 4, 1]",
        "Exercise 1: xavier_scale: sqrt(1 / n_prev)"]
    assert [t["score"] for t in scored] == [1.0, 0.0, 0.0]
    assert {t["visibility"] for t in scored} == {"after_published"}
    assert data["extra_data"]["codes"]["check_he_values"] == "he.scaled_like_xavier"


def test_the_visible_example_is_shown_at_once_and_the_hidden_cases_after_publishing():
    data = results.graded(MANIFEST, _report(), 1)
    name = "Exercise 3: initialize_parameters_he: the seeded values for [2, 4, 1]"
    example, = _tests(data, f"{name} (the notebook's example)")
    cell, = _tests(data, name)
    assert example["visibility"] == "visible" and example["status"] == "passed"
    assert example["max_score"] == 0 and example["output"].endswith("✓ right")
    assert cell["visibility"] == "after_published" and cell["status"] == "failed"
    assert cell["output"].endswith(HIDDEN_FAIL["text"])
    # The problem lines that name the notebook go with its cells, without the student's id
    assert cell["output"].splitlines()[0] == ("test cell check_he_values was edited; it is "
                                              "graded from the instructor's copy")
    xavier, = _tests(data, "Exercise 1: xavier_scale: sqrt(1 / n_prev)")
    assert xavier["output"].startswith("cell 7 (check_xavier_scale_values) ran past its 120 s")


def test_a_cell_the_judge_did_not_decide_says_what_stopped_it():
    data = results.graded(MANIFEST, _report(), 1)
    cell, = _tests(data, "Exercise 1: xavier_scale: sqrt(1 / n_prev)")
    assert cell["score"] == 0 and "ran past the 120 s time limit" in cell["output"]
    example, = _tests(data, "Exercise 1: xavier_scale: sqrt(1 / n_prev) (the notebook's example)")
    assert example["status"] == "failed" and "ran past the 120 s" in example["output"]


def test_the_written_answer_waits_for_manual_grading_and_shows_the_answer():
    data = results.graded(MANIFEST, _report(), 1)
    answer, = _tests(data, "4 - Your turn to explain: written answer")
    assert answer["max_score"] == 0 and answer["visibility"] == "visible"
    assert answer["output"].startswith("Waits for manual grading (2 points)")
    assert "He keeps the spread." in answer["output"]
    report = _report()
    report["notebooks"]["Layers"]["cells"]["relu_spread_answer"] = {
        "score": 0.0, "needs_manual": False, "answer": "YOUR ANSWER HERE"}
    blank, = _tests(results.graded(MANIFEST, report, 1), "4 - Your turn to explain: written answer")
    assert blank["output"].startswith("Left as released (2 points)")


def test_the_upload_test_lists_what_was_graded_and_the_problems_of_the_whole_upload():
    first = results.graded(MANIFEST, _report(), 1)["tests"][0]
    assert first["name"] == "Your upload" and first["status"] == "failed"
    assert first["output"].splitlines() == [
        "Graded: Initialization.ipynb, Layers.ipynb.",
        "files.html was handed in beside the notebooks; it is left out (a browser could run it)"]
    clean = results.graded(MANIFEST, _report(problems=[]), 1)["tests"][0]
    assert clean["status"] == "passed"


def test_a_notebook_not_handed_in_scores_zero_and_says_so():
    report = _report(problems=["student: Layers.ipynb was not handed in (found "
                               "Initialization.ipynb); it scores zero"])
    report["notebooks"]["Layers"] = {"status": "missing", "cells": {
        "check_xavier_scale_values": {"score": 0.0, "needs_manual": False},
        "relu_spread_answer": {"score": 0.0, "needs_manual": False}}}
    data = results.graded(MANIFEST, report, 1)
    validate(data)
    cell, = _tests(data, "Exercise 1: xavier_scale: sqrt(1 / n_prev)")
    assert cell["score"] == 0
    assert cell["output"].splitlines() == [
        "Layers.ipynb was not handed in (found Initialization.ipynb); it scores zero",
        "not handed in: it scores zero"]
    assert not _tests(data, "Exercise 1: xavier_scale: sqrt(1 / n_prev) (the notebook's example)")


def test_a_failed_grading_scores_every_cell_zero_with_its_reason():
    report = _report(success=False, reason="No notebooks were matched by '/x/*.ipynb'")
    data = results.graded(MANIFEST, report, 1)
    validate(data)
    assert data["score"] == 0
    assert data["tests"][0]["output"].startswith("Not graded: No notebooks were matched")
    for test in data["tests"][1:]:
        assert "No notebooks were matched" in test["output"], test


@pytest.mark.parametrize("make, heading, kind", [
    (lambda: results.not_graded(MANIFEST, "the upload is empty: upload your notebooks", 2),
     "Your upload", "upload"),
    (lambda: results.refused(MANIFEST, "bubblewrap cannot create a sandbox here (...)", 2),
     "Grading sandbox", "sandbox"),
    (lambda: results.fault(MANIFEST, "this worker's course package differs", 2),
     "Autograder", "fault"),
])
def test_what_was_not_graded_is_a_failed_test_saying_why_and_every_cell_zero(make, heading, kind):
    data = make()
    validate(data)
    assert data["score"] == 0 and data["extra_data"]["not_graded"] == kind
    first = data["tests"][0]
    assert first["name"] == heading and first["status"] == "failed"
    assert first["visibility"] == "visible" and first["output"]
    scored = [t for t in data["tests"] if t["max_score"] > 0]
    assert len(scored) == 3 and all(t["score"] == 0 for t in scored)
    assert all(t["output"].startswith("not graded: ") for t in scored)
    if kind != "upload":   # the grader's own words go to instructors only
        detail, = [t for t in data["tests"] if t["visibility"] == "hidden"]
        assert detail["output"] in ("bubblewrap cannot create a sandbox here (...)",
                                    "this worker's course package differs")


def test_grading_without_the_sandbox_is_said_in_the_results():
    data = results.graded(MANIFEST, _report(sandboxed=False, sandbox_problem="bwrap: no"), 1)
    validate(data)
    note, = _tests(data, "Grading sandbox (instructors only)")
    assert note["visibility"] == "hidden" and "WITHOUT the grading sandbox" in note["output"]
    assert "bwrap: no" in note["output"] and data["extra_data"]["sandboxed"] is False


def test_the_schema_refuses_what_gradescope_would_not_read():
    data = results.graded(MANIFEST, _report(), 1)
    import jsonschema

    for broken in ({"tests": [{"name": "x"}]},                          # no score anywhere
                   dict(data, visibility="later"),                      # not a visibility
                   dict(data, tests=[dict(data["tests"][0], visiblity="visible")])):   # a typo
        with pytest.raises(jsonschema.ValidationError):
            validate(copy.deepcopy(broken))


def test_a_cell_whose_example_the_judge_could_not_tell_apart_shows_no_example():
    report = _report()
    del report["notebooks"]["Initialization"]["cells"]["check_he_values"]["example"]
    data = results.graded(MANIFEST, report, 1)
    validate(data)
    name = "Exercise 3: initialize_parameters_he: the seeded values for [2, 4, 1]"
    assert _tests(data, name) and not _tests(data, f"{name} (the notebook's example)")
