"""``course publish DEST``: the folder students get, made in one step.

What it holds, and nothing else:

- ``<assignment>/``: the release (``release/<assignment>/``, checked to be the
  one ``source/`` generates);
- ``helpers/``: the package the notebooks import;
- ``pyproject.toml``: that package, the student's dependencies only (the
  course's own requirements for them, from the course's ``pyproject.toml``),
  and ``jupyter-config/``, which pip installs into the environment's
  ``etc/jupyter/`` (see :mod:`course.publish` and the files' own comments);
- ``environment.yml``: the same for conda, and for Binder, which reads it at
  the root and installs the folder with pip;
- ``README.md``: for students (with a Binder link when ``binder_repo`` is given);
- ``.course-publish``: the list of the files above, so that publishing again
  into the same folder (a clone of the repository Binder builds, say) replaces
  them and leaves the rest (``.git``, a licence) alone.

Everything is written to a folder beside ``DEST`` first and searched for the
instructor's material (:mod:`course.publish.secrets`); only then does it
replace what an earlier publication wrote. A failure leaves ``DEST`` as it was.
"""

import filecmp
import os
import re
import shutil
import string
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from nbgrader.preprocessors import ClearSolutions, Execute
from packaging.requirements import Requirement
from traitlets.config.loader import PyFileConfigLoader

from course.layout import ASSIGNMENT
from course.publish import secrets

__all__ = ["PublishError", "Publication", "STUDENT_PACKAGES", "student_requirements",
           "conda_requirement", "check_repo", "binder_url", "publish"]

#: What students need, by distribution name: the course's version requirement for
#: each comes from its pyproject.toml. Not the instructor's (rich, dask,
#: django-static-mathjax, the test tools). ``helpers`` imports NumPy, matplotlib
#: (with its Pillow), h5py, threadpoolctl and ipywidgets; JupyterLab and
#: nbgrader run the notebooks and Validate; jupyterlab_widgets draws the explorers.
STUDENT_PACKAGES = ("numpy", "h5py", "matplotlib", "jupyterlab", "nbgrader", "threadpoolctl",
                    "ipywidgets", "jupyterlab_widgets")
TITLE = "Initialization"
DISTRIBUTION = "initialization-course-student"
ENVIRONMENT = "initialization-student"
CONDA_PYTHON = "3.11"   # repo2docker honours an exact python=X.Y only
MANIFEST = ".course-publish"
TEMPLATES = Path(__file__).parent / "templates"
#: Folders of a course root that ``DEST`` may not lie in (or be).
COURSE_FOLDERS = ("source", "release", "helpers", "course", "tests", "submitted", "autograded",
                  "feedback", "demo", "downloaded", ".venv", ".git")
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")


class PublishError(RuntimeError):
    """The distribution could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class Publication:
    """What :func:`publish` wrote.

    Attributes
    ----------
    dest : Path
    files : tuple of str
        Every file written, relative to ``dest`` (the manifest's list).
    notebooks : tuple of str
        The assignment's notebooks, in the order students work through them.
    regions_checked, modules_checked : int
        How many regions of the source notebooks (solutions, hidden tests, written
        answers' models and rubrics) and modules of ``course/`` were looked for in
        it, and not found.
    binder_url : str or None
    """

    dest: Path
    files: tuple
    notebooks: tuple
    regions_checked: int
    modules_checked: int
    binder_url: str | None


def student_requirements(pyproject):
    """The course's requirements for :data:`STUDENT_PACKAGES`, in that order.

    Raises
    ------
    PublishError
        If the course's ``pyproject.toml`` does not list one of them.
    """
    listed = {}
    for line in tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"][
            "dependencies"]:
        requirement = Requirement(line)
        listed[_canonical(requirement.name)] = requirement
    missing = [name for name in STUDENT_PACKAGES if _canonical(name) not in listed]
    if missing:
        raise PublishError(f"{pyproject} lists no {', '.join(missing)}; the students' "
                           f"environment needs {', '.join(STUDENT_PACKAGES)}")
    return [str(listed[_canonical(name)]) for name in STUDENT_PACKAGES]


def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def conda_requirement(requirement):
    """A pip requirement in conda's spelling (``nbgrader==0.9.6`` -> ``nbgrader=0.9.6``)."""
    parsed = Requirement(requirement)
    specifiers = ",".join(sorted(str(s).replace("==", "=", 1) if s.operator == "==" else str(s)
                                 for s in parsed.specifier))
    return f"{parsed.name}{specifiers}"


def check_repo(repo):
    """Refuse a ``--binder-repo`` that is not a GitHub repository's ``OWNER/REPO``."""
    if not _REPO.fullmatch(repo):
        raise PublishError(f"--binder-repo {repo!r} is not a GitHub repository's OWNER/REPO "
                           f"(e.g. my-university/initialization-course)")


def binder_url(repo, assignment, notebook):
    """The mybinder.org link that opens ``notebook`` of a GitHub repository ``OWNER/REPO``.

    Raises
    ------
    PublishError
        If ``repo`` is not of the form ``OWNER/REPO``.
    """
    check_repo(repo)
    return f"https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/{assignment}/{notebook}"


def _course_config(root):
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    traits = ClearSolutions.class_traits()
    begin = config.ClearSolutions.get("begin_solution_delimeter",
                                      traits["begin_solution_delimeter"].default_value)
    end = config.ClearSolutions.get("end_solution_delimeter",
                                    traits["end_solution_delimeter"].default_value)
    timeout = config.Execute.get("timeout", Execute.class_traits()["timeout"].default_value)
    return begin, end, timeout


def _check_dest(root, dest):
    """The files an earlier publication wrote in ``dest`` (empty if none); refuse a bad ``dest``."""
    if dest == root or dest in root.parents:
        raise PublishError(f"{dest} holds the course itself; publish into a folder of its own")
    for name in COURSE_FOLDERS:
        if dest == root / name or (root / name) in dest.parents:
            raise PublishError(f"{dest} is inside the course's {name}/; publish into a folder "
                               f"of its own (e.g. ../{ASSIGNMENT}-students)")
    if dest.exists() and not dest.is_dir():
        raise PublishError(f"{dest} is a file, not a folder")
    if not dest.exists() or not any(dest.iterdir()):
        return []
    manifest = dest / MANIFEST
    if not manifest.is_file():
        raise PublishError(f"{dest} already holds files that `course publish` did not write; "
                           f"nothing was written. Give a new or empty folder, or one published "
                           f"before")
    return [line for line in manifest.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]


def _stale_release(root, assignment):
    """The files of ``release/<assignment>`` that ``source/`` would not generate as they are."""
    from course import pipeline

    release = root / "release" / assignment
    if not release.is_dir():
        return [f"release/{assignment} (missing)"]
    with tempfile.TemporaryDirectory(prefix="publish-release-") as tmp:
        course = Path(tmp)
        shutil.copy2(root / "nbgrader_config.py", course)
        shutil.copytree(root / "source" / assignment, course / "source" / assignment,
                        ignore=_SKIP)
        pipeline.release(course, assignment, db=False)
        return _differences(course / "release" / assignment, release)


def _differences(a, b, prefix=""):
    compare = filecmp.dircmp(a, b, ignore=[".ipynb_checkpoints", "__pycache__"])
    found = [prefix + n for n in compare.left_only + compare.right_only + compare.funny_files]
    _, mismatch, errors = filecmp.cmpfiles(a, b, compare.common_files, shallow=False)
    found += [prefix + n for n in mismatch + errors]
    for name in compare.common_dirs:
        found += _differences(a / name, b / name, f"{prefix}{name}/")
    return found


def _render(template, path, **values):
    text = string.Template((TEMPLATES / template).read_text(encoding="utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.substitute(values), encoding="utf-8")


def _write(staging, root, assignment, binder_repo, timeout):
    """Write the distribution into ``staging``; return ``(notebooks, binder link)``."""
    shutil.copytree(root / "release" / assignment, staging / assignment, ignore=_SKIP)
    shutil.copytree(root / "helpers", staging / "helpers", ignore=_SKIP)
    shutil.copytree(TEMPLATES / "jupyter-config", staging / "jupyter-config",
                    ignore=shutil.ignore_patterns("*.tmpl", "__pycache__"))
    _render("jupyter-config/nbgrader_config.py.tmpl", staging / "jupyter-config" /
            "nbgrader_config.py", timeout=timeout)
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = student_requirements(root / "pyproject.toml")
    _render("pyproject.toml.tmpl", staging / "pyproject.toml", title=TITLE, name=DISTRIBUTION,
            version=project["version"], requires_python=project["requires-python"],
            dependencies="\n".join(f'    "{r}",' for r in requirements))
    _render("environment.yml.tmpl", staging / "environment.yml", title=TITLE,
            env_name=ENVIRONMENT, python=CONDA_PYTHON,
            dependencies="\n".join(f"  - {conda_requirement(r)}" for r in requirements))
    notebooks = _work_order(staging / assignment)
    link = binder_url(binder_repo, assignment, notebooks[0]) if binder_repo else None
    binder = ""
    if link:
        binder = string.Template((TEMPLATES / "binder.md.tmpl").read_text(encoding="utf-8")
                                 ).substitute(url=link)
    _render("README.md.tmpl", staging / "README.md", title=TITLE, assignment=assignment,
            notebooks=", ".join(f"`{n}`" for n in notebooks), first=notebooks[0],
            rest=" and ".join(f"`{n}`" for n in notebooks[1:]) or "nothing else", env_name=ENVIRONMENT,
            binder=binder)
    return notebooks, link


#: The order of the notebooks in the lesson (others follow, by name).
ORDER = ("Initialization.ipynb", "Layers.ipynb", "Gradients.ipynb")


def _work_order(folder):
    names = sorted(p.name for p in folder.glob("*.ipynb"))
    if not names:
        raise PublishError(f"the release {folder.name}/ holds no notebook")
    return tuple(sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n)))


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _remove_published(dest, files):
    """Remove the files an earlier publication listed, and the folders they leave empty."""
    for name in files:
        path = (dest / name).resolve()
        if dest not in path.parents:
            continue   # a manifest pointing outside DEST is not ours to follow
        if path.is_file() or path.is_symlink():
            path.unlink()
        parent = path.parent
        while parent != dest and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def _move_in(staging, dest):
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = dest / path.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            raise PublishError(f"{target} is a folder where the distribution has a file; "
                               f"remove it and publish again")
        os.replace(path, target)


def publish(root, dest, *, assignment=ASSIGNMENT, binder_repo=None):
    """Write the students' distribution of the course at ``root`` into ``dest``.

    Parameters
    ----------
    root : path-like
        The course root (``nbgrader_config.py``, ``source/``, ``release/``, ``helpers/``).
    dest : path-like
        A new or empty folder, or one this function wrote before (its files are
        replaced, other files kept).
    binder_repo : str, optional
        ``OWNER/REPO`` of the GitHub repository ``dest`` will be pushed to: the
        students' README then opens the first notebook on Binder.

    Returns
    -------
    Publication

    Raises
    ------
    PublishError
        If the release is not what ``source/`` generates, ``dest`` is not a
        place to publish into, or the instructor's material would be in it;
        ``dest`` is then left as it was.
    """
    root = Path(root).resolve()
    dest = Path(dest).expanduser().resolve()
    earlier = _check_dest(root, dest)
    if binder_repo:
        check_repo(binder_repo)   # before any work
    stale = _stale_release(root, assignment)
    if stale:
        raise PublishError(f"release/{assignment} is not what source/{assignment} generates "
                           f"({', '.join(stale[:5])}); run `course release` first")
    begin, end, timeout = _course_config(root)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.publishing-", dir=dest.parent))
    try:
        notebooks, link = _write(staging, root, assignment, binder_repo, timeout)
        files = [*_files(staging), MANIFEST]
        (staging / MANIFEST).write_text(
            "# Written by `course publish`; publishing again replaces these files.\n"
            + "\n".join(files) + "\n", encoding="utf-8")
        found = secrets.instructor_secrets(root, assignment, begin=begin, end=end)
        leaks = secrets.find_leaks(staging, found)
        if leaks:
            raise PublishError(f"nothing was published: {len(leaks)} line(s) of the "
                               f"instructor's would be in it, e.g. {leaks[0]}")
        dest.mkdir(exist_ok=True)
        _remove_published(dest, earlier)
        _move_in(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    regions = {s.origin for s in found if not s.in_a_row}
    modules = {s.origin for s in found if s.in_a_row}
    return Publication(dest, tuple(files), notebooks, len(regions), len(modules), link)
