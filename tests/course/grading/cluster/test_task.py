"""A worker's scratch course (course.grading.cluster.task): built from the driver's bundle alone."""

import shutil
import sqlite3

import pytest
from nbgrader import api
from nbgrader.api import Gradebook

from course.grading.cluster import bundle as bundles, task


def _tables(path):
    with sqlite3.connect(path) as db:
        return (sorted(db.execute("SELECT type, name, sql FROM sqlite_master")),
                db.execute("SELECT version_num FROM alembic_version").fetchall())


@pytest.fixture
def driver(tmp_path, empty_gradebook):
    """A driver's course root: its config, one released notebook, a gradebook that knows it."""
    root = tmp_path / "driver"
    (root / "release" / "ps1").mkdir(parents=True)
    (root / "release" / "ps1" / "one.ipynb").write_text("{}")
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    # a new gradebook, as nbgrader makes it (made once per test process: tests/course/conftest.py)
    shutil.copy2(empty_gradebook, root / "gradebook.db")
    url = f"sqlite:///{root / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment("ps1")
        gb.add_notebook("one", "ps1")
        gb.add_grade_cell("check_one", "one", "ps1", max_score=2, cell_type="code")
        gb.add_solution_cell("answer_one", "one", "ps1")
    return root, url


def test_the_scratch_gradebook_is_the_drivers_schema_without_running_alembic(
        driver, tmp_path, monkeypatch):
    root, url = driver
    bundle = bundles.make_bundle(root, "ps1", url, "default_course")
    assert bundle["schema"] == _tables(root / "gradebook.db")[1][0][0]

    def no_alembic():
        raise AssertionError("the worker ran `alembic heads`")

    monkeypatch.setattr(api, "get_alembic_version", no_alembic)
    monkeypatch.setattr(task, "scratch_base", lambda: tmp_path / "worker")
    (tmp_path / "worker").mkdir()
    scratch = task.course_root(bundle)
    try:
        assert _tables(scratch / "gradebook.db") == _tables(root / "gradebook.db")
        with Gradebook(f"sqlite:///{scratch / 'gradebook.db'}") as gb:
            notebook = gb.find_notebook("one", "ps1")
            assert [(c.name, c.max_score) for c in notebook.grade_cells] == [("check_one", 2)]
            assert [c.name for c in notebook.solution_cells] == ["answer_one"]
        assert (scratch / "release" / "ps1" / "one.ipynb").read_text() == "{}"
    finally:
        task._courses.pop(bundle["digest"], None)


def test_a_scratch_folder_made_beforehand_by_somebody_else_is_refused(tmp_path, monkeypatch):
    """Its name is a pid and a start time: one laid out in advance, open to others, is not used."""
    import tempfile

    from course.grading.cluster import task

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    base = task.scratch_base()
    assert base.parent == tmp_path and oct(base.stat().st_mode & 0o777) == "0o700"
    base.chmod(0o777)   # as another user's mkdir would leave it, for everybody
    with pytest.raises(task.WorkerMismatch, match=r"is not this worker's own private folder "
                                                  r"\(owner uid \d+, mode 777\)"):
        task.scratch_base()
