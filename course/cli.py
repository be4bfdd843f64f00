"""The ``course`` command: the instructor's pipeline on top of nbgrader.

Run it from the course root (the folder holding ``nbgrader_config.py``), or
give ``--root``.
"""

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import lms, pipeline, submissions

DEMO_CLASS = Path("demo") / "class.toml"
LMS_ARCHIVE = Path("demo") / "lms" / "submissions.zip"


def _root(path):
    root = Path(path).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise SystemExit(f"course: {root} is not a course root (no nbgrader_config.py); "
                         f"run from the course folder or pass --root")
    return root


def group_of(grade_id):
    """The exercise a test cell belongs to: ``check_he_values`` -> ``he``."""
    return grade_id.removeprefix("check_").rsplit("_", 1)[0]


def score_table(scores):
    """A rich Table: one row per student, points per exercise and in total."""
    table = Table(title="Scores")
    table.add_column("student")
    if not scores:
        return table
    groups = {}
    for grade_id, maximum in scores[0].max_points.items():
        groups.setdefault(group_of(grade_id), []).append(grade_id)
    for group, ids in groups.items():
        table.add_column(f"{group} (/{sum(scores[0].max_points[i] for i in ids):g})", justify="right")
    table.add_column(f"total (/{sum(scores[0].max_points.values()):g})", justify="right")
    for score in scores:
        cells = []
        for ids in groups.values():
            got = [score.points[i] for i in ids]
            cells.append("not graded" if None in got else f"{sum(got):g}")
        total = f"{score.total:g}" if score.graded else "incomplete"
        table.add_row(score.student, *cells, total)
    return table


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


def cmd_lms_archive(args, console):
    root = _root(args.root)
    try:
        names = lms.write_archive(root / "submitted", pipeline.ASSIGNMENT, root / args.output,
                                  late=args.late)
    except ValueError as error:
        raise pipeline.PipelineError(str(error)) from None
    console.print(f"wrote {args.output} with {len(names)} files, as an LMS names them "
                  f"(e.g. {names[0]})", highlight=False)


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
    ungraded = [s.student for s in scores if not s.graded]
    if ungraded:
        console.print(f"[red]not graded: {', '.join(ungraded)}[/red]")
        return 1
    return 0


def cmd_scores(args, console):
    console.print(score_table(pipeline.scores(_root(args.root))))


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

    p = sub.add_parser("lms-archive", help="zip submitted/ as an LMS download, for nbgrader zip_collect")
    p.add_argument("--output", default=str(LMS_ARCHIVE), help=f"archive to write (default: {LMS_ARCHIVE})")
    p.add_argument("--late", nargs="*", default=[], metavar="STUDENT",
                   help="students whose submission the LMS flags as late")
    p.set_defaults(func=cmd_lms_archive)

    p = sub.add_parser("demo", help="release, autograde, feedback and export on the demo class")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("scores", help="print every student's points from the gradebook")
    p.set_defaults(func=cmd_scores)
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
