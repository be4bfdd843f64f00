"""What the tests share: the repository, course folders to grade in, and the demo class's expected grades.

Test modules import from here (or use the fixtures of ``tests/conftest.py``), never
from one another.
"""

import shutil
from pathlib import Path

import nbformat

from course.submissions.build import lean  # noqa: F401 (the tests' one lean filter)

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "initialization"

# The test cells each demo student should fail; every other cell earns full points.
LAYERS_CELLS = {"check_xavier_scale_values", "check_he_scale_values",
                "check_propagate_structure", "check_propagate_values"}
GRADIENTS_CELLS = {"check_backward_structure", "check_backward_values"}
DEMO_LOSSES = {
    "alice": set(),
    "bob": {"check_zeros_structure", "check_zeros_values", "check_random_structure",
            "check_random_values", "check_he_structure", "check_he_values"}
           | LAYERS_CELLS | GRADIENTS_CELLS,
    "carol": {"check_zeros_structure", "check_zeros_values",     # transposed W
              "check_xavier_scale_values"},                      # the variance, no sqrt
    "dmitri": {"check_random_values",                            # scale 0.01
               "check_propagate_values",                         # weight_std(n), not n_prev
               "check_backward_values"},                         # dW without its 1/m
    "emeka": {"check_he_values", "check_he_scale_values"},       # Xavier's scale, twice
}
# The written answer (Layers.ipynb) waits for an instructor, except a blank one: 0 at once.
MANUAL = "relu_spread_answer"
DEMO_MANUAL = {"alice": None, "bob": 0, "carol": None, "dmitri": None, "emeka": None}
# A submission that is the instructor's source notebooks themselves.
SOLUTION = "solution"


def make_course(path, *, with_submitted=False):
    """A fresh course root at ``path``: config, source/ and optionally the demo class."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "nbgrader_config.py", path / "nbgrader_config.py")
    shutil.copytree(ROOT / "source", path / "source")
    if with_submitted:
        shutil.copytree(ROOT / "submitted", path / "submitted")
    return path


def copy_course(course, path):
    """A copy of the course at ``course`` (``released_course``, say) at ``path``; returns it."""
    return Path(shutil.copytree(course, path, symlinks=True))


def processes_holding(mark):
    """Pids of the running processes whose command line holds the text ``mark``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if mark.encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return found


def outlived(marks, seconds):
    """Pids of the processes holding any text of ``marks`` on their command line that still
    run ``seconds`` after the call; each is SIGKILLed before this returns them."""
    import os
    import time

    deadline = time.monotonic() + seconds
    while True:
        left = [pid for mark in marks for pid in processes_holding(mark)]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    for pid in left:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    return left


def hand_in_lean(root, students):
    """Write ``submitted/`` of the course at ``root`` for ``{student: answers}``, every notebook lean.

    The answers are those of ``course.submissions.build.load_class`` (``demo/class.toml``);
    the course must be released.
    """
    from course.submissions.build import write_class

    for path in write_class(students, root / "release" / ASSIGNMENT, root / "submitted", ASSIGNMENT):
        nbformat.write(lean(nbformat.read(path, as_version=4)), path)


def build_graded_demo(root):
    """The demo class and the solution at ``root``: released, autograded by nbgrader, feedback, grades.csv."""
    from course import pipeline

    make_course(root, with_submitted=True)
    solution = root / "submitted" / SOLUTION / ASSIGNMENT
    solution.mkdir(parents=True)
    for notebook in (root / "source" / ASSIGNMENT).glob("*.ipynb"):
        shutil.copy2(notebook, solution / notebook.name)
    pipeline.release(root)
    pipeline.autograde(root)
    pipeline.feedback(root)
    pipeline.export(root)
    return root


def lost_cells(score, manual=MANUAL):
    """The autograded cells of a score (``course.pipeline.Score``) that did not earn full points."""
    return {cell for cell, points in score.points.items()
            if cell != manual and points != score.max_points[cell]}
