"""Grading on a Dask cluster: 2 workers against 1, and the cluster against `course grade --jobs 2`.

Builds a class of ``--students`` submissions (default 12, from the demo class as
bench_grading.py does) in three identical temporary course folders, starts a real
`dask scheduler` and single-threaded workers on 127.0.0.1 (`course worker`: `dask
worker` with the settings of a grading worker, as the README starts them;
subprocesses of this environment; every socket of them, HTTP servers included, on
127.0.0.1 only), and grades, one after the other on the same machine:

1. `course grade --scheduler-file` with one worker;
2. the same with two workers (a second joins);
3. `course grade --jobs 2` (local grading, no Dask).

It checks that every student gets the same points in every cell in the three, and
prints the throughput ratio of 2 workers over 1 (target >= 1.7) and the cluster's
overhead per submission over local grading with as many workers (target <= 15%).
Each cluster run's wall time includes what a real run pays: connecting, sending the
assignment, and each worker's check (a grading kernel started) before grading.

    python benchmarks/bench_cluster.py [--students 12]
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grading import build_course, grades, pipeline_env, timed  # noqa: E402
from common import machine  # noqa: E402


THROUGHPUT_TARGET = 1.7
OVERHEAD_TARGET = 0.15


def _start(folder, module, *args, log):
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=folder, env=pipeline_env(),
                            stdout=open(Path(folder) / log, "w"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def _workers(scheduler_file):
    from distributed import Client

    with Client(scheduler_file=str(scheduler_file), timeout=30, set_as_default=False) as client:
        return len(client.scheduler_info(n_workers=-1)["workers"])


def _until(condition, what, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError, TimeoutError):
            if condition():
                return
        time.sleep(0.5)
    raise RuntimeError(f"{what} within {timeout} s")


def _stop(processes):
    for proc in processes:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12, help="submissions in the class")
    args = parser.parse_args(argv)
    n = args.students
    started = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        courses = [build_course(scratch / name, n) for name in ("one", "two", "local")]
        scheduler_file = scratch / "scheduler.json"
        try:
            started.append(_start(scratch, "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--dashboard-address", "127.0.0.1:0", "--no-dashboard",
                                  "--scheduler-file", str(scheduler_file), log="scheduler.log"))
            _until(lambda: scheduler_file.is_file() and scheduler_file.stat().st_size,
                   "the scheduler wrote no scheduler file")
            runs = {}
            for workers, course in ((1, courses[0]), (2, courses[1])):
                while len(started) - 1 < workers:
                    started.append(_start(scratch, "course", "worker", "--scheduler-file",
                                          str(scheduler_file), "--nthreads", "1", "--no-dashboard",
                                         "--local-directory", str(scratch / f"w{len(started)}"),
                                         log=f"worker{len(started)}.log"))
                _until(lambda: _workers(scheduler_file) >= workers, f"{workers} workers")
                runs[workers] = timed([sys.executable, "-m", "course", "grade", "--scheduler-file",
                                       str(scheduler_file)], course)
        finally:
            _stop(reversed(started))
        runs["local"] = timed([sys.executable, "-m", "course", "grade", "--jobs", "2"], courses[2])
        for name, (_, _, result) in runs.items():
            assert result.returncode == 0, \
                f"grading run {name} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        points = [{k: s.points for k, s in grades(c).items()} for c in courses]
        assert len(points[0]) == n and points[0] == points[1] == points[2], \
            "the cluster gave other grades than local grading"
    one, two, local = runs[1][0], runs[2][0], runs["local"][0]
    cpu = {name: run[1] for name, run in runs.items()}
    throughput = one / two
    overhead = (two - local) / local
    print(f"# Grading {n} submissions on a Dask cluster, wall seconds (and the machine's busy "
          f"CPU seconds meanwhile)\n# {machine()}")
    print(f"cluster, 1 worker:  {one:.1f} s ({one / n:.2f} s per submission; CPU {cpu[1]:.1f} s)")
    print(f"cluster, 2 workers: {two:.1f} s ({two / n:.2f} s per submission; CPU {cpu[2]:.1f} s)")
    print(f"course grade --jobs 2 (local): {local:.1f} s ({local / n:.2f} s per submission; "
          f"CPU {cpu['local']:.1f} s)")
    print("same points in every cell for every student in the three: yes")
    print(f"throughput, 2 workers over 1: {throughput:.2f}x (target >= {THROUGHPUT_TARGET}: "
          f"{'met' if throughput >= THROUGHPUT_TARGET else 'NOT met'})")
    print(f"cluster overhead over local grading, 2 workers each: {overhead:+.0%} "
          f"({(two - local) / n:+.2f} s per submission; target <= {OVERHEAD_TARGET:.0%}: "
          f"{'met' if overhead <= OVERHEAD_TARGET else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
