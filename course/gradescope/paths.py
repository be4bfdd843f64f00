"""Where things are in Gradescope's autograder container (its documented layout).

Gradescope unpacks the zip into ``/autograder/source``, copies ``run_autograder``
to ``/autograder/run_autograder``, puts the upload in ``/autograder/submission``,
writes ``/autograder/submission_metadata.json``, runs ``run_autograder`` from
``/autograder`` and reads ``/autograder/results/results.json``.
"""

from pathlib import Path

AUTOGRADER = Path("/autograder")
#: The virtual environment ``setup.sh`` makes and ``run_autograder`` runs.
VENV = Path("/opt/course/venv")
#: In the zip (and so in ``/autograder/source``): what the grader reads.
MANIFEST = "gradescope.json"
BUNDLE = "bundle"            # the scratch course's files and the gradebook's cells
WHEELS = "wheels"            # the course's own package
REQUIREMENTS = "requirements.txt"
#: The Python minor version Gradescope's Ubuntu 22.04 image installs (``python3.11``);
#: the grading sandbox needs 3.11 or newer (its kernels run with ``-P``).
PYTHON = "3.11"


def source(autograder=AUTOGRADER):
    return Path(autograder) / "source"


def submission(autograder=AUTOGRADER):
    return Path(autograder) / "submission"


def results(autograder=AUTOGRADER):
    return Path(autograder) / "results" / "results.json"


def metadata(autograder=AUTOGRADER):
    return Path(autograder) / "submission_metadata.json"
