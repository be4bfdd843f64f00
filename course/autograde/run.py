"""Grading runs that were cut off: marked while they run, graded again by the next run.

nbgrader skips a submission whose autograded notebook exists, so a grader killed
(SIGKILL) in the middle of a submission would leave it half graded for good.
:func:`grading_started` and :func:`grading_finished` (nbgrader's pre- and
post-convert hooks) mark a submission while it is graded; :func:`recover_interrupted`
removes the autograded folder of a marked submission whose grader is gone, so
that the next run grades it again, with or without ``--force``.

:class:`GradingRunExporter`, nbgrader's exporter for ``Autograde`` (set in
``nbgrader_config.py``), does that, and removes the sandboxes left by killed
graders (``course.sandbox.cgroup.remove_stale``), when an autograde run starts, before
nbgrader looks at which submissions are graded. It also checks, before any
submission is touched, that the grader can grade at all (the sandbox runs, every
test cell of the gradebook has a spec in ``course/specs/``, the grading
kernel imports the course's ``helpers`` and runs the assignment's locked cells:
``course.autograde.readiness``): where it cannot, the run stops with one line naming the
fix and nothing written. Loading
the configuration (as the formgrader and Validate do) changes nothing.
"""

import os
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter
from traitlets import Bool
from traitlets.log import get_logger

from course.autograde import interrupt
from course.sandbox.cgroup import PREFIX, owner_alive, owner_tag, remove_stale
from course.autograde.outcomes import STOP, Finding, report
from course.autograde.preflight import preflight, ungradable

__all__ = ["MARKER", "GradingRunExporter", "grading_started", "grading_finished",
           "recover_interrupted", "unreadable_stand_in"]

MARKER = ".grading-in-progress"

UNREADABLE = ("**This notebook could not be read** ({why}), so it was graded as the "
              "release's blank copy: every exercise in it scores zero. The other notebooks "
              "of the assignment were graded as handed in.")


def unreadable_stand_in(release_notebook, why):
    """The notebook graded in place of an unreadable submission: the release's, with a note.

    nbgrader gives up on the whole submission when one notebook cannot be read
    (its other notebooks are not graded either). Graded as the release's copy,
    the unreadable notebook scores zero, as a notebook not handed in does, and
    the student's feedback says why, at the top.
    """
    nb = nbformat.read(release_notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(UNREADABLE.format(why=why)))
    return nb


def start_run(root, config, assignment=None, db_url=None, log=None):
    """The start of an autograde run: the one step before any submission is looked at.

    Installs the Ctrl-C handler, grades again what a killed run cut off
    (:func:`recover_interrupted`), removes the sandboxes killed graders left, and
    checks that the grader can grade ``assignment`` here
    (:func:`course.autograde.readiness.problem`). Where it cannot, one critical line
    names the fix and :class:`~course.autograde.execute.GradingFault` ends the run
    with nothing written. ``course grade`` calls it once before its workers start;
    nbgrader's own command, through :class:`GradingRunExporter`.
    """
    from course.autograde import readiness

    interrupt.install()
    recover_interrupted(root)
    remove_stale()
    if assignment is None:
        return
    why = readiness.problem(root, assignment, config, db_url)
    if why:
        from course.autograde.execute import GradingFault

        report(log or get_logger(), Finding(STOP, why))
        raise GradingFault(2)


class GradingRunExporter(NotebookExporter):
    """nbgrader's notebook exporter for autograde: an unreadable notebook scores zero alone.

    nbgrader makes the exporter when an autograde run starts, right before it lists
    the submissions, and gives it no other start-of-run call: so, unless a driver
    already started the run (``course grade``, a Dask worker: ``started`` set), making
    it runs :func:`start_run`. Made with ``started=True`` it holds its settings and
    does nothing else.
    """

    started = Bool(False, help="The run was started already (course.autograde.run."
                   "start_run was called by the driver): making the exporter does "
                   "nothing more.").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.started:
            coursedir = getattr(self.parent, "coursedir", None)
            if coursedir is None:
                start_run(os.getcwd(), self.config, log=self.log)
            else:
                start_run(coursedir.root, self.config, coursedir.assignment_id,
                          coursedir.db_url, self.log)

    def from_file(self, file_stream, resources=None, **kw):
        """Export a notebook; one that cannot be read is graded as the release's copy.

        nbgrader gives up on a student's whole submission when one notebook cannot
        be read (or is read but breaks nbformat's schema, or is too large to match
        to the release: :func:`~course.autograde.preflight.ungradable`), so that one such
        file would cost the other notebooks too.
        Here it scores zero on its own (:func:`unreadable_stand_in`); the
        submission's preflight has named the student and the file in one line.
        """
        # Only what the student handed in (nbgrader's first, sanitizing pass): the
        # second pass reads the grader's own copy, and a fault there is the grader's.
        first_pass = getattr(self.parent, "_sanitizing", True)
        release = self._release_copy(resources) if first_pass else None
        try:
            nb = nbformat.read(file_stream, as_version=4)
        except Exception as error:   # not JSON, not a notebook, not UTF-8...
            if release is None:
                raise
            why = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"[:200]
        else:
            why = None if release is None else ungradable(
                nb, len(nbformat.read(release, as_version=4).cells))
        if why:
            self.log.info("%s is not a readable notebook (%s); graded as %s",
                          file_stream.name, why, release)
            nb = unreadable_stand_in(release, why)
        return self.from_notebook_node(nb, resources=resources, **kw)

    def _release_copy(self, resources):
        """The release's copy of the notebook being graded, or None."""
        coursedir = getattr(self.parent, "coursedir", None)
        info = (resources or {}).get("nbgrader", {})
        if coursedir is None or not info.get("assignment") or not info.get("notebook"):
            return None
        path = Path(coursedir.format_path(coursedir.release_directory, ".", info["assignment"]))
        path = path / f"{info['notebook']}.ipynb"
        return path if path.is_file() else None


def _autograded_dirs(notebooks):
    """``autograded/<student>/<assignment>`` for submitted notebook paths."""
    dirs = set()
    for path in notebooks:
        folder = Path(path).resolve().parent          # submitted/<student>/<assignment>
        root = folder.parent.parent.parent
        dirs.add(root / "autograded" / folder.parent.name / folder.name)
    return dirs


def grading_started(assignment=None, student=None, notebooks=(), **_):
    """nbgrader pre-convert hook: mark the submission as being graded; check its notebooks.

    (nbgrader logs and ignores an exception of a hook: nothing here can stop grading.)
    """
    interrupt.check()
    for folder in _autograded_dirs(notebooks):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text(f"{owner_tag()}\n")
    for finding in preflight(notebooks):
        report(get_logger(), finding)


def grading_finished(assignment=None, student=None, notebooks=(), **_):
    """nbgrader post-convert hook: the submission's grading completed."""
    for folder in _autograded_dirs(notebooks):
        (folder / MARKER).unlink(missing_ok=True)


def recover_interrupted(root):
    """Remove the autograded folders whose grading was cut off; return them.

    A grading process killed mid-submission leaves its marker behind; nbgrader
    would then skip that submission (its autograded notebook exists) and its
    grades would stay missing. Removing the folder makes the next run grade it.
    """
    removed = []
    for marker in sorted(Path(root).glob(f"autograded/*/*/{MARKER}")):
        try:
            owner = marker.read_text().split()[0]
        except (OSError, IndexError):
            owner = ""
        if owner_alive(f"{PREFIX}{owner}-"):   # its grader (same pid and start time) runs
            continue
        shutil.rmtree(marker.parent, ignore_errors=True)
        removed.append(marker.parent)
        print(f"course: the grading of {marker.parent.parent.name}/{marker.parent.name} was "
              f"interrupted; it will be graded again", file=sys.stderr)
    return removed


