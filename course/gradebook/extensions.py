"""Per-student extensions of a due date: a CSV file in the course root, shown and revocable.

nbgrader's gradebook has a field for an extension (``SubmittedAssignment.extension``,
set by ``Gradebook.grant_extension``), but the row exists only once the student's
submission has been graded: an extension granted the day before the deadline, to a
student who has handed nothing in yet, has nowhere to go. So the instructor's
decisions live in a file of the course root (``extensions.csv``, or
``c.Deadlines.extensions_file``), one row per student and assignment::

    assignment,student_id,hours,granted,note
    initialization,bob,48,2027-02-27 10:12 UTC,"doctor's note, 26 Feb"

and the gradebook's field mirrors it whenever a submission is graded or an
extension changes (:func:`course.gradebook.deadlines.sync`), so that nbgrader's own
``total_seconds_late``, and the penalty computed from it, include the extension.
``course extend STUDENT --hours N`` grants (replacing an earlier extension: they do
not add up, as in nbgrader), ``--revoke`` takes one back, ``course extensions``
lists them. Editing the file by hand is fine; it is read afresh every time.
"""

import csv
import io
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Extension", "ExtensionError", "FIELDS", "read_extensions", "grant", "revoke"]

FIELDS = ("assignment", "student_id", "hours", "granted", "note")
#: The longest extension accepted: a year; more is a typo (minutes for hours, say).
MAX_HOURS = 24 * 366


class ExtensionError(ValueError):
    """The extensions file, or an extension asked for, is not what it should be."""


@dataclass(frozen=True)
class Extension:
    """One student's extension of one assignment's due date."""

    assignment: str
    student: str
    hours: float
    granted: str = ""   # when it was granted, as written by `course extend`
    note: str = ""      # why, in the instructor's words


def _hours(text, where):
    try:
        hours = float(text)
    except ValueError:
        raise ExtensionError(f"{where}: hours {text!r} is not a number; expected the length "
                             f"of the extension in hours, e.g. 48") from None
    if not math.isfinite(hours) or not 0 < hours <= MAX_HOURS:
        raise ExtensionError(f"{where}: {hours:g} hours; an extension is more than 0 and at "
                             f"most {MAX_HOURS} hours (a year)")
    return hours


def read_extensions(path):
    """The extensions in ``path``: ``{(assignment, student): Extension}`` (empty if no file).

    Raises
    ------
    ExtensionError
        If the header lacks a column of :data:`FIELDS`, a row has no assignment or
        student, hours that are not a positive number, or repeats a student.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        missing = [f for f in FIELDS[:3] if f not in (reader.fieldnames or [])]
        if missing:
            raise ExtensionError(f"{path}: the header has no {', '.join(missing)} column; "
                                 f"expected {','.join(FIELDS)}")
        found = {}
        for row in reader:
            where = f"{path}, line {reader.line_num}"
            assignment, student = (row["assignment"] or "").strip(), (row["student_id"] or "").strip()
            if not assignment or not student:
                raise ExtensionError(f"{where}: a row needs an assignment and a student_id")
            key = (assignment, student)
            if key in found:
                raise ExtensionError(f"{where}: a second extension for {student} on {assignment}; "
                                     f"keep one row per student and assignment")
            found[key] = Extension(assignment, student, _hours(row["hours"], where),
                                   (row.get("granted") or "").strip(), (row.get("note") or "").strip())
    return found


def _write(path, extensions):
    """Write ``extensions`` to ``path`` whole, or not at all (a temporary file renamed)."""
    path = Path(path)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for e in sorted(extensions, key=lambda e: (e.assignment, e.student)):
        writer.writerow([e.assignment, e.student, f"{e.hours:g}", e.granted, e.note])
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(out.getvalue())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def grant(path, assignment, student, hours, *, granted="", note=""):
    """Give ``student`` ``hours`` more on ``assignment``; returns (the extension, the one it replaced).

    Extensions do not add up: a second grant replaces the first, as
    ``Gradebook.grant_extension`` does.
    """
    extensions = read_extensions(path)
    new = Extension(assignment, student, _hours(str(hours), "--hours"), granted, note)
    previous = extensions.get((assignment, student))
    extensions[(assignment, student)] = new
    _write(path, extensions.values())
    return new, previous


def revoke(path, assignment, student):
    """Take back ``student``'s extension on ``assignment``; returns it.

    Raises
    ------
    ExtensionError
        If the student has none.
    """
    extensions = read_extensions(path)
    gone = extensions.pop((assignment, student), None)
    if gone is None:
        held = sorted(s for a, s in extensions if a == assignment)
        raise ExtensionError(f"{student} has no extension on {assignment} to revoke "
                             f"({'extensions: ' + ', '.join(held) if held else 'nobody has one'})")
    _write(path, extensions.values())
    return gone
