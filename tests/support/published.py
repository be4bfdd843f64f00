"""The students' distribution, published with `course publish` and installed as its README says.

The README's commands run one after the other in the published folder, as a
student's shell runs them: a fresh virtual environment made by the machine's
own ``python3``, ``pip install .`` from the registry (none of the instructor's
packages, nothing of this checkout's environment), then ``nbgrader validate``.
The environment they run in has nothing of the instructor's: this checkout's
``.venv/bin`` is not on PATH, no ``VIRTUAL_ENV``, a home of its own (so no
user-level Jupyter settings), pip's download cache kept.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from support import ROOT
from support.readme import sections, without_comment

FOLDER = "initialization-students"
INSTALL_TIMEOUT = 1800   # seconds for all the README's commands (pip downloads included)

# Commands of the students' README that are not run here: (pattern, why, where instead).
NOT_RUN = [
    (r"\bjupyter lab\b",
     "it starts a server that runs until it is stopped",
     "tests/e2e/test_published_student.py starts the same JupyterLab of the installed folder"),
    (r"^conda ",
     "no conda channel is reachable from these machines",
     "tests/integration/test_publish.py checks environment.yml against pyproject.toml"),
    (r"^nbgrader submit\b",
     "it needs a JupyterHub's exchange, which the hub's own configuration names",
     "tests/integration/test_collect.py submits through a temporary exchange"),
]


def not_run(command):
    """The reason a command of the students' README is not run, or None."""
    for pattern, why, instead in NOT_RUN:
        if re.search(pattern, without_comment(command)):
            return f"{why}; {instead}"
    return None


def readme_commands(dest):
    """Every command of the published README, in order."""
    return [c for cs in sections((Path(dest) / "README.md").read_text()).values() for c in cs]


def student_environment(home):
    """A shell environment with nothing of the instructor's (see the module's docstring)."""
    venv_bin = os.path.realpath(Path(sys.prefix) / "bin")
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
           and not k.startswith(("JUPYTER", "JPY_", "NBGRADER", "PYTEST"))}
    path = [p for p in env.get("PATH", "").split(os.pathsep)
            if p and os.path.realpath(p) != venv_bin]
    # `python3` is the interpreter this checkout's environment was made from, found first.
    base = Path(os.path.realpath(sys._base_executable)).parent
    env["PATH"] = os.pathsep.join([str(base), *path])
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR",
                                          str(Path.home() / ".cache" / "pip"))
    env["HOME"] = str(home)
    Path(home).mkdir(parents=True, exist_ok=True)
    return env


def publish_and_install(folder):
    """Publish the course into ``folder/initialization-students`` and run its README there.

    Returns the published folder; the commands' output is in ``folder/readme-commands.log``.

    Raises
    ------
    AssertionError
        If publishing fails, or a command of the README exits non-zero.
    """
    folder = Path(folder)
    dest = folder / FOLDER
    published = subprocess.run([sys.executable, "-m", "course", "--root", str(ROOT), "publish",
                                str(dest)], capture_output=True, text=True, timeout=600,
                               stdin=subprocess.DEVNULL)
    assert published.returncode == 0, f"course publish failed:\n{published.stdout}{published.stderr}"
    lines = ["set -euo pipefail"]
    for number, command in enumerate(readme_commands(dest)):
        reason = not_run(command)
        lines.append(f"echo {shlex.quote(f'@@ README command {number}: {command}')}")
        lines.append(f": not run: {reason!r}" if reason else command)
    result = subprocess.run(["bash", "-c", "\n".join(lines) + "\n"], cwd=dest,
                            env=student_environment(folder / "home"), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=INSTALL_TIMEOUT)
    (folder / "readme-commands.log").write_text(result.stdout)
    assert result.returncode == 0, (
        f"the students' README: a command exited with {result.returncode} in {dest}; "
        f"the output ends:\n" + "\n".join(result.stdout.splitlines()[-30:]))
    return dest
