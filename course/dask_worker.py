"""``dask worker`` set up for grading: ``course worker ARGS`` (or ``python -m course.dask_worker``).

A grading task spends its seconds or minutes waiting on its grading process
(:mod:`course.cluster_task`), which runs the kernels; the worker itself only
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
"""

import os
import sys

__all__ = ["SETTINGS", "environment", "arguments", "main"]

#: Dask's settings for a grading worker, as environment variables (Dask reads them at import).
SETTINGS = {
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
    "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "2s",
}


def environment(env):
    """``env`` with :data:`SETTINGS` added where it does not set them already."""
    return {**SETTINGS, **env}


def arguments(args):
    """``dask worker``'s arguments: ``args``, and ``--nthreads 1`` unless they give it.

    >>> arguments(["tcp://10.0.0.1:8786"])
    ['tcp://10.0.0.1:8786', '--nthreads', '1']
    >>> arguments(["tcp://10.0.0.1:8786", "--nthreads=2"])
    ['tcp://10.0.0.1:8786', '--nthreads=2']
    """
    given = any(a == "--nthreads" or a.startswith("--nthreads=") for a in args)
    return list(args) if given else [*args, "--nthreads", "1"]


def main(argv=None, prog_name="course worker"):
    """Run ``dask worker`` in this process with the grading settings, until it stops (exits)."""
    args = arguments(sys.argv[1:] if argv is None else argv)
    if "distributed" in sys.modules:
        raise RuntimeError("course.dask_worker must run before distributed is imported: "
                           "Dask reads its settings at import")
    os.environ.update(environment(os.environ))
    from distributed.cli.dask_worker import main as dask_worker

    dask_worker.main(args=args, prog_name=prog_name)   # click: exits with dask worker's status


if __name__ == "__main__":
    main(prog_name="python -m course.dask_worker")
