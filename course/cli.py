"""The ``course`` command: the instructor's pipeline on top of nbgrader.

Run it from the course root (the folder holding ``nbgrader_config.py``), or
give ``--root``.
"""

import argparse
import sys
from pathlib import Path

from rich.console import Console, Group
from rich.table import Table

from . import pipeline, submissions

DEMO_CLASS = Path("demo") / "class.toml"


def _root(path):
    root = Path(path).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise SystemExit(f"course: {root} is not a course root (no nbgrader_config.py); "
                         f"run from the course folder or pass --root")
    return root


def group_of(grade_id):
    """The exercise a test cell belongs to: ``check_he_values`` -> ``he``."""
    return grade_id.removeprefix("check_").rsplit("_", 1)[0]


def _points(score, ids):
    """What a score table shows for some cells of one student."""
    if any(i in score.needs_manual for i in ids):
        return "needs manual grading"
    got = [score.points[i] for i in ids]
    return "not graded" if None in got else f"{sum(got):g}"


def _subtotal(score, ids):
    """Points of ``ids`` so far, flagged when some are missing or await a grader."""
    if any(score.points[i] is None and i not in score.needs_manual for i in ids):
        return "incomplete"
    total = f"{sum(score.points[i] for i in ids if score.points[i] is not None):g}"
    return total + (" + manual" if any(i in score.needs_manual for i in ids) else "")


def score_tables(scores):
    """Rich Tables of points: one per notebook (a column per exercise), then the totals.

    A written answer an instructor has not graded yet shows "needs manual
    grading"; a cell the autograder could not score shows "not graded".
    """
    if not scores:
        table = Table(title="Scores")
        table.add_column("student")
        return [table]
    first = scores[0]
    notebooks = {}
    for grade_id in first.max_points:
        notebook = first.notebooks.get(grade_id, "")
        notebooks.setdefault(notebook, {}).setdefault(group_of(grade_id), []).append(grade_id)
    tables = []
    for notebook, groups in notebooks.items():
        table = Table(title=f"Scores: {notebook}" if notebook else "Scores")
        table.add_column("student")
        for group, ids in groups.items():
            table.add_column(f"{group}\n(/{sum(first.max_points[i] for i in ids):g})",
                             justify="right")
        every = [i for ids in groups.values() for i in ids]
        table.add_column(f"{notebook or 'total'}\n(/{sum(first.max_points[i] for i in every):g})",
                         justify="right")
        for score in scores:
            table.add_row(score.student, *(_points(score, ids) for ids in groups.values()),
                          _subtotal(score, every))
        tables.append(table)
    if len(notebooks) > 1:
        table = Table(title="Scores: total")
        table.add_column("student")
        parts = {nb: [i for ids in groups.values() for i in ids] for nb, groups in notebooks.items()}
        for notebook, ids in parts.items():
            table.add_column(f"{notebook} (/{sum(first.max_points[i] for i in ids):g})",
                             justify="right")
        table.add_column(f"total (/{sum(first.max_points.values()):g})", justify="right")
        for score in scores:
            table.add_row(score.student, *(_subtotal(score, ids) for ids in parts.values()),
                          _subtotal(score, list(first.max_points)))
        tables.append(table)
    return tables


def score_table(scores):
    """All of :func:`score_tables` as one renderable."""
    return Group(*score_tables(scores))


def cmd_release(args, console):
    root = _root(args.root)
    pipeline.release(root, db=not args.no_db)
    console.print(f"release/{pipeline.ASSIGNMENT} regenerated from source/{pipeline.ASSIGNMENT}")


def cmd_demo_class(args, console):
    root = _root(args.root)
    students = submissions.load_class(root / args.class_file)
    written = submissions.write_class(students, root / "release" / pipeline.ASSIGNMENT,
                                      root / "submitted", pipeline.ASSIGNMENT)
    console.print(f"wrote {len(written)} submissions for {len(students)} students in submitted/")


def cmd_demo(args, console):
    root = _root(args.root)
    steps = [
        ("generate the release", lambda: pipeline.release(root)),
        ("autograde submitted/", lambda: pipeline.autograde(root)),
        ("generate feedback", lambda: pipeline.feedback(root)),
        ("export grades.csv", lambda: pipeline.export(root)),
    ]
    for number, (what, step) in enumerate(steps, 1):
        with console.status(f"[{number}/{len(steps)}] {what} ..."):
            step()
        console.print(f"[{number}/{len(steps)}] {what}: done")
    scores = pipeline.scores(root)
    console.print(score_table(scores))
    console.print(f"Feedback: {root / 'feedback'}/<student>/{pipeline.ASSIGNMENT}/*.html\n"
                  f"Grades:   {root / 'grades.csv'}")
    waiting = [s.student for s in scores if s.graded and s.needs_manual]
    if waiting:
        console.print(f"Written answers to grade by hand (formgrader, or `course grade`): "
                      f"{', '.join(waiting)}")
    ungraded = [s.student for s in scores if not s.graded]
    if ungraded:
        console.print(f"[red]not graded: {', '.join(ungraded)}[/red]")
        return 1
    return 0


def cmd_scores(args, console):
    console.print(score_table(pipeline.scores(_root(args.root))))


def cmd_grade(args, console):
    root = _root(args.root)
    pipeline.set_manual_grade(root, args.student, args.cell, args.points)
    console.print(f"{args.student}: {args.cell} = {args.points:g} points")


def build_parser():
    parser = argparse.ArgumentParser(prog="course", description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="course root (default: the current folder)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="regenerate release/ from source/")
    p.add_argument("--no-db", action="store_true", help="do not record the assignment in the gradebook")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("demo-class", help="rebuild the demo class in submitted/ from demo/class.toml")
    p.add_argument("--class-file", default=str(DEMO_CLASS), help="class description (TOML)")
    p.set_defaults(func=cmd_demo_class)

    p = sub.add_parser("demo", help="release, autograde, feedback and export on the demo class")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("scores", help="print every student's points from the gradebook")
    p.set_defaults(func=cmd_scores)

    p = sub.add_parser("grade", help="record points for a manually graded answer "
                                     "(what the formgrader does)")
    p.add_argument("student")
    p.add_argument("cell", help="grade_id of the answer cell, e.g. relu_spread_answer")
    p.add_argument("points", type=float)
    p.set_defaults(func=cmd_grade)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    console = Console()
    try:
        return args.func(args, console) or 0
    except (pipeline.PipelineError, submissions.SubmissionError) as error:
        console.print(f"[red]course {args.command}: {error}[/red]", highlight=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
