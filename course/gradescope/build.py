"""``course gradescope ASSIGNMENT``: the autograder zip Gradescope takes, from this course.

The zip holds, at its root (Gradescope's specification):

- ``setup.sh``: run once when Gradescope builds the image (Ubuntu 22.04): installs
  Python 3.11, bubblewrap and util-linux with apt, makes a virtual environment in
  ``/opt/course/venv`` and installs the pinned dependencies and the course's wheel;
- ``run_autograder``: runs ``course.gradescope.run`` for each submission;
- ``requirements.txt``: every distribution the course's package needs, pinned to the
  version installed where the zip was built (:func:`pins`);
- ``wheels/``: the course's own package (``helpers`` and ``course``), built from this
  course root;
- ``bundle/``: what a scratch course needs to grade the assignment, the bundle a Dask
  worker gets (``course.grading.cluster.bundle.make_bundle``: ``nbgrader_config.py``, the release,
  the data files of ``source/``, the assignment's cells as the gradebook holds them,
  and the digests of the packages it grades with, which the container checks);
- ``gradescope.json``: the manifest: the graded cells in notebook order, named as the
  feedback names them, their points, the time limit and what to do where the sandbox
  cannot start.

The solution notebooks are not in it (the gradebook's cells are); the reference and
the hidden cases are, in the course package, as on any grading machine.
"""

import json
import re
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from . import paths

__all__ = ["BuildError", "build", "pins", "manifest", "render", "DISTRIBUTION",
           "APT_PACKAGES", "POLICIES"]

#: The course's own distribution (pyproject.toml's name).
DISTRIBUTION = "initialization-course"
#: What setup.sh installs with apt on Ubuntu 22.04: the interpreter, its venv module,
#: bubblewrap, and util-linux (prlimit, setpriv); certificates for pip.
APT_PACKAGES = (f"python{paths.PYTHON}", f"python{paths.PYTHON}-venv", "bubblewrap",
                "util-linux", "ca-certificates")
#: What run_autograder does where bubblewrap cannot start.
POLICIES = ("refuse", "grade-unsandboxed")
#: Gradescope's default time limit for an autograder run, in seconds.
TIME_LIMIT = 600


class BuildError(ValueError):
    """The zip cannot be built as asked; the message names the fix."""


def _course_id(root):
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    return config.CourseDirectory.get("course_id", "") or "default_course"


def _release_names(release):
    """``{grade_id: (title, what it checks, kind)}`` of a release notebook, in cell order."""
    import nbformat
    from nbgrader import utils

    from course.feedback.summary import headings, what_it_checks

    nb = nbformat.read(release, as_version=4)
    named = {}
    for cell, heading in zip(nb.cells, headings(nb.cells)):
        meta = cell.metadata.get("nbgrader", {})
        if utils.is_grade(cell):
            kind = "answer" if utils.is_solution(cell) else "test"
            named[meta["grade_id"]] = (heading or meta["grade_id"], what_it_checks(cell), kind)
    return named


def manifest(root, assignment, cells, *, time_limit, if_no_sandbox):
    """The manifest: the graded cells of each notebook as Gradescope names them, and the limits.

    ``cells`` is the bundle's copy of the gradebook (``bundle["cells"]``).
    """
    import nbgrader

    notebooks = []
    for nb in cells["notebooks"]:
        points = {c["name"]: c["max_score"] for c in nb["grade_cells"]}
        named = _release_names(Path(root) / "release" / assignment / f"{nb['name']}.ipynb")
        graded = [{"grade_id": gid, "title": title, "checks": checks, "kind": kind,
                   "points": float(points[gid])}
                  for gid, (title, checks, kind) in named.items() if gid in points]
        missing = sorted(set(points) - set(named))
        if missing:
            raise BuildError(f"{nb['name']}.ipynb of release/{assignment} lacks the graded "
                             f"cells {', '.join(missing)} that the gradebook holds: run "
                             f"`course release` again")
        notebooks.append({"name": nb["name"], "cells": graded})
    return {"version": 1, "assignment": assignment, "time_limit": int(time_limit),
            "if_no_sandbox": if_no_sandbox, "notebooks": notebooks,
            "built_with": {"python": sys.version.split()[0],
                           "nbgrader": nbgrader.__version__,
                           DISTRIBUTION: metadata.version(DISTRIBUTION)}}


def pins(distribution=DISTRIBUTION):
    """``name==version`` of every distribution ``distribution`` needs here, transitively.

    Markers are evaluated for this interpreter (the one Gradescope's image gets, same
    minor version and platform), extras followed. A requirement that is not installed
    here is left out, as this environment goes without it (``rfc3987-syntax``, which the
    Makefile removes); ``setup.sh`` installs with ``--no-deps``, so Gradescope gets
    exactly this list.
    """
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    wanted = {canonicalize_name(distribution): set()}
    todo = [(distribution, frozenset())]
    found = {}
    while todo:
        name, extras = todo.pop()
        dist = metadata.distribution(name)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate({"extra": e})
                                      for e in (extras or {""})):
                continue
            key = canonicalize_name(req.name)
            try:
                dep = metadata.distribution(req.name)
            except metadata.PackageNotFoundError:
                continue
            new = set(req.extras) - wanted.get(key, set())
            if key not in wanted or new:
                wanted.setdefault(key, set()).update(req.extras)
                found[key] = f"{dep.metadata['Name']}=={dep.version}"
                todo.append((req.name, frozenset(wanted[key])))
    found.pop(canonicalize_name(distribution), None)
    return sorted(found.values(), key=str.lower)


def _package_files(root):
    """``{path in the wheel: file}`` of ``course`` and ``helpers`` as this grader grades with them.

    ``course`` from where this process imports it; ``helpers`` from the course root where
    it holds one (what ``course grade`` shows its kernels), else the installed one: the
    files whose digests the bundle carries (``course.grading.cluster.bundle.package_digests``).
    """
    import course

    from course.sandbox.kernel import package_dirs

    helpers = Path(root) / "helpers"
    folders = {"course": Path(course.__file__).parent,
               "helpers": helpers if helpers.is_dir() else Path(package_dirs(["helpers"])[0])}
    files = {}
    for package, folder in folders.items():
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if path.is_file() and "__pycache__" not in rel.parts and path.suffix != ".pyc":
                files[f"{package}/{rel.as_posix()}"] = path
    return files


def _wheel(root, folder):
    """The course's package as a wheel (PEP 427) in ``folder``, from the files it grades with.

    Written from the installed distribution's metadata and the package files of
    :func:`_package_files`, whatever the install (editable, a wheel, conda): the
    container's ``course`` and ``helpers`` then have the digests the bundle carries.
    """
    import base64
    import hashlib

    dist = metadata.distribution(DISTRIBUTION)
    name, version = dist.metadata["Name"].replace("-", "_"), dist.version
    info = f"{name}-{version}.dist-info"
    entries = {path: file.read_bytes() for path, file in _package_files(root).items()}
    # an editable install's .dist-info, or the .egg-info setuptools leaves in a source tree
    entries[f"{info}/METADATA"] = (dist.read_text("METADATA") or dist.read_text("PKG-INFO")
                                   or "").encode()
    entries[f"{info}/entry_points.txt"] = (dist.read_text("entry_points.txt") or "").encode()
    entries[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: course.gradescope\n"
                                b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = []
    for path, data in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    entries[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = Path(folder) / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in entries.items():
            _add(archive, path, data)
    return wheel


def render(template, **values):
    """A file of ``files/`` with its ``@NAME@`` placeholders filled."""
    text = (Path(__file__).parent / "files" / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    left = re.search(r"@[A-Z_]+@", text)
    if left:
        raise BuildError(f"{template}: the placeholder {left.group()} was left unfilled")
    return text


def _add(archive, name, data, mode=0o644):
    """Add ``data`` to the zip as ``name``, with Unix ``mode`` (run_autograder must be executable)."""
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100000 | mode) << 16
    archive.writestr(info, data)


def build(root, assignment, output=None, *, time_limit=TIME_LIMIT, if_no_sandbox="refuse"):
    """Write the autograder zip of ``assignment``; return its path.

    Raises
    ------
    BuildError
        If this Python is not the one Gradescope's image gets, the assignment is not in
        the gradebook (run ``course release``), or the wheel cannot be built.
    """
    from nbgrader.api import MissingEntry
    from sqlalchemy.engine import make_url

    from course import pipeline
    from course.grading.cluster.bundle import make_bundle

    root = Path(root).resolve()
    minor = ".".join(map(str, sys.version_info[:2]))
    if minor != paths.PYTHON:
        raise BuildError(f"Gradescope's Ubuntu 22.04 image grades with Python {paths.PYTHON} "
                         f"(python{paths.PYTHON}), and the zip pins what this environment "
                         f"runs: build it from a Python {paths.PYTHON} environment (this is "
                         f"{minor})")
    if if_no_sandbox not in POLICIES:
        raise BuildError(f"--if-no-sandbox takes {' or '.join(POLICIES)}, not {if_no_sandbox!r}")
    if time_limit < 120:
        raise BuildError(f"--time-limit {time_limit} s leaves no time to grade; Gradescope's "
                         f"default is {TIME_LIMIT} s")
    output = Path(output) if output else root / f"gradescope-{assignment}.zip"
    url = pipeline.db_url(root)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise BuildError(f"no gradebook at {parsed.database}; run `course release` first")
    try:
        bundle = make_bundle(root, assignment, url, _course_id(root))
    except MissingEntry:
        raise BuildError(f"assignment {assignment!r} is not in the gradebook; run "
                         f"`course release` first") from None
    facts = manifest(root, assignment, bundle["cells"], time_limit=time_limit,
                     if_no_sandbox=if_no_sandbox)
    with tempfile.TemporaryDirectory(prefix="course-gradescope-") as tmp:
        wheel = _wheel(root, Path(tmp))
        wheel_name = f"{paths.WHEELS}/{wheel.name}"
        meta = {k: v for k, v in bundle.items() if k != "files"}
        meta["files"] = sorted(bundle["files"])
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".part")
        with zipfile.ZipFile(partial, "w") as archive:
            _add(archive, "setup.sh", render(
                "setup.sh", PYTHON=paths.PYTHON, VENV=paths.VENV,
                APT_PACKAGES=" ".join(APT_PACKAGES), REQUIREMENTS=paths.REQUIREMENTS,
                WHEEL=wheel_name), 0o755)
            _add(archive, "run_autograder", render("run_autograder", VENV=paths.VENV), 0o755)
            _add(archive, paths.REQUIREMENTS, "\n".join(pins()) + "\n")
            _add(archive, wheel_name, wheel.read_bytes())
            _add(archive, paths.MANIFEST, json.dumps(facts, indent=1) + "\n")
            _add(archive, f"{paths.BUNDLE}/bundle.json", json.dumps(meta, indent=1) + "\n")
            for name, data in sorted(bundle["files"].items()):
                _add(archive, f"{paths.BUNDLE}/files/{name}", data)
        partial.replace(output)
    return output
