"""Grade files an LMS imports: Canvas's gradebook CSV and Moodle's grade import CSV.

``grades.csv`` is nbgrader's; neither LMS reads it. ``course export --to canvas`` and
``--to moodle`` write the file each documents for importing grades, from the
gradebook and a *roster* that says who each course student is in the LMS.

The roster (``roster.csv`` in the course root, or ``--roster``) is UTF-8 CSV with a
header row; ``student_id`` (the nbgrader id: ``submitted/<student_id>/``) is
required, the other columns are those an LMS needs (an empty cell is fine, extra
columns are ignored)::

    student_id,name,canvas_id,sis_user_id,sis_login_id,section,email,username,idnumber
    alice,"Liddell, Alice",20460,S-1001,aliddell,Section 1,alice@example.edu,aliddell,1001

The columns of nbgrader's own student list are read too: ``id`` for ``student_id``,
and ``last_name``/``first_name`` for ``name``; so one file can register the class
(``nbgrader db student import roster.csv``) and place its grades.

- **Canvas** (its gradebook import, whose rules are its ``GradebookImporter``): the
  header ``Student,ID,SIS User ID,SIS Login ID,Section`` and one column per
  assignment, titled ``Title (assignment id)`` to update an existing assignment (a
  title alone matches an assignment of that title, or creates one); the second
  row starts with ``Points Possible``. Canvas finds a student by ``ID`` (its user
  id), else ``SIS User ID``, else ``SIS Login ID``: a roster row needs one of
  ``canvas_id``, ``sis_user_id``, ``sis_login_id``.
- **Moodle** (Grades > Import > CSV file): a header, one column identifying the
  user and one per grade item. At import, *Map from* the identifier column *to*
  ``useremail``, ``username`` or ``useridnumber`` (``--id-field``: ``email``,
  ``username``, ``idnumber``), and map the grade column to the grade item. Moodle
  stops the whole import at a user it does not know, so only roster rows with
  that identifier are written.

Both are RFC 4180 CSV (fields quoted when they hold a comma, a quote or a line
break; CRLF line ends), UTF-8, points with a decimal point. Only final scores are
written: a score that waits for a grader, failed to grade, was never graded or
whose lateness is unknown is left out, not written as 0 (a blank cell would leave
the LMS's grade as it is; a missing row does the same, and Moodle cannot mistake it
for a user). Whoever is left out, on the roster without a grade or graded without
a roster row, is named in one line with the reason.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Person", "RosterError", "ROSTER_FIELDS", "MOODLE_ID_FIELDS", "read_roster",
           "final_scores", "plan", "canvas_csv", "moodle_csv", "CANVAS_IDENTITY"]

ROSTER_FIELDS = ("student_id", "name", "canvas_id", "sis_user_id", "sis_login_id", "section",
                 "email", "username", "idnumber")
#: Canvas's identity columns, in the order its gradebook export writes them.
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_POSSIBLE = "    Points Possible"   # as Canvas's export writes it
#: Moodle's identifier choices: roster column -> (header, Moodle's "Map to" field).
MOODLE_ID_FIELDS = {"email": ("Email address", "useremail"),
                    "username": ("Username", "username"),
                    "idnumber": ("ID number", "useridnumber")}


class RosterError(ValueError):
    """The roster cannot be read, or does not say who a student is in the LMS."""


@dataclass(frozen=True)
class Person:
    """One roster row: a course student and who they are in the LMS."""

    student: str
    name: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""
    username: str = ""
    idnumber: str = ""


def read_roster(path):
    """The roster at ``path``: ``{student_id: Person}``, in the file's order.

    Raises
    ------
    RosterError
        If the file is missing, has no ``student_id`` column, repeats a student, or
        gives two students the same LMS identity (their grades would land on one person).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")   # a spreadsheet's byte-order mark is fine
    except FileNotFoundError:
        raise RosterError(f"no roster at {path}: write one (CSV with a student_id column and "
                          f"the LMS's ids; see the README) or give --roster") from None
    except UnicodeDecodeError:
        raise RosterError(f"{path} is not UTF-8 text; save the roster as CSV in UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    id_column = "student_id" if "student_id" in header else "id" if "id" in header else None
    if id_column is None:
        raise RosterError(f"{path}: the header has no student_id column; expected "
                          f"{','.join(ROSTER_FIELDS)} (student_id, or nbgrader's id, required)")
    reader.fieldnames = header
    people, seen = {}, {}
    for row in reader:
        where = f"{path}, line {reader.line_num}"
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        values = {f: row.get(f, "") for f in ROSTER_FIELDS}
        values["student_id"] = row.get(id_column, "")
        if not values["name"] and (row.get("last_name") or row.get("first_name")):
            values["name"] = ", ".join(n for n in (row.get("last_name"), row.get("first_name")) if n)
        if not any(values.values()):
            continue
        student = values.pop("student_id")
        if not student:
            raise RosterError(f"{where}: no student_id")
        if student in people:
            raise RosterError(f"{where}: {student} is on the roster twice")
        for name in ("canvas_id", "sis_user_id", "sis_login_id", "email", "username", "idnumber"):
            key = (name, values[name].lower() if name == "email" else values[name])
            if values[name] and key in seen:
                raise RosterError(f"{where}: {student} has the {name} {values[name]!r} of "
                                  f"{seen[key]}; each LMS identity belongs to one student")
            seen[key] = student
        people[student] = Person(student, **values)
    return people


@dataclass(frozen=True)
class Final:
    """A student's score for the LMS: the points, or None and why it is not final."""

    points: float | None
    why: str = ""
    handed_in: bool = True   # False: no notebook handed in (``not submitted``)


def final_scores(scores, lateness):
    """``{student: Final}`` from their :class:`~course.gradebook.scores.Score` and ``LateWork`` (or None).

    A score is final when every cell has its points (nothing waits for a grader,
    nothing failed) and its lateness is known; the late penalty is taken off. A
    student with no notebook handed in (``not submitted``) has no score: the roster
    decides (:func:`plan`'s ``zero_missing``).
    """
    result = {}
    for score in scores:
        work = lateness.get(score.student)
        if score.status == "not submitted":
            result[score.student] = Final(None, "nothing handed in", handed_in=False)
        elif not score.submitted:
            result[score.student] = Final(None, "handed in, not graded yet")
        elif not score.graded:
            result[score.student] = Final(None, "failed to grade")
        elif score.needs_manual:
            result[score.student] = Final(None, "a written answer waits for a grader")
        elif work is not None and work.state == "unknown":
            result[score.student] = Final(None, f"lateness unknown ({work.problem})")
        else:
            penalty = work.penalty if work is not None else 0.0
            result[score.student] = Final(max(0.0, score.total - penalty))
    return result


def _identity(person, lms, id_field):
    """The person's identity in ``lms`` (what the import matches on), or ""."""
    if lms == "canvas":
        return person.canvas_id or person.sis_user_id or person.sis_login_id
    return getattr(person, id_field)


def plan(roster, finals, *, lms, id_field="email", zero_missing=None, roster_name="the roster"):
    """Who gets a grade, and one line for everyone left out.

    Parameters
    ----------
    roster : dict of Person
    finals : dict of Final
        By student: everyone the gradebook or ``submitted/`` knows.
    lms : {"canvas", "moodle"}
    id_field : {"email", "username", "idnumber"}
        Moodle's identifier.
    zero_missing : set of str, optional
        The roster students to give 0 when they handed nothing in: those whose own due
        date (with extension) has passed. None: everyone without a submission is left out.

    Returns
    -------
    rows : list of (Person, float)
        In roster order.
    notes : list of str
        ``<student>: <why>: left out``, one per student left out.
    """
    label = "canvas_id, sis_user_id or sis_login_id" if lms == "canvas" else id_field
    rows, notes = [], []
    for student, person in roster.items():
        final = finals.get(student)
        if not _identity(person, lms, id_field):
            notes.append(f"{student}: no {label} in {roster_name}: left out")
        elif final is None or not final.handed_in:
            if zero_missing is None:
                notes.append(f"{student}: on {roster_name}, nothing handed in: left out "
                             f"(--zero-missing writes 0)")
            elif student in zero_missing:
                rows.append((person, 0.0))
            else:
                notes.append(f"{student}: on {roster_name}, nothing handed in, before their "
                             f"due date: left out")
        elif final.points is None:
            notes.append(f"{student}: not final, {final.why}: left out")
        else:
            rows.append((person, final.points))
    for student in sorted(set(finals) - set(roster)):
        notes.append(f"{student}: in the gradebook or submitted/, not on {roster_name}: left "
                     f"out (add a row for them)")
    return rows, notes


def _points(value):
    return f"{round(value, 2):g}"


def _csv(rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return out.getvalue()


def canvas_csv(rows, column, points_possible):
    """Canvas's gradebook import file: identity columns, one assignment ``column``, Points Possible.

    ``column`` is the assignment's title in Canvas, best with its id:
    ``Initialization (12345)``.
    """
    lines = [[*CANVAS_IDENTITY, column],
             [CANVAS_POINTS_POSSIBLE, "", "", "", "", _points(points_possible)]]
    for person, points in rows:
        lines.append([person.name or person.student, person.canvas_id, person.sis_user_id,
                      person.sis_login_id, person.section, _points(points)])
    return _csv(lines)


def moodle_csv(rows, column, id_field):
    """Moodle's grade import file: the identifier column, then the grade ``column``."""
    header, _ = MOODLE_ID_FIELDS[id_field]
    return _csv([[header, column], *([getattr(p, id_field), _points(points)] for p, points in rows)])
