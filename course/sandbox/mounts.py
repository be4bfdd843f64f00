"""What the grading kernel is shown read-only, with every file of the instructor's hidden.

The sandbox (:mod:`course.sandbox.kernel`) shows the kernel the interpreter's prefixes
(``sys.prefix``, ``sys.base_prefix``), ``/usr`` and the folders of the packages
it needs (``helpers``). Where the course itself is installed, those prefixes
hold the instructor's code: a wheel (``pip install .``, the students' and the
Dask workers' install) puts ``course/`` (the reference implementations, the
hidden cases) into ``site-packages``; an editable install (the Makefile's
``.venv``, conda's ``environment.yml``) puts a finder there that maps
``course`` to the source folder, and the console script ``course`` into
``bin/``.

:func:`instructor_paths` finds all of it from the installed metadata of this
project's distribution (:data:`DISTRIBUTION`: every file its ``RECORD`` lists,
its metadata folder, the source folder of an editable install), so that a
module added to ``course`` later is hidden too, and keeps only the packages the
kernel is shown (``helpers``). :func:`plan` turns the shown and hidden paths
into bubblewrap mounts made after the read-only binds: each hidden file is
covered by an empty one, each hidden folder by an empty, read-only memory file
system. An emptied folder named like a module (``course``) holds a stub
``__init__.py`` that raises ``ModuleNotFoundError``: an empty ``course/`` on the
kernel's path would still import, as a namespace package. The names stay
(``course/``, ``initialization_course-1.0.0.dist-info/``, ``bin/course``),
without a byte of their contents. Both are computed once per grading process.
"""

import glob
import importlib.metadata
import json
import os
import sys
from functools import lru_cache
from urllib.parse import unquote, urlparse

__all__ = ["DISTRIBUTION", "instructor_paths", "placeholders", "plan"]

#: The distribution this project installs (``[project] name`` in pyproject.toml).
DISTRIBUTION = "initialization-course"

#: Folders bound into every sandbox before the paths shown here (``sandbox_command``).
STANDARD = ("/usr", "/etc", "/bin", "/lib", "/lib32", "/lib64", "/sbin")

#: Where packages are installed under a prefix: venvs, conda, Debian's and pip's system folders.
_SITE_PATTERNS = ("lib/python3*/site-packages", "lib/python3*/dist-packages",
                  "lib/python3/dist-packages", "lib64/python3*/site-packages",
                  "local/lib/python3*/dist-packages", "local/lib/python3*/site-packages")


def _within(path, folder):
    """Whether ``path`` is ``folder`` or inside it."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _real(path):
    """``path`` with its folder resolved, itself not (a link stays the link)."""
    path = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def _site_dirs(roots):
    """The folders that may hold installed distributions: the roots, their site folders, sys.path."""
    dirs = [p for p in sys.path if p and os.path.isdir(p)]
    for root in roots:
        dirs.append(root)
        for pattern in _SITE_PATTERNS:
            dirs += sorted(glob.glob(os.path.join(root, pattern)))
    return list(dict.fromkeys(os.path.realpath(d) for d in dirs))


def _editable_source(dist):
    """The source folder of an editable install (``direct_url.json``, PEP 610), or None."""
    try:
        info = json.loads(dist.read_text("direct_url.json") or "{}")
    except (OSError, ValueError):
        return None
    url = urlparse(info.get("url", ""))
    if url.scheme == "file" and info.get("dir_info", {}).get("editable"):
        return os.path.realpath(unquote(url.path))
    return None


def _cached_copy(path, files):
    """Whether ``path`` is Python's cached bytecode of one of ``files`` (``__pycache__/m.*.pyc``)."""
    folder, name = os.path.split(path)
    if os.path.basename(folder) != "__pycache__" or not name.endswith(".pyc"):
        return False
    return os.path.join(os.path.dirname(folder), name.split(".")[0] + ".py") in files


def _cover(files, keep):
    """The fewest paths holding every one of ``files`` outside ``keep``, and nothing but them.

    Each file is replaced by the highest folder above it all of whose files are
    ``files`` (or their bytecode), that holds no ``keep`` path and is not ``/``;
    a folder with one of ``files`` as its ``__init__.py`` is a package of ours and
    counts as ours whole (bytecode or files left by an older install included).
    """
    whole = {}

    def ours(folder):
        if folder not in whole:
            if folder == "/" or any(_within(k, folder) for k in keep):
                whole[folder] = False
            elif os.path.join(folder, "__init__.py") in files:
                whole[folder] = True
            else:
                try:
                    entries = list(os.scandir(folder))
                except OSError:
                    entries = []
                whole[folder] = bool(entries) and all(
                    ours(e.path) if e.is_dir(follow_symlinks=False)
                    else e.path in files or _cached_copy(e.path, files) for e in entries)
        return whole[folder]

    tops = set()
    for path in files:
        if any(_within(path, k) for k in keep) or not os.path.lexists(path):
            continue
        while ours(os.path.dirname(path)):
            path = os.path.dirname(path)
        tops.add(path)
    return tops


@lru_cache(maxsize=None)
def instructor_paths(roots, keep):
    """Every file and folder of this project's own that a kernel shown ``roots`` could read, but ``keep``.

    ``roots``: the folders shown (real paths); ``keep``: the folders of the
    packages shown to the kernel (``helpers``), which stay. Found from what is
    installed (every distribution :data:`DISTRIBUTION` in ``sys.path``, in the
    site folders of ``roots`` and of ``/usr``): the files of its ``RECORD`` (the
    ``course`` package and its bytecode, the ``course`` script in ``bin/``, an
    editable install's ``.pth`` and finder), its metadata folder, the source
    folder of an editable install (the course repository, ``helpers/`` in it
    kept), and the folder of the ``course`` package this process runs. A sorted
    tuple of real paths; one may lie inside another (the ``course`` script of a
    virtual environment that lies in the hidden source folder: the environment is
    shown again, the script not).
    """
    import course

    files, hidden = set(), {os.path.dirname(os.path.realpath(course.__file__))}
    for dist in importlib.metadata.distributions(name=DISTRIBUTION,
                                                 path=_site_dirs((*roots, "/usr"))):
        for entry in dist.files or ():
            files.add(_real(dist.locate_file(entry)))
        metadata = getattr(dist, "_path", None)   # the .dist-info (or .egg-info) folder
        if metadata is not None:
            hidden.add(os.path.realpath(metadata))
        source = _editable_source(dist)
        if source is not None:
            hidden.add(source)
    hidden |= _cover(files, keep)
    hidden = {p for p in hidden if os.path.lexists(p) and not any(_within(p, k) for k in keep)}
    return tuple(sorted(hidden))


def _nearest_label(path, labels):
    """The label of the nearest folder above ``path`` that has one, or None."""
    while path != "/":
        path = os.path.dirname(path)
        if path in labels:
            return labels[path]
    return None


#: What an emptied package folder holds, so that its name does not import as an (empty)
#: namespace package: ``import course`` fails as where nothing is installed.
STUB = ('"""Hidden from the grading kernel (course.sandbox.mounts): not importable here."""\n'
        'raise ModuleNotFoundError(f"No module named {__name__!r}", name=__name__)\n')


def placeholders(folder):
    """The files bound over hidden ones, made in ``folder`` if missing: ``(empty file, stub)``.

    ``folder`` is the sandbox's runtime folder (removed with it; a killed grader's
    is removed by the next grading run), so that nothing is left behind.
    """
    paths = os.path.join(folder, "hidden-empty"), os.path.join(folder, "hidden-stub.py")
    for path, text in zip(paths, ("", STUB)):
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o444)
    return paths


@lru_cache(maxsize=None)
def plan(shown, keep):
    """The read-only view of ``shown`` with :func:`instructor_paths` hidden: ``(steps, masked)``.

    ``steps``, in the order bwrap must apply them, are ``(kind, path)``: ``"bind"``
    a shown path read-only (after creating its missing parents); ``"file"``: cover
    a hidden file with an empty one; ``"folder"``: cover a hidden folder with an
    empty memory file system, and ``"package"`` the same holding a stub
    ``__init__.py`` (:data:`STUB`), for a folder whose name could be imported.
    ``masked``: those folders, to remount read-only once every mount is made (a
    mount point may still be created in one: a shown path inside a hidden folder,
    ``helpers`` in an editable install's source folder or a virtual environment
    inside it, is shown again). Hidden files stay where they are, empty: removing a
    name from a folder would take a mount for each of its other entries (hundreds
    in a ``site-packages``, most of a second per kernel).
    """
    labels = {p: "shown" for p in STANDARD if os.path.isdir(p) and not os.path.islink(p)}
    labels.update({p: "shown" for p in shown})
    hidden = instructor_paths(tuple(sorted(set(shown) | set(labels))), keep)
    labels.update({p: "hidden" for p in hidden})
    ordered = []   # (depth, rank, step): a folder's mounts before those inside it
    for path in shown:
        if labels[path] == "shown" and path not in STANDARD and \
                _nearest_label(path, labels) != "shown":
            ordered.append((path.count("/"), 0, ("bind", path)))
    masked = []
    for path in hidden:
        if _nearest_label(path, labels) != "shown" or os.path.islink(path):
            continue   # not visible; or a link, whose target is hidden if it is ours
        if os.path.isdir(path):
            kind = "package" if os.path.basename(path).isidentifier() else "folder"
            masked.append(path)
        else:
            kind = "file"
        ordered.append((path.count("/"), 1, (kind, path)))
    steps = [step for _, _, step in sorted(ordered, key=lambda o: (o[0], o[1]))]
    return tuple(steps), tuple(sorted(masked))
