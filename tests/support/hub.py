"""A real JupyterHub on 127.0.0.1: Unix accounts made for the run, PAM, each server as its user.

:class:`Accounts` makes the instructor and the students as an administrator would
(``useradd`` with a private home, a password set with ``chpasswd``, a Unix group for
the students) and removes them, their homes, their processes and the group
afterwards, whatever happened. :func:`server_environments` gives their servers the
two Python environments ``hub/jupyterhub_config.py`` expects (the students' without
the ``course`` package, the instructor's with it) without installing anything: the
grading venv's packages, let in with access-control entries for those accounts alone
(``support.nonroot``), since the checkout may be a private folder. :class:`Hub`
starts ``jupyterhub`` as root with the course's own configuration, loaded whole
(``load_subconfig``), on free loopback ports, waits until it answers, checks with
``ss`` that it and everything it started listen on loopback only, and stops it by its
pid (JupyterHub then stops the proxy and every user's server).
"""

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import ROOT
from .nonroot import close_to, open_to
from .sockets import assert_loopback_only

HUB = ROOT / "hub"
PROXY = HUB / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE = "initialization-course"
HUB_START = 120          # seconds for the hub (and its proxy) to answer
HUB_STOP = 60            # seconds for it to stop every server and the proxy


def proxy_missing_message():
    return (f"{PROXY} not found: the hub tests run JupyterHub's configurable-http-proxy "
            f"from npm (hub/package.json; `make hub` or `make test` installs it with npm ci)")


@dataclass(frozen=True)
class Account:
    """One Unix account of the run: its login, its password and its home."""

    name: str
    password: str
    uid: int
    gid: int
    home: Path


class Accounts:
    """Unix accounts and a group made for one run; :meth:`remove` takes them all away.

    Every name ends with the run's ``tag`` (a few random letters), so that two runs
    on one machine never share an account, and no account of the machine is touched.
    Homes are private (``HOME_MODE=0700``): Debian's ``useradd`` would make them
    readable by every account.
    """

    def __init__(self, tag):
        self.tag = tag
        self.made = []
        self.groups = []

    def group(self, name):
        """Make the Unix group ``<name><tag>``; return its name."""
        group = f"{name}{self.tag}"
        subprocess.run(["groupadd", group], check=True, capture_output=True)
        self.groups.append(group)
        return group

    def add(self, name, groups=()):
        """Make the account ``<name><tag>`` with a private home and a random password."""
        login = f"{name}{self.tag}"
        subprocess.run(["useradd", "--create-home", "--home-dir", f"/home/{login}",
                        "--shell", "/bin/bash", "--user-group", "-K", "HOME_MODE=0700",
                        *(["--groups", ",".join(groups)] if groups else []), login],
                       check=True, capture_output=True)
        self.made.append(login)
        password = secrets.token_urlsafe(12)
        subprocess.run(["chpasswd"], input=f"{login}:{password}\n", text=True, check=True,
                       capture_output=True)
        entry = pwd.getpwnam(login)
        return Account(login, password, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir))

    def remove(self):
        """End the accounts' processes (by pid), delete the accounts, their homes and the groups."""
        import psutil

        uids = set()
        for login in self.made:
            try:
                uids.add(pwd.getpwnam(login).pw_uid)
            except KeyError:
                pass
        for attempt in range(3):
            left = [p for p in psutil.process_iter(["uids"])
                    if p.info["uids"] and p.info["uids"].real in uids]
            if not left:
                break
            for process in left:
                try:
                    process.send_signal(signal.SIGTERM if attempt == 0 else signal.SIGKILL)
                except psutil.NoSuchProcess:
                    pass
            psutil.wait_procs(left, timeout=10)
        problems = []
        for login in self.made:
            done = subprocess.run(["userdel", "--remove", login], capture_output=True, text=True)
            if done.returncode not in (0, 6):   # 6: no such user (already gone)
                problems.append(f"userdel {login}: {done.stderr.strip()}")
        for group in self.groups:
            subprocess.run(["groupdel", group], capture_output=True)
        self.made, self.groups = [], []
        if problems:
            raise RuntimeError("; ".join(problems))


def run_as(account, args, *, cwd=None, env=None, check=True, timeout=600):
    """Run ``args`` as ``account`` (its ids and groups, its ``HOME``): the completed process.

    A non-zero exit raises, with the output, where ``check``.
    """
    environment = {"HOME": str(account.home), "USER": account.name, "LOGNAME": account.name,
                   "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}
    environment.update(env or {})
    done = subprocess.run(["setpriv", f"--reuid={account.uid}", f"--regid={account.gid}",
                           "--init-groups", "--reset-env", "--", "env",
                           *(f"{k}={v}" for k, v in environment.items()), *map(str, args)],
                          cwd=cwd or account.home, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} as {account.name} exited "
                             f"{done.returncode}:\n{done.stdout}{done.stderr}")
    return done


#: The commands of an environment's ``bin/``, each the module it runs.
COMMANDS = {"jupyterhub-singleuser": "jupyterhub.singleuser", "jupyter": "jupyter",
            "nbgrader": "nbgrader", "alembic": "alembic"}


def site_packages():
    """The grading venv's ``site-packages``: what the run's environments import."""
    return Path(next(p for p in sys.path if p.endswith("site-packages")
                     and p.startswith(sys.prefix)))


def interpreter():
    """The grading venv's own interpreter (its file, not the venv's link to it).

    The environments run it, not another Python of the same minor version: the
    venv's packages may need its patch release (soupsieve 4.1 needs 3.11.5, Debian
    12's is 3.11.2, and nbconvert's HTML export fails on the older one). It may lie
    where other accounts cannot go (``/root/.pyenv``): they are let in (``open_to``).
    """
    return Path(os.path.realpath(sys._base_executable))


def _shared():
    """What the accounts' servers read of this machine's Python: the interpreter, the venv's packages,
    Jupyter data and settings."""
    return [interpreter(), site_packages(), Path(sys.prefix) / "share" / "jupyter",
            Path(sys.prefix) / "etc" / "jupyter"]


def server_environments(base, instructor, students):
    """The students' and the instructor's Python environments in ``base``: ``(student, instructor)``.

    Each is a virtual environment of the grading venv's interpreter (:func:`interpreter`), with
    ``bin/jupyterhub-singleuser``, ``jupyter``, ``nbgrader`` (and ``course`` for the
    instructor) and a copy of ``helpers`` (and ``course``) in ``lib/``; the grading
    venv's packages come through a ``.pth`` file, and its Jupyter data and settings
    (``share/jupyter``, ``etc/jupyter``: JupyterLab's pages, nbgrader's extensions)
    through links. The students' reads the packages' folder as a plain path: the
    editable install's finder there, which maps ``course`` to the checkout, is never
    run, so ``import course`` fails in a student's server as where only the published
    distribution is installed. The instructor's belongs to the instructor alone.
    Access-control entries let the accounts into the grading venv's folders;
    :func:`close_environments` takes them away.
    """
    site = site_packages()
    for account in (instructor, *students):
        for path in _shared():
            why = open_to(path, f"u:{account.name}")
            if why is not None:
                raise RuntimeError(f"the grading venv ({path}): {why}")
    made = {}
    for name, packages, owner in (("student", ("helpers",), None),
                                  ("instructor", ("helpers", "course"), instructor)):
        env = base / name
        _environment(env, site, packages)
        if owner is not None:
            subprocess.run(["chown", "-R", f"{owner.uid}:{owner.gid}", str(env)], check=True)
            env.chmod(0o700)
        made[name] = env
    return made["student"], made["instructor"]


def close_environments(accounts):
    """Take away the access :func:`server_environments` gave ``accounts`` to the grading venv."""
    for account in accounts:
        for path in _shared():
            close_to(path, f"u:{account.name}")


def _environment(env, site, packages):
    """A virtual environment at ``env`` running the grading venv's packages, ``packages`` copied."""
    subprocess.run([str(interpreter()), "-m", "venv", "--without-pip", str(env)], check=True)
    lib = env / "lib" / "course-packages"
    for package in packages:
        shutil.copytree(ROOT / package, lib / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    pth = env / "lib" / site.parent.name / "site-packages" / "course-environment.pth"
    if "course" in packages:   # the site folder whole, its .pth files run (the editable finder)
        pth.write_text(f"{lib}\nimport site; site.addsitedir({str(site)!r})\n")
    else:                      # its packages only
        pth.write_text(f"{lib}\n{site}\n")
    for folder in ("share", "etc"):
        (env / folder).mkdir(exist_ok=True)
        (env / folder / "jupyter").symlink_to(Path(sys.prefix) / folder / "jupyter")
    commands = dict(COMMANDS, **({"course": "course"} if "course" in packages else {}))
    for command, module in commands.items():
        script = env / "bin" / command
        script.write_text(f'#!/bin/sh\nexec {env / "bin" / "python"} -m {module} "$@"\n')
        script.chmod(0o755)
    for path in [env, *env.rglob("*")]:
        if not path.is_symlink():
            os.chmod(path, 0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    return env / "bin" / "python"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    """``jupyterhub`` with the course's configuration, on free ports of 127.0.0.1.

    ``settings`` are the ``COURSE_HUB_*`` variables ``hub/jupyterhub_config.py``
    reads (environments, exchange, Jupyter settings, who logs in). The hub's
    database, cookie secret, the proxy's pid file and the log are written to
    ``folder`` (root's alone). Use as a context manager: stopped by its pid on exit.
    """

    def __init__(self, folder, settings):
        self.folder = Path(folder)
        self.settings = dict(settings)
        self.port = None
        self.process = None
        self.log = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.port = free_port()
        config = self.folder / "jupyterhub_config.py"
        config.write_text(
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(HUB / 'jupyterhub_config.py')!r})  # noqa: F821\n"
            "# the test's own ports and files; everything else is the course's hub\n"
            f"c.JupyterHub.bind_url = 'http://127.0.0.1:{self.port}'\n"
            f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{free_port()}'\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{free_port()}'\n"
            f"c.JupyterHub.db_url = 'sqlite:///{self.folder / 'jupyterhub.sqlite'}'\n"
            f"c.JupyterHub.cookie_secret_file = {str(self.folder / 'cookie_secret')!r}\n"
            f"c.ConfigurableHTTPProxy.pid_file = {str(self.folder / 'proxy.pid')!r}\n")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "JPY_", "NBGRADER_", "COURSE_HUB_"))}
        env.update(self.settings)
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        self.log = open(self.folder / "jupyterhub.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=self.folder, env=env,
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + HUB_START
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub exited (code {self.process.returncode}) before "
                                   f"answering on {self.url}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api/", timeout=5) as response:
                    if response.status == 200:
                        assert_loopback_only("JupyterHub (with its proxy)", self.process.pid)
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"waited {HUB_START} s for JupyterHub to answer GET "
                           f"{self.url}/hub/api/; it never did. Its log ends:\n{self.log_tail()}")

    def check_loopback(self):
        """Raise unless the hub, its proxy, every server and kernel listen on loopback only."""
        return assert_loopback_only("JupyterHub (its proxy, the users' servers and kernels)",
                                    self.process.pid)

    def log_tail(self, lines=30):
        path = self.folder / "jupyterhub.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self):
        """SIGTERM to the hub (it stops every server and its proxy), SIGKILL if it hangs."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=HUB_STOP)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        pid_file = self.folder / "proxy.pid"
        if pid_file.exists():   # the proxy outlives a hub that was killed
            _end_proxy(pid_file)
        if self.log is not None:
            self.log.close()
            self.log = None


def _end_proxy(pid_file):
    """End the proxy whose pid ``pid_file`` holds, if that process is still the proxy."""
    import psutil

    try:
        proxy = psutil.Process(int(pid_file.read_text().strip()))
        if any("configurable-http-proxy" in part for part in proxy.cmdline()):
            proxy.terminate()
            proxy.wait(timeout=20)
    except (ValueError, psutil.Error):
        pass
