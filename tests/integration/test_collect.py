"""Collecting submissions the two ways instructors do: nbgrader's exchange, an LMS download."""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from support import ASSIGNMENT, ROOT, make_course
from course import pipeline
from course.submissions import lms_archive
from support import DEMO_LOSSES, lean

COURSE_ID = "initialization-course"
NOTEBOOK = "Initialization.ipynb"


def run_as(home, cwd, *args):
    """``nbgrader ARGS`` as another user would: own HOME (and so own ~/.jupyter), own folder.

    Returns the output; a non-zero exit fails the test with the output shown.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER_", "JPY_", "NBGRADER_"))}
    env.update(HOME=str(home), PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                     env.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"nbgrader {' '.join(args)} in {cwd} failed:\n{output}"
    return output


def notebooks(folder):
    return sorted(p.name for p in Path(folder).glob("*.ipynb"))


def manually_graded_cells(source_dir):
    """grade_ids of the written answers (nbgrader: solution and grade) of every notebook."""
    return {cell.metadata["nbgrader"]["grade_id"]
            for path in Path(source_dir).glob("*.ipynb")
            for cell in nbformat.read(path, as_version=4).cells
            if cell.metadata.get("nbgrader", {}).get("solution")
            and cell.metadata["nbgrader"].get("grade")}


def named_regexp():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    return config.FileNameCollectorPlugin.named_regexp


# -- nbgrader's exchange, as on a JupyterHub ------------------------------------

@pytest.mark.slow
def test_exchange_release_fetch_submit_collect_autograde(tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)   # every user of the hub writes into it
    exchange_flag = f"--Exchange.root={exchange}"

    # The instructor: the course root with its nbgrader_config.py, an own HOME.
    instructor = tmp_path / "instructor"
    course = make_course(instructor / "course")
    pipeline.release(course)
    run_as(instructor, course, "release_assignment", ASSIGNMENT, exchange_flag)
    assert (exchange / COURSE_ID / "outbound" / ASSIGNMENT / NOTEBOOK).is_file()

    # Each student: an own HOME whose ~/.jupyter/nbgrader_config.py names the
    # course and the exchange, as a hub's configuration does, and an own folder.
    # A student's work is the demo class's: the release, filled in (lean: no training runs).
    students = ["alice", "emeka"]
    handed_in = {}
    for student in students:
        home = tmp_path / "students" / student
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.Exchange.root = {str(exchange)!r}\n")
        listing = run_as(home, home, "list")
        assert ASSIGNMENT in listing, f"the student does not see the released assignment:\n{listing}"
        run_as(home, home, "fetch_assignment", ASSIGNMENT)
        fetched = home / ASSIGNMENT
        work = ROOT / "submitted" / student / ASSIGNMENT
        assert notebooks(fetched) == notebooks(course / "release" / ASSIGNMENT) == notebooks(work)
        for name in notebooks(fetched):
            assert (fetched / name).read_bytes() == (course / "release" / ASSIGNMENT / name).read_bytes()
            nbformat.write(lean(nbformat.read(work / name, as_version=4)), fetched / name)
        handed_in[student] = {name: (fetched / name).read_bytes() for name in notebooks(fetched)}
        # On a hub each student is a Unix user and nbgrader takes the id from
        # the account; here one account plays every student, so it is given.
        run_as(home, home, "submit", ASSIGNMENT, f"--CourseDirectory.student_id={student}")

    inbound = sorted(p.name.split("+")[0] for p in (exchange / COURSE_ID / "inbound").iterdir())
    assert inbound == students

    # The instructor collects and grades. (The exchange's owner check would
    # warn that root owns every submission: one account played every student.)
    output = run_as(instructor, course, "collect", ASSIGNMENT, exchange_flag,
                    "--ExchangeCollect.check_owner=False")
    for student in students:
        assert f"Collecting submission: {student} {ASSIGNMENT}" in output
        collected = course / "submitted" / student / ASSIGNMENT
        for name, content in handed_in[student].items():
            assert (collected / name).read_bytes() == content, f"{student}/{name} changed"
        assert (collected / "timestamp.txt").is_file()

    # Graded like the same work put straight into submitted/ (tests/integration/test_grading.py):
    # the same cells lost; only written answers wait for the instructor.
    pipeline.autograde(course)
    scores = {s.student: s for s in pipeline.scores(course)}
    assert sorted(scores) == students
    manual = manually_graded_cells(course / "source" / ASSIGNMENT)
    for student in students:
        score = scores[student]
        ungraded = {cell for cell, points in score.points.items() if points is None}
        assert ungraded <= manual, f"{student}'s collected submission was not graded: {ungraded}"
        lost = {cell for cell, points in score.points.items()
                if points is not None and cell not in manual and points != score.max_points[cell]}
        assert lost == DEMO_LOSSES[student], f"{student} graded as {score.points}"


# -- an LMS download and nbgrader zip_collect --------------------------------------

def test_lms_archive_in_demo_is_current(tmp_path):
    """demo/lms/submissions.zip holds submitted/ as it is now (`course lms-archive`)."""
    fresh = tmp_path / "submissions.zip"
    lms_archive.write_archive(ROOT / "submitted", ASSIGNMENT, fresh)
    with zipfile.ZipFile(ROOT / "demo" / "lms" / "submissions.zip") as shipped, \
            zipfile.ZipFile(fresh) as wanted:
        assert shipped.namelist() == wanted.namelist(), "run `.venv/bin/course lms-archive`"
        for name in wanted.namelist():
            assert shipped.read(name) == wanted.read(name), (
                f"{name} is stale: run `.venv/bin/course lms-archive`")


def test_lms_archive_has_one_file_per_student_and_notebook_named_as_an_lms_does():
    with zipfile.ZipFile(ROOT / "demo" / "lms" / "submissions.zip") as archive:
        names = archive.namelist()
    wanted = sorted((p.parent.parent.name, p.name)
                    for p in (ROOT / "submitted").glob(f"*/{ASSIGNMENT}/*.ipynb"))
    found = []
    for name in names:
        match = re.fullmatch(r"([a-z]+)_\d+_\d+_(\w+\.ipynb)", name)
        assert match, f"{name} is not named as an LMS names a student's file"
        found.append(match.groups())
    assert sorted(found) == wanted


@pytest.mark.parametrize("name, student, file_id", [
    ("alice_20460_880100_Initialization.ipynb", "alice", "Initialization"),
    ("bob_LATE_20461_880101_Initialization.ipynb", "bob", "Initialization"),
    ("carol_20462_880102_Initialization-1.ipynb", "carol", "Initialization"),
    ("dmitri2_20463_880103_Activations.ipynb", "dmitri2", "Activations"),
])
def test_course_pattern_reads_lms_names(name, student, file_id):
    match = re.match(named_regexp(), f"/course/downloaded/{ASSIGNMENT}/extracted/x/{name}")
    assert match and match["student_id"] == student and match["file_id"] == file_id


@pytest.mark.parametrize("name", ["Initialization.ipynb", "Initialization (1).ipynb",
                                  "alice_Initialization.ipynb", "alice_20460_880100_.ipynb"])
def test_course_pattern_rejects_names_without_a_student(name):
    assert re.match(named_regexp(), f"/course/downloaded/{ASSIGNMENT}/extracted/{name}") is None


def test_lms_name_refuses_ids_the_pattern_cannot_read():
    with pytest.raises(ValueError, match="letters and digits only"):
        lms_archive.lms_name("jane_doe", 1, 2, NOTEBOOK)


def test_write_archive_refuses_late_students_who_handed_nothing_in(tmp_path):
    with pytest.raises(ValueError, match="--late names zoe, who handed nothing in"):
        lms_archive.write_archive(ROOT / "submitted", ASSIGNMENT, tmp_path / "a.zip", late=["zoe"])


@pytest.mark.slow
def test_zip_collect_puts_the_lms_download_into_submitted(tmp_path):
    course = make_course(tmp_path / "course")
    shutil.copytree(ROOT / "release", course / "release")
    archive_dir = course / "downloaded" / ASSIGNMENT / "archive"
    archive_dir.mkdir(parents=True)
    late = ["dmitri"]
    names = lms_archive.write_archive(ROOT / "submitted", ASSIGNMENT, archive_dir / "submissions.zip",
                              late=late)
    assert any("_LATE_" in n for n in names)
    # A file with no student in its name, as when someone adds a notebook by hand.
    stray = archive_dir / NOTEBOOK
    shutil.copy2(ROOT / "release" / ASSIGNMENT / NOTEBOOK, stray)

    output = run_as(tmp_path, course, "zip_collect", ASSIGNMENT)

    wanted = sorted(p.relative_to(ROOT) for p in (ROOT / "submitted").glob(f"*/{ASSIGNMENT}/*.ipynb"))
    collected = sorted(p.relative_to(course) for p in (course / "submitted").glob("*/*/*"))
    assert collected == wanted, output
    for path in wanted:
        assert (course / path).read_bytes() == (ROOT / path).read_bytes(), path
    # The stray file: named in a warning, counted as skipped, and kept.
    assert re.search(rf"did not match anything in: \S*/{re.escape(NOTEBOOK)}\n", output), output
    assert f"{len(names)} files collected, 1 files skipped" in output
    assert (course / "downloaded" / ASSIGNMENT / "extracted" / NOTEBOOK).is_file()
    assert stray.is_file()


def test_a_damaged_archive_is_named_in_one_line_and_nothing_is_collected(tmp_path):
    course = make_course(tmp_path / "course")
    shutil.copytree(ROOT / "release", course / "release")
    archive_dir = course / "downloaded" / ASSIGNMENT / "archive"
    archive_dir.mkdir(parents=True)
    lms_archive.write_archive(ROOT / "submitted", ASSIGNMENT, archive_dir / "good.zip")
    whole = (archive_dir / "good.zip").read_bytes()
    (archive_dir / "cut.zip").write_bytes(whole[:len(whole) // 2])   # a download cut short
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_", "NBGRADER_"))}
    env.update(HOME=str(tmp_path), PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                         env.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", "zip_collect", ASSIGNMENT],
                            cwd=course, env=env, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    errors = [line for line in output.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and f"{archive_dir / 'cut.zip'} is not a readable archive (" \
        in errors[0] and errors[0].endswith("download it again from the LMS; nothing was "
                                            "collected"), output
    assert "Traceback" not in output
    assert not (course / "submitted").exists() or not any((course / "submitted").iterdir())
