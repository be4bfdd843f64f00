"""The conda/Binder environment and the pip requirements name the same packages."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml


def _name(requirement):
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def _versions(requirement):
    """The version constraint, in pip's spelling (conda writes == as =)."""
    spec = requirement.strip()[len(_name(requirement)):].strip()
    return re.sub(r"^=(?=[^=])", "==", spec)


def test_environment_yml_matches_pyproject(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    wanted = {_name(r): _versions(r) for r in project["dependencies"]}
    named = {_name(d): _versions(d) for d in conda if _name(d) not in ("python", "pip")}
    from_pip = {_name(d): _versions(d) for d in pip_section if not d.startswith("-")}
    assert not named.keys() & from_pip.keys(), "a package listed for both conda and pip"
    assert {**named, **from_pip} == wanted
    assert "pip" in map(_name, conda), "Binder needs pip listed to install the course package"
    assert "-e ." in pip_section, "environment.yml must install the course's own packages"


# -- Binder (repo2docker) and JupyterLab's extensions ---------------------------------

def test_environment_yml_follows_repo2docker_conventions(repo_root):
    """repo2docker reads environment.yml at the root; with a local pip entry (`-e .`)
    it stages the whole repository before installing, so the course installs."""
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    python = [d for d in conda if _name(d) == "python"]
    assert python and re.fullmatch(r"python=3\.\d+", python[0]), (
        "repo2docker only honours an exact python=X.Y")
    assert not (repo_root / "binder").exists() and not (repo_root / ".binder").exists(), (
        "a binder/ folder would make repo2docker ignore the root environment.yml")
    assert {"jupyterlab", "nbgrader"} <= set(map(_name, conda))


def _jupyter(repo_root, *args):
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_")}
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    result = subprocess.run([sys.executable, "-m", "jupyter", *args], cwd=repo_root, env=env,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)


@pytest.fixture(scope="module")
def server_extensions(repo_root):
    return _jupyter(repo_root, "server", "extension", "list")


@pytest.mark.parametrize("extension", [
    "nbgrader.server_extensions.validate_assignment",   # students' Validate button
    "nbgrader.server_extensions.assignment_list",       # students' Assignments tab
    "nbgrader.server_extensions.course_list",
    "nbgrader.server_extensions.formgrader",            # instructors' formgrader
])
def test_nbgrader_server_extension_is_enabled(server_extensions, extension):
    listing = server_extensions
    assert re.search(rf"^\s*{re.escape(extension)} enabled\s*$", listing, re.MULTILINE), listing
    assert re.search(rf"^\s*{re.escape(extension)}\s+OK\s*$", listing, re.MULTILINE), listing


def test_nbgrader_lab_extension_is_enabled(repo_root):
    listing = _jupyter(repo_root, "labextension", "list")
    import nbgrader
    assert re.search(rf"@jupyter/nbgrader v{re.escape(nbgrader.__version__)} enabled\s+OK",
                     listing), listing


# -- the Makefile's venv goes without rfc3987-syntax (see the Makefile) -------------

def test_nbformat_imports_without_building_iri_parsers_and_still_validates(repo_root):
    if Path(sys.prefix).resolve() != (repo_root / ".venv").resolve():
        pytest.skip("not the Makefile's .venv, which leaves out rfc3987-syntax")
    probe = ("import sys, nbformat\n"
             "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
             "nbformat.validate(nb)\n"
             "nb.cells[0].source = 7\n"
             "try:\n"
             "    nbformat.validate(nb)\n"
             "except nbformat.ValidationError:\n"
             "    print('invalid refused')\n"
             "print('rfc3987_syntax' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.split("\n")[:2] == ["invalid refused", "False"], result.stdout


def test_widgets_lab_extension_comes_with_ipywidgets(repo_root):
    """The explorer of Gradients.ipynb needs JupyterLab's widget manager, which
    ipywidgets brings as jupyterlab_widgets."""
    listing = _jupyter(repo_root, "labextension", "list")
    assert re.search(r"@jupyter-widgets/jupyterlab-manager v\S+ enabled\s+OK", listing), listing
