"""The extensions file: granted, replaced, revoked, listed, and refused when malformed."""

import pytest

from course.gradebook.extensions import Extension, ExtensionError, grant, read_extensions, revoke


def test_grant_replace_and_revoke_keep_one_row_per_student(tmp_path):
    path = tmp_path / "extensions.csv"
    assert read_extensions(path) == {}
    new, previous = grant(path, "initialization", "bob", 48, granted="2027-02-27 10:12 UTC",
                          note='doctor\'s note, "26 Feb"')
    assert previous is None and new.hours == 48
    grant(path, "initialization", "ann", 2.5)
    grant(path, "other", "bob", 1)
    new, previous = grant(path, "initialization", "bob", 24)   # replaces: they do not add up
    assert previous.hours == 48 and new.hours == 24
    assert path.read_text() == ("assignment,student_id,hours,granted,note\n"
                                "initialization,ann,2.5,,\n"
                                "initialization,bob,24,,\n"
                                "other,bob,1,,\n")
    assert revoke(path, "initialization", "bob") == Extension("initialization", "bob", 24.0)
    assert sorted(read_extensions(path)) == [("initialization", "ann"), ("other", "bob")]


def test_a_note_with_commas_and_quotes_survives(tmp_path):
    path = tmp_path / "extensions.csv"
    grant(path, "initialization", "bob", 48, note='doctor\'s note, "26 Feb"')
    assert read_extensions(path)[("initialization", "bob")].note == 'doctor\'s note, "26 Feb"'


def test_revoking_what_nobody_granted_says_who_has_one(tmp_path):
    path = tmp_path / "extensions.csv"
    grant(path, "initialization", "ann", 2)
    with pytest.raises(ExtensionError, match=r"bob has no extension on initialization to "
                                             r"revoke \(extensions: ann\)"):
        revoke(path, "initialization", "bob")


@pytest.mark.parametrize("hours, message", [
    (0, "an extension is more than 0"), (-3, "an extension is more than 0"),
    (float("nan"), "an extension is more than 0"), (10 ** 6, "at most 8784 hours")])
def test_an_extension_of_no_time_or_of_years_is_refused(tmp_path, hours, message):
    with pytest.raises(ExtensionError, match=message):
        grant(tmp_path / "extensions.csv", "initialization", "bob", hours)
    assert not (tmp_path / "extensions.csv").exists()


@pytest.mark.parametrize("text, message", [
    ("student,hours\nbob,4\n", r"the header has no assignment, student_id column; expected assignment,"),
    ("assignment,student_id,hours\ninitialization,bob,four\n", r"line 2: hours 'four' is not a number"),
    ("assignment,student_id,hours\ninitialization,,4\n", r"line 2: a row needs an assignment and a student_id"),
    ("assignment,student_id,hours\ninitialization,bob,4\ninitialization,bob,5\n",
     r"line 3: a second extension for bob on initialization"),
])
def test_a_malformed_file_is_named_with_its_line(tmp_path, text, message):
    path = tmp_path / "extensions.csv"
    path.write_text(text)
    with pytest.raises(ExtensionError, match=message):
        read_extensions(path)
