"""The grader's matplotlib font list, shared read-only with every sandboxed kernel.

Each kernel starts with an empty $HOME; without the grader's list, matplotlib
would scan the system's fonts and write a list of its own in every kernel
(``course.sandbox.kernel.matplotlib_font_list``).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course.sandbox import kernel

PROBE = Path(__file__).parents[1] / "support" / "sandbox_probe.py"
# What the kernel sees: did matplotlib read the list or build one, and can the kernel
# change the list (which every kernel of the grading process is shown)?
FONTS = """
import glob, io, logging, os
stream = io.StringIO()
log = logging.getLogger("matplotlib.font_manager")
log.addHandler(logging.StreamHandler(stream))
log.setLevel(logging.INFO)
import matplotlib.font_manager
print("rebuilt" if "generated new fontManager" in stream.getvalue() else "read")
print(len(matplotlib.font_manager.fontManager.ttflist) > 0)
[path] = glob.glob(os.path.expanduser("~/.matplotlib/fontlist-v*.json"))
for attempt in (lambda: open(path, "a"), lambda: os.remove(path)):
    try:
        attempt()
        print("changed")
    except OSError:
        print("refused")
open(os.path.expanduser("~/.matplotlib/scratch"), "w").write("x")
print("folder writable")
"""


def _kernel_output(tmp_path, code):
    (tmp_path / "work").mkdir()
    result = subprocess.run([sys.executable, str(PROBE), str(tmp_path / "work"), code],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])["stdout"].split()


def test_kernel_reads_the_graders_font_list_and_cannot_change_it(tmp_path):
    assert _kernel_output(tmp_path, FONTS) == [
        "read", "True", "refused", "refused", "folder", "writable"]


def test_the_font_list_is_built_once_per_grading_process():
    first = kernel.matplotlib_font_list()
    assert first is not None and Path(first).name.startswith("fontlist-v")
    assert json.loads(Path(first).read_text())["ttflist"]
    assert kernel.matplotlib_font_list() == first


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """A cache folder of the test's own; the process's font list forgotten before and after."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    kernel.matplotlib_font_list.cache_clear()
    yield tmp_path / "cache"
    kernel.matplotlib_font_list.cache_clear()


def test_the_list_is_kept_in_the_users_cache_and_reused_by_the_next_grader(cache_home,
                                                                           monkeypatch):
    built = Path(kernel.matplotlib_font_list())
    folder = built.parent
    assert folder.parent == cache_home / "course"
    assert folder.name.startswith("matplotlib-") and folder.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in folder.iterdir()] == [built.name]   # no build folder left
    # the next grading process finds it: it builds nothing
    kernel.matplotlib_font_list.cache_clear()
    monkeypatch.setattr(kernel, "_build_font_list", lambda folder: pytest.fail("built again"))
    assert Path(kernel.matplotlib_font_list()) == built


def test_a_cache_others_can_write_to_is_not_used(cache_home):
    """Every kernel is shown the list: a folder someone else could fill is not read."""
    shared = cache_home / "course"
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    found = Path(kernel.matplotlib_font_list())
    assert found.name.startswith("fontlist-v")
    assert found.parent.name.startswith("course-matplotlib-")   # the process's own, in /tmp
    assert not list(shared.rglob("fontlist-v*.json"))
