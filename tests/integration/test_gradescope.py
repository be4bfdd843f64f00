"""run_autograder in Gradescope's layout: the same grades as `course grade`, cell for cell.

A course with the demo class, the instructor's solution, packed catalogue entries and
broken uploads is graded once with `course grade`; its autograder zip is then run on
each of the same submissions in a container of the test's own, laid out as Gradescope
lays out ``/autograder`` (support/gradescope.py), and every results.json is checked
against a JSON Schema written from Gradescope's specification and against what
`course grade` decided: each cell's points, its message, its mistake code, the
verdict on the notebook's example, the written answer waiting for a grader.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from support import (ASSIGNMENT, DEMO_LOSSES, DEMO_MANUAL, MANUAL, ROOT, SOLUTION,
                     copy_course, hand_in_lean, lean)
from support.gradescope import lay_out, run_autograder, validate
from course import pipeline
from course.grading import local as grade
from course.submissions import build as submissions
from course.submissions import catalogue as mutants
from course.gradescope import build, run

pytestmark = pytest.mark.slow

CATALOGUE = mutants.load_catalogue(ROOT / "tests" / "catalogue")
#: A mistake only the hidden cases show (the notebook's example passes).
HIDDEN_ONLY = "bw-relu-slope-one-at-zero"
FUNCTIONS = list(dict.fromkeys(e.function for e in CATALOGUE))
_PLAN = mutants.plan(CATALOGUE, packed=True)
PACKED = list({id(p): p for p in [_PLAN[0], next(p for p in _PLAN if any(
    e is not None and e.name == HIDDEN_ONLY for e in p.entries.values()))]}.values())
TIME_LIMIT = 1800
NOTEBOOKS = ("Gradients.ipynb", "Initialization.ipynb", "Layers.ipynb")
#: Uploads graded as `course grade` grades them, though not as released.
EDITED = {
    "invalid-json": "Layers.ipynb holds text that is not JSON",
    "renamed": "Initialization.ipynb uploaded as 'Initialization (1).ipynb'",
}


def _hand_in(root, student, notebooks):
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    for name, content in notebooks.items():
        if isinstance(content, str):
            (folder / name).write_text(content)
        else:
            nbformat.write(content, folder / name)


@pytest.fixture(scope="module")
def course(tmp_path_factory, released_course):
    """A course graded by `course grade`, and its Gradescope zip: ``(root, zip)``."""
    root = copy_course(released_course, tmp_path_factory.mktemp("gradescope") / "course")
    hand_in_lean(root, submissions.load_class(ROOT / "demo" / "class.toml"))
    source = root / "source" / ASSIGNMENT
    _hand_in(root, SOLUTION, {p.name: lean(nbformat.read(p, as_version=4))
                              for p in source.glob("*.ipynb")})
    for planned in PACKED:   # every notebook handed in: a function without an entry, solved
        whole = mutants.Submission(planned.student, {f: planned.entries.get(f) for f in FUNCTIONS})
        _hand_in(root, planned.student, mutants.build(root / "release" / ASSIGNMENT, source,
                                                      whole, lean=True))
    alice = root / "submitted" / "alice" / ASSIGNMENT
    alice_nbs = {p.name: nbformat.read(p, as_version=4) for p in alice.glob("*.ipynb")}
    _hand_in(root, "invalid-json", {**alice_nbs, "Layers.ipynb": "{ this is not JSON"})
    renamed = dict(alice_nbs)
    renamed["Initialization (1).ipynb"] = renamed.pop("Initialization.ipynb")
    _hand_in(root, "renamed", renamed)
    outcomes = grade.grade(root, ASSIGNMENT, jobs=2)
    assert all(o.success for o in outcomes), [o.reason for o in outcomes if not o.success]
    # Time enough on a loaded machine: the limit is not what is tested here (see
    # test_grading_past_the_time_limit_is_stopped_and_said)
    return root, build.build(root, ASSIGNMENT, root.parent / "autograder.zip",
                             time_limit=TIME_LIMIT)


def _upload(root, student):
    folder = root / "submitted" / student / ASSIGNMENT
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture(scope="module")
def runs(course, tmp_path_factory):
    """Every submission of the course graded by run_autograder: ``{student: (results, stdout)}``."""
    root, zipped = course
    students = pipeline.students(root)
    base = tmp_path_factory.mktemp("autograder")

    def one(student):
        folder = lay_out(base / student, zipped, _upload(root, student))
        return student, run_autograder(folder)

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(one, students))


@pytest.fixture(scope="module")
def scores(course):
    root, _ = course
    return {s.student: s for s in pipeline.scores(root, ASSIGNMENT)}


def _manifest(zipped):
    import zipfile

    return json.loads(zipfile.ZipFile(zipped).read("gradescope.json"))


def _cells(zipped):
    """``{test name: (notebook, cell)}`` of the cells carrying points."""
    return {f"{c['title']}: {c['checks']}": (nb["name"], c)
            for nb in _manifest(zipped)["notebooks"] for c in nb["cells"]}


def _verdicts(root, student, notebook):
    """``{grade_id: course metadata}`` of `course grade`'s autograded notebook."""
    path = root / "autograded" / student / ASSIGNMENT / f"{notebook}.ipynb"
    nb = nbformat.read(path, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata.get("course", {})
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def test_the_class_is_graded_in_the_sandbox_and_every_results_json_follows_the_spec(runs, course):
    root, _ = course
    assert set(runs) == set(pipeline.students(root))
    assert len(runs) == len(DEMO_LOSSES) + 1 + len(PACKED) + len(EDITED)
    for student, (results, stdout) in runs.items():
        validate(results)
        assert results["stdout_visibility"] == "hidden"
        assert results["extra_data"]["sandboxed"] is True, student
        assert "GRADING WITHOUT THE SANDBOX" not in stdout


def test_each_cell_scores_what_course_grade_gave_it(runs, scores, course):
    _, zipped = course
    cells = _cells(zipped)
    for student, (results, _) in runs.items():
        by_name = {t["name"]: t for t in results["tests"]}
        compared = 0
        for name, (notebook, cell) in cells.items():
            test = by_name[name]
            expected = scores[student].points[cell["grade_id"]]
            if cell["kind"] == "answer":
                assert test["max_score"] == 0, (student, name)
                continue
            assert test["max_score"] == cell["points"] == scores[student].max_points[
                cell["grade_id"]]
            assert test["score"] == pytest.approx(expected, abs=1e-9), (student, name)
            compared += 1
        assert compared == 12
        total = sum(p for g, p in scores[student].points.items() if g != MANUAL and p)
        assert results["score"] == pytest.approx(total, abs=1e-9), student


def test_the_demo_class_loses_what_it_should(runs):
    for student, losses in DEMO_LOSSES.items():
        results, _ = runs[student]
        lost = {t["name"] for t in results["tests"] if t["max_score"] > t["score"]}
        assert len(lost) == len(losses), (student, lost)


def test_each_message_is_course_grades_and_the_example_is_judged_alone(runs, course):
    root, zipped = course
    cells = _cells(zipped)
    checked_hidden_only = 0
    for student, (results, _) in runs.items():
        if student in EDITED:
            continue
        by_name = {t["name"]: t for t in results["tests"]}
        for name, (notebook, cell) in cells.items():
            if cell["kind"] == "answer":
                continue
            verdict = _verdicts(root, student, notebook)[cell["grade_id"]]
            test, example = by_name[name], by_name[f"{name} (the notebook's example)"]
            assert test["output"].endswith(verdict["verdict"]["text"]), (student, name)
            assert test["visibility"] == "after_published"
            assert example["visibility"] == "visible" and example["max_score"] == 0
            assert example["output"].endswith(verdict["example"]["text"]), (student, name)
            assert (example["status"] == "passed") == verdict["example"]["passed"]
            assert results["extra_data"]["codes"][cell["grade_id"]] == verdict["verdict"]["code"]
            if test["status"] == "passed":
                assert example["status"] == "passed", (student, name)
            elif example["status"] == "passed":
                checked_hidden_only += 1   # a mistake only the hidden cases show
    assert checked_hidden_only >= 1


def test_the_written_answer_waits_for_the_instructor(runs):
    for student, waiting in DEMO_MANUAL.items():
        results, _ = runs[student]
        answer, = [t for t in results["tests"] if t["name"].endswith(": written answer")]
        assert answer["max_score"] == 0 and answer["visibility"] == "visible"
        expected = "Waits for manual grading" if waiting is None else "Left as released"
        assert answer["output"].startswith(expected), student


def test_an_unreadable_or_renamed_notebook_is_graded_as_course_grade_grades_it(runs, scores):
    results, _ = runs["invalid-json"]
    layers = [t for t in results["tests"] if "Layers.ipynb" in t.get("tags", [])
              and t["max_score"] > 0]
    assert layers and all(t["score"] == 0 for t in layers)
    assert all("Layers.ipynb is not a readable notebook" in t["output"] for t in layers)
    assert results["score"] == pytest.approx(11.0)     # Gradients 3 + Initialization 8
    results, _ = runs["renamed"]
    initialization = [t for t in results["tests"]
                      if "Initialization.ipynb" in t.get("tags", []) and t["max_score"] > 0]
    assert initialization and all(t["score"] == 0 for t in initialization)
    assert all("Initialization.ipynb was not handed in (found Gradients.ipynb, "
               "Initialization (1).ipynb, Layers.ipynb)" in t["output"] for t in initialization)
    assert results["score"] == pytest.approx(8.0)      # Gradients 3 + Layers 5 (the answer waits)
    assert results["score"] == pytest.approx(scores["renamed"].total)


BROKEN = {
    "empty": ({}, "the upload is empty: upload your notebooks (Gradients.ipynb, "
                  "Initialization.ipynb, Layers.ipynb)"),
    "zipped folder": ({"initialization/Initialization.ipynb": "{}",
                       "initialization/Layers.ipynb": "{}"},
                      "your notebooks are inside a folder of the upload (initialization/)"),
    "zip file": ({"initialization.zip": b"PK\x05\x06" + bytes(18)},
                 "initialization.zip is an archive, not a notebook"),
    "renamed only": ({"Initialization-2.ipynb": "{}"},
                     "none of Gradients.ipynb, Initialization.ipynb, Layers.ipynb was uploaded "
                     "(found Initialization-2.ipynb)"),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_an_upload_that_cannot_be_graded_gets_a_failed_test_saying_why(course, tmp_path, kind):
    _, zipped = course
    files, why = BROKEN[kind]
    results, stdout = run_autograder(lay_out(tmp_path / "ag", zipped, files))
    validate(results)
    first = results["tests"][0]
    assert first["name"] == "Your upload" and first["status"] == "failed"
    assert first["output"].startswith(why) and first["visibility"] == "visible"
    assert results["score"] == 0 and f"not graded: {why}" in stdout
    scored = [t for t in results["tests"] if t["max_score"] > 0]
    assert len(scored) == 12 and all(t["output"].startswith("not graded: ") for t in scored)


def test_grading_past_the_time_limit_is_stopped_and_said(course, tmp_path):
    """The supervisor stops the grading process at its deadline and still writes results."""
    root, zipped = course
    folder = lay_out(tmp_path / "ag", zipped, _upload(root, "alice"))
    manifest = folder / "source" / "gradescope.json"
    facts = json.loads(manifest.read_text())
    facts["time_limit"] = run.MARGIN + 1   # one second to grade: less than Python's start
    manifest.write_text(json.dumps(facts))
    results, stdout = run_autograder(folder)
    validate(results)
    assert results["tests"][0]["output"].startswith(
        f"grading your notebooks ran past the autograder's time limit ({run.MARGIN + 1} s)")
    assert results["extra_data"]["not_graded"] == "timeout"
    assert "ran past the autograder's time limit" in stdout


def test_where_bubblewrap_cannot_start_nothing_is_graded_and_both_sides_are_told(course, tmp_path):
    root, zipped = course
    folder = lay_out(tmp_path / "ag", zipped, _upload(root, "alice"))
    results, stdout = run_autograder(folder, kind="docker")
    validate(results)
    first, detail = results["tests"][:2]
    assert first["name"] == "Grading sandbox" and first["status"] == "failed"
    assert first["visibility"] == "visible" and "not graded" in first["output"]
    assert detail["visibility"] == "hidden" and "bubblewrap cannot create a sandbox" in \
        detail["output"]
    assert results["score"] == 0 and results["extra_data"]["not_graded"] == "sandbox"
    assert "NOT GRADED: the grading sandbox cannot start here: bubblewrap" in stdout
    assert not (folder / "results" / "stdout").exists()   # Gradescope's to write, not ours


def test_grading_unsandboxed_when_the_zip_says_so_is_said_in_results_and_log(course, scores,
                                                                            tmp_path):
    root, _ = course
    zipped = build.build(root, ASSIGNMENT, tmp_path / "unsafe.zip", time_limit=TIME_LIMIT,
                         if_no_sandbox="grade-unsandboxed")
    folder = lay_out(tmp_path / "ag", zipped, _upload(root, "dmitri"))
    results, stdout = run_autograder(folder, kind="docker")
    validate(results)
    assert "GRADING WITHOUT THE SANDBOX: bubblewrap cannot create a sandbox" in stdout
    note, = [t for t in results["tests"] if t["name"] == "Grading sandbox (instructors only)"]
    assert note["visibility"] == "hidden" and results["extra_data"]["sandboxed"] is False
    by_id = {c["grade_id"]: f"{c['title']}: {c['checks']}"
             for nb in _manifest(zipped)["notebooks"] for c in nb["cells"]}
    by_name = {t["name"]: t for t in results["tests"]}
    for grade_id, points in scores["dmitri"].points.items():
        if grade_id != MANUAL:
            assert by_name[by_id[grade_id]]["score"] == pytest.approx(points), grade_id
