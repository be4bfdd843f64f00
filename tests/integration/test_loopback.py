"""What the README and the tests start listens on loopback only: nothing reachable from the network.

Issue 23: run as the README wrote it, the by-hand Dask cluster listened on every
interface (the scheduler's HTTP server on 0.0.0.0:8787, each worker's task port
on 0.0.0.0 and ::, its HTTP server on 0.0.0.0), so anyone on the network could
hand a grading worker a task. Here, real processes, no mocks:

- the README's by-hand cluster, its commands read from the README's bash block
  (a scheduler and two ``course worker``, each with its nanny and worker process);
- the suite's own cluster (``support.dask_cluster``: workers as user nobody,
  without nanny), over tcp:// and over TLS;
- PostgreSQL (the ``postgres`` fixture) and JupyterLab with a running kernel
  (``tests/e2e/jupyterlab.py``, without its browser).

For each, every listening TCP socket and unconnected UDP socket of every process
of its process trees (``ss -ltnup``) is on 127.0.0.1 or ::1, and a connection to
each of those ports from this machine's own non-loopback addresses (if it has
any) is refused. Every process started here is stopped by its pid.
"""

import json
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from support import ROOT
from support.dask_cluster import Cluster, interpreter_for_workers, stop_process
from support.sockets import (addresses_to_connect_from, assert_loopback_only, listening,
                             refused_from)

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
START = 180   # seconds for a cluster to start on this shared 2-core machine


def bash_lines(text, heading):
    """The commands of the ```bash blocks of the README section ``## heading``, continuations joined."""
    lines, section, block, pending = [], None, False, ""
    for line in text.splitlines():
        stripped = line.strip()
        if not block and line.startswith("## "):
            section = line[3:].strip()
        elif stripped == "```bash" and not block:
            block = True
        elif stripped == "```" and block:
            block = False
        elif block and section == heading:
            pending += stripped
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
                continue
            lines.append(pending)
            pending = ""
    return lines


def by_hand_commands():
    """The README's by-hand scheduler and worker, as argument lists (without ``& VAR=$!``)."""
    lines = bash_lines((ROOT / "README.md").read_text(), "Grading a large class")
    scheduler = [c for c in lines if c.startswith("dask scheduler ")]
    worker = [c for c in lines if c.startswith("course worker ")]
    assert len(scheduler) == 1 and len(worker) == 1, (
        f"README.md, 'Grading a large class': expected one `dask scheduler` and one `course "
        f"worker` command in its bash blocks, found {scheduler + worker}")
    return [shlex.split(c.split(" & ")[0]) for c in (scheduler[0], worker[0])]


def _until(condition, what, proc, timeout=START):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{what}: the scheduler exited ({proc.returncode})"
        try:
            if condition():
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout} s")


def _workers(scheduler_file):
    from distributed import Client

    with Client(scheduler_file=str(scheduler_file), timeout=30, set_as_default=False) as client:
        return client.scheduler_info(n_workers=-1)["workers"]


@pytest.fixture(scope="module")
def readme_cluster():
    """The README's by-hand cluster, its commands as written: a scheduler and two workers.

    ``(scheduler process, worker processes, scheduler address, worker addresses)``.
    """
    scheduler_argv, worker_argv = by_hand_commands()
    folder = Path(tempfile.mkdtemp(prefix="readme-cluster-"))
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(folder), "LANG": "C.UTF-8"}
    started = []

    def start(argv, log):
        started.append(subprocess.Popen(argv, cwd=folder, env=env, stdin=subprocess.DEVNULL,
                                        stdout=open(folder / log, "w"),
                                        stderr=subprocess.STDOUT, start_new_session=True))
        return started[-1]

    try:
        scheduler = start(scheduler_argv, "scheduler.log")
        scheduler_file = folder / "scheduler.json"
        _until(lambda: scheduler_file.stat().st_size, "the scheduler file", scheduler)
        workers = [start(worker_argv, f"worker-{n}.log") for n in range(2)]
        _until(lambda: len(_workers(scheduler_file)) == 2, "two workers joining", scheduler)
        address = json.loads(scheduler_file.read_text())["address"]
        yield scheduler, workers, address, list(_workers(scheduler_file))
    finally:
        for proc in reversed(started):   # the workers first, by pid
            stop_process(proc)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def worker_python():
    """An interpreter and the course packages that user nobody can read (``support.dask_cluster``)."""
    base = Path(tempfile.mkdtemp(prefix="loopback-test-", dir="/tmp"))
    try:
        yield base, interpreter_for_workers(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module", params=["tcp", "tls"])
def suite_cluster(request, worker_python):
    """The suite's own cluster (``support.dask_cluster.Cluster``), two workers, over tcp:// or TLS."""
    from support.tls import Certificates

    base, python = worker_python
    tls = Certificates(base / "tls") if request.param == "tls" else None
    cluster = Cluster(base, python, workers=2, tls=tls)
    try:
        cluster.start(timeout=START)   # which checks the sockets itself; checked again below
        yield cluster
    finally:
        cluster.stop()


def _port(address):
    return int(address.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def addresses():
    """This machine's own addresses, or one made for these tests where it has none."""
    with addresses_to_connect_from() as found:
        yield found


def assert_unreachable_from_the_network(sockets, addresses):
    """Each port of ``sockets`` refuses a connection from each of this machine's ``addresses``."""
    for address in addresses:
        for port in sorted({s.port for s in sockets if s.netid == "tcp"}):
            assert refused_from(address, port), (
                f"a connection to port {port} from {address} (this machine's own address) "
                f"was accepted; expected it refused: nothing should listen there")


def test_the_readme_by_hand_commands_are_those_run_here():
    scheduler, worker = by_hand_commands()
    assert scheduler[:2] == ["dask", "scheduler"] and "--scheduler-file" in scheduler
    assert worker[:2] == ["course", "worker"] and "--scheduler-file" in worker


def test_the_readme_cluster_listens_on_loopback_only(readme_cluster):
    scheduler, workers, address, worker_addresses = readme_cluster
    seen = assert_loopback_only("the README's dask scheduler", scheduler.pid)
    assert _port(address) in {s.port for s in seen}
    assert len(seen) == 2, f"expected the scheduler's port and its HTTP server, saw {seen}"
    for number, worker in enumerate(workers):
        seen = assert_loopback_only(f"the README's course worker {number}", worker.pid)
        # its nanny, and its worker process (a child): task port and HTTP server
        assert len(seen) == 3 and len({p for s in seen for p in s.pids}) == 2, seen
        assert any(_port(a) in {s.port for s in seen} for a in worker_addresses), seen
    assert all(a.startswith("tcp://127.0.0.1:") for a in [address, *worker_addresses])


def test_the_readme_cluster_refuses_connections_from_the_network(readme_cluster, addresses):
    scheduler, workers, _, worker_addresses = readme_cluster
    sockets = assert_loopback_only("the README's cluster", scheduler.pid,
                                   *(w.pid for w in workers))
    assert {_port(a) for a in worker_addresses} <= {s.port for s in sockets}   # task ports
    assert_unreachable_from_the_network(sockets, addresses)


def test_the_suite_cluster_listens_on_loopback_only(suite_cluster, addresses):
    info = suite_cluster.info()
    seen = assert_loopback_only("the suite's dask scheduler", suite_cluster.scheduler.pid)
    assert len(seen) == 2 and _port(suite_cluster.address()) in {s.port for s in seen}, seen
    for number, worker in enumerate(suite_cluster.workers):
        seen = assert_loopback_only(f"the suite's worker w{number}", worker.pid)
        assert len(seen) == 2, f"expected a task port and an HTTP server (no nanny), saw {seen}"
    protocol = "tls" if suite_cluster.tls else "tcp"
    assert all(a.startswith(f"{protocol}://127.0.0.1:") for a in info["workers"]), info["workers"]
    assert_unreachable_from_the_network(assert_loopback_only(
        "the suite's cluster", suite_cluster.scheduler.pid,
        *(w.pid for w in suite_cluster.workers)), addresses)


def test_postgresql_listens_on_loopback_only(postgres, addresses):
    """The gradebook server of the tests: found by its port, its whole process tree checked."""
    _, port, _ = postgres
    owners = {pid for s in listening() if s.port == port for pid in s.pids}
    assert owners, f"nothing listens on PostgreSQL's port {port}"
    sockets = assert_loopback_only("PostgreSQL", *owners)
    assert_unreachable_from_the_network(sockets, addresses)


def _start_kernel(lab):
    request = urllib.request.Request(f"{lab.url}/api/kernels", method="POST",
                                     data=json.dumps({"name": "python3"}).encode(),
                                     headers={"Authorization": f"token {lab.token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["id"]


def test_jupyterlab_and_its_kernel_listen_on_loopback_only(tmp_path, addresses):
    """The student's JupyterLab of the browser tests, without the browser, and a kernel it started."""
    from e2e.jupyterlab import Lab

    folder = tmp_path / "student"
    folder.mkdir()
    lab = Lab(folder, playwright=None, artifacts=tmp_path / "artifacts")
    try:
        lab.start_server()   # which checks the server's sockets
        server = lab.check_loopback()
        _start_kernel(lab)
        deadline = time.monotonic() + 120
        with_kernel = server
        while len(with_kernel) < len(server) + 5 and time.monotonic() < deadline:
            time.sleep(0.5)   # a kernel binds its five ZeroMQ ports
            with_kernel = lab.check_loopback()
        assert len(with_kernel) >= len(server) + 5, (
            f"the kernel's five ports did not appear within 120 s: {with_kernel}")
        assert_unreachable_from_the_network(with_kernel, addresses)
    finally:
        lab.close()   # stops the server, and so its kernel, by its pid


def test_an_address_to_connect_from_is_made_where_the_machine_has_none():
    """The address these tests add on a machine with loopback only, added here on purpose:
    a server on 127.0.0.1 refuses it, one on every interface answers it."""
    with addresses_to_connect_from(force=True) as found:
        assert found == ["192.0.2.10"]
        for host, refused in (("127.0.0.1", True), ("0.0.0.0", False)):
            with socket.socket() as listener:
                listener.bind((host, 0))
                listener.listen(1)
                assert refused_from("192.0.2.10", listener.getsockname()[1]) is refused, host
    assert "192.0.2.10" not in subprocess.run(["ip", "-o", "addr"], capture_output=True,
                                              text=True).stdout
