"""Due dates, submission times, the late policy and lateness read from a gradebook (no grading run)."""

from datetime import timedelta

import nbformat
import pytest
from nbgrader.api import Gradebook
from traitlets.config import Config

from course.gradebook import deadlines, extensions
from course.gradebook.deadlines import (DeadlineError, DescribeLateness, LatePenalties, LatePolicy,
                                        Rules, duration, parse_time, read_timestamp)
from support.gradebooks import (ASSIGNMENT, DUE, build_template, copy_course, hand_in, url_of)

HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("gradebook") / "course")


@pytest.fixture
def course(template, tmp_path):
    return copy_course(template, tmp_path / "course")


def _assess(root, student):
    with Gradebook(url_of(root)) as gb:
        return Rules.load(root, gb, ASSIGNMENT).assess(gb, student)


def _policy(**settings):
    config = Config()
    for name, value in settings.items():
        setattr(config.LatePolicy, name, value)
    return LatePolicy(config=config)


# --- times ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, utc", [
    ("2027-03-01 23:59 Europe/Berlin", "2027-03-01 22:59:00"),
    ("2027-07-01 23:59 Europe/Berlin", "2027-07-01 21:59:00"),       # summer time
    ("2027-03-01T23:59+01:00", "2027-03-01 22:59:00"),
    ("2027-03-01T22:59Z", "2027-03-01 22:59:00"),
    ("2027-03-01 23:59 +0100", "2027-03-01 22:59:00"),               # nbgrader: +100 seconds
    ("2027-03-01 22:59:00.250000 UTC", "2027-03-01 22:59:00.250000"),  # as nbgrader submit writes
])
def test_parse_time_reads_times_with_their_zone_as_utc(text, utc):
    assert parse_time(text).isoformat(" ") == utc


@pytest.mark.parametrize("text, message", [
    ("2027-03-01 23:59", "has no time zone; add one, e.g. '2027-03-01 23:59 UTC'"),
    ("tomorrow", "is not a time; expected e.g. 2027-03-01 23:59 Europe/Berlin"),
    ("2027-03-01 23:59 PST", "'PST' is not a time zone"),           # nbgrader: silently UTC
    ("2027-02-30 12:00 UTC", "is not a time"),
])
def test_parse_time_refuses_what_it_cannot_place_in_time(text, message):
    with pytest.raises(DeadlineError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_time(text, what="--due")


def test_parse_time_takes_a_naive_time_in_the_zone_given():
    assert parse_time("2027-03-01 22:59:00", naive=deadlines.timezone.utc) == DUE


@pytest.mark.parametrize("seconds, words", [
    (0.3, "1 second"), (40, "40 seconds"), (61, "1 minute 1 second"), (3600, "1 hour"),
    (27 * 3600 + 59, "1 day 3 hours"), (9 * 86400, "9 days"), (0, "0 seconds")])
def test_duration_says_the_two_largest_units(seconds, words):
    assert duration(seconds) == words


# --- the policy --------------------------------------------------------------------------

DAY = 86400


@pytest.mark.parametrize("seconds, fraction, words", [
    (4 * 60, 0.0, "within the 5-minute grace period: no penalty"),
    (5 * 60 + 1, 0.1, "-10% of the score (1 day started, 10% a day)"),
    (DAY, 0.1, "-10% of the score (1 day started, 10% a day)"),
    (DAY + 1, 0.2, "-20% of the score (2 days started, 10% a day)"),
    (5 * DAY + 1, 0.5, "-50% of the score (6 days started, 10% a day, at most 50%)"),
    (7 * DAY, 0.5, "-50% of the score (7 days started, 10% a day, at most 50%)"),
    (7 * DAY + 1, 1.0, "more than 7 days late: the score is 0"),
])
def test_late_policy_takes_a_share_per_day_started_capped_and_all_after_the_cutoff(
        seconds, fraction, words):
    policy = _policy(percent_per_day=10, max_percent=50, zero_after_days=7, grace_minutes=5)
    assert policy.fraction(seconds) == pytest.approx(fraction, abs=1e-12)
    assert policy.words(seconds) == words
    assert policy.late_submission_penalty("x", 12.0, seconds) == pytest.approx(12 * fraction, abs=1e-12)


def test_late_policy_keeps_nbgraders_zero_method():
    policy = _policy(penalty_method="zero", grace_minutes=5)
    assert policy.fraction(60) == 0.0 and policy.fraction(301) == 1.0
    assert policy.describe() == "late work scores 0; 5 minutes of grace"


def test_late_policy_describes_itself():
    assert _policy(percent_per_day=10, max_percent=50, zero_after_days=7).describe() == (
        "10% of the score per day started past the due date, at most 50%; 0 after 7 days")
    assert _policy().describe() == "no penalty for late work"


def test_a_late_policy_out_of_range_is_one_line_naming_the_setting():
    config = Config()
    config.AssignLatePenalties.plugin_class = "course.gradebook.deadlines.LatePolicy"
    config.LatePolicy.percent_per_day = 150
    with pytest.raises(DeadlineError, match="late policy in nbgrader_config.py: .*percent_per_day"):
        deadlines.policy_from(config)


# --- submission times -------------------------------------------------------------------------

@pytest.mark.parametrize("content, when, problem", [
    (None, None, "no sub/timestamp.txt (neither the exchange nor the LMS gave a time)"),
    ("  \n", None, "sub/timestamp.txt is empty"),
    ("yesterday evening", None, "is not a time"),
    ("2027-03-01 22:59:00", DUE, ""),                  # zip_collect writes naive UTC
    ("2027-03-01 23:59:00.000000 CET", DUE, ""),       # nbgrader submit, Exchange.timezone
])
def test_read_timestamp_gives_the_time_or_says_why_there_is_none(tmp_path, content, when, problem):
    if content is not None:
        (tmp_path / "timestamp.txt").write_text(content)
    found, why = read_timestamp(tmp_path, "sub")
    assert found == when
    assert (problem in why) if problem else why == ""


def test_a_timestamp_nbgrader_cannot_read_is_named_before_grading(tmp_path):
    (tmp_path / "timestamp.txt").write_text("last Tuesday")
    why = deadlines.unreadable_by_nbgrader(tmp_path, "submitted/bob/ps1")
    assert why.startswith("submitted/bob/ps1/timestamp.txt holds 'last Tuesday', not a time nbgrader reads")
    (tmp_path / "timestamp.txt").write_text("2027-03-01 23:59:00 PST")   # nbgrader: UTC, we: unknown
    assert deadlines.unreadable_by_nbgrader(tmp_path) == ""
    assert "'PST' is not a time zone" in read_timestamp(tmp_path)[1]


# --- lateness from the gradebook ----------------------------------------------------------------

def test_on_time_and_within_the_grace_period_cost_nothing(course):
    hand_in(course, "ann", submitted=DUE - HOUR, manual=5)
    hand_in(course, "ben", submitted=DUE + timedelta(minutes=3), manual=5)
    ann, ben = _assess(course, "ann"), _assess(course, "ben")
    assert (ann.state, ann.penalty, ann.summary()) == ("on time", 0.0, "on time")
    assert ben.state == "late" and ben.penalty == 0.0
    assert ben.summary() == "late by 3 minutes: within the 5-minute grace period: no penalty"


def test_a_late_penalty_is_a_share_of_each_notebook_and_follows_a_later_manual_grade(course):
    hand_in(course, "bob", submitted=DUE + 27 * HOUR, points={"check_b": 1})   # answer waits
    work = _assess(course, "bob")
    assert work.state == "late" and work.seconds_late == 27 * 3600
    assert work.penalties == pytest.approx({"one": 0.6, "two": 0.0})            # 20% of 3 and 0
    with Gradebook(url_of(course)) as gb:   # the instructor grades the answer afterwards
        grade = gb.find_grade("answer", "two", ASSIGNMENT, "bob")
        grade.manual_score, grade.needs_manual_grade = 4.0, False
        gb.db.commit()
    work = _assess(course, "bob")
    assert work.penalties == pytest.approx({"one": 0.6, "two": 0.8})            # 20% of 4 too
    assert work.summary() == ("late by 1 day 3 hours: -20% of the score (2 days started, "
                              "10% a day), -1.4 points")


def test_work_over_the_cutoff_scores_zero_and_a_long_delay_is_capped(course):
    hand_in(course, "cap", submitted=DUE + timedelta(days=6), manual=5)
    hand_in(course, "zed", submitted=DUE + timedelta(days=8), manual=5)
    assert _assess(course, "cap").penalty == pytest.approx(5.0)                 # 50% of 10
    zed = _assess(course, "zed")
    assert zed.penalty == pytest.approx(10.0)
    assert zed.cost == "more than 7 days late: the score is 0"


def test_an_extension_granted_and_revoked_moves_the_deadline_and_the_penalty(course):
    hand_in(course, "bob", submitted=DUE + 27 * HOUR, manual=5)
    path = course / "extensions.csv"
    extensions.grant(path, ASSIGNMENT, "bob", 30, granted="2027-02-27 10:00 UTC", note="flu")
    work = _assess(course, "bob")
    assert (work.state, work.penalty, work.deadline) == ("on time", 0.0, DUE + 30 * HOUR)
    assert work.summary() == "on time (with an extension of 30 hours)"
    extensions.grant(path, ASSIGNMENT, "bob", 24)                                # replaces 30
    work = _assess(course, "bob")
    assert work.seconds_late == 3 * 3600 and work.penalty == pytest.approx(1.0)
    assert work.summary().startswith("late by 3 hours after an extension of 24 hours: -10%")
    extensions.revoke(path, ASSIGNMENT, "bob")
    assert _assess(course, "bob").penalty == pytest.approx(2.0)


def test_a_submission_without_a_time_is_unknown_not_on_time(course):
    hand_in(course, "dee", submitted=None, manual=5)
    work = _assess(course, "dee")
    assert work.state == "unknown" and work.penalty == 0.0
    assert work.summary() == ("lateness unknown, no penalty applied: no submitted/dee/ps1/"
                              "timestamp.txt (neither the exchange nor the LMS gave a time)")
    (course / "submitted" / "dee" / ASSIGNMENT / "timestamp.txt").write_text("2027-03-01 20:00 UTC")
    assert _assess(course, "dee").problem == ("submitted/dee/ps1/timestamp.txt came after the "
                                              "submission was graded: grade it again")


def test_without_a_due_date_nothing_is_late(course):
    with Gradebook(url_of(course)) as gb:
        gb.find_assignment(ASSIGNMENT).duedate = None
        gb.db.commit()
    hand_in(course, "ann", submitted=DUE + 100 * HOUR, manual=5)
    work = _assess(course, "ann")
    assert (work.state, work.penalty, work.summary(), work.for_student("one")) == (
        "no due date", 0.0, "", "")


def test_a_configured_due_date_wins_over_the_gradebooks(course):
    with open(course / "nbgrader_config.py", "a") as config:
        config.write('c.Deadlines.due = {"ps1": "2027-03-03 23:59 Europe/Berlin"}\n')
    hand_in(course, "bob", submitted=DUE + 27 * HOUR, manual=5)
    with Gradebook(url_of(course)) as gb:
        rules = Rules.load(course, gb, ASSIGNMENT)
        assert rules.configured and rules.due == DUE + 48 * HOUR
        assert rules.assess(gb, "bob").state == "on time"


def test_a_configured_due_date_without_a_zone_is_refused_by_name(course):
    with open(course / "nbgrader_config.py", "a") as config:
        config.write('c.Deadlines.due = {"ps1": "2027-03-03 23:59"}\n')
    with Gradebook(url_of(course)) as gb, pytest.raises(
            DeadlineError, match=r"c.Deadlines.due\['ps1'\] in nbgrader_config.py .* has no time zone"):
        Rules.load(course, gb, ASSIGNMENT)


# --- what is written into the gradebook ----------------------------------------------------------

def test_sync_takes_the_time_from_the_file_and_never_keeps_an_old_one(course):
    hand_in(course, "bob", submitted=DUE - HOUR, manual=5,
            timestamp_file="2027-03-02 23:59:00 Europe/Berlin")
    extensions.grant(course / "extensions.csv", ASSIGNMENT, "bob", 12)
    with Gradebook(url_of(course)) as gb:
        rules = Rules.load(course, gb, ASSIGNMENT)
        assert deadlines.sync(gb, rules, "bob") == ""
        submission = gb.find_submission(ASSIGNMENT, "bob")
        assert submission.timestamp == DUE + 24 * HOUR and submission.extension == 12 * HOUR
        # nbgrader's own lateness agrees with ours
        assert submission.total_seconds_late == rules.assess(gb, "bob").seconds_late == 12 * 3600
    (course / "submitted" / "bob" / ASSIGNMENT / "timestamp.txt").unlink()
    with Gradebook(url_of(course)) as gb:
        problem = deadlines.sync(gb, Rules.load(course, gb, ASSIGNMENT), "bob")
        assert problem.startswith("no submitted/bob/ps1/timestamp.txt")
        assert gb.find_submission(ASSIGNMENT, "bob").timestamp is None


def test_store_writes_the_penalty_of_now_and_clears_it_once_not_late(course):
    """nbgrader's #723: a penalty kept after the submission stopped being late."""
    hand_in(course, "bob", submitted=DUE + 27 * HOUR, manual=5)
    with Gradebook(url_of(course)) as gb:
        deadlines.store(gb, Rules.load(course, gb, ASSIGNMENT), "bob")
        stored = {nb.notebook.name: nb.late_submission_penalty
                  for nb in gb.find_submission(ASSIGNMENT, "bob").notebooks}
        assert stored == pytest.approx({"one": 1.0, "two": 1.0})
    (course / "submitted" / "bob" / ASSIGNMENT / "two.ipynb").unlink()   # as if not handed in
    with Gradebook(url_of(course)) as gb:   # nbgrader gives a notebook not handed in no penalty
        deadlines.store(gb, Rules.load(course, gb, ASSIGNMENT), "bob")
        stored = {nb.notebook.name: nb.late_submission_penalty
                  for nb in gb.find_submission(ASSIGNMENT, "bob").notebooks}
        assert stored == {"one": pytest.approx(1.0), "two": None}
    extensions.grant(course / "extensions.csv", ASSIGNMENT, "bob", 48)
    with Gradebook(url_of(course)) as gb:
        deadlines.store(gb, Rules.load(course, gb, ASSIGNMENT), "bob")
        submission = gb.find_submission(ASSIGNMENT, "bob")
        assert [nb.late_submission_penalty for nb in submission.notebooks] == [None, None]
        assert submission.extension == 48 * HOUR and submission.late_submission_penalty == 0


# --- nbgrader's preprocessors, as autograde and generate_feedback call them ----------------------

def _resources(root, student, notebook, step="autograded"):
    return {"nbgrader": {"notebook": notebook, "assignment": ASSIGNMENT, "student": student,
                         "db_url": url_of(root)},
            "metadata": {"path": str(root / step / student / ASSIGNMENT)}}


def test_late_penalties_put_the_extension_in_before_nbgrader_computes(course):
    hand_in(course, "bob", submitted=DUE - HOUR, manual=5,
            timestamp_file="2027-03-02 23:59:00 Europe/Berlin")           # 24 hours late
    extensions.grant(course / "extensions.csv", ASSIGNMENT, "bob", 20)
    config = deadlines.course_config(course)
    for notebook in ("one", "two"):
        LatePenalties(config=config).preprocess(nbformat.v4.new_notebook(),
                                                _resources(course, "bob", notebook))
    with Gradebook(url_of(course)) as gb:
        submission = gb.find_submission(ASSIGNMENT, "bob")
        assert submission.total_seconds_late == 4 * 3600
        assert [nb.late_submission_penalty for nb in submission.notebooks] == pytest.approx([0.5, 0.5])


def test_describe_lateness_gives_the_feedback_page_its_sentence_and_the_penalty_of_now(course):
    hand_in(course, "bob", submitted=DUE + 27 * HOUR, manual=4)
    extensions.grant(course / "extensions.csv", ASSIGNMENT, "bob", 2)
    resources = _resources(course, "bob", "two", step="feedback")
    resources["nbgrader"].update(score=4.0, late_penalty=0.0)                 # GetGrades': stale
    DescribeLateness(config=deadlines.course_config(course)).preprocess(
        nbformat.v4.new_notebook(), resources)
    info = resources["nbgrader"]
    assert info["late_penalty"] == pytest.approx(0.8) and info["score"] == pytest.approx(3.2)
    assert info["lateness"] == (
        "Handed in 2027-03-03 01:59 UTC, 1 day 1 hour late (due 2027-03-02 00:59 UTC, with "
        "your extension of 2 hours): -20% of the score (2 days started, 10% a day); "
        "0.8 points in this notebook.")
