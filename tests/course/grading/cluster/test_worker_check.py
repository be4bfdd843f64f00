"""`course worker-check` (course/grading/cluster/worker_check.py): what it says, with no sandbox.

The check with the real sandbox of this machine is ``tests/integration/test_worker_check.py``.
"""

import json
import sys
from pathlib import Path

import course
from course.grading.cluster import worker_check
from course.sandbox import kernel
from support import ROOT

FIX = "pip install the course package (the driver's version; it brings nbgrader and distributed)"
CANNOT = "this machine cannot grade as a Dask worker (see above)"


def _json():
    import json
    return json


def _missing():
    import no_such_module_for_worker_check
    return no_such_module_for_worker_check


def _broken():
    import broken_for_worker_check
    return broken_for_worker_check


def test_import_lines_give_each_modules_version_and_file():
    lines, ok = worker_check.import_lines([("json", _json), ("course", lambda: course)])
    assert ok
    assert lines == [f"json {json.__version__} importable ({json.__file__})",
                     f"course importable ({course.__file__})"]   # course has no __version__


def test_import_lines_name_what_cannot_be_imported_and_the_fix(tmp_path, monkeypatch):
    (tmp_path / "broken_for_worker_check.py").write_text("import missing_for_worker_check\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    lines, ok = worker_check.import_lines([("no_such_module_for_worker_check", _missing),
                                           ("json", _json), ("broken_for_worker_check", _broken)])
    assert not ok
    assert lines[0] == ("cannot import no_such_module_for_worker_check (No module named "
                        f"'no_such_module_for_worker_check'): {FIX}")
    assert lines[1].startswith("json ")
    # a module found whose own import fails names what it lacked
    assert lines[2] == ("cannot import broken_for_worker_check (No module named "
                        f"'missing_for_worker_check'): {FIX}")


def test_a_worker_that_cannot_import_the_course_is_not_asked_about_the_sandbox(monkeypatch):
    def no_sandbox_check():
        raise AssertionError("the sandbox was checked")

    monkeypatch.setattr(kernel, "problem", no_sandbox_check)
    monkeypatch.setattr(worker_check, "LOADERS", (worker_check.LOADERS[0],
                                                   ("no_such_module_for_worker_check", _missing)))
    lines, ok = worker_check.report()
    assert not ok and lines[-1] == CANNOT
    assert lines[1].startswith("cannot import no_such_module_for_worker_check")
    assert lines[2] == f"python {sys.version.split()[0]} ({sys.executable})"
    assert len(lines) == 4


def test_a_worker_whose_sandbox_cannot_run_says_why_and_cannot_grade(monkeypatch):
    why = "the grading sandbox needs bubblewrap (bwrap), which is not installed"
    monkeypatch.setattr(kernel, "problem", lambda: why)
    monkeypatch.setattr(worker_check, "LOADERS", worker_check.LOADERS[:2])   # course, helpers
    lines, ok = worker_check.report()
    assert not ok and lines[-1] == CANNOT
    assert f"the grading sandbox cannot run here: {why}" in lines
    assert not [line for line in lines if line.startswith("memory: ")]
    # the files the driver compares are counted all the same: the course package's, caches
    # left out, and helpers' modules
    course_files = [p for p in Path(course.__file__).parent.rglob("*") if p.is_file()
                    and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    helpers_files = list((ROOT / "helpers").glob("*.py"))
    assert lines[-2] == (f"course package files: {len(course_files)} in course, "
                         f"{len(helpers_files)} in helpers (the driver compares their digests)")
