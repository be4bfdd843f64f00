"""The assignment as a Dask worker gets it: a *bundle* the driver builds, and its checks.

The driver (``course grade --scheduler``, :mod:`course.grading.cluster.driver`) sends each
worker the assignment once, as a bundle (:func:`make_bundle`): the course's
``nbgrader_config.py``, ``release/<assignment>/``, the files of
``source/<assignment>/`` that nbgrader copies next to each submission (not the
solution notebooks), the assignment's cells as the gradebook holds them (the
hidden tests among them), the revision of the gradebook's schema, and the
digests of the ``course`` and ``helpers`` packages it grades with. Nothing else
of the course root reaches a worker. A worker checks it (:func:`mismatch`) before
it builds anything from it.
"""

import functools
import hashlib
import json
import sys
from pathlib import Path, PurePosixPath

__all__ = ["BUNDLE_VERSION", "make_bundle", "assignment_cells", "package_digests",
           "versions", "bundle_digest", "safe_relative", "mismatch"]

BUNDLE_VERSION = 2
#: The files a worker never gets: the solutions (the gradebook carries what grading needs).
_SOURCE_SKIP = ("*.ipynb",)


def _digest_files(folder, recursive):
    """``{relative path: sha256}`` of a package folder's files (no caches)."""
    folder = Path(folder)
    paths = folder.rglob("*") if recursive else folder.glob("*.py")
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(paths)
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def package_digests(helpers_folder=None):
    """Digests of this process's ``course`` package and of ``helpers`` (or ``helpers_folder``)."""
    import course
    from course.sandbox.kernel import package_dirs

    helpers = Path(helpers_folder) if helpers_folder else Path(package_dirs(["helpers"])[0])
    return {"course": _digest_files(Path(course.__file__).parent, True),
            "helpers": _digest_files(helpers, False)}


@functools.lru_cache(maxsize=1)
def _own_digests():
    """:func:`package_digests` of this worker, read once."""
    return package_digests()


def versions():
    """What a worker and its driver must agree on, and what helps to say so."""
    import nbgrader

    return {"python": ".".join(map(str, sys.version_info[:2])), "nbgrader": nbgrader.__version__}


def assignment_cells(gb, assignment):
    """The assignment's notebooks and cells, as the gradebook holds them (plain data)."""
    found = gb.find_assignment(assignment)
    notebooks = []
    for nb in found.notebooks:
        notebooks.append({
            "name": nb.name,
            "grade_cells": [{"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type}
                            for c in nb.grade_cells],
            "solution_cells": [c.name for c in nb.solution_cells],
            "task_cells": [{"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type}
                           for c in nb.task_cells],
            "source_cells": [{"name": c.name, "cell_type": c.cell_type, "locked": c.locked,
                              "source": c.source, "checksum": c.checksum}
                             for c in nb.source_cells],
        })
    duedate = found.duedate.isoformat() if found.duedate is not None else None
    return {"duedate": duedate, "notebooks": notebooks}


def make_bundle(root, assignment, url, course_id):
    """What a worker needs to build a scratch course for ``assignment``: a dict, with its digest.

    Files are bytes keyed by their path in the course root. The digest covers
    everything in the bundle, so that a worker builds each version once.
    """
    import fnmatch

    from nbgrader.api import Gradebook

    root = Path(root)
    files = {"nbgrader_config.py": (root / "nbgrader_config.py").read_bytes()}
    for step in ("release", "source"):
        folder = root / step / assignment
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            rel = path.relative_to(folder)
            if path.is_symlink() or not path.is_file() or "__pycache__" in rel.parts or (
                    step == "source" and any(fnmatch.fnmatch(path.name, p) for p in _SOURCE_SKIP)):
                continue
            files[f"{step}/{assignment}/{rel.as_posix()}"] = path.read_bytes()
    with Gradebook(url) as gb:
        cells = assignment_cells(gb, assignment)
        schema = _schema_version(gb)
    helpers = root / "helpers"
    bundle = {"version": BUNDLE_VERSION, "assignment": assignment, "course_id": course_id,
              "files": files, "cells": cells, "schema": schema, "versions": versions(),
              "packages": package_digests(helpers if helpers.is_dir() else None)}
    bundle["digest"] = bundle_digest(bundle)
    return bundle


def _schema_version(gb):
    """The gradebook's alembic revision (the schema its tables follow), or None."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return gb.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        gb.db.rollback()
        return None


def bundle_digest(bundle):
    """sha256 of everything in a bundle but its digest."""
    h = hashlib.sha256()
    meta = {k: v for k, v in bundle.items() if k not in ("files", "digest")}
    h.update(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(bundle["files"]):
        h.update(name.encode() + b"\0" + hashlib.sha256(bundle["files"][name]).digest())
    return h.hexdigest()


def safe_relative(name):
    """``name`` as a relative path inside a folder; ValueError if it would leave it."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name or "\0" in name:
        raise ValueError(f"{name!r} is not a relative path inside the folder")
    return Path(*path.parts)


def mismatch(bundle):
    """One line saying why this worker cannot grade ``bundle`` as the driver would, or None."""
    if bundle.get("version") != BUNDLE_VERSION:
        return (f"the driver sent a bundle of version {bundle.get('version')!r}; this worker's "
                f"course package reads version {BUNDLE_VERSION}: install the same course "
                f"package on the driver and every worker")
    if bundle_digest(bundle) != bundle.get("digest"):
        return "the assignment bundle arrived damaged (its digest does not match its content)"
    mine = versions()
    for name, theirs in bundle["versions"].items():
        if mine.get(name) != theirs:
            return (f"this worker runs {name} {mine.get(name)}, the driver {theirs}: install the "
                    f"same versions on every worker")
    ours = _own_digests()
    for package, digests in bundle["packages"].items():
        differ = sorted(set(digests.items()) ^ set(ours[package].items()))
        if differ:
            names = ", ".join(sorted({n for n, _ in differ})[:5])
            return (f"this worker's {package} package differs from the driver's ({names}): it "
                    f"would grade with other checks; install the course package the driver "
                    f"grades with (`pip install` of the same version) on every worker")
    return None
