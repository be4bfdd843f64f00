"""The sandboxed kernel's pieces, and grading that survives being interrupted, with no sandbox
started (the sandbox itself: tests/integration/test_sandbox_workdir.py)."""

import os
import signal
import subprocess
import sys
import time

import pytest

from course.autograde import interrupt
from course.sandbox import kernel
from course.sandbox.cgroup import owner_tag
from course.autograde.preflight import preflight
from course.autograde.run import MARKER, recover_interrupted
from support import ASSIGNMENT, make_course


def test_parse_size_units():
    assert kernel.parse_size("3G") == 3 << 30
    assert kernel.parse_size("512m") == 512 << 20
    assert kernel.parse_size("1000") == 1000


def test_parse_size_rejects_words():
    with pytest.raises(ValueError, match="optional K, M or G suffix"):
        kernel.parse_size("lots")


def test_sandbox_command_hides_the_course_and_drops_rights(tmp_path):
    km = kernel.SandboxKernelManager()
    km._workdir, km._scratch = str(tmp_path / "work"), tmp_path / "scratch"
    cmd = km.sandbox_command(["python", "-m", "ipykernel_launcher"])
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--clearenv"):
        assert flag in cmd
    # the working folder is a memory file system of workdir_size; the scratch copy of the
    # files handed in is only shown read-only, and nothing of the grader's disk is writable
    at = cmd.index(km._workdir)
    assert cmd[at - 3:at] == ["--size", str(256 << 20), "--tmpfs"]
    assert cmd[cmd.index(str(km._scratch)) - 1] == "--ro-bind"
    assert cmd[cmd.index(str(km._scratch)) + 1] == kernel.HANDED_IN
    assert cmd[cmd.index("--chdir") + 1] == km._workdir
    binds = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--bind"]
    assert binds == [str(km._runtime / "ipc")]
    assert cmd[-7:] == ["/bin/sh", "-c", kernel.COPY_THEN_RUN, kernel.HANDED_IN,
                        "python", "-m", "ipykernel_launcher"]
    assert any(a.startswith("--as=") for a in cmd) and any(a.startswith("--nproc=") for a in cmd)
    if os.geteuid() == 0:
        assert f"--reuid={km.uid}" in cmd and km.uid >= km.uid_base
    assert "JPY_PARENT_PID" not in cmd


def test_kernel_thread_pools_follow_the_setting_not_the_graders_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "8")
    km = kernel.SandboxKernelManager(threads=3)
    km._workdir, km._scratch = str(tmp_path / "work"), tmp_path / "scratch"
    cmd = km.sandbox_command(["python"])
    settings = {cmd[i + 1]: cmd[i + 2] for i, arg in enumerate(cmd) if arg == "--setenv"}
    assert {k: settings.get(k) for k in kernel.THREAD_ENV} == dict.fromkeys(kernel.THREAD_ENV, "3")
    with pytest.raises(Exception, match="threads must be at least 1, got 0"):
        kernel.SandboxKernelManager(threads=0)


def test_preflight_names_an_empty_file(tmp_path):
    folder = tmp_path / "submitted" / "zoe" / ASSIGNMENT
    folder.mkdir(parents=True)
    (tmp_path / "release" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "release" / ASSIGNMENT / "Initialization.ipynb").write_text("{}")
    (folder / "Initialization.ipynb").write_text("")
    lines = [f"student {f.line}" for f in preflight([folder / "Initialization.ipynb"])]
    assert len(lines) == 1 and "student zoe" in lines[0] and "empty" in lines[0]


def test_recover_interrupted_removes_only_dead_runs(tmp_path):
    grader = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = tmp_path / "autograded" / "ann" / ASSIGNMENT
        live = tmp_path / "autograded" / "ben" / ASSIGNMENT
        reused = tmp_path / "autograded" / "cyd" / ASSIGNMENT     # its pid now names another process
        for folder, tag in ((dead, "999999999.1"), (live, owner_tag(grader.pid)),
                            (reused, f"{grader.pid}.1")):
            folder.mkdir(parents=True)
            (folder / MARKER).write_text(f"{tag}\n")
        assert recover_interrupted(tmp_path) == [dead, reused]
        assert not dead.exists() and (live / MARKER).exists()
    finally:
        grader.kill()
        grader.wait()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupt_python_drops_is_raised_at_the_next_check(monkeypatch):
    """SIGINT during a ``__del__`` is printed and dropped by Python; the grader raises it again."""
    class Dropper:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)   # the handler runs here, inside __del__

    monkeypatch.setattr(interrupt, "_pending", False)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        interrupt.install()
        interrupt.check()   # nothing pending yet
        Dropper()           # "Exception ignored in ... __del__": the KeyboardInterrupt is lost
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()
    finally:
        signal.signal(signal.SIGINT, previous)


def test_problem_names_the_fix_when_bwrap_is_missing(monkeypatch):
    monkeypatch.setattr(kernel.shutil, "which", lambda name: None)
    line = kernel.problem.__wrapped__()
    assert "apt-get install bubblewrap" in line and "sandbox = False" in line
    assert "\n" not in line


def test_loading_the_config_deletes_and_creates_nothing(tmp_path):
    """The formgrader and Validate load nbgrader_config.py: that alone changes no file."""
    import tempfile
    from pathlib import Path

    from traitlets.config.loader import PyFileConfigLoader

    from course.sandbox.cgroup import PREFIX

    root = make_course(tmp_path / "course")
    interrupted = root / "autograded" / "ann" / ASSIGNMENT
    interrupted.mkdir(parents=True)
    (interrupted / MARKER).write_text("999999999.1\n")
    stale = Path(tempfile.mkdtemp(prefix=f"{PREFIX}999999999.1-"))
    try:
        before = sorted(Path(tempfile.gettempdir()).glob(f"{PREFIX}*"))
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        assert config.Autograde.exporter_class == "course.autograde.run.GradingRunExporter"
        assert (interrupted / MARKER).exists() and stale.exists()
        assert sorted(Path(tempfile.gettempdir()).glob(f"{PREFIX}*")) == before
    finally:
        stale.rmdir()


def test_copy_workdir_leaves_links_and_notebooks_out(tmp_path):
    work, scratch = tmp_path / "work", tmp_path / "scratch"
    work.mkdir()
    (work / "digits.h5").write_bytes(b"data")
    (work / "Initialization.ipynb").write_text("{}")
    secret = tmp_path / "gradebook.db"
    secret.write_text("every student's grades")
    (work / "db.txt").symlink_to(secret)
    kernel._copy_workdir(work, scratch, os.getuid(), os.getgid())
    assert sorted(p.name for p in scratch.iterdir()) == ["digits.h5"]


def test_links_lists_symbolic_links_only(tmp_path):
    from pathlib import Path

    from course.autograde.preflight import links

    folder = tmp_path / "submitted" / "zoe" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / "Initialization.ipynb").write_text("{}")
    assert links(folder) == []
    (folder / "notes.txt").symlink_to(tmp_path)
    assert links(folder) == [Path("notes.txt")]


def test_preflight_says_a_runnable_file_is_left_out(tmp_path):
    folder = tmp_path / "submitted" / "zoe" / ASSIGNMENT
    folder.mkdir(parents=True)
    (tmp_path / "release" / ASSIGNMENT).mkdir(parents=True)
    (folder / "Initialization.ipynb").write_text("{}")
    (folder / "notes.html").write_text("<script></script>")
    lines = [f"student {f.line}" for f in preflight([folder / "Initialization.ipynb"])]
    assert any("student zoe: notes.html was handed in beside the notebooks; it is left out" in l
               for l in lines)


def test_the_kernel_is_led_to_the_helpers_the_grader_found_and_no_further():
    import os

    import helpers
    import numpy

    assert kernel.package_roots(["helpers"]) == [os.path.dirname(os.path.realpath(
        os.path.dirname(helpers.__file__)))]
    assert kernel.package_roots(["numpy"]) == [] or "site-packages" not in numpy.__file__


def _masks(cmd, runtime):
    """{path: index} of what the command covers: an empty file bound over it, or an empty folder."""
    empty = str(runtime / "hidden-empty")
    found = {}
    for i, arg in enumerate(cmd[:-2]):
        if arg == "--tmpfs" or arg == "--ro-bind" and cmd[i + 1] == empty:
            found[cmd[i + 1] if arg == "--tmpfs" else cmd[i + 2]] = i
    return found


def test_sandbox_command_empties_every_file_the_course_installed_but_helpers(tmp_path):
    """The editable install of this venv: its RECORD's files are covered after the prefix is bound."""
    from importlib.metadata import distribution

    from course.sandbox import mounts

    km = kernel.SandboxKernelManager()
    km._workdir, km._scratch = str(tmp_path / "work"), tmp_path / "scratch"
    cmd = km.sandbox_command(["python"])
    masks = _masks(cmd, km._runtime)
    prefix = cmd.index(os.path.realpath(sys.prefix), cmd.index("--ro-bind") + 1)
    dist = distribution(mounts.DISTRIBUTION)
    installed = [os.path.realpath(dist.locate_file(f)) for f in dist.files]
    helpers = kernel.package_dirs(["helpers"])[0]
    for path in installed:
        if not path.startswith(helpers + "/") and path.startswith(os.path.realpath(sys.prefix)):
            cover = [m for m in masks if path == m or path.startswith(m + "/")]
            assert cover and masks[cover[0]] > prefix, path
    shown = max(i for i, a in enumerate(cmd[:-2]) if a == "--ro-bind" and cmd[i + 1] == helpers
                or a == "--ro-bind" and helpers.startswith(cmd[i + 1] + "/"))
    # nothing emptied over helpers after it is shown (a /tmp of the sandbox's own, made
    # before, does not hide a checkout that lives in /tmp)
    assert not [m for m, i in masks.items() if i > shown
                and (helpers.startswith(m + "/") or m.startswith(helpers))]
    # sealed after every mount, the working folder's included
    assert min(i for i, a in enumerate(cmd) if a == "--remount-ro") > cmd.index("--chdir")
    hits = mounts.plan.cache_info().hits
    km.sandbox_command(["python"])
    assert mounts.plan.cache_info().hits == hits + 1   # computed once per grading process


def _installed(site, files, editable_source=None):
    """A distribution of the course as pip leaves it in ``site``: its files and RECORD."""
    from course.sandbox.mounts import DISTRIBUTION

    meta = site / "initialization_course-1.0.0.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DISTRIBUTION}\nVersion: 1.0.0\n")
    record = [*files, f"{meta.name}/METADATA", f"{meta.name}/RECORD"]
    if editable_source is not None:
        (meta / "direct_url.json").write_text(
            f'{{"dir_info": {{"editable": true}}, "url": "file://{editable_source}"}}')
    for name in files:
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# installed\n")
    (meta / "RECORD").write_text("".join(f"{name},,\n" for name in record))
    return meta


def test_plan_hides_a_wheels_course_and_keeps_helpers(tmp_path):
    from course.sandbox import mounts

    prefix = tmp_path / "venv"
    site = prefix / "lib" / "python3.11" / "site-packages"
    meta = _installed(site, ["course/__init__.py", "course/specs/initialization.py", "course/__pycache__/x.pyc",
                             "course/specs/__pycache__/initialization.cpython-311.pyc",
                             "helpers/__init__.py", "helpers/checks.py", "../../../bin/course"])
    (site / "numpy").mkdir()
    (prefix / "bin" / "python").write_text("")
    (site / "course" / "__pycache__" / "old.cpython-311.pyc").write_text("left by an older install")
    helpers = str(site / "helpers")
    steps, masked = mounts.plan((str(prefix),), (helpers,))
    assert steps[0] == ("bind", str(prefix))
    assert ("package", f"{site}/course") in steps and ("folder", str(meta)) in steps
    assert ("file", str(prefix / "bin" / "course")) in steps
    assert masked == tuple(sorted([f"{site}/course", str(meta)]))
    assert not [p for _, p in steps if p.startswith(helpers) or p.endswith("/numpy")]


def test_plan_hides_an_editable_source_inside_the_prefix_and_shows_helpers_and_a_venv_in_it(tmp_path):
    """The course repository inside the prefix (a clone in a conda environment), and a
    virtual environment inside the repository (the Makefile's): what is shown inside the
    hidden repository is bound again after it is emptied."""
    from course.sandbox import mounts

    prefix = tmp_path / "env"
    source = prefix / "src" / "initialization-course"
    for folder in ("helpers", "course", "source", ".venv/bin"):
        (source / folder).mkdir(parents=True)
    (source / "course" / "reference.py").write_text("REFERENCE\n")
    site = prefix / "lib" / "python3.11" / "site-packages"
    _installed(site, ["__editable__.initialization_course-1.0.0.pth",
                      "__editable___initialization_course_1_0_0_finder.py", "../../../bin/course"],
               editable_source=source)
    helpers, venv = str(source / "helpers"), str(source / ".venv")
    steps, masked = mounts.plan((str(prefix), helpers, venv), (helpers,))
    order = {path: i for i, (_, path) in enumerate(steps)}
    assert order[str(prefix)] < order[str(source)] < min(order[helpers], order[venv])
    assert steps[order[helpers]] == ("bind", helpers) and steps[order[venv]] == ("bind", venv)
    assert steps[order[str(source)]] == ("folder", str(source)) and str(source) in masked
    assert steps[order[f"{site}/__editable___initialization_course_1_0_0_finder.py"]][0] == "file"


def test_placeholders_are_made_in_the_sandboxs_runtime_folder_and_the_stub_refuses_the_import(tmp_path):
    from pathlib import Path

    from course.sandbox import mounts

    empty, stub = mounts.placeholders(tmp_path)
    assert Path(empty).read_text() == "" and Path(stub).read_text() == mounts.STUB
    assert mounts.placeholders(tmp_path) == (empty, stub)
    (tmp_path / "path" / "course").mkdir(parents=True)
    (tmp_path / "path" / "course" / "__init__.py").write_text(mounts.STUB)
    result = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tmp_path / 'path')!r})\n"
                             "try:\n    import course.specs.initialization\nexcept ModuleNotFoundError as e:\n"
                             "    print(type(e).__name__, e.name, e)"], capture_output=True, text=True)
    assert result.stdout.strip() == "ModuleNotFoundError course No module named 'course'", result.stderr
