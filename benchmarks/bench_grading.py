"""Grading: `course grade --jobs N` against sequential `nbgrader autograde`, side by side.

Builds a class of ``--students`` submissions (default 12) from the demo class
(demo/class.toml, its students repeated under new names), in two identical
temporary course folders, then grades one with plain `nbgrader autograde
initialization` and the other with `course grade initialization --jobs N`,
checks that every student gets the same points in every cell, and prints the
wall-time ratio (target: <= 60% with 2 workers).

    python benchmarks/bench_grading.py [--students 12] [--jobs 2]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, verdict  # noqa: E402

from course import pipeline  # noqa: E402
from course.submissions import build

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.60


def build_course(folder, size):
    """A course root with the release in the gradebook and ``size`` submissions."""
    folder.mkdir(parents=True)
    shutil.copy2(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "source", folder / "source")
    pipeline.release(folder)
    demo = build.load_class(ROOT / "demo" / "class.toml")
    names = list(demo)
    students = {f"{names[k % len(names)]}{k // len(names) + 1:02d}": demo[names[k % len(names)]]
                for k in range(size)}
    build.write_class(students, folder / "release" / pipeline.ASSIGNMENT,
                            folder / "submitted", pipeline.ASSIGNMENT)
    return folder


def timed(command, cwd):
    """Run ``command``; its wall seconds, the machine's busy CPU seconds meanwhile, its result."""
    start, cpu = time.perf_counter(), _busy_cpu()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                            env=pipeline_env())
    return time.perf_counter() - start, _busy_cpu() - cpu, result


def _busy_cpu():
    """CPU seconds the whole machine has spent busy (``/proc/stat``): the kernels run in
    their own PID namespace, out of reach of ``getrusage``. Meaningful on an idle machine."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except OSError:
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def pipeline_env():
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def grades(root):
    return {s.student: s for s in pipeline.scores(root)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12, help="submissions in the class")
    parser.add_argument("--jobs", type=int, default=2, help="workers of course grade")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        sequential = build_course(Path(scratch) / "sequential", args.students)
        parallel = build_course(Path(scratch) / "parallel", args.students)
        seq_time, seq_cpu, seq = timed([sys.executable, "-m", "nbgrader", "autograde",
                               pipeline.ASSIGNMENT], sequential)
        par_time, par_cpu, par = timed([sys.executable, "-m", "course", "grade", pipeline.ASSIGNMENT,
                               "--jobs", str(args.jobs)], parallel)
        for name, result in (("nbgrader autograde", seq), ("course grade", par)):
            assert result.returncode == 0, f"{name} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        expected, got = grades(sequential), grades(parallel)
        # written answers wait for an instructor (None) in both; everything else is scored
        assert len(expected) == args.students and all(
            s.graded for s in expected.values()), "sequential grading incomplete"
        assert {k: s.points for k, s in got.items()} == {k: s.points for k, s in expected.items()}, \
            "course grade gave other grades than nbgrader autograde"
    print(f"# Grading {args.students} submissions, wall seconds\n# {machine()}")
    print(f"nbgrader autograde (sequential): {seq_time:.1f} s ({seq_time / args.students:.2f} s "
          f"per submission; machine busy {seq_cpu:.1f} CPU s)\ncourse grade --jobs {args.jobs}: {par_time:.1f} s "
          f"({par_time / args.students:.2f} s per submission; machine busy {par_cpu:.1f} CPU s)")
    print("same points in every cell for every student: yes")
    print(f"grading ratio: {verdict(par_time / seq_time, TARGET)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
