"""`course gradescope`: the autograder zip, and what its setup.sh would install on Ubuntu 22.04.

setup.sh is not run here (it needs Gradescope's image and the network); what it would
install is checked instead: each apt package against the names Ubuntu 22.04 ("jammy",
Gradescope's default base image) has, each pinned Python distribution against what is
installed here and against what pip can install on jammy (its glibc and Python), and
the course's wheel against the digests the bundle carries (the container refuses to
grade with other files).
"""

import html
import io
import json
import re
import shlex
import subprocess
import zipfile
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name

from support import ASSIGNMENT, copy_course, make_course
from course import cli
from course.gradescope import build

#: Ubuntu 22.04 (jammy) packages setup.sh may name, with the version jammy (or
#: jammy-updates) carries and its component: the facts of Ubuntu's archive
#: (packages.ubuntu.com/jammy). Python 3.12 is not among them: jammy has 3.10 and 3.11.
JAMMY = {
    "python3.10": ("3.10.12", "main"), "python3.10-venv": ("3.10.12", "main"),
    "python3.11": ("3.11.0", "universe"), "python3.11-venv": ("3.11.0", "universe"),
    "python3.11-dev": ("3.11.0", "universe"), "python3-pip": ("22.0.2", "universe"),
    "bubblewrap": ("0.6.1", "main"), "util-linux": ("2.37.2", "main"),
    "ca-certificates": ("20230311", "main"), "acl": ("2.3.1", "main"),
    "iproute2": ("5.15.0", "main"), "openssl": ("3.0.2", "main"),
}
#: jammy's C library (libc6 2.35): the newest manylinux wheels pip installs there.
JAMMY_GLIBC = (2, 35)


def jammy_tags(python=(3, 11)):
    """The wheel tags pip accepts on jammy x86_64 with CPython ``python``."""
    platforms = [f"manylinux_2_{minor}_x86_64" for minor in range(JAMMY_GLIBC[1], 4, -1)]
    platforms += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64",
                  "linux_x86_64"]
    return set(cpython_tags(python, platforms=platforms)) | set(
        compatible_tags(python, platforms=platforms))


def apt_packages(setup_sh):
    """The packages of every ``apt-get install`` line of ``setup_sh``."""
    names = []
    for line in setup_sh.splitlines():
        words = shlex.split(line, comments=True)
        if words[:2] == ["apt-get", "install"]:
            names += [w for w in words[2:] if not w.startswith("-")]
    return names


@pytest.fixture(scope="module")
def released(tmp_path_factory, released_course):
    return copy_course(released_course, tmp_path_factory.mktemp("gradescope-zip") / "course")


@pytest.fixture(scope="module")
def archive(released):
    cli.main(["--root", str(released), "gradescope", ASSIGNMENT, "-o",
              str(released / "autograder.zip")])
    return zipfile.ZipFile(released / "autograder.zip")


def test_the_zip_has_setup_and_run_autograder_at_its_root_executable(archive):
    names = archive.namelist()
    assert {"setup.sh", "run_autograder"} <= set(names)
    for name in ("setup.sh", "run_autograder"):
        info = archive.getinfo(name)
        assert info.external_attr >> 16 & 0o111 == 0o111, name
        assert archive.read(name).startswith(b"#!/usr/bin/env bash\n")
        check = subprocess.run(["bash", "-n"], input=archive.read(name), capture_output=True)
        assert check.returncode == 0, check.stderr


def test_the_zip_carries_the_release_and_no_solution(archive, released):
    import nbformat

    names = set(archive.namelist())
    release = released / "release" / ASSIGNMENT
    for path in release.iterdir():
        assert archive.read(f"bundle/files/release/{ASSIGNMENT}/{path.name}") == path.read_bytes()
    assert not [n for n in names if n.startswith("bundle/files/source/") and n.endswith(".ipynb")]
    solutions = []
    for path in (released / "source" / ASSIGNMENT).glob("*.ipynb"):
        solutions += [cell.source.split("### START CODE HERE ###")[1].split("### END CODE HERE")[0]
                      for cell in nbformat.read(path, as_version=4).cells
                      if cell.cell_type == "code" and "### START CODE HERE ###" in cell.source]
    assert len(solutions) >= 7
    text = "\n".join(archive.read(n).decode("utf-8", "replace") for n in names
                     if not n.startswith("wheels/"))
    for solution in solutions:
        assert solution.strip() not in text, solution


def test_the_wheel_holds_the_files_the_bundle_vouches_for(archive):
    """The container grades only with the packages whose digests the bundle carries."""
    import hashlib

    bundle = json.loads(archive.read("bundle/bundle.json"))
    wheel_name, = [n for n in archive.namelist() if n.startswith("wheels/")]
    wheel = zipfile.ZipFile(io.BytesIO(archive.read(wheel_name)))
    digests = {"course": {}, "helpers": {}}
    for name in wheel.namelist():
        package, _, rel = name.partition("/")
        if package == "course" or package == "helpers" and "/" not in rel and rel.endswith(".py"):
            digests[package][rel] = hashlib.sha256(wheel.read(name)).hexdigest()
    assert digests == bundle["packages"]
    assert "course/gradescope/files/run_autograder" in wheel.namelist()
    entry = wheel.read(next(n for n in wheel.namelist() if n.endswith("entry_points.txt")))
    assert b"course = course.__main__:main" in entry


def test_setup_sh_installs_only_packages_ubuntu_22_04_has(archive):
    setup = archive.read("setup.sh").decode()
    wanted = apt_packages(setup)
    assert set(wanted) >= {"bubblewrap", "util-linux", "python3.11", "python3.11-venv"}
    unknown = [name for name in wanted if name not in JAMMY]
    assert not unknown, f"not packages of Ubuntu 22.04: {unknown}"
    assert apt_packages("apt-get install -y python3.12 bubblewrap") == ["python3.12", "bubblewrap"]
    assert "python3.12" not in JAMMY    # the check would refuse a Python jammy does not have


def test_setup_sh_installs_what_the_zip_carries(archive):
    setup = archive.read("setup.sh").decode()
    names = set(archive.namelist())
    for path in re.findall(r'"\$SOURCE/([^"]+)"', setup):
        assert path in names, path
    assert "--no-deps -r \"$SOURCE/requirements.txt\"" in setup


def test_requirements_pin_every_dependency_to_the_version_that_built_the_zip(archive):
    pinned = {}
    for line in archive.read("requirements.txt").decode().split():
        name, version = line.split("==")
        pinned[canonicalize_name(name)] = version
        assert metadata.version(name) == version, name
    # closed: every requirement of a pinned distribution (and of the course's) is pinned,
    # at a version it accepts, unless this environment goes without it too
    for name in [build.DISTRIBUTION, *pinned]:
        for text in metadata.distribution(name).requires or []:
            req = Requirement(text)
            if req.marker and not req.marker.evaluate({"extra": ""}):
                continue
            key = canonicalize_name(req.name)
            if key not in pinned:
                with pytest.raises(metadata.PackageNotFoundError):
                    metadata.distribution(req.name)
                continue
            assert req.specifier.contains(pinned[key], prereleases=True), (name, text)
    for must in ("nbgrader", "numpy", "ipykernel", "jsonschema", "distributed"):
        assert must in pinned, must


def test_every_pinned_wheel_installs_on_ubuntu_22_04(archive):
    """pip on jammy (glibc 2.35, CPython 3.11, x86_64) takes the wheels this environment runs."""
    accepted = jammy_tags()
    refused = []
    for line in archive.read("requirements.txt").decode().split():
        name = line.split("==")[0]
        wheel = metadata.distribution(name).read_text("WHEEL") or ""
        tags = {Tag(*t.split("-")) for t in re.findall(r"^Tag: (\S+)$", wheel, re.M)}
        if tags and not tags & accepted:
            refused.append(f"{name}: {sorted(map(str, tags))}")
    assert not refused, refused
    assert Tag("cp311", "cp311", "manylinux_2_36_x86_64") not in accepted


def test_the_manifest_names_cells_as_the_feedback_does(archive, graded_demo):
    manifest = json.loads(archive.read("gradescope.json"))
    assert manifest["time_limit"] == 600 and manifest["if_no_sandbox"] == "refuse"
    for nb in manifest["notebooks"]:
        page = (graded_demo / "feedback" / "alice" / ASSIGNMENT / f"{nb['name']}.html").read_text()
        shown = [html.unescape(f"{title}: {checks.strip()}") for title, checks in re.findall(
            r'<li><a href="#[^"]+"><span class="exercise">(.*?)</span>: (.*?)\s*<code>', page)]
        assert [f"{c['title']}: {c['checks']}" for c in nb["cells"]] == shown


def test_the_zip_is_refused_with_one_line_before_a_release(tmp_path):
    root = make_course(tmp_path / "course")
    with pytest.raises(build.BuildError, match=r"no gradebook at .*gradebook.db; run `course "
                                               r"release` first"):
        build.build(root, ASSIGNMENT, tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()
    with pytest.raises(build.BuildError, match="--if-no-sandbox takes refuse or grade-unsandboxed"):
        build.build(root, ASSIGNMENT, tmp_path / "x.zip", if_no_sandbox="maybe")
