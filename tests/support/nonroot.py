"""Running something as another, ordinary user (``nobody``): an interpreter and packages it can read.

The checkout may live where other users cannot read (a home folder, a ``mktemp -d``),
so what such a user runs is copied to a folder of its own (:func:`venv_for_others`).
"""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from . import ROOT

#: The prefix that runs a command as user nobody (the caller must be root).
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def closed_to_others(path):
    """The first of ``path`` and its parents that other users cannot enter or read, or None."""
    path = Path(path).resolve()
    for folder in [*reversed(path.parents), path]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH or folder == path and not mode & stat.S_IROTH:
            return folder
    return None


def open_to_nobody(path):
    """Let user nobody into ``path`` where its folders are closed to others; None, or why not."""
    return open_to(path, "u:nobody")


def close_to_nobody(path):
    """Take away what :func:`open_to_nobody` gave user nobody on the way to ``path``."""
    close_to(path, "u:nobody")


def open_to(path, who):
    """Let ``who`` into ``path`` where its folders are closed to others; None, or why not.

    The checkout may live in a folder of its own (a ``mktemp -d``, a home folder). Each
    closed folder on the way gets an access-control entry for ``who`` alone (``setfacl``,
    Debian's acl; ``who`` is ``u:NAME`` or ``g:GROUP``): enter, and read the last;
    nothing changes for anyone else, and :func:`close_to` takes the entries away.
    """
    closed = _closed_folders(path)
    if not closed:
        return None
    if os.geteuid() != 0 or shutil.which("setfacl") is None:
        return (f"{closed[0]} is closed to other users, and only root with setfacl (Debian's "
                f"acl) can let {who.partition(':')[2]} in")
    target = Path(path).resolve()
    for folder in closed:
        entry = f"{who}:rx" if folder == target else f"{who}:x"
        subprocess.run(["setfacl", "-m", entry, str(folder)], check=True)
    return None


def close_to(path, who):
    """Take away what :func:`open_to` gave ``who`` on the way to ``path``."""
    if os.geteuid() != 0 or shutil.which("setfacl") is None:
        return
    for folder in _closed_folders(path):
        subprocess.run(["setfacl", "-x", who, str(folder)], capture_output=True)
        entries = subprocess.run(["getfacl", "--omit-header", "--skip-base", str(folder)],
                                 capture_output=True, text=True).stdout.split()
        if entries and all(e.startswith(("user::", "group::", "other::", "mask::")) for e in entries):
            subprocess.run(["setfacl", "-b", str(folder)], capture_output=True)   # the mask alone


def _closed_folders(path):
    """``path`` and its parents whose mode closes them to other users (whatever their ACLs)."""
    path = Path(path).resolve()
    return [folder for folder in [*reversed(path.parents), path]
            if not folder.stat().st_mode & stat.S_IXOTH
            or folder == path and not folder.stat().st_mode & stat.S_IROTH]


def interpreter_for_others():
    """A Python of this minor version that other users can run (this venv's own, else Debian's)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (os.path.realpath(sys._base_executable), f"/usr/bin/{version}",
                      f"/usr/local/bin/{version}"):
        if os.path.basename(candidate) == version and Path(candidate).is_file() and \
                closed_to_others(candidate) is None:
            return candidate
    pytest.skip(f"no {version} here that other users can run (this one is "
                f"{os.path.realpath(sys._base_executable)})")


def venv_for_others(base, extra=()):
    """A virtual environment in ``base`` that any user can run, or a skip saying why not.

    An interpreter of the same version that others can run (the grading venv's own
    may sit in a folder only root can read, as /root/.pyenv does here: then Debian's),
    the grading venv's site-packages through a .pth
    file, and this checkout's ``course`` and ``helpers`` copied into ``base/lib``
    first: the checkout may live where other users cannot read (a home folder, a
    ``mktemp -d``), and its editable install points there.
    """
    site = Path(next(p for p in sys.path if p.endswith("site-packages") and
                     p.startswith(sys.prefix)))
    why = open_to_nobody(site)
    if why is not None:
        pytest.skip(f"the grading venv's packages ({site}): {why}")
    lib = base / "lib"
    for package in ("course", "helpers"):
        shutil.copytree(ROOT / package, lib / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for path in extra:
        shutil.copy2(path, lib / Path(path).name)
    python = interpreter_for_others()
    subprocess.run([python, "-m", "venv", "--without-pip", str(base / "venv")], check=True)
    (base / "venv" / "lib" / site.parent.name / "site-packages" / "grading.pth").write_text(
        f"{lib}\nimport site; site.addsitedir({str(site)!r})\n")
    return base / "venv" / "bin" / "python", site, lib
