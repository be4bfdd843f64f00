"""The conda/Binder environment and the pip requirements name the same packages."""

import re
import tomllib

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
    assert named == wanted
    assert "pip" in map(_name, conda), "Binder needs pip listed to install the course package"
    assert "-e ." in pip_section, "environment.yml must install the course's own packages"
