"""Where things are in a course root: the names every part of the tooling agrees on.

Kept apart (and free of imports) so that ``course --help`` and argument parsing
need neither nbgrader nor nbformat.
"""

from pathlib import Path

#: The assignment of this course (``source/<ASSIGNMENT>/``).
ASSIGNMENT = "initialization"
#: The mistake catalogue (``course mutants``), relative to the course root.
CATALOGUE = Path("tests") / "catalogue"
#: The demo class's answers, and the demo class as an LMS download.
DEMO_CLASS = Path("demo") / "class.toml"
LMS_ARCHIVE = Path("demo") / "lms" / "submissions.zip"
#: Where ``jupyter lab`` in the course root serves the formgrader, which reports link to.
FORMGRADER_URL = "http://localhost:8888"
