"""Can this machine grade the assignment? One check, before anyone is graded.

:func:`problem` is the one readiness check, called by every entry point: nbgrader's
own ``nbgrader autograde`` (when its run starts, :func:`course.autograde.run.start_run`),
``course grade`` (once, before its workers start), a Dask worker (``course.grading.
cluster.task``) and each notebook graded (``course.autograde.execute``, where the
checks already passed in the process cost nothing). It checks, in this order, that the
sandbox can run (unless the course turned it off), that every test cell of the
gradebook has a spec (``course/specs/<assignment>.py``), and that the grading kernel
runs the assignment (below), and returns one line naming the fix, or None.

When the grading environment is broken, every notebook fails the same way and
the whole class would be scored zero: the ``helpers`` package importable by the
grader but not inside the sandbox (an editable install made from another copy
of the course, say), or importable but another version than the course root's.
:func:`kernel_problem` starts one kernel as grading does (sandboxed where the
course grades in the sandbox), with the release folder as its working folder,
and runs two things in it before any submission: the grader's own snippet,
which reports which ``helpers`` the kernel imports and the digest of each of its
files, and each notebook's first locked code cell (the imports cell, which no
student can change). It returns one line naming the fix, or None.

No student code has run in this kernel, so what it reports is the grader's own
measurement; it is read as JSON all the same.
"""

import hashlib
import json
import os
import threading
from pathlib import Path

import nbformat

__all__ = ["problem", "course_config", "kernel_problem", "helpers_digests", "check_key",
           "locked_cells", "check_notebook", "read_check", "CHECKED_ENV"]

#: Set by ``course grade`` once the check passed in the driver, so that its workers
#: do not start one kernel each to check it again; the value names what was checked.
CHECKED_ENV = "COURSE_KERNEL_CHECKED"

_MARK = "COURSE-KERNEL-CHECK:"

_REPORT = f'''
import hashlib as _h, json as _j, pathlib as _p
import helpers as _helpers
_folder = _p.Path(_helpers.__file__).parent
print({_MARK!r} + _j.dumps({{"folder": str(_folder), "files": {{
    f.name: _h.sha256(f.read_bytes()).hexdigest() for f in sorted(_folder.glob("*.py"))}}}}))
del _h, _j, _p, _helpers, _folder
'''


def problem(root, assignment, config, db_url=None):
    """Why grading ``assignment`` cannot start here, in one line naming the fix; None if it can.

    Parameters
    ----------
    root : path-like
        The course root.
    assignment : str
    config : traitlets.config.Config
        The course's nbgrader configuration (:func:`course_config`).
    db_url : str, optional
        The gradebook, whose test cells must each have a spec; not checked if None
        (or if the gradebook or the assignment does not exist yet: nbgrader itself
        reports those).
    """
    from course.sandbox.kernel import problem as sandbox_problem

    if config.SandboxedExecute.get("sandbox", True):
        why = sandbox_problem()
        if why:
            return why
    return _spec_problem(assignment, config, db_url) or kernel_problem(root, assignment, config)


def _spec_problem(assignment, config, db_url):
    """Why a test cell of the gradebook cannot be judged (no spec), or None."""
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.engine import make_url

    from course.judge import spec as specs

    url = make_url(db_url) if db_url else None
    if url is None or "*" in assignment or url.get_backend_name() == "sqlite" and not Path(
            url.database or "").is_file():
        return None
    try:
        with Gradebook(db_url) as gradebook:
            specs.require_gradebook(gradebook, assignment,
                                    spec_path=config.SandboxedExecute.get("spec_path", []))
    except MissingEntry:
        return None
    except specs.MissingTestCell as error:
        return str(error)
    return None


def course_config(root):
    """The course's nbgrader configuration, from the files nbgrader itself reads.

    The ``nbgrader_config.py`` of every Jupyter configuration folder (the user's
    ``~/.jupyter``, ``JUPYTER_CONFIG_PATH``'s, the environment's, ``/etc/jupyter``),
    the least specific first, then ``root``'s: nbgrader's own apps read the same, so
    the checks made before grading see the settings the grading uses (a hub gives its
    instructors theirs through ``JUPYTER_CONFIG_PATH``: hub/jupyterhub_config.py).
    """
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    for folder in [*reversed(jupyter_config_path()), str(root)]:
        if os.path.isfile(os.path.join(folder, "nbgrader_config.py")):
            config.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
    return config


def helpers_digests(folder):
    """``{file name: sha256}`` of the ``.py`` files of a ``helpers`` folder."""
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(Path(folder).glob("*.py"))}


def locked_cells(release):
    """(notebook name, grade_id, source) of each release notebook's first locked code cell.

    The imports cell: the first code cell nbgrader locks that is not a test cell. A
    notebook with none is left out.
    """
    cells = []
    for path in sorted(Path(release).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("locked") and not meta.get("grade"):
                cells.append((path.stem, meta.get("grade_id", "?"), cell.source))
                break
    return cells


def check_key(root, assignment):
    """What a passed check vouches for: the course root, assignment and helpers' digests."""
    helpers = Path(root) / "helpers"
    digests = helpers_digests(helpers) if helpers.is_dir() else {}
    text = json.dumps([str(Path(root).resolve()), assignment, digests], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def kernel_problem(root, assignment, config):
    """One line saying why the grading kernel cannot run ``assignment``, or None.

    Parameters
    ----------
    root : path-like
        The course root. If it holds a ``helpers/`` folder, the kernel must import
        a ``helpers`` with the same files.
    assignment : str
    config : traitlets.config.Config
        The course's nbgrader configuration (the sandbox's settings).
    """
    root = Path(root).resolve()
    release = root / "release" / assignment
    if not release.is_dir():
        return None   # nbgrader reports a missing release itself
    key = check_key(root, assignment)
    # One check at a time in a process: its sandboxed kernels share the process's
    # user id, and starting one stops whatever else runs as that user.
    with _one_at_a_time:
        if key in _passed or os.environ.get(CHECKED_ENV) == key:
            return None
        why = _problem(root, release, config)
        if why is None:
            _passed.add(key)
        return why


#: The checks passed in this process (nbgrader makes an exporter per submission graded).
_passed = set()
_one_at_a_time = threading.Lock()


def _problem(root, release, config):
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    locked = locked_cells(release)
    nb = check_notebook(locked)
    sandboxed = config.SandboxedExecute.get("sandbox", True)
    where = "the grading sandbox's kernel" if sandboxed else "the grading kernel"
    try:
        _execute(nb, release, config, sandboxed)
    except (DeadKernelError, RuntimeError, OSError, CellExecutionError) as error:
        return f"{where} could not start or died before grading ({type(error).__name__}: {error})"
    return read_check(root, locked, nb, where)


def check_notebook(locked):
    """The notebook the check runs: the grader's report snippet, then each locked cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(_REPORT)]
    nb.cells += [nbformat.v4.new_code_cell(source) for _, _, source in locked]
    return nb


def _execute(nb, release, config, sandboxed):
    """Run ``nb`` in one grading kernel (sandboxed as grading is), in the release folder."""
    from nbclient import NotebookClient

    kwargs = {}
    if sandboxed:
        from course.sandbox.kernel import SandboxKernelManager
        kwargs["kernel_manager_class"] = SandboxKernelManager
    NotebookClient(nb, config=config, timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(release)}}, **kwargs).execute()


def read_check(root, locked, nb, where):
    """What the check's notebook ``nb``, once run, says of the grading kernel: one line, or None.

    Parameters
    ----------
    root : Path
        The course root (resolved); its ``helpers/`` folder, if any, is what the kernel
        must import.
    locked : list of (str, str, str)
        :func:`locked_cells`, in the order :func:`check_notebook` ran them.
    nb : NotebookNode
        :func:`check_notebook`'s notebook, with the outputs the kernel gave.
    where : str
        The kernel, as the line names it (``"the grading sandbox's kernel"``).
    """
    report, *ran = nb.cells
    error = _error(report)
    install = (f"`pip install -e {root}`" if (root / "pyproject.toml").is_file()
               else "`pip install -e` of the course repository")
    if error:
        return (f"{where} cannot import the course's helpers package ({error}): install the "
                f"course package in the grader's environment ({install}), or list its "
                f"folder in c.SandboxKernelManager.packages")
    seen = _report(report)
    if seen is None:
        return f"{where} did not report which helpers it imports"
    mine = root / "helpers"
    if mine.is_dir():
        differ = sorted(set(seen["files"].items()) ^ set(helpers_digests(mine).items()))
        if differ:
            names = ", ".join(sorted({name for name, _ in differ}))
            return (f"{where} imports helpers from {seen['folder']}, which differs from "
                    f"{mine} ({names}): grading would judge with other checks than the "
                    f"course's; install the course package from this course root "
                    f"({install})")
    for (notebook, grade_id, _), cell in zip(locked, ran):
        error = _error(cell)
        if error:
            return (f"{where} cannot run {notebook}.ipynb's locked cell {grade_id} ({error}); "
                    f"no student's code is involved: fix the grading environment")
    return None


def _error(cell):
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"
    return ""


def _report(cell):
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            for line in output.get("text", "").splitlines():
                if line.startswith(_MARK):
                    try:
                        seen = json.loads(line[len(_MARK):])
                    except ValueError:
                        return None
                    if isinstance(seen, dict) and isinstance(seen.get("files"), dict):
                        return seen
    return None
