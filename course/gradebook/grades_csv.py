"""``nbgrader export``'s grades.csv, with each student's state beside the score.

nbgrader's CSV exporter writes 0 for a student who handed nothing in, for one
whose grading failed, and for answers nobody has graded yet, the same 0 as work
that earned nothing. :class:`StatusCsvExportPlugin` (``ExportApp.plugin_class`` in
``nbgrader_config.py``) writes nbgrader's columns, quoted as CSV should be, and
two more: ``status`` (:data:`course.gradebook.scores.STATES`, the same state every table
says; a student with no notebook in ``submitted/`` is ``not submitted`` and scores 0,
as in nbgrader) and ``overrides`` (the autograded cells whose points an instructor
set). ``score`` and ``raw_score`` are left empty where grading failed or has not run
yet: no number is better than a wrong one in an LMS upload.

The late penalty is computed afresh (:meth:`course.gradebook.deadlines.Rules.assess`:
the time, due date, extension and score as they are now, not the penalty stored at
autograde); ``duedate`` is the assignment's, ``extension_hours`` the student's, and
``lateness`` says in words how late the work was and what it cost, or why that is
unknown (no readable submission time: ``score`` is then left empty too).
"""

import csv
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import CsvExportPlugin

from course.gradebook.deadlines import Rules
from course.gradebook.scores import read_scores

__all__ = ["StatusCsvExportPlugin", "COLUMNS"]

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
           "email", "raw_score", "late_submission_penalty", "score", "max_score",
           "status", "overrides", "extension_hours", "lateness"]


def _everyone(gradebook, root):
    """The gradebook's students, and those of ``submitted/`` it does not know yet (never
    graded): nbgrader's export would leave them out without a word."""
    from types import SimpleNamespace

    known = list(gradebook.students)
    ids = {s.id for s in known}
    submitted = Path(root) / "submitted" if root is not None else None
    extra = sorted(p.name for p in submitted.iterdir() if p.is_dir() and p.name not in ids) \
        if submitted is not None and submitted.is_dir() else []
    return known + [SimpleNamespace(id=sid, last_name=None, first_name=None, email=None)
                    for sid in extra]


class StatusCsvExportPlugin(CsvExportPlugin):
    """nbgrader's CSV export, with a ``status`` and an ``overrides`` column."""

    def export(self, gradebook):
        dest = self.to or "grades.csv"
        coursedir = getattr(self.parent, "coursedir", None)
        root = Path(coursedir.root) if coursedir is not None else None
        wanted_students = {str(s) for s in self.student}
        wanted_assignments = {str(a) for a in self.assignment}
        self.log.info("Exporting grades to %s", dest)
        rows = []
        for assignment in gradebook.assignments:
            if wanted_assignments and assignment.name not in wanted_assignments:
                continue
            students = [s for s in _everyone(gradebook, root)
                        if not wanted_students or s.id in wanted_students]
            scores = {s.student: s for s in read_scores(gradebook, assignment.name,
                                                        [s.id for s in students], root)}
            rules = Rules.load(root, gradebook, assignment.name, self.config)
            for student in students:
                row = self._row(gradebook, assignment, student, scores[student.id])
                rows.append(self._late(row, rules, rules.assess(gradebook, student.id)))
        with open(dest, "w", newline="") as out:
            writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    @staticmethod
    def _late(row, rules, work):
        """``row`` with the due date, extension and penalty as of now, and lateness in words."""
        row = {**row, "duedate": rules.due or "",
               "extension_hours": f"{rules.extension_hours(row['student_id']):g}"
               if rules.extension_hours(row["student_id"]) else ""}
        if work is None:
            return {**row, "lateness": ""}
        row["lateness"] = work.summary()
        if work.state == "unknown":
            return {**row, "late_submission_penalty": "", "score": ""}
        row["late_submission_penalty"] = work.penalty
        if row["raw_score"] != "":
            row["score"] = max(0.0, row["raw_score"] - work.penalty)
        return row

    @staticmethod
    def _row(gradebook, assignment, student, score):
        row = {"assignment": assignment.name, "duedate": assignment.duedate or "",
               "student_id": student.id, "last_name": student.last_name or "",
               "first_name": student.first_name or "", "email": student.email or "",
               "max_score": assignment.max_score,
               "overrides": " ".join(c for c in score.max_points if c in score.overrides)}
        try:
            submission = gradebook.find_submission(assignment.name, student.id)
        except MissingEntry:   # nothing graded: handed in and waiting, or nothing handed in
            submission = None
        penalty = (submission.late_submission_penalty or 0.0) if submission else 0.0
        total = score.final_total
        return {**row, "timestamp": (submission.timestamp or "") if submission else "",
                "raw_score": "" if total is None else total,
                "late_submission_penalty": penalty,
                "score": "" if total is None else max(0.0, total - penalty),
                "status": score.status}
