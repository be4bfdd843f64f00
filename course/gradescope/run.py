"""``run_autograder``'s program: grade the upload, and always leave a valid ``results.json``.

Gradescope shows "The autograder failed to execute correctly" when
``results.json`` is missing or invalid, and stops the autograder at its time
limit. This supervisor keeps both from reaching a student:

- it sorts the upload first (:mod:`.upload`): an upload that cannot be graded gets
  a failed test saying why, and nothing starts;
- it grades in a child process (:mod:`.child`) of its own session, which it stops
  (with its grading process, kernels and judges) when the autograder's time is
  nearly up, and then writes a failed test saying so;
- whatever the child reports (graded, the sandbox refused, a fault of the grader)
  becomes ``results.json`` (:mod:`.results`), written whole (a temporary file,
  then renamed); a fault of this program itself still writes one.

What it prints goes to Gradescope's ``stdout``, which only instructors see
(``stdout_visibility`` is hidden).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import paths, results
from .upload import why_not_gradable

__all__ = ["main", "write_results", "MARGIN"]

#: Seconds kept back from the autograder's time limit to stop grading and write results.
MARGIN = 30
#: Seconds of each notebook's budget kept for starting the grader (imports, kernel check).
STARTUP = 60


def write_results(path, data):
    """Write ``data`` to ``path`` whole: a temporary file beside it, then renamed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _say(line):
    print(f"course gradescope: {line}", flush=True)


def _student(autograder):
    """The id the grader logs the upload under: ``student`` (Gradescope knows who it is)."""
    try:
        meta = json.loads(paths.metadata(autograder).read_text())
        users = ", ".join(f"{u.get('name', '?')} <{u.get('email', '?')}>"
                          for u in meta.get("users", []))
        _say(f"submission {meta.get('id', '?')} of {users or 'nobody named'}")
    except (OSError, ValueError, AttributeError):
        _say("no submission_metadata.json (not on Gradescope?)")
    return "student"


def _grade(autograder, manifest, deadline, start):
    """Run the child until ``deadline`` (``time.monotonic()``); the results to write."""
    source, submission = paths.source(autograder), paths.submission(autograder)
    expected = [f"{nb['name']}.ipynb" for nb in manifest["notebooks"]]
    why = why_not_gradable(submission, expected)
    if why:
        _say(f"not graded: {why}")
        return results.not_graded(manifest, why, time.monotonic() - start)
    handed = max(1, sum((submission / name).is_file() for name in expected))
    budget = int((deadline - time.monotonic() - STARTUP) / handed)
    with tempfile.TemporaryDirectory(prefix="course-gradescope-") as scratch:
        report_path = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "course.gradescope.child", str(source),
                   str(submission), str(report_path), _student(autograder), str(budget)]
        env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                      os.environ.get("PATH", "")]))
        child = subprocess.Popen(command, cwd=scratch, env=env, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
        try:
            code = child.wait(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            limit = manifest["time_limit"]
            why = (f"grading your notebooks ran past the autograder's time limit "
                   f"({limit} s), so it was stopped and nothing was graded: look for a cell "
                   f"that runs too long (a loop that never ends, a training run with too "
                   f"many iterations)")
            _say(f"not graded: {why}")
            return results.not_graded(manifest, why, time.monotonic() - start, kind="timeout")
        if code != 0 or not report_path.is_file():
            why = f"the grading process ended with exit status {code} and no report"
            _say(why)
            return results.fault(manifest, why, time.monotonic() - start)
        report = json.loads(report_path.read_text())
    seconds = time.monotonic() - start
    if report["status"] == "refused":
        _say(f"NOT GRADED: the grading sandbox cannot start here: {report['why']}. The zip "
             f"was built to refuse then (README, 'Grading on Gradescope')")
        return results.refused(manifest, report["why"], seconds)
    if report["status"] == "fault":
        _say(f"NOT GRADED, a fault of the grader: {report['why']}")
        return results.fault(manifest, report["why"], seconds)
    for line in report.get("problems", []):
        _say(line)
    if not report["success"]:
        _say(f"failed to grade: {report['reason']}")
    return results.graded(manifest, report, seconds)


def _bare_fault():
    """The results of a fault that left nothing to name the graded cells by."""
    return {"score": 0, "stdout_visibility": results.HIDDEN,
            "output": "Not graded: the autograder failed.",
            "tests": [{"name": "Autograder", "score": 0, "max_score": 0, "status": "failed",
                       "visibility": results.VISIBLE,
                       "output": "Your upload was not graded: the autograder failed (a fault "
                                 "of the grader, not of your upload)."}]}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="run_autograder", description=__doc__.split("\n")[0])
    parser.add_argument("--autograder", default=str(paths.AUTOGRADER),
                        help="Gradescope's /autograder folder (default: /autograder)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    autograder = Path(args.autograder)
    target = paths.results(autograder)
    manifest = None
    try:
        manifest = json.loads((paths.source(autograder) / paths.MANIFEST).read_text())
        deadline = start + manifest["time_limit"] - MARGIN
        data = _grade(autograder, manifest, deadline, start)
    except Exception:   # a fault of this program: results that say so, and the traceback
        print(traceback.format_exc(), flush=True)
        why = traceback.format_exc().strip().splitlines()[-1]
        try:
            data = results.fault(manifest, why, time.monotonic() - start)
        except Exception:   # no manifest, or one this program cannot read
            data = _bare_fault()
    write_results(target, data)
    _say(f"results written: {data['score']:g} points, {len(data['tests'])} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
