"""``dask worker`` set up for grading: ``course worker ARGS`` (or ``python -m course.grading.cluster.worker``).

A grading task spends its seconds or minutes waiting on its grading process
(:mod:`course.grading.cluster.task`), which runs the kernels; the worker itself only
passes bytes. Dask's defaults watch a worker as if it computed in its own
threads: a statistical profile of its threads every 10 ms, an event-loop tick
every 20 ms, the memory of the worker every 100 ms (in the worker and its
nanny) and the host's every 500 ms. With a grading task running, that is about
5% of a core per worker with its nanny; with :data:`SETTINGS`, under 0.5%
(measured on this project's 2-core machine, BENCHMARKS.md). On a host graded
with one worker per core, those cores are the kernels'.

``course worker`` runs Dask's own ``dask worker`` with every argument given,
adding ``--nthreads 1`` (one task, one kernel at a time, per worker: start one
worker per core) unless ``--nthreads`` is given, and these settings unless they
are set in the environment already. Where workers are started by something
else (dask-jobqueue, Kubernetes), set the same environment variables.

It listens on this machine only unless told otherwise. ``dask worker`` binds
its task port to every interface (0.0.0.0 and ::) and opens an HTTP server
(/health, /metrics; also with ``--no-dashboard``) on 0.0.0.0: anyone on the
network could hand the worker a task. ``course worker`` adds ``--host
127.0.0.1`` (the worker and its nanny) unless ``--host``, ``--listen-address``
or ``--interface`` is given, and ``--dashboard-address 127.0.0.1:0`` (the
HTTP server, which has no TLS) unless ``--dashboard-address`` is given. A
worker for a scheduler on another machine must be told where to listen, and
should speak TLS (README, "Grading a large class"): without ``--host``,
``--listen-address`` or ``--interface`` it is refused at once
(:func:`check_reachable`), rather than joining with an address the scheduler
cannot reach.
"""

import ipaddress
import json
import os
import socket
import sys
from pathlib import Path

__all__ = ["SETTINGS", "LOOPBACK", "WorkerError", "environment", "arguments",
           "check_reachable", "main"]

#: Dask's settings for a grading worker, as environment variables (Dask reads them at import).
SETTINGS = {
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
    "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "2s",
}

#: Where a worker, its nanny and their HTTP server listen unless told otherwise.
LOOPBACK = "127.0.0.1"

#: The options that say where the worker listens; any of them replaces ``--host 127.0.0.1``.
WHERE_OPTIONS = ("--host", "--listen-address", "--interface")


class WorkerError(ValueError):
    """``course worker``'s arguments cannot make a worker that grades (one line: what, and the fix)."""


def environment(env):
    """``env`` with :data:`SETTINGS` added where it does not set them already."""
    return {**SETTINGS, **env}


def _given(args, *options):
    """Whether ``args`` give any of ``options`` (``--option VALUE`` or ``--option=VALUE``)."""
    return any(a == o or a.startswith(f"{o}=") for a in args for o in options)


def arguments(args):
    """``dask worker``'s arguments: ``args``, and the defaults of a grading worker they do not give.

    ``--nthreads 1``; ``--host 127.0.0.1`` unless one of :data:`WHERE_OPTIONS`
    is given; ``--dashboard-address 127.0.0.1:0`` unless it is given.

    >>> arguments(["tcp://127.0.0.1:8786"])  # doctest: +NORMALIZE_WHITESPACE
    ['tcp://127.0.0.1:8786', '--nthreads', '1', '--host', '127.0.0.1',
     '--dashboard-address', '127.0.0.1:0']
    >>> arguments(["tls://10.0.0.1:8786", "--nthreads=2", "--host", "10.0.0.7"])
    ... # doctest: +NORMALIZE_WHITESPACE
    ['tls://10.0.0.1:8786', '--nthreads=2', '--host', '10.0.0.7',
     '--dashboard-address', '127.0.0.1:0']
    """
    added = []
    if not _given(args, "--nthreads"):
        added += ["--nthreads", "1"]
    if not _given(args, *WHERE_OPTIONS):
        added += ["--host", LOOPBACK]
    if not _given(args, "--dashboard-address"):
        added += ["--dashboard-address", f"{LOOPBACK}:0"]
    return [*args, *added]


def _scheduler_address(params):
    """The scheduler's address that ``dask worker``'s parsed ``params`` name, or None if unknown yet."""
    if params.get("scheduler"):
        return params["scheduler"]
    if params.get("scheduler_file"):
        try:
            return json.loads(Path(params["scheduler_file"]).read_text())["address"]
        except (OSError, ValueError, KeyError, TypeError):
            return None   # not written yet: dask worker waits for it
    return None


def _own_addresses():
    """The IP addresses of this machine's interfaces (loopback included)."""
    import psutil   # a dependency of distributed

    return {a.address.split("%")[0] for addresses in psutil.net_if_addrs().values()
            for a in addresses if a.family in (socket.AF_INET, socket.AF_INET6)}


def _elsewhere(host):
    """Whether ``host`` (an address or a name) is known to be another machine's.

    A name that does not resolve is not known to be: ``dask worker`` reports it.
    """
    try:
        found = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            found = {ipaddress.ip_address(info[4][0].split("%")[0])
                     for info in socket.getaddrinfo(host, None)}
        except (OSError, UnicodeError, ValueError):
            return False
    own = {ipaddress.ip_address(a) for a in _own_addresses()}
    return not all(a.is_loopback or a in own for a in found)


def check_reachable(args, prog_name="course worker"):
    """Refuse ``args`` that would leave a worker on loopback for a scheduler on another machine.

    Raises
    ------
    WorkerError
        The scheduler (its address, or the one its scheduler file names) is
        not on this machine and none of :data:`WHERE_OPTIONS` is given.
    """
    if _given(args, *WHERE_OPTIONS):
        return
    from distributed.cli.dask_worker import main as dask_worker
    from distributed.comm import get_address_host

    params = dask_worker.make_context(prog_name, list(args), resilient_parsing=True).params
    address = _scheduler_address(params)
    try:
        host = get_address_host(address) if address else None
    except ValueError:
        return   # not an address: dask worker says so itself
    if host and _elsewhere(host):
        raise WorkerError(
            f"the scheduler {address} is on another machine, and a course worker listens on "
            f"{LOOPBACK} only unless told where: give --host this machine's address on the "
            f"network the scheduler reaches (or --interface), and run the cluster over TLS "
            f"(--tls-ca-file, --tls-cert, --tls-key; README, 'Grading a large class')")


def main(argv=None, prog_name="course worker"):
    """Run ``dask worker`` in this process with the grading settings, until it stops (exits).

    Raises
    ------
    WorkerError
        See :func:`check_reachable`; nothing was started.
    """
    given = list(sys.argv[1:] if argv is None else argv)
    if "distributed" in sys.modules:
        raise RuntimeError("course.grading.cluster.worker must run before distributed is imported: "
                           "Dask reads its settings at import")
    os.environ.update(environment(os.environ))
    from distributed.cli.dask_worker import main as dask_worker

    check_reachable(given, prog_name)
    dask_worker.main(args=arguments(given), prog_name=prog_name)   # click: exits with dask worker's status


if __name__ == "__main__":
    try:
        main(prog_name="python -m course.grading.cluster.worker")
    except WorkerError as error:
        sys.exit(f"python -m course.grading.cluster.worker: {error}")
