"""Due dates, submission times, extensions and the late policy: what lateness costs, and why.

nbgrader has the machinery: ``Assignment.duedate``, ``SubmittedAssignment.timestamp``
(read from ``timestamp.txt``, which ``nbgrader collect`` and ``nbgrader zip_collect``
write), ``SubmittedAssignment.extension``, and ``AssignLatePenalties``, which asks a
``LateSubmissionPlugin`` for each notebook's penalty at autograde. What it leaves
stale, and what this module does about it:

- a penalty is computed once, at autograde, on the notebook's score at that moment
  (nbgrader's #723 was a penalty kept after the submission stopped being late;
  nbgrader now resets it before each autograde). A written answer graded later, an
  extension granted later, or a ``timestamp.txt`` removed (nbgrader then keeps the
  old time) all leave the stored penalty wrong. Here every view (``course scores``,
  ``grades.csv``, the feedback page, the LMS files) computes the penalty afresh from
  the facts, with the same plugin (:meth:`Rules.assess`), and the commands that change
  a fact store the new penalty too (:func:`store`), so nbgrader's formgrader agrees;
- an extension has a field in the gradebook only once the submission is graded:
  extensions live in a file (:mod:`course.gradebook.extensions`), put into the
  gradebook by :func:`sync` before nbgrader computes a penalty;
- a submission without a readable time is on time for nbgrader, silently: here it is
  *unknown*, said so everywhere, and left out of the files an LMS imports.

:class:`LatePolicy` is the course's ``LateSubmissionPlugin`` (``nbgrader_config.py``): a
percentage of the score per day started, capped, zero after a cutoff, a grace
period. :class:`LatePenalties` is nbgrader's ``AssignLatePenalties`` with :func:`sync`
first; :class:`DescribeLateness` puts the recomputed penalty and a sentence into the
feedback page. The due date is the gradebook's, or ``c.Deadlines.due`` in
``nbgrader_config.py``, which then wins and is written into the gradebook.
"""

import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import AssignLatePenalties, NbGraderPreprocessor
from traitlets import Dict, Float, Unicode
from traitlets.config import Configurable

from course.gradebook.extensions import read_extensions

__all__ = ["DeadlineError", "Deadlines", "LatePolicy", "LatePenalties", "DescribeLateness",
           "LateWork", "Rules", "parse_time", "format_time", "duration", "read_timestamp",
           "sync", "store", "course_config"]

TIMESTAMP = "timestamp.txt"
EXAMPLE = "2027-03-01 23:59 Europe/Berlin"


class DeadlineError(ValueError):
    """A due date, a time or the course's deadline settings that cannot be used as given."""


# --- times --------------------------------------------------------------------------

_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def _zone(name, what, text):
    """The tzinfo of a zone written after a time: UTC, an offset, or an IANA name."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name.upper() in ("UTC", "GMT", "Z"):
        return timezone.utc
    match = _OFFSET.match(name)
    if match:
        sign = 1 if match[1] == "+" else -1
        return timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3])))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DeadlineError(f"{what} {text!r}: {name!r} is not a time zone; expected UTC, an "
                            f"offset (+01:00) or a name such as Europe/Berlin") from None


def parse_time(text, *, what="time", naive=None):
    """A written time as nbgrader stores times: a naive ``datetime`` in UTC.

    Accepts ISO 8601 with an offset (``2027-03-01T23:59+01:00``, ``...Z``) or a
    date and time followed by a zone (``2027-03-01 23:59 Europe/Berlin``,
    ``2027-03-01 23:59:00.123 UTC``, ``... +0100``: what ``nbgrader submit``
    writes). A time without a zone is refused, unless ``naive`` gives its zone
    (``timestamp.txt`` files hold naive UTC times when ``zip_collect`` wrote them).
    nbgrader's own ``parse_utc`` takes ``+0100`` as 100 seconds and an unknown
    zone as UTC; here both are an error or right.

    Raises
    ------
    DeadlineError
        Naming ``what`` and the text.
    """
    text = str(text).strip()
    iso = text[:-1] + "+00:00" if text.endswith("Z") else text
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        head, _, zone = text.rpartition(" ")
        try:
            moment = datetime.fromisoformat(head) if head else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is not None:
            raise DeadlineError(f"{what} {text!r} is not a time; expected e.g. {EXAMPLE} "
                                f"or 2027-03-01T23:59+01:00") from None
        moment = moment.replace(tzinfo=_zone(zone, what, text))
    if moment.tzinfo is None:
        if naive is None:
            raise DeadlineError(f"{what} {text!r} has no time zone; add one, e.g. "
                                f"'{text} UTC' or '{text} Europe/Berlin'")
        moment = moment.replace(tzinfo=naive)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def format_time(moment):
    """A naive UTC time for people: ``2027-03-01 22:59 UTC`` (seconds when not 0)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if moment.second else "%Y-%m-%d %H:%M UTC")


def _plural(n, unit):
    return f"{n} {unit}{'' if n == 1 else 's'}"


def duration(seconds):
    """A length of time in the two largest units that matter: ``1 day 3 hours``, ``40 seconds``."""
    seconds = max(1, math.ceil(seconds)) if seconds > 0 else 0
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute"), (secs, "second")]
    first = next((i for i, (n, _) in enumerate(parts) if n), 3)
    shown = [(n, unit) for n, unit in parts[first:first + 2] if n]
    return " ".join(_plural(n, unit) for n, unit in shown) or "0 seconds"


def _points(value):
    return f"{round(value, 2):g}"


# --- the course's settings ------------------------------------------------------------

class Deadlines(Configurable):
    """The course's deadline settings in ``nbgrader_config.py`` (``c.Deadlines...``)."""

    due = Dict(value_trait=Unicode(), help=(
        "Due dates by assignment, with their zone: {'initialization': '2027-03-01 23:59 "
        "Europe/Berlin'}. When set for an assignment, it is the due date: `course release`, "
        "every autograde and `course extend` write it into the gradebook.")).tag(config=True)
    extensions_file = Unicode("extensions.csv", help=(
        "The file of per-student extensions, relative to the course root "
        "(course.gradebook.extensions)")).tag(config=True)


def course_config(root):
    """The configuration of the course root's ``nbgrader_config.py``."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def configured_due(settings, assignment):
    """``c.Deadlines.due[assignment]`` as a naive UTC time, or None when not set."""
    text = settings.due.get(assignment)
    if text is None:
        return None
    return parse_time(text, what=f"c.Deadlines.due[{assignment!r}] in nbgrader_config.py")


def policy_from(config):
    """The ``LateSubmissionPlugin`` nbgrader's ``AssignLatePenalties`` uses with ``config``.

    Raises
    ------
    DeadlineError
        If the configured plugin cannot be loaded or refuses its settings.
    """
    from traitlets import TraitError

    try:
        return AssignLatePenalties(config=config).plugin_class(config=config)
    except (TraitError, ImportError) as error:
        raise DeadlineError(f"the late policy in nbgrader_config.py: {error}") from None


# --- the late policy -----------------------------------------------------------------------

class LatePolicy(LateSubmissionPlugin):
    """A percentage of the score per day started, capped, zero after a cutoff, with a grace period.

    nbgrader calls :meth:`late_submission_penalty` for each notebook with the
    notebook's score; the penalty is a share of it, so the notebooks' penalties add
    up to the same share of the assignment's score. nbgrader's own
    ``penalty_method = 'zero'`` still means that any lateness past the grace costs
    the whole score.
    """

    percent_per_day = Float(0.0, min=0.0, max=100.0, help=(
        "Percent of the score taken off per day (24 hours) started past the due date "
        "(and extension)")).tag(config=True)
    max_percent = Float(100.0, min=0.0, max=100.0, help=(
        "At most this percent of the score is taken off (unless zero_after_days applies)")
    ).tag(config=True)
    zero_after_days = Float(0.0, min=0.0, help=(
        "Work more than this many days late scores 0; 0 for no such cutoff")).tag(config=True)
    grace_minutes = Float(0.0, min=0.0, help=(
        "Work at most this many minutes late is taken as on time")).tag(config=True)

    def _grace(self):
        return f"{self.grace_minutes:g}-minute"

    def fraction(self, seconds_late):
        """The share of the score lost, from 0 to 1, for work ``seconds_late`` seconds late."""
        if seconds_late <= self.grace_minutes * 60:
            return 0.0
        if self.penalty_method == "zero":
            return 1.0
        if self.zero_after_days and seconds_late > self.zero_after_days * 86400:
            return 1.0
        days = math.ceil(seconds_late / 86400)
        return min(self.percent_per_day * days, self.max_percent) / 100

    def words(self, seconds_late):
        """What ``seconds_late`` costs, in words: ``-20% of the score (2 days started, ...)``."""
        if seconds_late <= 0:
            return "no penalty"
        if seconds_late <= self.grace_minutes * 60:
            return f"within the {self._grace()} grace period: no penalty"
        if self.penalty_method == "zero":
            return "late work scores 0"
        if self.zero_after_days and seconds_late > self.zero_after_days * 86400:
            return f"more than {_plural_days(self.zero_after_days)} late: the score is 0"
        days = math.ceil(seconds_late / 86400)
        percent = 100 * self.fraction(seconds_late)
        if percent <= 0:
            return "no penalty (the late policy takes nothing off)"
        capped = percent < self.percent_per_day * days
        return (f"-{percent:g}% of the score ({_plural(days, 'day')} started, "
                f"{self.percent_per_day:g}% a day{f', at most {self.max_percent:g}%' if capped else ''})")

    def describe(self):
        """The policy in one sentence."""
        if self.penalty_method == "zero":
            parts = ["late work scores 0"]
        elif self.percent_per_day:
            parts = [f"{self.percent_per_day:g}% of the score per day started past the due date"
                     + (f", at most {self.max_percent:g}%" if self.max_percent < 100 else "")]
        else:
            parts = ["no penalty for late work"]
        if self.zero_after_days and self.penalty_method != "zero":
            parts.append(f"0 after {_plural_days(self.zero_after_days)}")
        if self.grace_minutes:
            parts.append(f"{self.grace_minutes:g} minutes of grace")
        return "; ".join(parts)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        return score * self.fraction(total_seconds_late)


def _plural_days(days):
    return f"{days:g} day{'' if days == 1 else 's'}"


def _words(policy, seconds_late, penalty):
    """What lateness cost under any plugin: the course's words, or the points for another."""
    if isinstance(policy, LatePolicy):
        return policy.words(seconds_late)
    return f"-{_points(penalty)} points ({type(policy).__name__})" if penalty else "no penalty"


# --- submission times -------------------------------------------------------------------------

def read_timestamp(folder, shown=None):
    """The submission time in ``folder/timestamp.txt`` (naive UTC), and why there is none.

    Returns ``(time, "")``, or ``(None, problem)`` where the file is missing, empty
    or not a time. ``shown`` is how the folder is named in the problem.
    """
    path = Path(folder) / TIMESTAMP
    where = f"{shown or folder}/{TIMESTAMP}"
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None, f"no {where} (neither the exchange nor the LMS gave a time)"
    except (OSError, UnicodeDecodeError) as error:
        return None, f"{where} cannot be read ({type(error).__name__})"
    if not text:
        return None, f"{where} is empty"
    try:
        return parse_time(text, what=where, naive=timezone.utc), ""
    except DeadlineError as error:
        return None, str(error)


def unreadable_by_nbgrader(folder, shown=None):
    """Why nbgrader cannot read ``folder/timestamp.txt`` ("" when it can, or there is none).

    nbgrader's autograde reads the file with its ``parse_utc`` and, where that
    fails, stops with an AttributeError of its own (nbgrader 0.9.6).
    """
    from nbgrader.utils import parse_utc

    path = Path(folder) / TIMESTAMP
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as error:
        return f"{shown or folder}/{TIMESTAMP} cannot be read ({type(error).__name__})"
    if not text:
        return ""
    try:
        parse_utc(text)
    except (ValueError, OverflowError):
        return (f"{shown or folder}/{TIMESTAMP} holds {text[:40]!r}, not a time nbgrader reads "
                f"(e.g. 2027-03-01 23:59:00 UTC): not graded; correct it, or remove it (the "
                f"submission then has no time), and grade again")
    return ""


# --- lateness --------------------------------------------------------------------------------

@dataclass(frozen=True)
class LateWork:
    """How late one student's submission was, and what it cost (a record; text comes from it)."""

    student: str
    due: datetime | None              # the assignment's due date (naive UTC), None: none set
    extension_hours: float = 0.0
    submitted: datetime | None = None
    problem: str = ""                 # why the submission time is unknown
    seconds_late: float = 0.0         # past the due date and extension; 0 on time or unknown
    penalties: dict = field(default_factory=dict)   # notebook -> points taken off
    cost: str = ""                    # what the lateness cost, in words

    @property
    def deadline(self):
        """The student's own due date: the assignment's and the extension."""
        return None if self.due is None else self.due + timedelta(hours=self.extension_hours)

    @property
    def state(self):
        """``no due date``, ``unknown`` (no readable time), ``on time`` or ``late``."""
        if self.due is None:
            return "no due date"
        if self.problem:
            return "unknown"
        return "late" if self.seconds_late > 0 else "on time"

    @property
    def penalty(self):
        """Points taken off, all notebooks together."""
        return sum(self.penalties.values())

    def _extension(self, whose=""):
        return (f" after {whose}extension of {self.extension_hours:g} hours"
                if self.extension_hours else "")

    def summary(self):
        """One line for an instructor: ``late by 1 day 3 hours: -10% of the score (...), -1.6 points``."""
        state = self.state
        if state == "no due date":
            return ""
        if state == "unknown":
            return f"lateness unknown, no penalty applied: {self.problem}"
        if state == "on time":
            return "on time" + (f" (with an extension of {self.extension_hours:g} hours)"
                                if self.extension_hours else "")
        late = f"late by {duration(self.seconds_late)}{self._extension('an ')}: {self.cost}"
        return late + (f", -{_points(self.penalty)} points" if self.penalty else "")

    def for_student(self, notebook):
        """The sentence a feedback page shows for ``notebook``."""
        state = self.state
        if state == "no due date":
            return ""
        if state == "unknown":
            return "No submission time was recorded for this work, so no late penalty was applied."
        due = (f"due {format_time(self.deadline)}"
               + (f", with your extension of {self.extension_hours:g} hours" if self.extension_hours else ""))
        handed = f"Handed in {format_time(self.submitted)}"
        if state == "on time":
            return f"{handed}, on time ({due})."
        penalty = self.penalties.get(notebook, 0.0)
        taken = f"{_points(penalty)} points in this notebook" if penalty else "nothing in this notebook"
        return f"{handed}, {duration(self.seconds_late)} late ({due}): {self.cost}; {taken}."


@dataclass
class Rules:
    """What lateness is measured against, read once for a class: due date, extensions, policy."""

    assignment: str
    due: datetime | None
    configured: bool        # whether the due date comes from nbgrader_config.py
    extensions: dict        # (assignment, student) -> Extension
    policy: object          # the LateSubmissionPlugin nbgrader applies
    root: Path | None = None

    @classmethod
    def load(cls, root, gb, assignment, config=None):
        """The rules of ``assignment`` in the course at ``root`` (its ``nbgrader_config.py``).

        Raises
        ------
        DeadlineError, course.gradebook.extensions.ExtensionError
            If the configured due date or the extensions file cannot be read.
        """
        config = course_config(root) if config is None else config
        settings = Deadlines(config=config)
        due = configured_due(settings, assignment)
        configured = due is not None
        if not configured:
            try:
                due = gb.find_assignment(assignment).duedate
            except MissingEntry:
                due = None
        extensions = read_extensions(Path(root) / settings.extensions_file) if root else {}
        return cls(assignment, due, configured, extensions, policy_from(config),
                   Path(root) if root else None)

    def extension_hours(self, student):
        found = self.extensions.get((self.assignment, student))
        return found.hours if found else 0.0

    def submitted_folder(self, student):
        return None if self.root is None else self.root / "submitted" / student / self.assignment

    def _no_time(self, student):
        """Why a graded submission has no time: its file's problem, or it came after grading."""
        folder = self.submitted_folder(student)
        if folder is None:
            return "no submission time in the gradebook"
        _, problem = read_timestamp(folder, f"submitted/{student}/{self.assignment}")
        return problem or (f"submitted/{student}/{self.assignment}/{TIMESTAMP} came after the "
                           f"submission was graded: grade it again")

    def assess(self, gb, student):
        """The :class:`LateWork` of ``student``'s graded submission, or None if the gradebook has none.

        The penalty of each notebook is the policy's on the notebook's score now (manual
        grades included), past the due date and the extension now: never a stored one.
        """
        try:
            submission = gb.find_submission(self.assignment, student)
        except MissingEntry:
            return None
        hours = self.extension_hours(student)
        if self.due is None:
            return LateWork(student, None, hours)
        if submission.timestamp is None:
            return LateWork(student, self.due, hours, problem=self._no_time(student))
        deadline = self.due + timedelta(hours=hours)
        seconds = max(0.0, (submission.timestamp - deadline).total_seconds())
        penalties = {}
        if seconds > 0:
            for notebook in submission.notebooks:
                score = notebook.score
                penalty = self.policy.late_submission_penalty(student, score, seconds)
                penalties[notebook.notebook.name] = min(max(penalty or 0.0, 0.0), score)
        return LateWork(student, self.due, hours, submission.timestamp, "", seconds, penalties,
                        _words(self.policy, seconds, sum(penalties.values())))


def sync(gb, rules, student):
    """Put the course's facts into the gradebook before nbgrader computes a penalty.

    The configured due date into the assignment; the extension of the extensions file
    and the time of ``submitted/<student>/<assignment>/timestamp.txt`` into the
    submission (None when the file is missing or unreadable: never an earlier
    time left behind). Returns why the submission has no time ("" if it has one).
    """
    if rules.configured:
        found = gb.find_assignment(rules.assignment)
        if found.duedate != rules.due:
            found.duedate = rules.due
    submission = gb.find_submission(rules.assignment, student)
    folder = rules.submitted_folder(student)
    submitted, problem = (read_timestamp(folder, f"submitted/{student}/{rules.assignment}")
                          if folder is not None else (submission.timestamp, ""))
    submission.timestamp = submitted
    hours = rules.extension_hours(student)
    submission.extension = timedelta(hours=hours) if hours else None
    gb.db.commit()
    return problem


def store(gb, rules, student):
    """Store ``student``'s penalty as of now in the gradebook (for nbgrader's own views).

    What ``AssignLatePenalties`` would write after a regrade: the extension, and the
    penalty on its score now of each notebook handed in (nbgrader leaves a notebook
    not handed in without one). Returns the :class:`LateWork`, or None when the
    gradebook holds no submission of the student's.
    """
    work = rules.assess(gb, student)
    if work is None:
        return None
    submission = gb.find_submission(rules.assignment, student)
    submission.extension = timedelta(hours=work.extension_hours) if work.extension_hours else None
    folder = rules.submitted_folder(student)
    for notebook in submission.notebooks:
        name = notebook.notebook.name
        handed_in = folder is None or (folder / f"{name}.ipynb").is_file()
        notebook.late_submission_penalty = (work.penalties.get(name, 0.0)
                                            if work.seconds_late > 0 and handed_in else None)
    gb.db.commit()
    return work


# --- nbgrader's preprocessors ---------------------------------------------------------------------

def _course_root(preprocessor, resources):
    """The course root of the converter running ``preprocessor`` (else from the notebook's folder)."""
    coursedir = getattr(getattr(preprocessor.parent, "parent", None), "coursedir", None)
    if coursedir is not None:
        return Path(coursedir.root)
    here = resources.get("metadata", {}).get("path")   # <step>/<student>/<assignment>
    return Path(here).resolve().parents[2] if here else Path(os.getcwd())


def _first_handed_in(gb, rules, student):
    """The first notebook of the assignment that ``student`` handed in (None if none is known)."""
    folder = rules.submitted_folder(student)
    names = [nb.name for nb in gb.find_assignment(rules.assignment).notebooks]
    return next((n for n in names if folder is None or (folder / f"{n}.ipynb").is_file()), None)


class LatePenalties(AssignLatePenalties):
    """nbgrader's ``AssignLatePenalties``, with the course's due date, extension and time put in first.

    Registered in ``Autograde.autograde_preprocessors`` in place of nbgrader's; the
    penalty itself is nbgrader's computation with the configured plugin.
    """

    def preprocess(self, nb, resources):
        from course.autograde.outcomes import PROBLEM, Finding, report

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            rules = Rules.load(_course_root(self, resources), gb, info["assignment"], self.config)
            problem = sync(gb, rules, info["student"])
            first = _first_handed_in(gb, rules, info["student"])
        if problem and rules.due is not None and info["notebook"] == first:
            # once per submission, in the words of LateWork.summary()
            report(self.log, Finding(PROBLEM, f"lateness unknown, no penalty applied: {problem}",
                                     info["student"]))
        return super().preprocess(nb, resources)


class DescribeLateness(NbGraderPreprocessor):
    """Put the penalty as of now, and a sentence on lateness, into a feedback page.

    Registered for ``GenerateFeedback`` after nbgrader's ``GetGrades``, whose
    ``late_penalty`` and ``score`` it replaces with :meth:`Rules.assess`'s (an
    extension or a manual grade since autograde counts); ``lateness`` is the
    sentence the course's template shows.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            rules = Rules.load(_course_root(self, resources), gb, info["assignment"], self.config)
            work = rules.assess(gb, info["student"])
            score = gb.find_submission_notebook(info["notebook"], info["assignment"],
                                                info["student"]).score
        info["lateness"] = work.for_student(info["notebook"]) if work is not None else ""
        if work is not None and work.due is not None:
            info["late_penalty"] = work.penalties.get(info["notebook"], 0.0)
            info["score"] = score - info["late_penalty"]
        return nb, resources
