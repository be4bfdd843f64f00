"""The grading process of a Dask worker: ``python -m course.grading.cluster.child ROOT URL THREADS``.

Started by :class:`course.grading.cluster.task.GradingProcess` for one scratch course,
it loads the course's nbgrader configuration once, as a ``course grade`` worker does
(:func:`course.grading.local.start_worker`), and answers one JSON request per line on
stdin: ``check`` (:func:`course.autograde.readiness.problem`) and ``grade``
(:func:`course.grading.local.autograde_one`). It dies with the worker that started it
(:func:`course.sandbox.lifetime.guarded`).
"""

import json
import os
import sys


def child_main(root, url, threads):
    from dataclasses import asdict

    from course.grading import local
    from course.autograde import readiness

    answers = os.fdopen(os.dup(1), "w", buffering=1)   # start_worker sends fd 1 to /dev/null
    local.start_worker(root, url, int(threads), "")   # "": the kernel check runs here
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "check":
            why = readiness.problem(root, request["assignment"],
                                    readiness.course_config(root), url)
            answers.write(json.dumps({"problem": why}) + "\n")
        elif request["op"] == "grade":
            outcome = local.autograde_one(request["assignment"], request["student"])
            answers.write(json.dumps(asdict(outcome)) + "\n")


if __name__ == "__main__":
    child_main(*sys.argv[1:4])
