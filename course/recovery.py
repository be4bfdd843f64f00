"""Grading runs that were cut off: marked while they run, graded again by the next run.

nbgrader skips a submission whose autograded notebook exists, so a grader killed
(SIGKILL) in the middle of a submission would leave it half graded for good.
:func:`grading_started` and :func:`grading_finished` (nbgrader's pre- and
post-convert hooks) mark a submission while it is graded; :func:`recover_interrupted`
removes the autograded folder of a marked submission whose grader is gone, so
that the next run grades it again, with or without ``--force``.

:class:`GradingRunExporter`, nbgrader's exporter for ``Autograde`` (set in
``nbgrader_config.py``), does that, and removes the sandboxes left by killed
graders (``course.cgroup.remove_stale``), when an autograde run starts, before
nbgrader looks at which submissions are graded. It also checks, before any
submission is touched, that the grader can grade at all (the sandbox runs, every
test cell of the gradebook has a spec in ``course/specs/``, the grading
kernel imports the course's ``helpers`` and runs the assignment's locked cells:
``course.kernel_check``): where it cannot, the run stops with one line naming the
fix and nothing written. Loading
the configuration (as the formgrader and Validate do) changes nothing.
"""

import os
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter
from sqlalchemy.engine import make_url
from traitlets.log import get_logger

from . import interrupt
from .cgroup import PREFIX, owner_alive, owner_tag, remove_stale
from .preflight import preflight, ungradable

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


class GradingRunExporter(NotebookExporter):
    """nbgrader's notebook exporter, created once when an autograde run starts.

    Its creation recovers the run's course root (the converter's, else the current
    folder) from interrupted runs, then stops the run (:class:`~course.execute.
    GradingFault`, :class:`~course.execute.SandboxUnavailableExit`) if the grader
    cannot grade the assignment here.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        interrupt.install()
        coursedir = getattr(self.parent, "coursedir", None)
        recover_interrupted(coursedir.root if coursedir is not None else os.getcwd())
        remove_stale()
        if coursedir is not None:
            self._require_grader(coursedir)

    def from_file(self, file_stream, resources=None, **kw):
        """Export a notebook; one that cannot be read is graded as the release's copy.

        nbgrader gives up on a student's whole submission when one notebook cannot
        be read (or is read but breaks nbformat's schema, or is too large to match
        to the release: :func:`~course.preflight.ungradable`), so that one such
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

    def _require_grader(self, coursedir):
        from nbgrader.api import Gradebook, MissingEntry

        from .judge import spec as specs
        from .execute import STOPPED, GradingFault, SandboxUnavailableExit
        from .kernel_check import kernel_problem
        from .sandbox import problem

        why = problem() if self.config.SandboxedExecute.get("sandbox", True) else None
        if why:
            self.log.critical(f"{STOPPED}{why}")
            raise SandboxUnavailableExit(2)
        url = make_url(coursedir.db_url)
        if "*" in coursedir.assignment_id or url.get_backend_name() == "sqlite" and not Path(
                url.database or "").is_file():
            return   # nbgrader itself reports a pattern or a missing gradebook
        try:
            with Gradebook(coursedir.db_url) as gradebook:
                specs.require_gradebook(
                    gradebook, coursedir.assignment_id,
                    spec_path=self.config.SandboxedExecute.get("spec_path", []))
        except MissingEntry:
            return   # nbgrader itself refuses an assignment it does not know
        except specs.MissingTestCell as error:
            self.log.critical(f"{STOPPED}{error}")
            raise GradingFault(2) from None
        why = kernel_problem(coursedir.root, coursedir.assignment_id, self.config)
        if why:
            self.log.critical(f"{STOPPED}{why}")
            raise GradingFault(2)


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
    for line in preflight(notebooks):
        get_logger().error(line)


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


