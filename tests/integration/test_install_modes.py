"""No instructor code reaches a grading kernel, however the course is installed (issue 23).

The sandbox shows the kernel the interpreter's prefixes, and an install of the
course puts the instructor's code there: a wheel puts ``course/`` (the
reference implementations, the hidden cases) into ``site-packages``; an
editable install puts a finder that maps ``course`` to the source folder, and
the ``course`` script. Each test installs the course one way, really, starts a
sandboxed kernel from that install's own interpreter and ``course`` package,
and checks from inside it, over the whole file system it sees, that ``course``,
``course.specs.initialization`` (the reference and the hidden cases) and
``course.judge.spec`` do not import; that no file is named
``course/specs/initialization*``; that no file holds a line or a docstring of
``course/specs/initialization.py`` (the source and its bytecode); that
what keeps its name (the ``.dist-info`` folder, an editable install's ``.pth``
and finder, ``bin/course``) is empty and a ``course`` folder on the kernel's path
holds only the stub that refuses the import; and that ``helpers`` and NumPy
import. The same scan run outside the sandbox over the install finds what there
is to hide, so that a scan finding nothing inside means something.

- editable: the Makefile's ``.venv`` (``pip install -e``), this suite's interpreter;
- wheel: ``pip install`` of the course's wheel, the README's student path, into a
  fresh virtual environment;
- conda: a stand-alone prefix (``sys.prefix`` is ``sys.base_prefix``, the
  interpreter, its shared library, standard library and ``site-packages`` inside it,
  the library path relative to the binary), which is how a conda environment is
  laid out; the course installed as ``environment.yml`` does it (``pip install -e``),
  from a source folder inside the prefix (the hard case: the course repository in
  what the sandbox shows). conda itself is not run (not reachable here): the sandbox
  sees an environment only through ``sys.prefix``, ``sys.base_prefix`` and the
  distribution's files, which this layout reproduces;
- Dask worker: a virtual environment with the wheel installed, as the README tells
  a worker host, running ``course worker`` (as user ``nobody``, so in an unprivileged
  user namespace) for a real scheduler; the kernel is the one a grading task starts
  (``course grade --scheduler-file``), and the scan runs in a cell of the submission
  it grades.

To stay fast, the course's dependencies are not installed anew: each new
environment reaches the Makefile's ``site-packages`` through a ``.pth`` file, and
its sandbox shows that folder too (``extra_readonly``; its editable install of the
course is hidden as well). What is installed from this project is installed for
real, by pip, from a wheel or source folder copied from this checkout.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import nbformat
import pytest

from course import cli, pipeline
from course.sandbox import mounts
from support import ASSIGNMENT, ROOT, make_course
from support.hostile import NOTEBOOK, hand_in

pytestmark = pytest.mark.slow

PROBE = ROOT / "tests" / "support" / "sandbox_probe.py"
#: This suite's site-packages (the Makefile's .venv), which the new environments borrow.
SITE = sysconfig.get_paths()["purelib"]
VERSION = f"python{sys.version_info.major}.{sys.version_info.minor}"


def _markers():
    """Text of ``course/specs/initialization.py`` no other file has: a line of its source,
    and a docstring (which its bytecode holds too)."""
    source = (ROOT / "course" / "specs" / "initialization.py").read_text()
    line = next(text for text in source.splitlines() if text.startswith("SEEDED_DIMS = "))
    tree = ast.parse(source)
    doc = next(ast.get_docstring(f, clean=False) for f in tree.body
               if isinstance(f, ast.FunctionDef) and f.name == "he")
    return [line, doc]


# Run in the kernel (and, as a control, outside any sandbox). The markers come as hex,
# so that this code, which IPython keeps in its history file, does not hold them.
SCAN = r'''
import importlib, json, os, sys
markers = [bytes.fromhex(h) for h in MARKERS]
report = {"imports": {}, "names": [], "named": {}, "content": [], "course_folders": {}}
for module in ("course", "course.specs.initialization", "course.judge.spec"):
    try:
        importlib.import_module(module)
        report["imports"][module] = "imported"
    except Exception as error:
        report["imports"][module] = type(error).__name__
for entry in sys.path:
    folder = os.path.join(entry or ".", "course")
    if os.path.isdir(folder):
        report["course_folders"][folder] = {
            n: open(os.path.join(folder, n)).read() if os.path.isfile(os.path.join(folder, n)) else "folder"
            for n in os.listdir(folder)}
import helpers.checks, numpy
report["helpers"] = helpers.checks.__file__
for top in ROOTS:
    for folder, dirs, files in os.walk(top):
        if folder == "/":
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
        for name in dirs + files:
            path = os.path.join(folder, name)
            if "specs" in path.split("/")[:-1] and name.split(".")[0] == "initialization":
                report["names"].append(path)
            elif ("initialization_course" in name or name.startswith("__editable__")
                    or name == "course" and os.path.basename(folder) == "bin"):
                try:
                    report["named"][path] = (len(os.listdir(path)) if os.path.isdir(path)
                                             else os.path.getsize(path))
                except OSError as error:
                    report["named"][path] = type(error).__name__
        for name in files:
            path = os.path.join(folder, name)
            try:
                if not os.path.isfile(path) or os.path.islink(path) or os.path.getsize(path) > 2_000_000:
                    continue
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if any(m in data for m in markers):
                report["content"].append(path)
print(json.dumps(report))
'''


def scan_code(roots=("/",)):
    """The scan, over ``roots``: prints one line of JSON."""
    markers = [m.encode().hex() for m in _markers()]
    return f"MARKERS = {markers!r}\nROOTS = {[str(r) for r in roots]!r}\n{SCAN}"


def _in_sandbox(python, workdir, readonly=()):
    """The scan's report, from a sandboxed kernel started by ``python``'s own ``course``."""
    workdir.mkdir(exist_ok=True)
    extra = [a for path in readonly for a in ("--readonly", str(path))]
    result = subprocess.run([str(python), str(PROBE), str(workdir), scan_code(), *extra,
                             "--timeout", "400"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["status"] == "ok", report
    return json.loads(report["stdout"].strip().splitlines()[-1])


def _outside(python, *roots):
    """The same scan run by ``python`` with no sandbox, over ``roots`` only."""
    result = subprocess.run([str(python), "-c", scan_code(roots)], capture_output=True,
                            text=True, timeout=300, cwd="/")
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _nothing_of_the_instructors(report):
    """Nothing of the instructor's code: not importable, no file of it, no byte of its text."""
    assert report["imports"] == dict.fromkeys(
        ("course", "course.specs.initialization", "course.judge.spec"),
        "ModuleNotFoundError"), report
    assert report["names"] == [], report["names"]
    assert report["content"] == [], report["content"]
    # What keeps its name (the metadata folder, an editable install's finder, bin/course) is empty,
    # and a `course` folder on the kernel's path holds the stub that refuses the import.
    assert all(size == 0 for size in report["named"].values()), report["named"]
    assert all(files == {"__init__.py": mounts.STUB} for files in report["course_folders"].values()), \
        report["course_folders"]
    assert report["helpers"].endswith("/helpers/checks.py")


def _pip(*args):
    """This suite's pip (with its cache), quietly; pip's output when it fails."""
    result = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check",
                             *args], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def _project_copy(dest):
    """What a build of the course reads, copied from this checkout (a build writes build/ into it)."""
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for package in ("course", "helpers"):
        shutil.copytree(ROOT / package, dest / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The course's wheel, built from this checkout."""
    base = tmp_path_factory.mktemp("wheel")
    _pip("wheel", "--quiet", "--no-deps", str(_project_copy(base / "src")), "-w", str(base))
    [built] = base.glob("initialization_course-*.whl")
    return built


def _borrow_dependencies(python):
    """Let the environment of ``python`` import this suite's packages (after its own)."""
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(f"import site; site.addsitedir({SITE!r})\n")
    return Path(site)


def _venv_with_wheel(folder, interpreter, wheel):
    """A fresh virtual environment of ``interpreter`` with the course's wheel installed by pip."""
    subprocess.run([interpreter, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    _pip("--python", str(python), "install", "--quiet", "--no-deps", "--no-index", str(wheel))
    return python, _borrow_dependencies(python)


def test_editable_install_the_makefiles_venv(tmp_path):
    """The Makefile's .venv: the course installed editable, the venv inside the course repository."""
    assert any(Path(SITE).glob("__editable___initialization_course_*_finder.py"))
    seen = _outside(sys.executable, sys.prefix)
    assert seen["imports"]["course.specs.initialization"] == "imported"
    assert seen["named"][f"{sys.prefix}/bin/course"] > 0
    assert [size for path, size in seen["named"].items() if path.endswith(".dist-info")][0] > 0
    _nothing_of_the_instructors(_in_sandbox(sys.executable, tmp_path / "work"))


def test_wheel_install_the_students_pip_install(tmp_path, wheel):
    """`pip install .` into a fresh venv: course/ lies in the site-packages the prefix shows."""
    python, site = _venv_with_wheel(tmp_path / "venv", os.path.realpath(sys._base_executable), wheel)
    assert (site / "course" / "specs" / "initialization.py").is_file() and (site / "helpers").is_dir()
    seen = _outside(python, tmp_path / "venv")
    assert seen["imports"]["course.specs.initialization"] == "imported"
    assert str(site / "course" / "specs" / "initialization.py") in seen["content"]
    assert str(site / "course" / "specs" / "initialization.py") in seen["names"]
    report = _in_sandbox(python, tmp_path / "work", readonly=[SITE])
    _nothing_of_the_instructors(report)
    assert report["helpers"] == str(site / "helpers" / "checks.py")   # the wheel's own


def _standalone_prefix(prefix):
    """A Python installation of its own at ``prefix``, laid out as a conda environment.

    This interpreter's binary, shared library and standard library copied (its
    library path made relative, ``$ORIGIN/../lib``, as conda's are), with an empty
    ``site-packages``: ``sys.prefix`` and ``sys.base_prefix`` are both ``prefix``.
    """
    home = Path(sys.base_prefix)
    binary = Path(os.path.realpath(sys._base_executable))
    (prefix / "bin").mkdir(parents=True)
    data = binary.read_bytes()
    old = f"{home}/lib".encode() + b"\0"
    if old in data:
        data = data.replace(old, b"$ORIGIN/../lib".ljust(len(old) - 1, b"\0") + b"\0")
    (prefix / "bin" / VERSION).write_bytes(data)
    (prefix / "bin" / VERSION).chmod(0o755)
    for name in ("python3", "python"):
        (prefix / "bin" / name).symlink_to(VERSION)
    (prefix / "lib").mkdir()
    for lib in (home / "lib").glob("libpython*.so*"):
        shutil.copy2(lib, prefix / "lib" / lib.name, follow_symlinks=False)
    shutil.copytree(home / "lib" / VERSION, prefix / "lib" / VERSION, symlinks=True,
                    ignore=shutil.ignore_patterns("site-packages", "dist-packages", "test",
                                                  "idlelib", "tkinter", "turtledemo"))
    (prefix / "lib" / VERSION / "site-packages").mkdir()
    python = prefix / "bin" / "python"
    found = subprocess.run([str(python), "-c", "import sys, sysconfig; print(sys.prefix, "
                            "sys.base_prefix, sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True)
    expected = f"{prefix} {prefix} {prefix}/lib/{VERSION}/site-packages"
    assert found.returncode == 0 and found.stdout.strip() == expected, (
        f"this interpreter ({binary}) does not run as a stand-alone prefix when copied: "
        f"{found.stdout.strip() or found.stderr.strip()[-300:]}")
    return python


def test_conda_like_prefix_with_the_source_folder_inside_it(tmp_path):
    """A prefix that is its own base (conda), the course installed as environment.yml does (`-e .`),
    from a source folder inside the prefix: the prefix shown, the course repository in it hidden."""
    prefix = tmp_path / "env"
    python = _standalone_prefix(prefix)
    source = _project_copy(prefix / "src" / "initialization-course")
    (source / "source").mkdir()   # the instructor's notebooks, in a course repository
    (source / "source" / "marker.txt").write_text(_markers()[0])
    _pip("--python", str(python), "install", "--quiet", "--no-deps", "-e", str(source))
    site = _borrow_dependencies(python)
    assert any(site.glob("__editable__*initialization_course*.pth"))
    seen = _outside(python, prefix)
    assert seen["imports"]["course.specs.initialization"] == "imported"
    assert str(source / "course" / "specs" / "initialization.py") in seen["content"]
    assert str(source / "source" / "marker.txt") in seen["content"]
    report = _in_sandbox(python, tmp_path / "work", readonly=[SITE])
    _nothing_of_the_instructors(report)
    assert report["helpers"] == str(source / "helpers" / "checks.py")


@pytest.mark.skipif(os.geteuid() != 0, reason="the worker runs as user nobody: becoming "
                    "another user needs root (setpriv)")
def test_dask_worker_host_grades_in_a_kernel_that_sees_no_instructor_code(tmp_path, wheel):
    """A worker host as the README sets it up (the wheel pip-installed, `course worker`), grading."""
    from support.dask_cluster import Cluster
    from support.nonroot import interpreter_for_others, open_to_nobody

    why = open_to_nobody(SITE)
    if why is not None:
        pytest.skip(f"this suite's packages ({SITE}): {why}")
    base = Path(tempfile.mkdtemp(prefix="install-modes-", dir="/tmp"))
    try:
        python, site = _venv_with_wheel(base / "venv", interpreter_for_others(), wheel)
        assert (site / "course" / "specs" / "initialization.py").is_file()
        # nbgrader runs `alembic` by name, found beside the interpreter (as pip installs it)
        (python.parent / "alembic").write_text(f"#!/bin/sh\nexec {python} -m alembic \"$@\"\n")
        for path in [base, *base.rglob("*")]:
            if not path.is_symlink():
                os.chmod(path, 0o755 if path.is_dir() or os.access(path, os.X_OK)
                         or path.name == "alembic" else 0o644)
        root = make_course(tmp_path / "course")
        with open(root / "nbgrader_config.py", "a") as f:
            f.write(f"c.SandboxKernelManager.extra_readonly = [{SITE!r}]\n"
                    f"c.Execute.timeout = 400\n")
        pipeline.release(root)
        code = scan_code().replace("{", "{{").replace("}", "}}")   # hand_in formats it
        hand_in(root, "probe", entry={"answers": "right", "edit": "insert_cell", "code": code})
        dask = Cluster(base, python, workers=1).start()
        try:
            console = cli.Console(record=True, width=140)
            args = cli.build_parser().parse_args(
                ["--root", str(root), "grade", ASSIGNMENT, "--scheduler-file",
                 str(dask.scheduler_file)])
            assert cli.cmd_grade(args, console) == 0, console.export_text()
        finally:
            dask.stop()
        graded = nbformat.read(root / "autograded" / "probe" / ASSIGNMENT / NOTEBOOK, as_version=4)
        [cell] = [c for c in graded.cells if c.source.startswith("MARKERS = ")]
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        report = json.loads(text.strip().splitlines()[-1])
        _nothing_of_the_instructors(report)
        assert report["helpers"] == str(site / "helpers" / "checks.py")
    finally:
        shutil.rmtree(base, ignore_errors=True)
