"""A real Dask scheduler and workers on 127.0.0.1, started as subprocesses and stopped by pid.

They run as user ``nobody`` when the tests run as root (``support.nonroot``),
with an interpreter and copies of the course packages that user can read
(:func:`interpreter_for_workers`), so that nothing of a course root (kept in
pytest's private temporary folder) reaches them but what the grading tasks
send. Given certificates (``support.tls.Certificates``), they speak TLS only:
``tls://127.0.0.1``. Every socket they listen on, HTTP servers included, is
on loopback, and :meth:`Cluster.start` checks it (``support.sockets``).
"""

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from .nonroot import NOBODY, venv_for_others
from .sockets import assert_loopback_only


def interpreter_for_workers(base):
    """A Python with the course packages in ``base``, which user nobody can run and read.

    nbgrader runs ``alembic`` by name, found beside the interpreter (as pip
    installs it): a script of that name runs the module.
    """
    python, _, _ = venv_for_others(base)
    (python.parent / "alembic").write_text(f"#!/bin/sh\nexec {python} -m alembic \"$@\"\n")
    (python.parent / "alembic").chmod(0o755)
    for path in [base, *base.rglob("*")]:
        if not path.is_symlink():
            os.chmod(path, 0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    return python


class Cluster:
    """``dask scheduler`` and ``workers`` × ``course worker --nthreads 1 --no-nanny``.

    ``course worker`` is ``dask worker`` with the settings of a grading worker
    (``course.grading.cluster.worker``), as the README starts them: without ``--host``, so
    that it listens where ``course worker`` does unless told (127.0.0.1). The
    scheduler is told (``--host 127.0.0.1 --dashboard-address 127.0.0.1:0``):
    ``dask scheduler`` opens an HTTP server on 0.0.0.0:8787 otherwise, even
    with ``--no-dashboard``.

    No nanny: a worker killed stays dead (the scheduler must give its task to
    another), as a host lost would. With ``tls`` (``support.tls.Certificates``),
    the scheduler listens on tls:// only and requires the certificates its CA signed.
    """

    def __init__(self, base, python, workers=2, tls=None):
        self.base = Path(base)
        self.python = str(python)
        self.count = workers
        self.tls = tls
        self.scheduler = None
        self.workers = []
        self.folder = Path(self._mkdtemp())
        self.scheduler_file = self.folder / "scheduler.json"

    def _mkdtemp(self):
        import tempfile

        folder = tempfile.mkdtemp(prefix="cluster-", dir=self.base)
        os.chmod(folder, 0o777)
        return folder

    @property
    def env(self):
        home = self.folder / "home"
        home.mkdir(exist_ok=True)
        os.chmod(home, 0o777)
        return {"PATH": f"{Path(self.python).parent}:/usr/bin:/bin", "HOME": str(home),
                "LANG": "C.UTF-8", "TMPDIR": "/tmp"}

    def _start(self, *args, log):
        user = NOBODY if os.geteuid() == 0 else []
        out = open(self.folder / log, "w")
        return subprocess.Popen([*user, self.python, "-m", *args], env=self.env,
                                cwd=self.folder, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    def start(self, timeout=180):
        tls = ["--protocol", "tls", *self.tls.options("scheduler")] if self.tls else []
        self.scheduler = self._start("dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                                     "--dashboard-address", "127.0.0.1:0", "--no-dashboard",
                                     "--scheduler-file", str(self.scheduler_file), *tls,
                                     log="scheduler.log")
        self._until(lambda: self.scheduler_file.is_file() and self.scheduler_file.stat().st_size,
                    timeout, "the scheduler wrote no scheduler file")
        for _ in range(self.count):
            self.add_worker()
        self._until(lambda: len(self.info()["workers"]) >= self.count, timeout,
                    f"{self.count} workers did not join")
        self.check_loopback()
        return self

    def check_loopback(self):
        """Raise unless the scheduler and every worker listen on loopback only (``ss -ltnup``)."""
        assert_loopback_only("the Dask scheduler", self.scheduler.pid)
        for number, worker in enumerate(self.workers):
            if worker.poll() is None:
                assert_loopback_only(f"Dask worker w{number}", worker.pid)

    def add_worker(self):
        number = len(self.workers)
        local = self.folder / f"worker-{number}"
        local.mkdir()
        os.chmod(local, 0o777)
        self.workers.append(self._start(
            "course", "worker", "--scheduler-file", str(self.scheduler_file), "--nthreads", "1",
            "--no-nanny", "--no-dashboard", "--name", f"w{number}", "--local-directory",
            str(local), *(self.tls.options("worker") if self.tls else []),
            log=f"worker-{number}.log"))

    def _until(self, condition, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.scheduler.poll() is not None:
                raise RuntimeError(f"the scheduler exited: {self.log('scheduler.log')}")
            with contextlib.suppress(OSError, ValueError):
                if condition():
                    return
            time.sleep(0.5)
        raise RuntimeError(f"{what} within {timeout} s: {self.log('scheduler.log')}")

    def log(self, name):
        path = self.folder / name
        return path.read_text()[-3000:] if path.exists() else ""

    def client(self):
        from distributed import Client

        return Client(scheduler_file=str(self.scheduler_file), timeout=30, set_as_default=False,
                      security=self.tls.security() if self.tls else None)

    def info(self):
        with self.client() as client:
            return client.scheduler_info(n_workers=-1)

    def address(self):
        return json.loads(self.scheduler_file.read_text())["address"]

    def stop_scheduler(self, signum=signal.SIGKILL):
        stop_process(self.scheduler, signum)

    def stop(self):
        """Stop every process started, workers first, by pid."""
        for proc in [*self.workers, self.scheduler]:
            if proc is not None:
                stop_process(proc, signal.SIGTERM)


def stop_process(proc, signum=signal.SIGTERM):
    """Signal the process ``proc`` (by its pid) and wait for it; SIGKILL after 20 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signum)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
