"""Every command of README.md runs, so that none goes stale.

The commands are the lines of the README's fenced ```bash blocks (a line ending
in a backslash continues on the next). Each `## ` section of the README is one
test: its blocks run in order as one bash script (`set -euo pipefail`), as a
reader's shell would run them one after the other, in a fresh temporary copy of
the course. The copy has its own `.venv/` made of links to this checkout's
environment, so `make venv` finds it installed and `source .venv/bin/activate`
works; the environment's scripts are NOT on PATH unless a command puts them
there. A section added to the README is picked up without a change here.

The copy's demo class (``submitted/`` and the LMS download made from it) is handed
in lean: without the notebooks' ungraded code cells (training runs and plots, which
no test cell depends on), so that the sections that grade it take a third of the
time. What is checked here is that the commands run and leave what they should;
the grades of the whole notebooks are checked on ``graded_demo`` (test_grading.py),
with the same pipeline.

A command that must not run here is listed in NOT_RUN with the reason, and
where it is exercised instead. A listed pattern that no longer matches any
command of the README fails a test, so the list cannot go stale either. The
students' section (ELSEWHERE) runs in a folder made by `course publish`, not
in a copy of the course: students never get this repository.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course.submissions import lms_archive
from course.submissions.build import lean
from support import ASSIGNMENT, ROOT
from support.readme import sections, without_comment

README = ROOT / "README.md"
SECTION_TIMEOUT = 1200  # seconds for all the commands of one section

# Commands of the README that this test does not run: (pattern, why, where instead).
# A pattern is a regular expression searched in the command (comments removed).
NOT_RUN = [
    (r"^make test$",
     "it is the test suite itself: running it from a test would recurse",
     "CI runs it (.ci/run)"),
    (r"^course mutants\b",
     "it grades the whole mistake catalogue (about 40 submissions, minutes)",
     "tests/integration/test_catalogue.py grades the same catalogue with the same code (packed)"),
    (r"^nbgrader (submit|fetch_assignment|release_assignment|collect|release_feedback)\b",
     "it needs the JupyterHub's shared exchange folder",
     "tests/integration/test_collect.py runs release, fetch, submit, collect with a temporary exchange"),
    (r"^(groupadd|useradd|chpasswd|chgrp|mkdir -p /srv/|install -d .*/srv/|python3 -m venv /opt/|/opt/)",
     "it makes accounts, folders and environments of the machine's, as root (the hub's setup)",
     "tests/e2e/test_hub.py makes the same, for the run, and removes them (support.hub)"),
    (r"^COURSE_HUB_INSTRUCTORS=\S+ jupyterhub\b",
     "it starts JupyterHub, which runs until it is stopped",
     "tests/e2e/test_hub.py starts hub/jupyterhub_config.py on loopback and drives it in Chromium"),
]

# Sections whose commands are a student's, run in the folder students get (not in a copy
# of this course): section -> where they run.
ELSEWHERE = {
    "For students": "tests/support/published.py runs them in a folder `course publish` wrote, "
                    "as its own README gives them (student_install); "
                    "tests/integration/test_publish.py checks they are the same commands",
}

# What a section must leave behind in its copy of the course, besides running.
LEAVES = {
    "For instructors": ["gradebook.db", "grades.csv", "scores.csv",
                        "../initialization-students/initialization/Initialization.ipynb",
                        "feedback/alice/initialization/Initialization.html",
                        "submitted/emeka/initialization/Initialization.ipynb",
                        "reports/initialization/report.html",
                        "reports/initialization/mistakes.csv",
                        "submitted/dmitri/initialization/timestamp.txt", "extensions.csv",
                        "canvas-grades.csv", "moodle-grades.csv"],
    "Two commands": ["grades.csv"],
    "Grading on Gradescope": ["gradescope-initialization.zip"],
}

# Left out of the copy: environments, caches and what grading writes (the last, only at
# the top: course/feedback/templates/ is the course's own).
_ANYWHERE = shutil.ignore_patterns(".git", ".venv", ".pytest_cache", "__pycache__", "*.egg-info",
                                   ".ipynb_checkpoints", "build", "node_modules")
_AT_THE_TOP = {"test-artifacts", "gradebook.db", "grades.csv", "feedback", "downloaded",
               "reports", "extensions.csv", "roster.csv", "canvas-grades.csv", "moodle-grades.csv"}


def IGNORED(folder, names):
    ignored = set(_ANYWHERE(folder, names))
    if Path(folder) == ROOT:
        ignored |= _AT_THE_TOP & set(names)
    return ignored


def not_run(command):
    """The reason a command is not run, or None."""
    for pattern, why, instead in NOT_RUN:
        if re.search(pattern, without_comment(command)):
            return f"{why}; {instead}"
    return None


def course_copy(tmp_path):
    """A copy of the course with a .venv/ of links to this checkout's environment."""
    copy = tmp_path / "course"
    shutil.copytree(ROOT, copy, ignore=IGNORED, symlinks=True)
    real = Path(sys.prefix)
    venv = copy / ".venv"
    venv.mkdir()
    for entry in real.iterdir():
        if entry.name != ".installed":
            (venv / entry.name).symlink_to(entry)
    (venv / ".installed").touch()  # newer than pyproject.toml: make sees it installed
    for path in (copy / "submitted").rglob("*.ipynb"):
        nbformat.write(lean(nbformat.read(path, as_version=4)), path)
    lms_archive.write_archive(copy / "submitted", ASSIGNMENT, copy / "demo" / "lms" / "submissions.zip")
    return copy


def environment(tmp_path):
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {k: v for k, v in os.environ.items()
           if k != "VIRTUAL_ENV" and not k.startswith(("JUPYTER", "JPY_", "NBGRADER", "PYTEST"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and os.path.realpath(p) != os.path.realpath(venv_bin))
    env["HOME"] = str(tmp_path / "home")
    (tmp_path / "home").mkdir()
    return env


def script(commands):
    lines = ["set -euo pipefail"]
    for number, command in enumerate(commands):
        reason = not_run(command)
        lines.append(f"echo '@@ README command {number}' >&2")
        lines.append(f": not run: {reason!r}" if reason else command)
    return "\n".join(lines) + "\n"


README_SECTIONS = sections(README.read_text())


def test_readme_has_commands_for_each_kind_of_user():
    for heading in ("Two commands", "For students", "For instructors", "For maintainers"):
        assert README_SECTIONS.get(heading), f"README.md: no bash commands under '## {heading}'"


def test_every_section_run_elsewhere_is_still_in_the_readme():
    assert set(ELSEWHERE) <= set(README_SECTIONS)


def test_every_command_not_run_is_still_in_the_readme():
    commands = [without_comment(c) for heading, cs in README_SECTIONS.items()
                if heading not in ELSEWHERE for c in cs]
    for pattern, why, _ in NOT_RUN:
        assert any(re.search(pattern, c) for c in commands), (
            f"NOT_RUN lists {pattern!r} ({why}), which matches no command of README.md: "
            f"remove it from the list")


def test_sections_reads_continuations_and_skips_comments():
    text = "## A\n\n```bash\n# a comment\nmake x \\\n  --flag   # why\n```\n\n## B\n```python\nno\n```\n"
    assert sections(text) == {"A": ["make x --flag   # why"]}


@pytest.mark.slow
@pytest.mark.parametrize("heading", sorted(set(README_SECTIONS) - set(ELSEWHERE)))
def test_readme_section_commands_run(tmp_path, heading):
    commands = README_SECTIONS[heading]
    copy = course_copy(tmp_path)
    result = subprocess.run(["bash", "-c", script(commands)], cwd=copy, env=environment(tmp_path),
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=SECTION_TIMEOUT)
    if result.returncode != 0:
        ran = re.findall(r"^@@ README command (\d+)$", result.stderr, re.MULTILINE)
        failed = commands[int(ran[-1])] if ran else "(before the first command)"
        output = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        pytest.fail(f"README.md, section '{heading}': the command\n    {failed}\n"
                    f"exited with {result.returncode} in a copy of the course. Its output "
                    f"ends:\n{output}", pytrace=False)
    for path in LEAVES.get(heading, []):
        assert (copy / path).exists(), (
            f"README.md, section '{heading}': its commands ran but left no {path}")
