"""The instructors' CI files (GitHub, GitLab) run `.ci/run` on a Debian image, and nothing else.

`.ci/run` is the one entry point every CI runs (`make test`). What `make test`
runs on a fresh clone must be on the image already or made by the project itself.
"""

import os
import re
import shlex
import subprocess

import pytest
import yaml

# What python:3.11-bookworm (Debian 12, buildpack-deps with Python 3.11) has on its
# PATH that `make test` and its scripts use; everything else the project installs.
IMAGE_HAS = {"python3", "make", "bash", "touch", "cp", "sed", "grep", "dpkg-query", "apt-get", "id"}
DEBIAN_IMAGE = re.compile(r"^(debian|ubuntu|python:3\.\d+-(bookworm|trixie))(:|$)")
# GitLab's reserved top-level keys: not jobs.
GITLAB_KEYWORDS = {"default", "include", "stages", "variables", "workflow", "image", "services",
                   "cache", "before_script", "after_script"}


def test_github_workflow_runs_ci_run_on_a_debian_image(repo_root):
    workflow = yaml.safe_load((repo_root / ".github" / "workflows" / "ci.yml").read_text())
    assert workflow["jobs"], "the workflow has no job"
    for name, job in workflow["jobs"].items():
        image = job["container"]["image"]
        assert DEBIAN_IMAGE.match(image), f"job {name}: {image} is not a Debian or Ubuntu image"
        runs = [step["run"].strip() for step in job["steps"] if "run" in step]
        uses = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]
        assert runs == [".ci/run"], f"job {name} runs {runs}"
        assert uses == ["actions/checkout"], f"job {name} uses {uses}"


def test_gitlab_pipeline_runs_ci_run_on_a_debian_image(repo_root):
    pipeline = yaml.safe_load((repo_root / ".gitlab-ci.yml").read_text())
    jobs = {k: v for k, v in pipeline.items() if k not in GITLAB_KEYWORDS and not k.startswith(".")}
    assert jobs, "the pipeline has no job"
    for name, job in jobs.items():
        image = job.get("image", pipeline.get("image"))
        assert image and DEBIAN_IMAGE.match(image), f"job {name}: {image} is not Debian or Ubuntu"
        assert job["script"] == [".ci/run"], f"job {name} runs {job['script']}"
        assert not job.get("before_script") and not pipeline.get("before_script")


def test_ci_run_runs_make_test_only(repo_root):
    run = repo_root / ".ci" / "run"
    assert os.access(run, os.X_OK)
    commands = [line.strip() for line in run.read_text().splitlines()[1:]
                if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == "make test"
    assert all(c.split()[0] in {"set", "cd"} for c in commands[:-1]), commands


def _programs(command):
    """The programs a shell command line runs (its first word and each after && ; |)."""
    words = shlex.split(command.replace("\\\n", " "))
    programs, expect = [], True
    for word in words:
        if expect and re.match(r"^\w+=", word):   # an assignment before the program
            continue
        if expect:
            programs.append(word)
        expect = word in {"&&", "||", ";", "|"}
    return programs


def test_make_test_on_a_fresh_clone_needs_only_what_the_image_has(repo_root):
    """`make -n -B test`: every recipe of `make test`, as on a clone with no .venv yet."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    plan = subprocess.run(["make", "--no-print-directory", "-n", "-B", "test"], cwd=repo_root,
                          env=env, capture_output=True, text=True, check=True).stdout
    lines = plan.replace("\\\n", " ").splitlines()
    assert any("pytest" in line for line in lines), plan
    needed = set()
    for line in lines:
        for program in _programs(line):
            if program.startswith((".venv/", "scripts/")):   # made or shipped by the project
                path = repo_root / program
                if program.startswith("scripts/"):
                    assert path.is_file() and os.access(path, os.X_OK), program
                    needed.add(path.read_text().splitlines()[0].split()[-1])   # its interpreter
                continue
            needed.add(program)
    # scripts/install-system-packages (make's system-packages, which the rest waits for)
    # installs system-packages.txt: a program of a package of that name is there too.
    listed = {line.strip() for line in (repo_root / "system-packages.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    missing = needed - IMAGE_HAS - listed
    assert not missing, f"make test needs {sorted(missing)}: not on the image, not installed"


@pytest.mark.parametrize("command, programs", [
    ("python3 -m venv .venv", ["python3"]),
    ("A=1 make x && touch y | grep z", ["make", "touch", "grep"]),
])
def test_programs_reads_command_lines(command, programs):
    assert _programs(command) == programs


def test_the_files_that_start_first_exist(repo_root):
    """START_FIRST names files by path: a moved or renamed file must be named anew."""
    from support.order import START_FIRST

    missing = [name for name in START_FIRST if not (repo_root / "tests" / name).is_file()]
    assert not missing, f"tests/support/order.py START_FIRST names files that do not exist: {missing}"
