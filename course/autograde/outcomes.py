"""What grading met in a submission, as records: code reads these, people read the log.

Each thing an autograde run has to tell the instructor is a :class:`Finding`: a
problem of the submission (a cell that crashed the kernel, a notebook over its time,
a file handed in that was left out), or the grader's own fault, which stops grading
before anyone else is scored. :func:`report` logs it once, as the one line a person
reads, and carries the record on that log record (``extra``); a :class:`Collector`
(a logging handler) gathers the records of a run, with the error that made nbgrader
give up on a submission, taken from the exception itself. ``course grade``, the Dask
cluster and the reports read these records: rewording a message changes what people
read, never what the tooling concludes.
"""

import contextlib
import logging
import sys
from dataclasses import asdict, dataclass

__all__ = ["PROBLEM", "STOP", "STOPPED", "Finding", "report", "Collector", "collecting"]

#: A problem of the submission: said to the instructor; the submission is graded.
PROBLEM = "problem"
#: The grader's own fault: grading stops before anyone else is scored.
STOP = "stopped"
#: How a stop opens in the log.
STOPPED = "grading stopped: "

#: nbgrader's own closing errors, which say only that something failed.
_GENERIC = ("There was an error processing assignment", "Please see the")


@dataclass(frozen=True)
class Finding:
    """One thing grading met.

    Attributes
    ----------
    kind : {"problem", "stopped"}
    text : str
        One line, in the words the instructor reads.
    student : str
        The student graded ("" where the finding is the grader's, not a submission's).
    notebook : str
        The notebook (without ``.ipynb``) it is about, or "" for the whole submission.
    ungradable : bool
        A problem that keeps the whole submission from being graded: it is then
        the reason the submission failed, in our words rather than nbgrader's.
    """

    kind: str
    text: str
    student: str = ""
    notebook: str = ""
    ungradable: bool = False

    def __post_init__(self):
        if self.kind not in (PROBLEM, STOP):
            raise ValueError(f"a finding is {PROBLEM!r} or {STOP!r}, not {self.kind!r}")
        for name in ("text", "student", "notebook"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"a finding's {name} is text, not "
                                f"{type(getattr(self, name)).__name__}")
        if not isinstance(self.ungradable, bool):
            raise TypeError("a finding's ungradable is true or false")

    @property
    def line(self):
        """The finding in one line: ``alice (Initialization): text``, ``alice: text``."""
        where = f"{self.student} ({self.notebook})" if self.notebook else self.student
        return f"{where}: {self.text}" if where else self.text

    def as_data(self):
        """The finding as plain data (what a Dask worker sends back)."""
        return asdict(self)

    @classmethod
    def from_data(cls, data):
        """A finding from :meth:`as_data`'s dict; ValueError or TypeError if it is not one."""
        if not isinstance(data, dict) or set(data) != {"kind", "text", "student", "notebook",
                                                       "ungradable"}:
            raise ValueError("a finding is a dict of kind, text, student, notebook and "
                             "ungradable")
        return cls(**data)


def report(log, finding):
    """Log ``finding`` as its one line (problems as errors, stops as critical), record on it."""
    if finding.kind == STOP:
        log.critical(f"{STOPPED}{finding.text}", extra={"finding": finding})
    else:
        log.error(f"student {finding.line}", extra={"finding": finding})


class Collector(logging.Handler):
    """Gathers a run's findings, and why nbgrader gave up on a submission.

    Attributes
    ----------
    findings : list of Finding
        In the order they were reported.
    failure : str
        The last error nbgrader logged while handling an exception, as
        ``ExceptionType: first line of its message`` ("" if none).
    """

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.findings = []
        self.failure = ""

    def emit(self, record):
        finding = getattr(record, "finding", None)
        if isinstance(finding, Finding):
            self.findings.append(finding)
            return
        if record.levelno < logging.ERROR:
            return
        error = record.exc_info[1] if record.exc_info else sys.exc_info()[1]
        if error is None:
            return
        text = f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}"
        if not any(g in text for g in _GENERIC):
            self.failure = text.removesuffix(": ")

    @property
    def problems(self):
        """The problems' lines, in order."""
        return [f.line for f in self.findings if f.kind == PROBLEM]

    @property
    def ungradable(self):
        """Why the submission cannot be graded at all, in our words, or ""."""
        return next((f.text for f in self.findings if f.ungradable), "")

    @property
    def stopped(self):
        """Why grading stopped, or "" if it did not."""
        return next((f.text for f in self.findings if f.kind == STOP), "")


@contextlib.contextmanager
def collecting(logger):
    """A :class:`Collector` on ``logger`` for the block."""
    collector = Collector()
    logger.addHandler(collector)
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
