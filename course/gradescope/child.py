"""The grading step on Gradescope: the upload graded in a scratch course, as a Dask worker grades.

``python -m course.gradescope.child SOURCE SUBMISSION REPORT STUDENT BUDGET`` is started by
the supervisor (:mod:`.run`), which stops it at the autograder's deadline. It

1. reads the bundle the zip carries (``/autograder/source/bundle``) and checks that
   this machine grades as the one that built the zip would: the same Python minor
   version, nbgrader and ``course``/``helpers`` packages (``course.grading.cluster.bundle.mismatch``);
2. checks that the grading sandbox starts (``course.sandbox.kernel.problem``); where it
   cannot, it reports that and grades nothing, unless the zip was built with
   ``--if-no-sandbox grade-unsandboxed``;
3. builds the scratch course (``course.grading.cluster.task.course_root``), with each
   notebook's time bounded by what is left of the autograder's time
   (:func:`bound_time`), runs the kernel check, and grades the upload with
   ``course.grading.cluster.task.grade_submission``: ``nbgrader autograde`` with the
   course's configuration, its sandbox, its matching of edited notebooks and its
   judge, as ``course grade`` does;
4. writes a report (JSON) of what nbgrader and the judge decided, cell by cell:
   points, the verdict and the visible example's verdict (from the autograded
   notebook's ``course`` metadata), what a cell said when it was not judged, the
   written answer. Nothing the student's kernel printed is believed: a test cell's
   outputs are the grader's.
"""

import base64
import json
import sys
import time
from pathlib import Path

from . import paths

__all__ = ["load_bundle", "bound_time", "summarize", "main"]


def load_bundle(source):
    """The bundle of ``course.grading.cluster`` from the zip's ``bundle/`` folder (files as bytes)."""
    folder = Path(source) / paths.BUNDLE
    bundle = json.loads((folder / "bundle.json").read_text())
    bundle["files"] = {name: (folder / "files" / name).read_bytes() for name in bundle["files"]}
    return bundle


def bound_time(root, budget):
    """Make each notebook's time (and each cell's) at most ``budget`` seconds in the scratch course.

    The course's own limits stay where they are smaller; they are only lowered so
    that grading ends before Gradescope stops the autograder.
    """
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    notebook = min(int(config.SandboxedExecute.get("notebook_timeout", 1200)), budget)
    cell = min(int(config.Execute.get("timeout", 30) or budget), notebook)
    with open(Path(root) / "nbgrader_config.py", "a") as f:
        f.write("\n# course.gradescope: within the autograder's time limit\n"
                f"c.SandboxedExecute.notebook_timeout = {notebook}\n"
                f"c.Execute.timeout = {cell}\n")
    return notebook, cell


def _unsandboxed(root):
    with open(Path(root) / "nbgrader_config.py", "a") as f:
        f.write("\n# course.gradescope: bubblewrap cannot start here, and the zip was built with\n"
                "# --if-no-sandbox grade-unsandboxed (unsafe; the results say so)\n"
                "c.SandboxedExecute.sandbox = False\n")


def _sandboxed(root):
    """The sandbox on, whatever the course's configuration carried into the zip said."""
    with open(Path(root) / "nbgrader_config.py", "a") as f:
        f.write("\n# course.gradescope: a submission is graded in the sandbox (the zip was not\n"
                "# built with --if-no-sandbox grade-unsandboxed, or bubblewrap starts here)\n"
                "c.SandboxedExecute.sandbox = True\n")


def _said(cell):
    """What a test cell the judge did not decide says (a time limit, no result...): its error."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"
    text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream")
    return text.strip() or None


def _cells(notebook_text):
    """``{grade_id: what the autograded notebook says of it}`` for its graded cells."""
    import nbformat

    nb = nbformat.reads(notebook_text, as_version=4)
    cells = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        course = cell.metadata.get("course", {})
        entry = {"verdict": course.get("verdict"), "example": course.get("example")}
        if meta.get("solution"):
            entry["answer"] = cell.source
        else:
            entry["said"] = _said(cell)
        cells[meta["grade_id"]] = entry
    return cells


def summarize(collected):
    """The report of a graded upload from ``course.grading.cluster.task.collect``'s result."""
    notebooks = {}
    for name, info in collected["notebooks"].items():
        found = collected["files"].get(f"{name}.ipynb")
        seen = _cells(base64.b64decode(found).decode("utf-8")) if found and \
            info["status"] == "graded" else {}
        cells = {}
        for grade_id, grade in info["grades"].items():
            cells[grade_id] = {"score": grade["auto_score"],
                               "needs_manual": grade["needs_manual_grade"],
                               **seen.get(grade_id, {})}
        notebooks[name] = {"status": info["status"], "cells": cells}
    success = collected["success"]
    return {"status": "graded", "success": success, "student": collected["student"],
            "reason": collected["reason"],
            "stopped": collected["stopped"], "problems": collected["problems"],
            "notebooks": notebooks}


def grade(source, submission, student, budget):
    """Grade the upload; the report (a dict)."""
    from course.grading.cluster import task
    from course.grading.cluster.bundle import mismatch
    from course.sandbox.kernel import problem

    from .upload import handed_in

    bundle = load_bundle(source)
    why = mismatch(bundle)
    if why:
        return {"status": "fault", "why": why}
    manifest = json.loads((Path(source) / paths.MANIFEST).read_text())
    unsafe = problem()
    if unsafe and manifest.get("if_no_sandbox") != "grade-unsandboxed":
        return {"status": "refused", "why": unsafe}
    root = task.course_root(bundle)
    if unsafe:
        print(f"course gradescope: GRADING WITHOUT THE SANDBOX: {unsafe}", flush=True)
        _unsandboxed(root)
    else:
        _sandboxed(root)
    notebook, cell = bound_time(root, budget)
    print(f"course gradescope: each notebook may take {notebook} s, each cell {cell} s",
          flush=True)
    checked = json.loads(task.check_worker(bundle))
    if checked["problem"]:
        return {"status": "fault", "why": checked["problem"]}
    collected = json.loads(task.grade_submission(bundle, student, handed_in(submission)))
    print(collected["log"], flush=True)
    if collected["stopped"]:
        return {"status": "fault", "why": collected["stopped"]}
    report = summarize(collected)
    report.update(sandboxed=not unsafe, sandbox_problem=unsafe or "")
    return report


def main(argv=None):
    source, submission, report_path, student, budget = (argv or sys.argv[1:])[:5]
    start = time.monotonic()
    report = grade(source, submission, student, max(10, int(float(budget))))
    report["seconds"] = time.monotonic() - start
    Path(report_path).write_text(json.dumps(report))


if __name__ == "__main__":
    main()
