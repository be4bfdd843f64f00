"""The ``course`` command: the instructor's pipeline on top of nbgrader.

Run it from the course root (the folder holding ``nbgrader_config.py``), or
give ``--root``. Parsing the arguments imports neither nbgrader nor nbformat
(``--help`` answers at once); each command imports what it needs.
"""

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console, Group
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.table import Table

from course.layout import ASSIGNMENT, CATALOGUE, DEMO_CLASS, LMS_ARCHIVE


def _root(path):
    root = Path(path).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise SystemExit(f"course: {root} is not a course root (no nbgrader_config.py); "
                         f"run from the course folder or pass --root")
    return root


def positive_int(text):
    """An argparse type: a whole number of at least 1 (``--jobs 0`` is refused, not run)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}") \
            from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value}")
    return value


def group_of(grade_id):
    """The exercise a test cell belongs to: ``check_he_values`` -> ``he``."""
    return grade_id.removeprefix("check_").rsplit("_", 1)[0]


def _missing(score):
    """What a cell without points shows, when nobody is waiting to grade it."""
    return "failed" if score.submitted else score.status


def _points(score, ids):
    """What a score table shows for some cells of one student."""
    if any(i in score.needs_manual for i in ids):
        return "to grade"
    got = [score.points[i] for i in ids]
    if None in got:
        return _missing(score)
    return f"{sum(got):g}" + (OVERRIDE_MARK if score.overrides & set(ids) else "")


def _subtotal(score, ids):
    """Points of ``ids`` so far, flagged when some are missing or await a grader."""
    if any(score.points[i] is None and i not in score.needs_manual for i in ids):
        return _missing(score)
    total = f"{sum(score.points[i] for i in ids if score.points[i] is not None):g}"
    total += OVERRIDE_MARK if score.overrides & set(ids) else ""
    return total + (" + manual" if any(i in score.needs_manual for i in ids) else "")


#: Marks points an instructor set by hand in place of the autograder's.
OVERRIDE_MARK = "*"
OVERRIDE_NOTE = (f"{OVERRIDE_MARK} an instructor's points in place of the autograder's "
                 f"(`course manual-grade STUDENT CELL --clear` restores them)")


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
        if any(score.overrides & set(every) for score in scores):
            table.caption = OVERRIDE_NOTE
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
    from course import pipeline

    root = _root(args.root)
    pipeline.release(root, db=not args.no_db)
    console.print(f"release/{ASSIGNMENT} regenerated from source/{ASSIGNMENT}")


def cmd_demo_class(args, console):
    from course.submissions import build

    root = _root(args.root)
    students = build.load_class(root / args.class_file)
    written = build.write_class(students, root / "release" / ASSIGNMENT,
                                      root / "submitted", ASSIGNMENT)
    console.print(f"wrote {len(written)} submissions for {len(students)} students in submitted/")


def cmd_lms_archive(args, console):
    from course.submissions import lms_archive
    from course import pipeline

    root = _root(args.root)
    try:
        names = lms_archive.write_archive(root / "submitted", ASSIGNMENT, root / args.output,
                                  late=args.late)
    except ValueError as error:
        raise pipeline.PipelineError(str(error)) from None
    console.print(f"wrote {args.output} with {len(names)} files, as an LMS names them "
                  f"(e.g. {names[0]})", highlight=False)


def cmd_workspace(args, console):
    """Copy the release to a folder of the student's own."""
    import shutil

    release = _root(args.root) / "release" / ASSIGNMENT
    dest = Path(args.dest).expanduser().resolve()
    if not release.is_dir():
        raise SystemExit(f"course workspace: {release} does not exist; the course's release "
                         f"is missing (an instructor runs `course release`)")
    if dest == release or release in dest.parents:
        raise SystemExit(f"course workspace: {dest} is inside release/; work outside it")
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"course workspace: {dest} already holds files (your work?); "
                         f"nothing was copied. Give another folder, or open that one")
    shutil.copytree(release, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    names = ", ".join(sorted(p.name for p in dest.glob("*.ipynb")))
    console.print(f"{names} copied to {dest}\nOpen them with: {open_command(dest)}",
                  highlight=False, markup=False, soft_wrap=True)


def open_command(folder):
    """A command that opens JupyterLab on ``folder`` from any shell, this environment active or not.

    JupyterLab of this very environment, by its full path (a fresh shell has no
    venv on PATH), started in ``folder``: the formgrader of an instructor's
    environment then finds the course directory (the current one) inside the
    server's root, instead of logging that it is not a subdirectory of it.
    """
    import shlex

    scripts = Path(sys.executable).parent
    jupyter = next((scripts / name for name in ("jupyter", "jupyter.exe")
                    if (scripts / name).exists()), None)
    command = [str(jupyter), "lab"] if jupyter else [sys.executable, "-m", "jupyter", "lab"]
    if sys.platform == "win32":
        return f'cd /d "{folder}" && ' + " ".join(f'"{c}"' for c in command)
    return f"cd {shlex.quote(str(folder))} && {shlex.join(command)}"


def cmd_publish(args, console):
    """Write the folder students get (course/publish/)."""
    from course.publish import build

    published = build.publish(_root(args.root), args.dest, binder_repo=args.binder_repo)
    console.print(
        f"published {published.dest}: {', '.join(published.notebooks)}, helpers/, "
        f"pyproject.toml, environment.yml, jupyter-config/, README.md for students.\n"
        f"Checked: nothing of the instructor's is in it ({published.regions_checked} "
        f"solutions, hidden tests and rubrics of source/, {published.modules_checked} modules "
        f"of course/ looked for).",
        highlight=False, soft_wrap=True)
    if published.binder_url:
        console.print(f"Push it to the repository, then give students {published.binder_url}",
                      highlight=False, soft_wrap=True)
    else:
        console.print("Give students the folder (a zip, a repository or a hub's environment); "
                      "with --binder-repo OWNER/REPO its README opens the notebooks on Binder.",
                      highlight=False, soft_wrap=True)


def cmd_demo(args, console):
    from course.grading import local
    from course import pipeline

    root = _root(args.root)
    steps = [
        ("generate the release", lambda: pipeline.release(root)),
        (f"autograde submitted/ ({local.default_jobs()} workers)", lambda: local.grade(root)),
        ("generate feedback", lambda: pipeline.feedback(root)),
        ("export grades.csv", lambda: pipeline.export(root)),
    ]
    for number, (what, step) in enumerate(steps, 1):
        with console.status(f"[{number}/{len(steps)}] {what} ..."):
            step()
        console.print(f"[{number}/{len(steps)}] {what}: done")
    scores = pipeline.scores(root)
    console.print(score_table(scores))
    console.print(f"Feedback: {root / 'feedback'}/<student>/{ASSIGNMENT}/*.html\n"
                  f"Grades:   {root / 'grades.csv'}")
    waiting = [s.student for s in scores if s.graded and s.needs_manual]
    if waiting:
        console.print(f"Written answers to grade by hand (formgrader, or `course manual-grade`): "
                      f"{', '.join(waiting)}")
    ungraded = [f"{s.student} ({s.status})" for s in scores if not s.graded]
    if ungraded:
        console.print(f"[red]not graded: {', '.join(ungraded)}[/red]")
        return 1
    return 0


def cmd_scores(args, console):
    from course import pipeline

    scores = pipeline.scores(_root(args.root))
    if args.csv:
        sys.stdout.write(scores_csv(scores))
        return 0
    console.print(score_table(scores))
    return 0


def scores_csv(scores):
    """The scores as CSV text: student, a column per graded cell, total, max, status, overrides.

    A cell without points yet (an answer waiting for a grader, a cell the autograder
    could not score) is left empty, never written as 0; the status says which
    (:data:`course.gradebook.scores.STATES`), and ``overrides`` lists the autograded cells
    whose points an instructor set.
    """
    import csv
    import io

    cells = list(scores[0].max_points) if scores else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *cells, "total", "max", "status", "overrides"])
    for score in scores:
        points = [score.points.get(cell) for cell in cells]
        total = score.final_total
        writer.writerow([score.student, *("" if p is None else f"{p:g}" for p in points),
                         "" if total is None else f"{total:g}",
                         f"{sum(score.max_points.values()):g}", score.status,
                         " ".join(c for c in cells if c in score.overrides)])
    return out.getvalue()


def mutants_table(results):
    """A rich Table of graded catalogue entries: what each lost and what the student read."""
    table = Table(title="Mistake catalogue, graded by nbgrader")
    for name, justify in (("entry", "left"), ("function", "left"), ("points lost", "right"),
                          ("the message the student saw", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for o in results:
        seen = escape(o.seen) or ("[red]not caught[/red]" if o.wrong else "")
        table.add_row(o.name, o.function.removeprefix("initialize_parameters_"),
                      f"{o.points_lost:g}", seen)
    return table


def cmd_mutants(args, console):
    from course.submissions import catalogue

    root = _root(args.root)
    entries = catalogue.load_catalogue(root / args.catalogue)
    planned = catalogue.plan(entries, packed=args.packed)
    with contextlib.ExitStack() as stack:
        workdir = args.keep or stack.enter_context(tempfile.TemporaryDirectory(prefix="mutants-"))
        with console.status(f"grading {len(planned)} submissions with nbgrader "
                            f"({args.workers} at a time) ..."):
            where = catalogue.grade(root, planned, Path(workdir), workers=args.workers,
                                  lean=args.lean)
        results = catalogue.outcomes(planned, where)
    # every wrong entry, and any right answer that lost points (none, when all is well)
    shown = [o for o in results if o.wrong] + [o for o in results if not o.wrong and o.caught]
    console.print(mutants_table(shown), width=max(console.width, 140))
    t = catalogue.totals(results)
    console.print(f"mutation score: {t['caught']}/{t['wrong']} wrong entries caught; "
                  f"false failures: {t['penalized']}/{t['right']} right answers penalized "
                  f"(the solution and {t['right'] - 1} right entries, "
                  f"graded in {len(planned)} submissions)")
    problems = catalogue.unexpected(results)
    for o, reason in problems:
        console.print(f"[red]{o.name} ({o.student}): {reason}[/red]", highlight=False)
    return 1 if problems else 0


def cmd_sandbox_check(args, console):
    from course.sandbox import kernel
    why = kernel.problem()
    if why:
        console.print(f"[red]course sandbox-check: {why}[/red]", highlight=False)
        return 1
    console.print("the grading sandbox (bubblewrap) works on this machine")
    console.print(kernel.memory_bound(), highlight=False)
    return 0


def grade_table(outcomes, scores):
    """A rich Table: one row per graded submission, its outcome, points and time."""
    by_student = {score.student: score for score in scores}
    maximum = sum(scores[0].max_points.values()) if scores else 0
    table = Table(title="Autograde")
    table.add_column("student")
    table.add_column("outcome")
    table.add_column(f"points (/{maximum:g})", justify="right")
    table.add_column("seconds", justify="right")
    for outcome in outcomes:
        score = by_student.get(outcome.student)
        points = _subtotal(score, list(score.max_points)) if score is not None and \
            score.graded else "-"
        table.add_row(outcome.student, "graded" if outcome.success else "[red]FAILED[/red]",
                      points, f"{outcome.seconds:.1f}")
    return table


def _security(args):
    """TLS between the driver and the scheduler, from --tls-* (None: plain TCP)."""
    given = [args.tls_ca_file, args.tls_cert, args.tls_key]
    if not any(given):
        return None
    if not all(given):
        raise SystemExit("course grade: TLS needs all three of --tls-ca-file, --tls-cert "
                         "and --tls-key")
    for path in given:
        if not Path(path).is_file():
            raise SystemExit(f"course grade: no such file: {path}")
    from distributed.security import Security

    return Security(tls_ca_file=args.tls_ca_file, tls_client_cert=args.tls_cert,
                    tls_client_key=args.tls_key, require_encryption=True)


def cmd_grade(args, console):
    from course.grading import local
    from course import pipeline

    root = _root(args.root)
    students = [s.strip() for s in args.students.split(",") if s.strip()] if args.students else None
    on_cluster = bool(args.scheduler or args.scheduler_file)
    if on_cluster and args.jobs:
        raise SystemExit("course grade: --jobs is for grading on this machine; with "
                         "--scheduler the cluster's workers grade (start as many as you need)")
    security = _security(args) if on_cluster else None
    jobs = args.jobs or local.default_jobs()
    chosen = local.select_students(root, students, args.assignment)
    for student, found in local.nothing_handed_in(
            root, args.assignment, students or pipeline.students(root)).items():
        console.print(f"{student}: handed in no notebook of {args.assignment} ({found}); "
                      f"not submitted", highlight=False, markup=False, soft_wrap=True)
    if not chosen:
        return 0
    columns = [TextColumn("autograde {task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
               TextColumn("left"), TimeRemainingColumn()]
    failed = []
    start = time.perf_counter()
    cluster = {"workers": 0, "skipped": []}
    # A bar is for a terminal; piped or logged, only the summary and the lines below.
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task(args.assignment, total=len(chosen), failed=0)

        def on_done(outcome):
            if not outcome.success:
                failed.append(outcome)
            progress.update(task, advance=1, failed=len(failed))

        def on_start(workers, skipped):
            cluster.update(workers=workers, skipped=skipped)
            progress.update(task, total=len(chosen) - len(skipped))

        try:
            if on_cluster:
                from course.grading.cluster import driver as dask_cluster

                outcomes = dask_cluster.grade(root, args.assignment, scheduler=args.scheduler,
                                              scheduler_file=args.scheduler_file,
                                              students=chosen, force=args.force,
                                              security=security, on_start=on_start,
                                              on_done=on_done)
            else:
                outcomes = local.grade(root, args.assignment, jobs=jobs, students=chosen,
                                       on_done=on_done)
        except BaseException:
            # A run refused or stopped says why in one line (main prints it): the bar,
            # empty or half-full, leaves the screen.
            progress.live.transient = True
            raise
    wall = time.perf_counter() - start
    if cluster["skipped"]:
        console.print(f"{len(cluster['skipped'])} submissions graded already, not graded again "
                      f"(--force grades them again)", highlight=False)
    if not outcomes:
        return 0
    scores = [s for s in pipeline.scores(root, args.assignment) if s.student in set(chosen)]
    console.print(grade_table(outcomes, scores))
    workers = cluster["workers"] if on_cluster else min(jobs, len(outcomes))
    where = f"{workers} {'Dask ' if on_cluster else ''}worker{'' if workers == 1 else 's'}"
    console.print(f"{len(outcomes) - len(failed)} graded, {len(failed)} failed, "
                  f"{len(outcomes)} submissions in {wall:.1f} s with {where} "
                  f"({wall / len(outcomes):.1f} s per submission)")
    for outcome in outcomes:
        for line in outcome.problems:
            console.print(line, highlight=False, markup=False, soft_wrap=True)
        if not outcome.success:
            console.print(f"{outcome.student}: failed to grade: {outcome.reason}", style="red",
                          highlight=False, markup=False, soft_wrap=True)
    return 1 if failed else 0


def cmd_worker_check(args, console):
    """Whether this machine can grade as a Dask worker of the course."""
    from course.grading.cluster import worker_check

    lines, ok = worker_check.report()
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    return 0 if ok else 1


def cmd_worker(args, console):
    """`dask worker` set up for grading (course.grading.cluster.worker); runs until the worker stops."""
    from course.grading.cluster import worker

    worker.main(args.dask_args)


def cmd_manual_grade(args, console):
    from course import pipeline

    root = _root(args.root)
    if args.clear:
        if args.points is not None:
            raise SystemExit("course manual-grade: give POINTS or --clear, not both")
        pipeline.clear_manual_grade(root, args.student, args.cell)
        console.print(f"{args.student}: {args.cell}: the manual grade is cleared")
        return
    if args.points is None:
        raise SystemExit("course manual-grade: give the POINTS to record (or --clear)")
    pipeline.set_manual_grade(root, args.student, args.cell, args.points, override=args.override)
    console.print(f"{args.student}: {args.cell} = {args.points:g} points"
                  + (" (an override of the autograder's)" if args.override else ""))


def _command(sub, name, func, summary, description, **options):
    """A subcommand: ``summary`` in ``course --help``, ``description`` in its own ``--help``."""
    p = sub.add_parser(name, help=summary, description=description, **options)
    p.set_defaults(func=func)
    return p


def build_parser():
    parser = argparse.ArgumentParser(
        prog="course", description="The instructor's pipeline on top of nbgrader: release, grade, feedback and scores. Run it from the course root (the folder holding nbgrader_config.py), or give --root.")
    parser.add_argument("--root", default=".", help="course root (default: the current folder)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _command(sub, "workspace", cmd_workspace,
                 "(students) copy the assignment to a folder of your own to work in",
                 "Copy the released notebooks and their data to a folder of your own, to "
                 "work in there: release/ is the course's, and the grader compares "
                 "submissions with it. Refuses a folder that already holds files.")
    p.add_argument("dest", nargs="?", default=f"~/{ASSIGNMENT}",
                   help=f"the folder to create (default: ~/{ASSIGNMENT}, where a JupyterHub's "
                        f"Assignment List fetches it too)")

    p = _command(sub, "release", cmd_release, "regenerate release/ from source/",
                 "Generate the student version, release/, from source/ with nbgrader "
                 "(generate_assignment) and record the assignment in the gradebook.")
    p.add_argument("--no-db", action="store_true", help="do not record the assignment in the gradebook")

    p = _command(sub, "demo-class", cmd_demo_class,
                 "rebuild the demo class in submitted/ from demo/class.toml",
                 "Write one submission per student of the class file into submitted/: the "
                 "release, with each student's answers in its answer cells.")
    p.add_argument("--class-file", default=str(DEMO_CLASS),
                   help=f"class description (TOML; default: {DEMO_CLASS})")

    p = _command(sub, "lms-archive", cmd_lms_archive,
                 "zip submitted/ as an LMS download, for nbgrader zip_collect",
                 "Write submitted/ as one zip file with one file per student and notebook, "
                 "named as a learning management system names a download.")
    p.add_argument("--output", default=str(LMS_ARCHIVE), help=f"archive to write (default: {LMS_ARCHIVE})")
    p.add_argument("--late", nargs="*", default=[], metavar="STUDENT",
                   help="students whose submission the LMS flags as late")

    p = _command(sub, "publish", cmd_publish,
                 "write the folder students get: the release, helpers and what installs them",
                 "Write DEST, the course as students get it: the release's notebooks, the "
                 "helpers package, a pyproject.toml and an environment.yml with the students' "
                 "dependencies only (for pip, conda and Binder), Jupyter's settings for students "
                 "(nbgrader's Assignment List and Validate, none of the instructor's tools) and "
                 "a README for them; nothing of source/, course/, tests/ or the demo class. "
                 "Refuses a stale release, and anything of the instructor's in the folder. "
                 "Publishing again into the same folder replaces what it wrote there.")
    p.add_argument("dest", help="a new or empty folder, or one published before")
    p.add_argument("--binder-repo", default=None, metavar="OWNER/REPO",
                   help="the GitHub repository DEST will be pushed to: the students' README "
                        "then opens the notebooks on Binder")

    _command(sub, "demo", cmd_demo, "release, autograde, feedback and export on the demo class",
             "The instructor's whole pipeline on the class in submitted/: generate the "
             "release, autograde every submission, write feedback and grades.csv, and "
             "print the scores.")

    p = _command(sub, "mutants", cmd_mutants,
                 "grade the mistake catalogue with nbgrader and print what each entry lost",
                 "Build a real submission from each entry of the mistake catalogue, grade "
                 "them with nbgrader, and print the points each lost and the message its "
                 "student saw (the mutation score). Exits 1 if an entry lost other cells "
                 "than it should.")
    p.add_argument("--catalogue", default=str(CATALOGUE),
                   help=f"folder of catalogue files (default: {CATALOGUE})")
    p.add_argument("--workers", type=positive_int, default=2,
                   help="course roots graded at once (default: 2)")
    p.add_argument("--packed", action="store_true",
                   help="answer every function with a wrong entry in each submission: "
                        "fewer submissions, each entry still judged on its own test cells")
    p.add_argument("--lean", action="store_true",
                   help="leave out the notebooks' ungraded code cells (training runs, plots), "
                        "which no test cell depends on: about a third of the time")
    p.add_argument("--keep", default=None,
                   help="grade in this (new) folder and keep it, instead of a temporary one")

    _command(sub, "sandbox-check", cmd_sandbox_check,
             "say whether the grading sandbox can run here",
             "Start the grading sandbox (bubblewrap) once and say, in one line, whether "
             "it works here and how its memory is bounded; exits 1 with the fix if not.")

    p = _command(sub, "grade", cmd_grade, "autograde submitted/ with parallel workers, with progress",
                 "Autograde the submissions in submitted/ (all, or a shard) with parallel "
                 "workers, each running nbgrader autograde, with a progress bar and a "
                 "summary table; the grades are nbgrader's, cell for cell.")
    p.add_argument("assignment", nargs="?", default=ASSIGNMENT,
                   help=f"assignment to grade (default: {ASSIGNMENT})")
    p.add_argument("--jobs", "-j", type=positive_int, default=None,
                   help="worker processes (default: the number of cores)")
    p.add_argument("--students", default=None,
                   help="comma-separated student ids: grade only this shard of submitted/")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a Dask cluster: its scheduler's address, tcp://HOST:PORT "
                        "(or tls://HOST:PORT)")
    p.add_argument("--scheduler-file", default=None, metavar="FILE",
                   help="grade on the Dask cluster whose scheduler wrote FILE "
                        "(dask scheduler --scheduler-file FILE)")
    p.add_argument("--force", action="store_true",
                   help="with --scheduler: grade again the submissions graded already "
                        "(without it, a rerun grades only the others; grading on this "
                        "machine always grades every submission it is given)")
    p.add_argument("--tls-ca-file", default=None, help="with --scheduler tls://...: the CA")
    p.add_argument("--tls-cert", default=None, help="with --scheduler tls://...: this client's certificate")
    p.add_argument("--tls-key", default=None, help="with --scheduler tls://...: its key")

    _command(sub, "worker-check", cmd_worker_check,
             "say whether this machine can grade as a Dask worker",
             "Run on a machine meant to grade as a Dask worker (`dask worker ...`): says "
             "whether the grading sandbox (bubblewrap) works, whether the course package, "
             "nbgrader and distributed are importable, and their versions; exits 1 with the "
             "fix if it cannot grade.")

    p = _command(sub, "worker", cmd_worker, "start a Dask worker set up for grading",
                 "Run `dask worker` with the arguments given (the scheduler's address, "
                 "--tls-* ...), one thread unless --nthreads is given, and Dask's watching "
                 "of the worker slowed down for tasks that wait on a grading process "
                 "(course/grading/cluster/worker.py); start one per core of a grading host. It listens "
                 "on 127.0.0.1 only (task port, nanny, HTTP server) unless --host, "
                 "--listen-address or --interface is given (another machine: with TLS).",
                 add_help=False)
    p.add_argument("dask_args", nargs=argparse.REMAINDER,
                   help="dask worker's arguments (course worker --help shows them)")

    p = _command(sub, "scores", cmd_scores, "print every student's points from the gradebook",
                 "Print every student's points from the gradebook, one table per notebook "
                 "and the totals, marking answers that wait for a grader.")
    p.add_argument("--csv", action="store_true",
                   help="write CSV to standard output instead: one row per student, a "
                        "column per graded cell, the total, the maximum and the status")

    p = _command(sub, "manual-grade", cmd_manual_grade,
                 "record points for a manually graded answer (what the formgrader does)",
                 "Record the points of a manually graded answer in the gradebook, as the "
                 "formgrader does. An autograded test cell keeps the autograder's points "
                 "unless --override is given; `course scores` then marks it, and --clear "
                 "gives the cell back to the autograder (or to the grader's queue).")
    p.add_argument("student", help="the student's id, as in submitted/<student>/")
    p.add_argument("cell", help="grade_id of the cell, e.g. relu_spread_answer")
    p.add_argument("points", type=float, nargs="?", default=None,
                   help="the points given, from 0 to the cell's maximum")
    p.add_argument("--override", action="store_true",
                   help="replace the autograder's points of a test cell")
    p.add_argument("--clear", action="store_true",
                   help="remove the manual grade of the cell instead")
    return parser


def main(argv=None):
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command == "worker":   # dask worker's own options go through as they are
        args.dask_args = [*unknown, *args.dask_args]
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    # One message, one line: a terminal folds a long line itself, and a pipe or a log
    # file gets it whole (Rich would break it at 80 columns).
    console = Console(soft_wrap=True)
    try:
        return args.func(args, console) or 0
    except Exception as error:
        if not isinstance(error, _user_errors()):
            raise
        console.print(f"[red]course {args.command}: {error}[/red]", highlight=False)
        return 1


def _user_errors():
    """The errors a command reports in one line (the command has imported their modules)."""
    errors = []
    for module, name in (("course.pipeline", "PipelineError"),
                         ("course.gradebook.scores", "ScoreError"),
                         ("course.submissions.build", "SubmissionError"),
                         ("course.submissions.catalogue", "CatalogueError"),
                         ("course.grading.local", "GradeError"),
                         ("course.grading.cluster.worker", "WorkerError"),
                         ("course.publish.build", "PublishError")):
        loaded = sys.modules.get(module)
        if loaded is not None:
            errors.append(getattr(loaded, name))
    return tuple(errors)


if __name__ == "__main__":
    sys.exit(main())
