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

HEAVY = ("nbgrader", "nbformat", "nbclient", "sqlalchemy", "jupyter_client")


@pytest.mark.parametrize("argv", [["--help"], ["grade", "--help"], ["scores", "--help"],
                                  ["publish", "--help"]])
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
