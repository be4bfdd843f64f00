"""The `course` score tables: several notebooks, and answers waiting for a grader."""

from rich.console import Console

from course.cli import group_of, score_tables
from course.pipeline import Score

MAX = {"check_zeros_values": 1, "check_he_values": 2, "check_he_scale_values": 1,
       "relu_spread_answer": 2}
NOTEBOOKS = {"check_zeros_values": "Initialization", "check_he_values": "Initialization",
             "check_he_scale_values": "Layers", "relu_spread_answer": "Layers"}


def _render(scores):
    console = Console(width=200, record=True)
    for table in score_tables(scores):
        console.print(table)
    return console.export_text()


def _row(text, student, title):
    """The row of ``student`` in the table titled ``title``."""
    section = text.split(title, 1)[1]
    return next(line for line in section.splitlines() if line.startswith(f"│ {student} "))


def _header(text, title):
    """The columns of the table titled ``title``: their name lines joined, by position."""
    section = text.split(title, 1)[1].splitlines()
    rows = [line for line in section if line.startswith("┃")][:2]
    columns = zip(*(line.strip("┃").split("┃") for line in rows))
    return [" ".join(part.strip() for part in column).strip() for column in columns]


def test_group_of_keeps_notebook_groups_apart():
    assert group_of("check_he_values") == "he"
    assert group_of("check_he_scale_values") == "he_scale"
    assert group_of("relu_spread_answer") == "relu_spread"


def test_one_table_per_notebook_and_a_total():
    scores = [Score("ada", {"check_zeros_values": 1, "check_he_values": 2,
                            "check_he_scale_values": 0, "relu_spread_answer": None},
                    MAX, NOTEBOOKS, {"relu_spread_answer"})]
    text = _render(scores)
    assert text.index("Scores: Initialization") < text.index("Scores: Layers") < text.index(
        "Scores: total")
    assert _header(text, "Scores: Initialization") == [
        "student", "zeros (/1)", "he (/2)", "Initialization (/3)"]
    assert _header(text, "Scores: Layers") == [
        "student", "he_scale (/1)", "relu_spread (/2)", "Layers (/3)"]
    assert _header(text, "Scores: total") == [
        "student", "Initialization (/3)", "Layers (/3)", "total (/6)"]
    layers = _row(text, "ada", "Scores: Layers")
    assert "to grade" in layers and "0 + manual" in layers
    cells = [cell.strip() for cell in _row(text, "ada", "Scores: total").split("│")[1:-1]]
    assert cells == ["ada", "3", "0 + manual", "3 + manual"]


def test_graded_answer_and_ungraded_cell_are_told_apart():
    graded = Score("bea", {"check_zeros_values": 1, "check_he_values": 2,
                           "check_he_scale_values": 1, "relu_spread_answer": 1.5},
                   MAX, NOTEBOOKS, set())
    broken = Score("cy", {"check_zeros_values": None, "check_he_values": 2,
                          "check_he_scale_values": 1, "relu_spread_answer": 0},
                   MAX, NOTEBOOKS, set())
    assert graded.complete and not broken.graded
    text = _render([graded, broken])
    assert "to grade" not in text
    assert "1.5" in _row(text, "bea", "Scores: Layers")
    assert "5.5" in _row(text, "bea", "Scores: total")
    assert "failed" in _row(text, "cy", "Scores: Initialization")
    assert "failed" in _row(text, "cy", "Scores: total")


def test_never_graded_and_overridden_students_are_marked():
    never = Score("dan", dict.fromkeys(MAX), MAX, NOTEBOOKS, set(), submitted=False)
    overridden = Score("eli", {"check_zeros_values": 0, "check_he_values": 2,
                               "check_he_scale_values": 1, "relu_spread_answer": 1},
                       MAX, NOTEBOOKS, set(), overrides={"check_zeros_values"})
    assert never.status == "not graded" and overridden.status == "complete"
    text = _render([never, overridden])
    assert "not graded" in _row(text, "dan", "Scores: Initialization")
    assert "failed" not in text
    assert "0*" in _row(text, "eli", "Scores: Initialization")
    assert "4*" in _row(text, "eli", "Scores: total")
    assert "--clear" in text   # the caption says what the mark means and how to undo it


def test_a_single_notebook_needs_no_total_table():
    maxima = {"check_zeros_values": 1}
    text = _render([Score("ada", {"check_zeros_values": 1}, maxima,
                          {"check_zeros_values": "Initialization"})])
    assert "Scores: Initialization" in text and "Scores: total" not in text
