"""A student's set-up needs no root, no apt and none of the instructor's tools, on Linux, macOS or Windows.

Students `pip install .` the folder `course publish` writes into a virtual
environment of their own. Here that folder is built as a wheel, and pip resolves
what that install would bring on Windows and on macOS (only wheels: nothing to
compile), without installing it: every dependency exists for those platforms,
and none of the instructor's packages comes along. (On Linux the folder is
installed for real: tests/integration/test_publish.py.) The wheel carries
Jupyter's settings for students into the environment's ``etc/jupyter/``.
"""

import json
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from course.publish import build
from support import ROOT

pytestmark = pytest.mark.slow

PLATFORMS = ["win_amd64", "macosx_14_0_arm64"]   # Linux: the environment these tests run in
INSTRUCTORS_ONLY = {"pytest", "nbval", "playwright", "pytest-xdist", "psycopg2-binary", "filelock",
                    "rich", "distributed", "dask", "django-static-mathjax", "scikit-learn",
                    "initialization-course"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    dest = tmp_path_factory.mktemp("published") / "students"
    build.publish(ROOT, dest)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(dest),
                    "-w", str(out)], check=True, capture_output=True, timeout=600)
    [built] = out.glob("initialization_course_student-*.whl")
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
        assert {"initialization-course-student", "numpy", "jupyterlab", "nbgrader",
                "threadpoolctl", "ipywidgets"} <= names, platform
        assert not names & INSTRUCTORS_ONLY, f"{platform}: {sorted(names & INSTRUCTORS_ONLY)}"


def test_the_wheel_holds_helpers_and_jupyter_s_settings_for_students(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    version = wheel.name.split("-")[1]
    data = f"initialization_course_student-{version}.data/data/etc/jupyter/"
    assert {f"{data}jupyter_server_config.d/nbgrader_students.json",
            f"{data}labconfig/page_config.d/nbgrader_students.json",
            f"{data}jupyter_server_config.py", f"{data}nbgrader_config.py"} <= set(names)
    modules = {p.name for p in (ROOT / "helpers").glob("*.py")}
    assert {n.split("/", 1)[1] for n in names if n.startswith("helpers/")} == modules
    assert not [n for n in names if n.startswith(("course/", "initialization/", "source/"))]
