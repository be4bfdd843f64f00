"""``course report``'s files: one offline HTML page, and the same tables as CSV.

The page is one file that works from a download, as the feedback pages do
(:mod:`course.feedback.page`): nothing is fetched, the table styles are the feedback
pages' own (``course/feedback/templates/tables.css``), the figures are PNG images drawn
with matplotlib's Agg canvas and inlined as ``data:`` URIs, and a
Content-Security-Policy lets no script run and nothing load from anywhere. Every name
on it (student ids are folder names, anyone's to choose) is escaped by the template;
nothing of a student's notebook is shown.

:func:`write` writes ``report.html``, ``mistakes.csv`` (every mistake and other loss,
with its students) and ``cells.csv`` (per test cell) into a folder, each file whole or
not at all.
"""

import base64
import csv
import io
import os
from datetime import datetime
from pathlib import Path

from course.gradebook import report

__all__ = ["TEMPLATES", "distribution_figure", "figure_png", "mistakes_csv", "cells_csv", "render",
           "write"]

#: The report's template.
TEMPLATES = Path(__file__).parent / "templates"
_COLORS = {"final": "#1f77b4", "so far": "#aec7e8"}


def figure_png(scored, maximum, title):
    """:func:`distribution_figure` as PNG bytes."""
    out = io.BytesIO()
    distribution_figure(scored, maximum, title).savefig(out, format="png")
    return out.getvalue()


def distribution_figure(scored, maximum, title):
    """A bar chart of how many students scored each number of points (a matplotlib Figure).

    One bar per number of points scored, stacked: final points, then points so far
    (a written answer waits), each bar's count written above it. Drawn on matplotlib's
    Agg canvas, without pyplot: nothing global changes.

    Parameters
    ----------
    scored : list of (str, float, bool)
        From :func:`course.gradebook.report.distribution`: student, points, final.
    maximum : float
        The points possible.
    title : str
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6.4, 2.8), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    values = sorted({points for _, points, _ in scored})
    width = 0.8 * min([b - a for a, b in zip(values, values[1:])] + [1.0])
    bottom = dict.fromkeys(values, 0)
    for kind, final in (("final", True), ("so far", False)):
        counts = [sum(1 for _, p, f in scored if p == v and f is final) for v in values]
        if not any(counts):
            continue
        label = "final" if final else "so far: a written\nanswer waits\nfor a grader"
        ax.bar(values, counts, width=width, bottom=[bottom[v] for v in values],
               color=_COLORS[kind], label=label, hatch=None if final else "//",
               edgecolor="white" if final else "#1f77b4")
        for v, c in zip(values, counts):
            bottom[v] += c
    for v in values:   # each bar's count, written above it
        ax.annotate(f"{bottom[v]}", (v, bottom[v]), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8)
    ax.set_xlim(-0.6, maximum + 0.6)
    ax.set_ylim(0, max(bottom.values(), default=1) * 1.2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"points (of {maximum:g})")
    ax.set_ylabel("students")
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    if any(not f for _, _, f in scored):
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    if not scored:
        ax.text(0.5, 0.5, "nobody scored yet", transform=ax.transAxes, ha="center",
                va="center", color="0.4")
    return figure


def _data_uri(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figures(record):
    """``[(what, data URI, scored, left out, maximum)]``: each notebook, then the assignment."""
    parts = [(f"{nb}.ipynb", nb) for nb in record.notebooks]
    if len(parts) > 1:
        parts.append((f"{record.assignment}: all notebooks", None))
    result = []
    for what, notebook in parts:
        scored, left_out = report.distribution(record, notebook)
        maximum = sum(c.max_points for c in record.cells
                      if notebook is None or c.notebook == notebook)
        png = figure_png(scored, maximum, f"{what}: {len(scored)} students")
        result.append((what, _data_uri(png), scored, left_out, maximum))
    return result


def _summary(scored):
    """Mean and median of the points, or None."""
    points = sorted(p for _, p, _ in scored)
    if not points:
        return None
    n = len(points)
    median = points[n // 2] if n % 2 else (points[n // 2 - 1] + points[n // 2]) / 2
    return {"mean": sum(points) / n, "median": median, "low": points[0], "high": points[-1]}


def _csv(rows, header):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _where(record, row):
    """The exercise (or notebook) a row is about, as the page names it."""
    exercise = record.exercise(row.exercise)
    if exercise is None:
        return f"{row.notebook}.ipynb", ""
    return exercise.title or exercise.function, exercise.function


def mistakes_csv(record):
    """Every mistake, then every other loss: one row each, with the students who made it."""
    rows = []
    for kind, found in (("mistake", report.mistake_rows(record)),
                        ("other", report.other_rows(record))):
        for rank, row in enumerate(found, 1):
            title, function = _where(record, row)
            rows.append([kind, rank, row.code, row.description, title, function,
                         row.notebook, " ".join(row.cells), row.count, row.of,
                         f"{row.share:.3f}", " ".join(row.students)])
    return _csv(rows, ["kind", "rank", "code", "description", "exercise", "function",
                       "notebook", "cells", "students", "of", "share", "student_ids"])


def cells_csv(record):
    """Per test cell in course order: students graded, passed, failed, mean points."""
    rows = []
    for cell, graded, passed, failed, mean in report.cell_rows(record):
        rows.append([cell.notebook, cell.grade_id, cell.title, cell.checks,
                     f"{cell.max_points:g}", len(graded), len(passed), len(failed),
                     "" if mean is None else f"{mean:.3f}",
                     f"{len(failed) / len(graded):.3f}" if graded else ""])
    return _csv(rows, ["notebook", "grade_id", "exercise", "checks", "max_points", "graded",
                       "passed", "failed", "mean_points", "failed_share"])


def render(record, *, now=None):
    """The report page of ``record`` as HTML text."""
    import jinja2

    from course.feedback.page import TEMPLATES as FEEDBACK, content_security_policy

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                                     autoescape=True, undefined=jinja2.StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)
    environment.filters["percent"] = lambda x: f"{100 * x:.0f}%"
    environment.filters["points"] = lambda x: "" if x is None else f"{x:.2f}".rstrip(
        "0").rstrip(".")
    figures = [(what, uri, scored, left_out, maximum, _summary(scored))
               for what, uri, scored, left_out, maximum in _figures(record)]
    written = [c for c in record.cells if c.written]
    waiting = report.waiting_rows(record)
    return environment.get_template("report.html.j2").render(
        record=record, now=(now or datetime.now()).strftime("%Y-%m-%d %H:%M"),
        csp=content_security_policy(),
        css=(FEEDBACK / "tables.css").read_text(encoding="utf-8"),
        states=report.state_rows(record),
        mistakes=[(row, *_where(record, row)) for row in report.mistake_rows(record)],
        others=[(row, *_where(record, row)) for row in report.other_rows(record)],
        cells=report.cell_rows(record), figures=figures,
        written=[(cell, [(s, url) for s, c, url in waiting if c is cell],
                  [s.student for s in record.students
                   if s.points.get(cell.grade_id) is not None]) for cell in written],
        waiting=waiting)


def write(record, folder, *, now=None):
    """Write ``report.html``, ``mistakes.csv`` and ``cells.csv`` into ``folder``.

    Everything is rendered, then written to temporary files, before any of them
    replaces the old one (a rename each): an error leaves no half-written file.
    Returns the paths written.
    """
    folder = Path(folder)
    files = {"report.html": render(record, now=now), "mistakes.csv": mistakes_csv(record),
             "cells.csv": cells_csv(record)}
    folder.mkdir(parents=True, exist_ok=True)
    temporary = {name: folder / f".{name}.{os.getpid()}.tmp" for name in files}
    try:
        for name, text in files.items():
            temporary[name].write_text(text, encoding="utf-8", newline="")
        for name, path in temporary.items():
            os.replace(path, folder / name)
    finally:
        for path in temporary.values():
            path.unlink(missing_ok=True)
    written = [folder / name for name in files]
    return written
