"""`course`'s entry point: the grading commands start the workers' server first thing."""

import pytest

from course import __main__ as entry
from course.grading import forkserver


@pytest.mark.parametrize("argv, expected", [
    (["grade"], "grade"),
    (["--root", "grade-folder", "grade", "--jobs", "2"], "grade"),
    (["--root=/srv/course", "demo"], "demo"),
    (["-h"], None),
    ([], None),
])
def test_command_is_the_first_word_that_is_not_an_option(argv, expected):
    assert entry.command(argv) == expected


@pytest.mark.parametrize("argv, starts", [(["grade", "--help"], True),
                                          (["--root", "x", "demo", "--help"], True),
                                          (["scores", "--help"], False)])
def test_only_the_grading_commands_start_the_server(monkeypatch, argv, starts):
    started = []
    monkeypatch.setattr(forkserver, "start_server", lambda: started.append(True))
    with pytest.raises(SystemExit) as exit_:
        entry.main(argv)
    assert exit_.value.code == 0  # argparse's --help
    assert started == ([True] if starts else [])

