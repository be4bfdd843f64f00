"""Canvas's and Moodle's grade import files, against fixtures written from their documentation.

The fixtures (``fixtures/``) were written by hand, not by the code under test:

- ``canvas-grades.csv``: Canvas's gradebook CSV as its guides ("How do I import grades
  in the Gradebook?": the columns Student, ID, SIS User ID, SIS Login ID, Section, an
  assignment column titled ``Name (assignment id)``) and its gradebook export show it,
  the ``    Points Possible`` row second; RFC 4180 quoting (a name holding a comma or
  a quote is quoted, the quote doubled), CRLF line ends;
- ``moodle-grades-*.csv``: Moodle's CSV grade import ("Grade import": a column to map
  from, to useremail / useridnumber, and a column per grade item), the identifier
  headers as Moodle's own export names them (Email address, ID number).

The class: alice (18, on time), bob (13, a day late: -1.3), carol (a written answer
waits), dmitri (15; Canvas knows him only by SIS User ID), emeka (16, no submission
time), fay (9; no Canvas id, no ID number), gus (on the roster, nothing handed in),
hal (graded, not on the roster).
"""

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from course.gradebook import lms_export
from course.gradebook.deadlines import LateWork
from course.gradebook.lms_export import RosterError, read_roster
from course.gradebook.scores import Score
from support.lms_import import ImportRefused, canvas_import, moodle_import

FIXTURES = Path(__file__).parent / "fixtures"
MAX = {"check_a": 8, "check_b": 8, "answer": 2}
DUE = datetime(2027, 3, 1, 22, 59)


def _score(student, a, b, answer, **kwargs):
    points = {"check_a": a, "check_b": b, "answer": answer}
    return Score(student, points, MAX, dict.fromkeys(MAX, "one"),
                 needs_manual={"answer"} if answer is None and a is not None else set(), **kwargs)


SCORES = [_score("alice", 8, 8, 2), _score("bob", 8, 3, 2), _score("carol", 8, 8, None),
          _score("dmitri", 8, 5, 2), _score("emeka", 8, 6, 2), _score("fay", 4, 3, 2),
          _score("hal", 5, 5, 0)]
LATENESS = {
    "alice": LateWork("alice", DUE, 0.0, DUE - timedelta(hours=1)),
    "bob": LateWork("bob", DUE, 0.0, DUE + timedelta(hours=20), "", 72000.0, {"one": 1.3},
                    "-10% of the score (1 day started, 10% a day)"),
    "emeka": LateWork("emeka", DUE, problem="no submitted/emeka/initialization/timestamp.txt"),
}


def _plan(lms, **options):
    roster = read_roster(FIXTURES / "roster.csv")
    finals = lms_export.final_scores(SCORES, LATENESS)
    return lms_export.plan(roster, finals, lms=lms, roster_name="roster.csv", **options)


def test_only_final_scores_are_kept_after_the_late_penalty():
    finals = lms_export.final_scores(SCORES, LATENESS)
    assert {s: f.points for s, f in finals.items()} == {
        "alice": 18, "bob": pytest.approx(11.7), "carol": None, "dmitri": 15, "emeka": None,
        "fay": 9, "hal": 10}
    assert finals["carol"].why == "a written answer waits for a grader"
    assert finals["emeka"].why.startswith("lateness unknown (no submitted/emeka/")
    failed = _score("ivy", 8, None, 2)   # a cell the autograder could not score
    assert lms_export.final_scores([failed], {})["ivy"].why == "failed to grade"
    never = _score("joe", None, None, None, submitted=False)
    assert lms_export.final_scores([never], {})["joe"].why == "handed in, not graded yet"
    empty = _score("kim", None, None, None, submitted=False, handed_in=False)   # no notebook
    assert lms_export.final_scores([empty], {})["kim"] == lms_export.Final(None, "nothing handed in",
                                                                         handed_in=False)


def test_a_student_with_an_empty_folder_counts_as_nothing_handed_in():
    roster = {"kim": lms_export.Person("kim", email="kim@example.edu")}
    finals = lms_export.final_scores([_score("kim", None, None, None, submitted=False,
                                             handed_in=False)], {})
    rows, notes = lms_export.plan(roster, finals, lms="moodle", roster_name="roster.csv")
    assert rows == [] and notes == ["kim: on roster.csv, nothing handed in: left out "
                                    "(--zero-missing writes 0)"]
    rows, _ = lms_export.plan(roster, finals, lms="moodle", zero_missing={"kim"})
    assert [(p.student, points) for p, points in rows] == [("kim", 0.0)]


def test_the_canvas_file_is_the_documented_one_byte_for_byte():
    rows, _ = _plan("canvas")
    text = lms_export.canvas_csv(rows, "Initialization (12345)", 18)
    assert text.encode("utf-8") == (FIXTURES / "canvas-grades.csv").read_bytes()


@pytest.mark.parametrize("id_field", ["email", "idnumber"])
def test_the_moodle_file_is_the_documented_one_byte_for_byte(id_field):
    rows, _ = _plan("moodle", id_field=id_field)
    text = lms_export.moodle_csv(rows, "Initialization", id_field)
    assert text.encode("utf-8") == (FIXTURES / f"moodle-grades-{id_field}.csv").read_bytes()


def test_everyone_left_out_is_named_once_with_the_reason():
    _, notes = _plan("canvas")
    assert notes == [
        "carol: not final, a written answer waits for a grader: left out",
        "emeka: not final, lateness unknown (no submitted/emeka/initialization/timestamp.txt): "
        "left out",
        "fay: no canvas_id, sis_user_id or sis_login_id in roster.csv: left out",
        "gus: on roster.csv, nothing handed in: left out (--zero-missing writes 0)",
        "hal: in the gradebook or submitted/, not on roster.csv: left out (add a row for them)"]
    _, notes = _plan("moodle", id_field="idnumber")
    assert "fay: no idnumber in roster.csv: left out" in notes


def test_zero_missing_writes_zero_only_for_those_past_their_due_date():
    rows, notes = _plan("moodle", zero_missing={"gus"})
    assert ("gus@example.edu", 0.0) in [(p.email, points) for p, points in rows]
    assert not any(n.startswith("gus:") for n in notes)
    rows, notes = _plan("moodle", zero_missing=set())   # gus's own due date has not passed
    assert "gus" not in [p.student for p, _ in rows]
    assert "gus: on roster.csv, nothing handed in, before their due date: left out" in notes


# --- the files read back by each LMS's rules -------------------------------------------------------

CANVAS_USERS = [
    {"id": 20460, "name": "Alice Liddell", "sortable_name": "Liddell, Alice", "sis_user_id": "S-1001", "login_id": "aliddell"},
    {"id": 20461, "name": 'Bob "The" Builder', "sortable_name": 'Builder, Bob "The"', "sis_user_id": "", "login_id": "bbuilder"},
    {"id": 20462, "name": "Carol Danvers", "sortable_name": "Danvers, Carol", "sis_user_id": "S-1003", "login_id": "cdanvers"},
    {"id": 20463, "name": "Dmitri Mendeleev", "sortable_name": "Mendeleev, Dmitri", "sis_user_id": "S-1004", "login_id": "dm"},
    {"id": 20465, "name": "Fay Wray", "sortable_name": "Wray, Fay", "sis_user_id": "", "login_id": "fwray"},
    {"id": 29999, "name": "Test Student", "sortable_name": "Student, Test", "sis_user_id": "", "login_id": ""},
]


def test_canvas_reads_our_file_back_grade_for_grade():
    rows, _ = _plan("canvas")
    text = lms_export.canvas_csv(rows, "Initialization (12345)", 18)
    imported = canvas_import(text, CANVAS_USERS, {12345: "Initialization", 777: "Quiz 1"})
    assert imported["columns"] == [(12345, "Initialization", "18")]
    assert imported["unmatched"] == []
    # dmitri, without a Canvas ID in the roster, is found by his SIS User ID
    assert imported["grades"] == {20460: {5: "18"}, 20461: {5: "11.7"}, 20463: {5: "15"}}


def test_canvas_matches_a_title_without_an_id_or_makes_a_new_assignment():
    rows, _ = _plan("canvas")
    by_title = canvas_import(lms_export.canvas_csv(rows, "Initialization", 18), CANVAS_USERS,
                             {12345: "Initialization"})
    assert by_title["columns"] == [(12345, "Initialization", "18")]
    new = canvas_import(lms_export.canvas_csv(rows, "Initialisation", 18), CANVAS_USERS,
                        {12345: "Initialization"})
    assert new["columns"] == [(None, "Initialisation", "18")]


def test_canvas_refuses_a_header_without_its_identity_columns():
    with pytest.raises(ImportRefused, match="Invalid header row"):
        canvas_import("Name,Login,Grade\r\nA,a,1\r\n", CANVAS_USERS, {})


MOODLE_USERS = [{"id": n, "email": f"{s}@example.edu", "idnumber": i, "username": u}
                for n, (s, i, u) in enumerate([("alice", "1001", "aliddell"), ("bob", "1002", "bbuilder"),
                                               ("dmitri", "1004", "dmendeleev"), ("fay", "", "fwray")])]


@pytest.mark.parametrize("id_field, header, map_to", [
    ("email", "Email address", "useremail"), ("idnumber", "ID number", "useridnumber"),
    ("username", "Username", "username")])
def test_moodle_reads_our_file_back_grade_for_grade(id_field, header, map_to):
    rows, _ = _plan("moodle", id_field=id_field)
    text = lms_export.moodle_csv(rows, "Initialization", id_field)
    grades = moodle_import(text, MOODLE_USERS, map_from=header, map_to=map_to,
                           grade_column="Initialization")
    expected = {0: 18.0, 1: 11.7, 2: 15.0, 3: 9.0}
    if id_field == "idnumber":
        del expected[3]   # fay has no ID number: left out, not a row Moodle cannot place
    assert grades == pytest.approx(expected)


def test_moodle_stops_at_a_user_it_does_not_know():
    """Why a roster row that is not a Moodle user must not reach the file."""
    with pytest.raises(ImportRefused, match="usermappingerror"):
        moodle_import("Email address,X\r\nnobody@example.edu,3\r\n", MOODLE_USERS,
                      map_from="Email address", map_to="useremail", grade_column="X")


# --- the roster ----------------------------------------------------------------------------

def test_the_roster_keeps_its_order_and_ignores_extra_columns():
    roster = read_roster(FIXTURES / "roster.csv")
    assert list(roster) == ["alice", "bob", "carol", "dmitri", "emeka", "fay", "gus"]
    assert roster["bob"].name == 'Builder, Bob "The"' and roster["bob"].sis_user_id == ""


def test_nbgraders_own_student_list_is_a_roster(tmp_path):
    """The file `nbgrader db student import` reads: id, last_name, first_name, email."""
    path = tmp_path / "students.csv"
    path.write_text("id,last_name,first_name,email\nann,Lee,Ann,ann@example.edu\n")
    assert read_roster(path) == {"ann": lms_export.Person("ann", name="Lee, Ann",
                                                          email="ann@example.edu")}


def test_a_roster_saved_by_a_spreadsheet_with_a_byte_order_mark_reads(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("\ufeffstudent_id,email\r\nann,ann@example.edu\r\n".encode("utf-8"))
    assert read_roster(path)["ann"].email == "ann@example.edu"


@pytest.mark.parametrize("text, message", [
    ("name,email\nAnn,a@x\n", "the header has no student_id column"),
    ("student_id,email\nann,a@x\nann,b@x\n", "line 3: ann is on the roster twice"),
    ("student_id,email\nann,a@x\nbob,A@x\n", "line 3: bob has the email 'A@x' of ann"),
    ("student_id,email\n,a@x\n", "line 2: no student_id"),
])
def test_a_roster_that_would_misplace_a_grade_is_refused(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(RosterError, match=message):
        read_roster(path)


def test_a_missing_roster_says_what_to_write(tmp_path):
    with pytest.raises(RosterError, match="no roster at .*: write one .*or give --roster"):
        read_roster(tmp_path / "roster.csv")
