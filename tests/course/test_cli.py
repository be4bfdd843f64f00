"""`course`'s arguments: help at once, every command described, scores as CSV."""

import argparse
import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from course import cli
from course.pipeline import Score

HEAVY = ("nbgrader", "nbformat", "nbclient", "sqlalchemy", "jupyter_client", "matplotlib")


@pytest.mark.parametrize("argv", [["--help"], ["grade", "--help"], ["scores", "--help"],
                                  ["report", "--help"], ["extend", "--help"], ["export", "--help"],
                                  ["gradescope", "--help"], ["publish", "--help"]])
def test_help_imports_neither_nbgrader_nor_nbformat(argv):
    code = ("import sys\nfrom course import __main__ as entry\n"
            f"try:\n    entry.main({argv!r})\nexcept SystemExit as exit_:\n    assert exit_.code == 0\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def _subcommands():
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_every_command_has_a_description_and_every_argument_a_help():
    commands = _subcommands()
    assert {"release", "grade", "scores", "manual-grade", "demo"} <= set(commands)
    for name, parser in commands.items():
        assert parser.description and len(parser.description) > 40, name
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, f"course {name}: {action.dest} has no help"


def _score(student, points, needs_manual=(), **kwargs):
    return Score(student, points, {"check_he_values": 2, "relu_spread_answer": 2},
                 needs_manual=set(needs_manual), **kwargs)


def test_scores_csv_tells_earned_zero_from_waiting_failed_and_not_graded():
    scores = [_score("ann", {"check_he_values": 0.0, "relu_spread_answer": 0.0}),
              _score("ben", {"check_he_values": 2.0, "relu_spread_answer": None},
                     needs_manual=["relu_spread_answer"]),
              _score("cyd", {"check_he_values": None, "relu_spread_answer": 1.5}),
              _score("dee", {"check_he_values": None, "relu_spread_answer": None},
                     submitted=False),
              _score("eve", {"check_he_values": 1.0, "relu_spread_answer": 0.0},
                     overrides={"check_he_values"}),
              _score("fay", {"check_he_values": None, "relu_spread_answer": None},
                     submitted=False, handed_in=False)]
    rows = list(csv.DictReader(io.StringIO(cli.scores_csv(scores))))
    assert [r["student"] for r in rows] == ["ann", "ben", "cyd", "dee", "eve", "fay"]
    assert rows[0] == {"student": "ann", "check_he_values": "0", "relu_spread_answer": "0",
                       "total": "0", "max": "4", "status": "complete", "overrides": ""}
    assert rows[1]["relu_spread_answer"] == "" and rows[1]["status"] == "needs manual grading"
    assert rows[2]["check_he_values"] == "" and rows[2]["status"] == "failed to grade"
    assert rows[2]["total"] == ""   # not known while a cell failed: never a partial sum
    assert rows[3]["check_he_values"] == "" and rows[3]["status"] == "not graded"
    assert rows[3]["total"] == ""
    assert rows[5]["status"] == "not submitted" and rows[5]["total"] == "0"   # final: nothing
    assert rows[4]["status"] == "complete" and rows[4]["overrides"] == "check_he_values"


def test_scores_csv_with_a_due_date_says_how_late_what_it_cost_and_the_final_score():
    from datetime import datetime, timedelta

    from course.gradebook.deadlines import LateWork

    due = datetime(2027, 3, 1, 22, 59)
    scores = [_score("ann", {"check_he_values": 2.0, "relu_spread_answer": 2.0}),
              _score("ben", {"check_he_values": 2.0, "relu_spread_answer": 1.0}),
              _score("cyd", {"check_he_values": 1.0, "relu_spread_answer": 2.0})]
    lateness = {"ann": LateWork("ann", due, 0.0, due - timedelta(hours=1)),
                "ben": LateWork("ben", due, 0.0, due + timedelta(hours=2), "", 7200.0,
                                {"one": 0.3}, "-10% of the score (1 day started, 10% a day)"),
                "cyd": LateWork("cyd", due, problem="no submitted/cyd/ps1/timestamp.txt")}
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(cli.scores_csv(scores, lateness)))}
    assert (rows["ann"]["late"], rows["ann"]["late_penalty"], rows["ann"]["final"]) == ("on time", "0", "4")
    assert rows["ben"]["late"] == ("late by 2 hours: -10% of the score (1 day started, 10% a day), "
                                   "-0.3 points")
    assert (rows["ben"]["late_penalty"], rows["ben"]["final"]) == ("0.3", "2.7")
    assert rows["cyd"]["late"].startswith("lateness unknown") and rows["cyd"]["final"] == ""
    without = list(csv.DictReader(io.StringIO(cli.scores_csv(scores, {}))))[0]
    assert "late" not in without   # no due date, no columns


def test_a_due_date_that_cannot_be_read_stops_release_before_anything_is_written(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    result = subprocess.run([sys.executable, "-m", "course", "--root", str(tmp_path), "release",
                             "--due", "2027-03-01 23:59"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "--due '2027-03-01 23:59' has no time zone; add one" in result.stdout
    assert not (tmp_path / "release").exists() and not (tmp_path / "gradebook.db").exists()


def test_extend_needs_hours_or_revoke(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    with pytest.raises(SystemExit, match="give --hours N \\(the extension\\) or --revoke"):
        cli.main(["--root", str(tmp_path), "extend", "bob"])


def test_scores_csv_of_no_students_is_a_header_only():
    assert cli.scores_csv([]) == "student,total,max,status,overrides\n"


def test_workspace_copies_the_release_and_never_overwrites_work(tmp_path, capsys):
    from support import ROOT

    dest = tmp_path / "mine"
    assert cli.main(["--root", str(ROOT), "workspace", str(dest)]) == 0
    released = sorted(p.name for p in (ROOT / "release" / "initialization").iterdir()
                      if p.name != ".ipynb_checkpoints")
    assert sorted(p.name for p in dest.iterdir()) == released
    printed = capsys.readouterr().out
    command = printed.split("Open them with: ")[1].strip()
    assert command == f"cd {dest} && {Path(sys.executable).parent / 'jupyter'} lab"
    (dest / "Initialization.ipynb").write_text("my work")
    with pytest.raises(SystemExit, match="already holds files"):
        cli.main(["--root", str(ROOT), "workspace", str(dest)])
    assert (dest / "Initialization.ipynb").read_text() == "my work"
    with pytest.raises(SystemExit, match="inside release/"):
        cli.main(["--root", str(ROOT), "workspace", str(ROOT / "release" / "initialization" / "x")])
