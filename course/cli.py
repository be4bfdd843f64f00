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

from course.layout import ASSIGNMENT, CATALOGUE, DEMO_CLASS, FORMGRADER_URL, LMS_ARCHIVE


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


def _late_cells(score, work):
    """The ``late``, ``penalty`` and ``final`` cells of a student's row (``work``: a LateWork)."""
    from course.gradebook.deadlines import duration

    if work is None or work.due is None:
        return "", "", _subtotal(score, list(score.max_points))
    if work.state == "unknown":
        return "[red]unknown[/red]", "", "not final"
    late = "on time" if work.state == "on time" else duration(work.seconds_late)
    penalty = f"-{round(work.penalty, 2):g}" if work.penalty else ""
    final = _subtotal(score, list(score.max_points))
    if score.graded:   # the points so far, after the penalty (a written answer's, when graded)
        final = f"{round(score.total - work.penalty, 2):g}" + (" + manual" if score.needs_manual else "")
    return late, penalty, final


def score_tables(scores, lateness=None):
    """Rich Tables of points: one per notebook (a column per exercise), then the totals.

    A written answer an instructor has not graded yet shows "needs manual
    grading"; a cell the autograder could not score shows "not graded". With
    ``lateness`` (``{student: LateWork}``) and a due date, the last table says how
    late each submission was, the penalty taken off and the final score.
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
    if lateness and any(w is not None and w.due is not None for w in lateness.values()):
        tables.append(lateness_table(scores, lateness))
    return tables


def lateness_table(scores, lateness):
    """A rich Table: when each student handed in, how late, the penalty and the final score."""
    from course.gradebook.deadlines import format_time

    maximum = sum(scores[0].max_points.values())
    table = Table(title="Late work")
    for name, justify in (("student", "left"), ("handed in", "left"), ("late", "left"),
                          ("penalty", "right"), (f"final\n(/{maximum:g})", "right")):
        table.add_column(name, justify=justify)
    for score in scores:
        work = lateness.get(score.student)
        handed = format_time(work.submitted) if work is not None and work.submitted else "-"
        table.add_row(score.student, handed, *_late_cells(score, work))
    return table


def score_table(scores, lateness=None):
    """All of :func:`score_tables` as one renderable."""
    return Group(*score_tables(scores, lateness))


def cmd_release(args, console):
    from course import pipeline

    root = _root(args.root)
    if args.due is not None and args.no_db:
        raise SystemExit("course release: the due date is kept in the gradebook; --due and "
                         "--no-db do not go together")
    if args.due is not None and args.due.strip().lower() != "none":
        from course.gradebook.deadlines import parse_time

        parse_time(args.due, what="--due")   # a due date that cannot be read stops here
    pipeline.release(root, db=not args.no_db)
    console.print(f"release/{ASSIGNMENT} regenerated from source/{ASSIGNMENT}")
    if not args.no_db:
        rules = pipeline.set_due(root, args.due)
        if rules.due is not None:
            console.print(f"due {_due_line(rules)}", highlight=False)
        elif args.due is not None:
            console.print(f"{ASSIGNMENT} has no due date now", highlight=False)


def _due_line(rules):
    """``2027-03-01 22:59 UTC (nbgrader_config.py); late work: <the policy>``."""
    from course.gradebook.deadlines import format_time

    policy = rules.policy.describe() if hasattr(rules.policy, "describe") else type(rules.policy).__name__
    where = " (c.Deadlines.due in nbgrader_config.py)" if rules.configured else ""
    return f"{format_time(rules.due)}{where}; late work: {policy}"


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

    root = _root(args.root)
    scores = pipeline.scores(root)
    rules, lateness = pipeline.lateness(root, ASSIGNMENT, [s.student for s in scores])
    if args.csv:
        sys.stdout.write(scores_csv(scores, lateness))
        return 0
    console.print(score_table(scores, lateness))
    if rules.due is not None:
        console.print(f"Due {_due_line(rules)}", highlight=False, soft_wrap=True)
        for student, work in lateness.items():
            if work is not None and work.state in ("late", "unknown"):
                console.print(f"{student}: {work.summary()}", highlight=False, markup=False,
                              soft_wrap=True)
    return 0


def scores_csv(scores, lateness=None):
    """The scores as CSV text: student, a column per graded cell, total, max, status, overrides.

    A cell without points yet (an answer waiting for a grader, a cell the autograder
    could not score) is left empty, never written as 0; the status says which
    (:data:`course.gradebook.scores.STATES`), and ``overrides`` lists the autograded cells
    whose points an instructor set. With ``lateness`` (``{student: LateWork}``) and a
    due date, three more: ``late`` (how late and what it cost, in words, or why that
    is unknown), ``late_penalty`` (points) and ``final`` (the total after it, empty
    while the score or the lateness is not final).
    """
    import csv
    import io

    cells = list(scores[0].max_points) if scores else []
    dated = bool(lateness) and any(w is not None and w.due is not None for w in lateness.values())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *cells, "total", "max", "status", "overrides",
                     *(["late", "late_penalty", "final"] if dated else [])])
    for score in scores:
        points = [score.points.get(cell) for cell in cells]
        total = score.final_total
        row = [score.student, *("" if p is None else f"{p:g}" for p in points),
               "" if total is None else f"{total:g}",
               f"{sum(score.max_points.values()):g}", score.status,
               " ".join(c for c in cells if c in score.overrides)]
        if dated:
            work = lateness.get(score.student)
            known = work is not None and work.state != "unknown"
            penalty = work.penalty if known else 0.0
            row += [work.summary() if work is not None else "",
                    f"{round(penalty, 2):g}" if known else "",
                    f"{round(score.total - penalty, 2):g}" if known and score.complete else ""]
        writer.writerow(row)
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
    _, lateness = pipeline.lateness(root, args.assignment,
                                    [o.student for o in outcomes if o.success])
    for outcome in outcomes:
        lines = list(outcome.problems)
        work = lateness.get(outcome.student)
        if work is not None and work.state in ("late", "unknown"):
            lines.append(f"{outcome.student}: {work.summary()}")
        for line in dict.fromkeys(lines):   # an unknown time is logged by the grader too
            console.print(line, highlight=False, markup=False, soft_wrap=True)
        if not outcome.success:
            console.print(f"{outcome.student}: failed to grade: {outcome.reason}", style="red",
                          highlight=False, markup=False, soft_wrap=True)
    return 1 if failed else 0


def cmd_report(args, console):
    """The class report: an offline page and CSV files of what the class got wrong."""
    from course.gradebook import report, report_page

    root = _root(args.root)
    record = report.collect(root, args.assignment, formgrader_url=args.formgrader_url)
    folder = Path(args.output) if args.output else root / "reports" / args.assignment
    written = report_page.write(record, folder)
    states = ", ".join(f"{len(who)} {state}" for state, who in report.state_rows(record) if who)
    console.print(f"{len(record.students)} students: {states}", highlight=False)
    mistakes = report.mistake_rows(record)
    if mistakes:
        table = Table(title=f"Most made mistakes (of {len(mistakes)})")
        for name, justify in (("students", "right"), ("mistake", "left"), ("exercise", "left")):
            table.add_column(name, justify=justify, overflow="fold")
        for row in mistakes[:5]:
            exercise = record.exercise(row.exercise)
            table.add_row(f"{row.count} of {row.of}", escape(row.description),
                          escape(exercise.function if exercise else row.notebook))
        console.print(table)
    waiting = report.waiting_rows(record)
    if waiting:
        console.print(f"{len(waiting)} written answers wait for a grader (listed with their "
                      f"formgrader links)", highlight=False)
    console.print("Wrote " + ", ".join(str(p) for p in written), highlight=False,
                  soft_wrap=True)
    return 0


def cmd_gradescope(args, console):
    """Write the Gradescope autograder zip of the assignment (course/gradescope/build.py)."""
    from course.gradescope import build

    root = _root(args.root)
    path = build.build(root, args.assignment, args.output, time_limit=args.time_limit,
                       if_no_sandbox=args.if_no_sandbox)
    console.print(f"{path}: the Gradescope autograder of {args.assignment} (upload it on the "
                  f"assignment's Configure Autograder page; README, 'Grading on Gradescope')",
                  highlight=False)
    return 0


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


def cmd_extend(args, console):
    """Grant a student more time, or take it back."""
    from datetime import datetime, timezone

    from course import pipeline
    from course.gradebook.deadlines import format_time

    root = _root(args.root)
    if args.revoke == (args.hours is not None):
        raise SystemExit("course extend: give --hours N (the extension) or --revoke")
    now = format_time(datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0))
    changed, previous, work, rules = pipeline.extend(
        root, args.student, None if args.revoke else args.hours, args.assignment,
        note=args.note or "", granted=now)
    if args.revoke:
        console.print(f"{args.student}: the extension of {changed.hours:g} hours on "
                      f"{args.assignment} is revoked; due {format_time(rules.due)} again",
                      highlight=False, markup=False, soft_wrap=True)
    else:
        replaced = f" (replaces {previous.hours:g} hours)" if previous is not None else ""
        console.print(f"{args.student}: {changed.hours:g} hours more on {args.assignment}: due "
                      f"{format_time(rules.due + _hours(changed.hours))}{replaced}",
                      highlight=False, markup=False, soft_wrap=True)
    if work is not None:
        console.print(f"{args.student}'s graded submission: {work.summary()}", highlight=False,
                      markup=False, soft_wrap=True)


def _hours(hours):
    from datetime import timedelta

    return timedelta(hours=hours)


def cmd_extensions(args, console):
    """List the extensions of an assignment, with each student's own due date."""
    from course import pipeline
    from course.gradebook.deadlines import format_time

    root = _root(args.root)
    rules, _ = pipeline.lateness(root, args.assignment, [])
    granted = sorted((e for (a, _), e in rules.extensions.items() if a == args.assignment),
                     key=lambda e: e.student)
    if rules.due is None:
        console.print(f"{args.assignment} has no due date", highlight=False)
    else:
        console.print(f"{args.assignment}: due {_due_line(rules)}", highlight=False, soft_wrap=True)
    table = Table(title=f"Extensions: {args.assignment}")
    for name, justify in (("student", "left"), ("hours", "right"), ("due", "left"),
                          ("granted", "left"), ("note", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for e in granted:
        due = format_time(rules.due + _hours(e.hours)) if rules.due is not None else "-"
        table.add_row(escape(e.student), f"{e.hours:g}", due, escape(e.granted), escape(e.note))
    console.print(table)


def cmd_export(args, console):
    """grades.csv (nbgrader's export), or the file an LMS imports."""
    from course import pipeline

    root = _root(args.root)
    if args.to == "nbgrader":
        pipeline.export(root)
        console.print(f"wrote {root / 'grades.csv'}", highlight=False)
        return 0
    from datetime import datetime, timezone

    from course.gradebook import lms_export

    roster_path = Path(args.roster) if args.roster else root / "roster.csv"
    roster = lms_export.read_roster(roster_path)
    scores = pipeline.scores(root, args.assignment)
    rules, lateness = pipeline.lateness(root, args.assignment, [s.student for s in scores])
    finals = lms_export.final_scores(scores, lateness)
    zero = None
    if args.zero_missing:   # not before a student's own due date
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        zero = {s for s in roster if rules.due is None
                or rules.due + _hours(rules.extension_hours(s)) <= now}
    rows, notes = lms_export.plan(roster, finals, lms=args.to, id_field=args.id_field,
                                  zero_missing=zero, roster_name=roster_path.name)
    column = args.column or args.assignment
    if args.to == "canvas":
        text = lms_export.canvas_csv(rows, column, pipeline.max_score(root, args.assignment))
    else:
        text = lms_export.moodle_csv(rows, column, args.id_field)
    output = Path(args.output) if args.output else root / f"{args.to}-grades.csv"
    output.write_text(text, encoding="utf-8", newline="")
    how = ("Canvas: Grades > Import" if args.to == "canvas" else
           f"Moodle: Grades > Import > CSV file; map from "
           f"{lms_export.MOODLE_ID_FIELDS[args.id_field][0]!r} to "
           f"{lms_export.MOODLE_ID_FIELDS[args.id_field][1]}, and {column!r} to the grade item")
    console.print(f"wrote {output}: {len(rows)} grade{'' if len(rows) == 1 else 's'} for the "
                  f"{len(roster)} students of "
                  f"{roster_path.name} ({how})", highlight=False, markup=False, soft_wrap=True)
    for note in notes:
        console.print(note, highlight=False, markup=False, soft_wrap=True)
    return 0


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
    p.add_argument("--due", default=None, metavar="WHEN",
                   help="the due date, with its time zone: '2027-03-01 23:59 Europe/Berlin' or "
                        "2027-03-01T23:59+01:00 ('none' removes it); recorded in the gradebook "
                        "(c.Deadlines.due in nbgrader_config.py, if set, is used instead)")

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

    p = _command(sub, "gradescope", cmd_gradescope,
                 "write the Gradescope autograder zip of an assignment",
                 "Write the zip Gradescope's autograder takes (setup.sh and run_autograder at "
                 "its root, the release, the course's grading package and its dependencies "
                 "pinned to this environment's versions). On Gradescope it grades each upload "
                 "with the same judge and sandbox as `course grade` and writes Gradescope's "
                 "results.json. Run `course release` first.")
    p.add_argument("assignment", nargs="?", default=ASSIGNMENT,
                   help=f"assignment to grade (default: {ASSIGNMENT})")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="the zip to write (default: gradescope-ASSIGNMENT.zip in the course root)")
    p.add_argument("--time-limit", type=int, default=600, metavar="SECONDS",
                   help="the autograder timeout set on Gradescope (default: 600, Gradescope's "
                        "default); grading stops in time to report within it")
    p.add_argument("--if-no-sandbox", choices=("refuse", "grade-unsandboxed"), default="refuse",
                   help="where bubblewrap cannot start in Gradescope's container: refuse to "
                        "grade (default; each upload gets a failed test saying so), or grade "
                        "without the sandbox (unsafe: student code runs as root there; the "
                        "results and the log say so)")

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

    p = _command(sub, "report", cmd_report,
                 "write the class report: what the class got wrong, scores, answers to grade",
                 "Write an offline HTML page and CSV files of an assignment from the gradebook "
                 "and the graded notebooks: every mistake the checks named, with the students "
                 "who made it (most made first), each test cell's results, the scores of each "
                 "notebook as figures, every student's state, and the written answers waiting "
                 "for a grader, with formgrader links.")
    p.add_argument("assignment", nargs="?", default=ASSIGNMENT,
                   help=f"assignment to report on (default: {ASSIGNMENT})")
    p.add_argument("--output", default=None, metavar="FOLDER",
                   help="folder to write report.html, mistakes.csv and cells.csv in "
                        "(default: reports/ASSIGNMENT in the course root)")
    p.add_argument("--formgrader-url", default=FORMGRADER_URL, metavar="URL",
                   help=f"the Jupyter server whose formgrader the page links to (default: "
                        f"{FORMGRADER_URL}, where `jupyter lab` in the course root "
                        f"listens; on a hub, https://HUB/user/YOU)")

    p = _command(sub, "extend", cmd_extend, "give a student more time, or take it back",
                 "Give a student an extension of the due date (recorded in extensions.csv; a "
                 "second one replaces the first), or take it back with --revoke. A graded "
                 "submission's late penalty follows at once; `course extensions` lists them.")
    p.add_argument("student", help="the student's id, as in submitted/<student>/")
    p.add_argument("--hours", type=float, default=None,
                   help="the extension in hours, counted from the assignment's due date (48: two days)")
    p.add_argument("--revoke", action="store_true", help="take the student's extension back")
    p.add_argument("--note", default=None, help="why, kept with the extension (e.g. 'medical, 26 Feb')")
    p.add_argument("--assignment", default=ASSIGNMENT, help=f"the assignment (default: {ASSIGNMENT})")

    p = _command(sub, "extensions", cmd_extensions, "list the extensions granted",
                 "List the extensions of an assignment: each student's hours, own due date, "
                 "when it was granted and why, under the due date and the late policy.")
    p.add_argument("--assignment", default=ASSIGNMENT, help=f"the assignment (default: {ASSIGNMENT})")

    p = _command(sub, "export", cmd_export, "write grades.csv, or the grade file Canvas or Moodle imports",
                 "Write grades.csv (nbgrader export), or with --to canvas / --to moodle the CSV "
                 "file that LMS documents for importing grades, from the gradebook and a roster "
                 "(roster.csv: student_id and the LMS's ids; see the README). Only final scores "
                 "are written, after the late penalty; everyone left out is named in one line.")
    p.add_argument("--to", choices=["nbgrader", "canvas", "moodle"], default="nbgrader",
                   help="nbgrader: grades.csv (default); canvas: Canvas's gradebook import CSV; "
                        "moodle: Moodle's grade import CSV")
    p.add_argument("--roster", default=None,
                   help="the roster CSV (default: roster.csv in the course root)")
    p.add_argument("--output", default=None,
                   help="the file to write (default: canvas-grades.csv or moodle-grades.csv)")
    p.add_argument("--column", default=None,
                   help="the grade column's title: Canvas's assignment as 'Title (id)', or "
                        "Moodle's grade item (default: the assignment's name)")
    p.add_argument("--id-field", choices=["email", "username", "idnumber"], default="email",
                   help="Moodle: the roster column that identifies users (default: email)")
    p.add_argument("--zero-missing", action="store_true",
                   help="write 0 for roster students who handed nothing in and whose due date "
                        "(with extension) has passed (default: leave them out)")
    p.add_argument("--assignment", default=ASSIGNMENT, help=f"the assignment (default: {ASSIGNMENT})")

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
                         ("course.gradebook.deadlines", "DeadlineError"),
                         ("course.gradebook.extensions", "ExtensionError"),
                         ("course.gradebook.lms_export", "RosterError"),
                         ("course.submissions.build", "SubmissionError"),
                         ("course.submissions.catalogue", "CatalogueError"),
                         ("course.grading.local", "GradeError"),
                         ("course.grading.cluster.worker", "WorkerError"),
                         ("course.gradescope.build", "BuildError"),
                         ("course.publish.build", "PublishError")):
        loaded = sys.modules.get(module)
        if loaded is not None:
            errors.append(getattr(loaded, name))
    return tuple(errors)


if __name__ == "__main__":
    sys.exit(main())
