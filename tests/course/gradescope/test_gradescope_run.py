"""run_autograder's supervisor (course/gradescope/run.py): a valid results.json whatever happens.

These runs stop before anything is graded (no kernel starts): an upload that cannot be
graded, and an autograder folder the supervisor cannot read. Grading itself is run in
Gradescope's layout by tests/integration/test_gradescope.py.
"""

import json

import pytest

from course.gradescope import run
from support.gradescope import validate

MANIFEST = {"version": 1, "assignment": "initialization", "time_limit": 600,
            "if_no_sandbox": "refuse", "notebooks": [
                {"name": "Initialization", "cells": [
                    {"grade_id": "check_zeros_structure", "kind": "test", "points": 1.0,
                     "title": "Exercise 1: initialize_parameters_zeros",
                     "checks": "keys, shapes and dtypes"}]}]}


def _autograder(tmp_path, files, manifest=MANIFEST):
    folder = tmp_path / "autograder"
    (folder / "source").mkdir(parents=True)
    if manifest is not None:
        (folder / "source" / "gradescope.json").write_text(json.dumps(manifest))
    (folder / "submission").mkdir()
    for name, text in files.items():
        path = folder / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def _results(folder):
    return json.loads((folder / "results" / "results.json").read_text())


def test_an_upload_in_a_folder_is_not_graded_and_says_why(tmp_path, capsys):
    folder = _autograder(tmp_path, {"initialization/Initialization.ipynb": "{}"})
    assert run.main(["--autograder", str(folder)]) == 0
    results = _results(folder)
    validate(results)
    assert results["tests"][0]["output"].startswith(
        "your notebooks are inside a folder of the upload (initialization/)")
    assert results["tests"][1]["output"].startswith("not graded: your notebooks are inside")
    out = capsys.readouterr().out
    assert "not graded: your notebooks are inside a folder" in out
    assert "results written: 0 points, 2 tests" in out


@pytest.mark.parametrize("manifest", [None, {"assignment": "initialization"}])
def test_a_fault_of_the_supervisor_itself_still_leaves_valid_results(tmp_path, capsys, manifest):
    folder = _autograder(tmp_path, {"Initialization.ipynb": "{}"}, manifest)
    assert run.main(["--autograder", str(folder)]) == 0
    results = _results(folder)
    validate(results)
    assert results["score"] == 0 and results["tests"][0]["status"] == "failed"
    assert "a fault of the grader, not of your upload" in results["tests"][0]["output"]
    assert "Traceback" in capsys.readouterr().out   # for the instructor, in stdout


def test_results_are_written_whole(tmp_path):
    target = tmp_path / "results" / "results.json"
    run.write_results(target, {"score": 1.5, "tests": []})
    assert json.loads(target.read_text()) == {"score": 1.5, "tests": []}
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]
    with pytest.raises(ValueError):
        run.write_results(target, {"score": float("nan")})
    assert json.loads(target.read_text())["score"] == 1.5


def test_the_scratch_course_grades_in_the_sandbox_whatever_the_zips_config_said(tmp_path):
    """A course configured with the sandbox off does not carry that into Gradescope's runs:
    only a zip built with --if-no-sandbox grade-unsandboxed grades without it."""
    from traitlets.config.loader import PyFileConfigLoader

    from course.gradescope.child import _sandboxed

    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.SandboxedExecute.sandbox = False\n")
    _sandboxed(tmp_path)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    assert config.SandboxedExecute.sandbox is True
