"""A throwaway PostgreSQL server for the tests: loopback only, stopped at the end.

Uses Debian's ``postgresql`` package (system-packages.txt). PostgreSQL refuses
to run as root, so when the tests run as root the server runs as the
unprivileged ``postgres`` user, from a data folder that user owns. Once it
runs, :func:`postgres_server` checks that the server and its processes listen
on loopback only (``support.sockets``); its Unix socket is in the data folder.
"""

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .sockets import assert_loopback_only


class NoPostgres(RuntimeError):
    """No PostgreSQL server binaries here."""


def _bindir():
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name))
    initdb = candidates[-1] if candidates else shutil.which("initdb")
    if not initdb:
        raise NoPostgres("initdb not found: install Debian's postgresql package")
    return Path(initdb).parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(argv):
    """``argv`` run as the ``postgres`` user when we are root, else as ourselves."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@contextlib.contextmanager
def postgres_server():
    """Start a PostgreSQL server on 127.0.0.1; yield ``(host, port, superuser)``."""
    bindir = _bindir()
    data = Path(tempfile.mkdtemp(prefix="course-postgres-"))
    port = _free_port()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
    try:
        subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data / "db"),
                                        "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                        "--no-sync"]),
                       check=True, capture_output=True, text=True)
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {data} "
                   f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data / "db"),
                                        "-l", str(data / "server.log"), "-o", options,
                                        "-w", "-t", "60", "start"]),
                       check=True, capture_output=True, text=True)
        assert_loopback_only("PostgreSQL", server_pid(data))
        yield "127.0.0.1", port, "postgres"
    except subprocess.CalledProcessError as error:
        log = data / "server.log"
        raise RuntimeError(f"PostgreSQL did not start: {error.stderr}\n"
                           f"{log.read_text() if log.exists() else ''}") from None
    finally:
        _stop(bindir, data)
        shutil.rmtree(data, ignore_errors=True)


def server_pid(data):
    """The pid of the server (the postmaster) whose data folder is ``data/db``: pg_ctl daemonizes it."""
    return int((data / "db" / "postmaster.pid").read_text().splitlines()[0])


def _stop(bindir, data):
    """pg_ctl stop; if that fails, signal the server's own PID (from postmaster.pid)."""
    pidfile = data / "db" / "postmaster.pid"
    if not pidfile.exists():
        return
    result = subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data / "db"),
                                             "-m", "fast", "-w", "-t", "30", "stop"]),
                            capture_output=True, text=True)
    if result.returncode != 0 and pidfile.exists():
        pid = server_pid(data)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)
        time.sleep(1)


def create_database(host, port, user, name):
    """A new empty database ``name``; returns its SQLAlchemy URL."""
    import psycopg2

    connection = psycopg2.connect(host=host, port=port, user=user, dbname="postgres")
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return f"postgresql+psycopg2://{user}@{host}:{port}/{name}"


def copy_gradebook(source, url):
    """Copy every row of the nbgrader gradebook at ``source`` into a new one at ``url``.

    What an instructor does who moves a course from SQLite to PostgreSQL; the tests
    do it to grade one released course in both without releasing it twice (a
    release costs an nbgrader run of every notebook).
    """
    import sqlalchemy
    from nbgrader.api import Base, Gradebook

    from course.grading.local import scripts_on_path

    with scripts_on_path(), Gradebook(url):   # nbgrader makes its tables, as on first use
        pass
    reading, writing = sqlalchemy.create_engine(source), sqlalchemy.create_engine(url)
    try:
        with reading.connect() as old, writing.begin() as new:
            for table in reversed(Base.metadata.sorted_tables):   # the course row nbgrader made
                new.execute(table.delete())
            for table in Base.metadata.sorted_tables:
                rows = [dict(row._mapping) for row in old.execute(table.select())]
                if rows:
                    new.execute(table.insert(), rows)
    finally:
        reading.dispose()
        writing.dispose()
