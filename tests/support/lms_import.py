"""The import rules of Canvas and Moodle, as their own code states them, to read our files back.

Written from Canvas's ``app/models/gradebook_importer.rb`` (``GradebookImporter``:
``header?``, ``update_column_count``, ``strip_non_assignment_columns``,
``Assignment.title_and_id``, ``check_for_non_student_row``, ``process_student``,
``identify_delimiter`` and its CSV converters) and Moodle's
``grade/import/csv/classes/load_data.php`` (``map_user_data_with_value``,
``check_user_exists``, ``update_grade_item``). Only what decides which user gets
which grade is here; what they do with it afterwards (posting policies, grading
periods) is not.
"""

import csv
import io
import re

CANVAS_RESERVED = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID",
                   "Section", "Integration ID", "Root Account")
CANVAS_NON_ASSIGNMENT = ("Current Score", "Current Points", "Current Grade", "Final Score",
                         "Final Points", "Final Grade", "Override Score", "Override Grade",
                         "Override Status")


class ImportRefused(ValueError):
    """What the LMS would refuse the file with."""


def _rows(text, separator):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    # csv_parse_options: skip_lines: /^[;, ]+$/
    return [row for row in reader if row and not re.fullmatch(r"[;, ]*", separator.join(row))]


def _canvas_separator(text):
    """``identify_delimiter``: ';' when it splits the first lines into more, equal-length rows."""
    lines = text.splitlines()[:3]
    counts = {}
    for sep in (";", ","):
        try:
            sizes = [len(next(csv.reader([line], delimiter=sep), [])) for line in lines]
        except csv.Error:
            sizes = [0, 1]
        counts[sep] = sizes[0] if len(set(sizes)) == 1 else 0
    return ";" if counts[";"] > counts[","] else ","


def _canvas_number(field):
    """The ``decimal_comma_to_period`` converter."""
    if re.fullmatch(r"-?[0-9.,]+%?", field):
        parts = re.split(r"[,.]", field)
        last = parts.pop()
        return last if not parts else "".join(parts) + "." + last
    return field


def canvas_import(text, users, assignments):
    """What Canvas makes of a gradebook CSV ``text``.

    Parameters
    ----------
    users : list of dict
        The course's students: ``id``, ``name``, ``sortable_name``, ``sis_user_id``, ``login_id``.
    assignments : dict
        ``{canvas id: title}`` of the course's assignments.

    Returns
    -------
    dict
        ``columns``: per assignment column, ``(existing id or None, title, points possible)``;
        ``grades``: ``{user id: {column index: grade}}`` for matched users (blank and ``-``
        are "no score" and left out); ``unmatched``: names of rows no user matched.

    Raises
    ------
    ImportRefused
        "Invalid header row", as Canvas reports it.
    """
    rows = _rows(text, _canvas_separator(text))
    header = rows[0]
    if not (len(header) > 3 and "Student" in header[0] and "ID" in header[1]):
        raise ImportRefused("Invalid header row")
    student_columns, sis_user_col, sis_login_col = 3, None, None
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        sis_login_col, student_columns = 2, 4
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        sis_user_col, sis_login_col = 2, 3
        extra = 1 if re.search(r"Integration\s+ID", header[4] if len(header) > 4 else "") else 0
        student_columns += 2 + extra
        if len(header) > 4 + extra and re.search(r"Root\s+Account", header[4 + extra]):
            student_columns += 1
    if "Section" not in header[student_columns - 1]:
        raise ImportRefused("Invalid header row")
    non_assignment = re.compile("|".join(map(re.escape, CANVAS_NON_ASSIGNMENT)))
    columns = []
    for index in range(student_columns, len(header)):
        name = header[index]
        if name in CANVAS_RESERVED or non_assignment.search(name):
            continue
        match = re.fullmatch(r"(.*)\s\((\d+)\)", name, flags=re.S)
        title, found = (match[1], int(match[2])) if match else (name, None)
        if found not in assignments:   # backward compat: an assignment titled as the column
            found = next((i for i, t in assignments.items() if t == name), None)
        columns.append({"index": index, "id": found, "title": title, "points": None})
    by_id = {str(u["id"]): u for u in users}
    by_sis = {u["sis_user_id"]: u for u in users if u.get("sis_user_id")}
    by_login = {u["login_id"]: u for u in users if u.get("login_id")}
    grades, unmatched = {}, []
    for row in rows[1:]:
        if "Points Possible" in row[0]:
            for column in columns:
                if column["index"] < len(row) and row[column["index"]]:
                    column["points"] = _canvas_number(row[column["index"]])
            continue
        if all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c or "", flags=re.I) for c in row):
            continue
        user = by_id.get(row[1]) if row[1] else None
        if user is None and sis_user_col is not None and row[sis_user_col]:
            user = by_sis.get(row[sis_user_col])
        if user is None and sis_login_col is not None and row[sis_login_col]:
            user = by_login.get(row[sis_login_col])
        if user is None:
            user = next((u for u in users if row[0] in (u["name"], u["sortable_name"])), None)
        if user is None:
            unmatched.append(row[0])
            continue
        marks = {}
        for column in columns:
            grade = _canvas_number((row[column["index"]] if column["index"] < len(row) else "").strip())
            if grade not in ("", "-"):
                marks[column["index"]] = grade
        grades[user["id"]] = marks
    return {"columns": [(c["id"], c["title"], c["points"]) for c in columns],
            "grades": grades, "unmatched": unmatched}


MOODLE_MAP_TO = {"userid": "id", "useridnumber": "idnumber", "useremail": "email",
                 "username": "username"}


def moodle_import(text, users, *, map_from, map_to, grade_column):
    """What Moodle's CSV grade import makes of ``text``: ``{user id: grade or None}``.

    ``map_from`` is the header of the identifying column, ``map_to`` one of
    :data:`MOODLE_MAP_TO`, ``grade_column`` the header mapped to the grade item.

    Raises
    ------
    ImportRefused
        Moodle's "usermappingerror" (a user it cannot find: the whole import stops) or
        "badgrade" (a grade that is not a number).
    """
    rows = _rows(text, ",")
    header = [h.strip() for h in rows[0]]
    who, what = header.index(map_from), header.index(grade_column)
    field = MOODLE_MAP_TO[map_to]
    grades = {}
    for row in rows[1:]:
        value = row[who]
        if not value:   # "Skip invalid row with blank user field"
            continue
        user = next((u for u in users if str(u[field]) == value), None)
        if user is None:
            raise ImportRefused(f"usermappingerror: {field} {value!r}")
        grade = row[what]
        if grade in ("", "-"):
            grades[user["id"]] = None
            continue
        try:
            grades[user["id"]] = float(grade)
        except ValueError:
            raise ImportRefused(f"badgrade: {grade!r}") from None
    return grades
