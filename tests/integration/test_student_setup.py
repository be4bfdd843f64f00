"""A student's set-up needs no root, no apt and no test tools, on Linux, macOS or Windows.

The README tells students to `pip install .` into a virtual environment of their
own. Here the course is built as a wheel, and pip resolves what that install
would bring on Windows and on macOS (only wheels: nothing to compile), without
installing it: every dependency exists for those platforms, and none of the
instructor's test tools comes along.
"""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from support import ROOT

pytestmark = pytest.mark.slow

PLATFORMS = ["win_amd64", "macosx_14_0_arm64"]   # Linux: the environment these tests run in
INSTRUCTORS_ONLY = {"pytest", "nbval", "playwright", "pytest-xdist", "psycopg2-binary", "filelock"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(ROOT),
                    "-w", str(out)], check=True, capture_output=True, timeout=600)
    [built] = out.glob("initialization_course-*.whl")
    return built


def _resolve(wheel, platform, tmp_path):
    report = tmp_path / f"{platform}.json"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
         "--only-binary=:all:", "--platform", platform, "--python-version", "3.11",
         "--target", str(tmp_path / platform), "--report", str(report), str(wheel)],
        capture_output=True, text=True, timeout=600)
    return result, report


def test_pip_install_resolves_to_wheels_on_every_platform(wheel, tmp_path):
    with ThreadPoolExecutor(len(PLATFORMS)) as pool:
        results = dict(zip(PLATFORMS, pool.map(lambda p: _resolve(wheel, p, tmp_path), PLATFORMS)))
    for platform, (result, report) in results.items():
        assert result.returncode == 0, f"{platform}: {result.stderr[-2000:]}"
        names = {item["metadata"]["name"].lower()
                 for item in json.loads(report.read_text())["install"]}
        assert {"initialization-course", "numpy", "jupyterlab", "nbgrader", "threadpoolctl"} <= names, platform
        assert not names & INSTRUCTORS_ONLY, f"{platform}: {sorted(names & INSTRUCTORS_ONLY)}"
