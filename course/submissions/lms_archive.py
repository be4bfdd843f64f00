"""An LMS download of a class's submissions, as `nbgrader zip_collect` reads it.

Learning management systems hand the instructor one archive with one file per
student and notebook, renamed after the student. This course expects Canvas's
naming (the pattern is ``FileNameCollectorPlugin.named_regexp`` in
``nbgrader_config.py``)::

    <login>_[LATE_]<user id>_<submission id>_<notebook name>[-<n>].ipynb

for example ``alice_20460_880100_Initialization.ipynb``; ``LATE_`` marks a
submission after the deadline and ``-1``, ``-2`` a file handed in again.

Canvas's download carries no submission time (the archive's member dates are when
the archive was made), only that flag; Moodle's neither. :class:`LmsCollectorPlugin`,
the course's ``ZipCollectApp.collector_plugin``, gives ``zip_collect`` each
student's time, which it writes to ``submitted/<student>/<assignment>/timestamp.txt``
as ``nbgrader collect`` does: from a ``timestamp`` group of ``named_regexp``
(nbgrader's own way, for an LMS that names the time, as Blackboard does), or else
from ``downloaded/<assignment>/submission_times.csv``, which the instructor writes
from what the LMS shows (``student_id,submitted_at``; times with their zone). A
file the LMS flags as late with no time known is named in a warning: without a
time, grading reports its lateness as unknown and applies no penalty.
"""

import csv
import os
import zipfile
from pathlib import Path

from traitlets import Unicode

# A fixed date for every member, so that the same class gives the same archive.
_DATE = (2026, 1, 1, 0, 0, 0)
USER_ID_START = 20460
SUBMISSION_ID_START = 880100


def lms_name(student, user_id, submission_id, notebook, *, late=False):
    """The file name an LMS gives a student's notebook in its download.

    Parameters
    ----------
    student : str
        The student's login, which nbgrader takes as the student id.
    user_id, submission_id : int
        The LMS's own numbers for the student and for this submission.
    notebook : str
        The name of the notebook as handed in, ``Initialization.ipynb``.
    late : bool
        Whether the LMS flags the submission as late.
    """
    if not student.isidentifier() or "_" in student:
        raise ValueError(f"student id {student!r} cannot appear in an LMS file name: "
                         f"expected letters and digits only, starting with a letter")
    return f"{student}_{'LATE_' if late else ''}{user_id}_{submission_id}_{notebook}"


def write_archive(submitted_dir, assignment, path, *, late=()):
    """Zip ``submitted/<student>/<assignment>/*.ipynb`` as an LMS would.

    Students are numbered in alphabetical order from ``USER_ID_START``, and
    their submissions from ``SUBMISSION_ID_START``, so the archive depends only
    on the class. Returns the member names, in the archive's order.

    Raises
    ------
    ValueError
        If there is nothing to archive, or ``late`` names a student who
        handed nothing in.
    """
    submitted_dir, path = Path(submitted_dir), Path(path)
    students = sorted(p.name for p in submitted_dir.iterdir()
                      if (p / assignment).is_dir()) if submitted_dir.is_dir() else []
    if not students:
        raise ValueError(f"{submitted_dir} has no <student>/{assignment}/ folder to archive")
    unknown = sorted(set(late) - set(students))
    if unknown:
        raise ValueError(f"--late names {', '.join(unknown)}, who handed nothing in; "
                         f"the students are {', '.join(students)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    names = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, student in enumerate(students):
            for notebook in sorted((submitted_dir / student / assignment).glob("*.ipynb")):
                name = lms_name(student, USER_ID_START + number, SUBMISSION_ID_START + number,
                                notebook.name, late=student in late)
                member = zipfile.ZipInfo(name, date_time=_DATE)
                member.compress_type = zipfile.ZIP_DEFLATED
                member.external_attr = 0o644 << 16
                archive.writestr(member, notebook.read_bytes())
                names.append(name)
    return names


def unreadable_archives(folder, extensions=(".zip", ".gz", ".tgz", ".bz2", ".xz")):
    """``{path: why}`` for each archive under ``folder`` that cannot be read whole."""
    import tarfile
    import zipfile

    bad = {}
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or not path.name.lower().endswith(tuple(extensions)):
            continue
        try:
            if path.suffix.lower() == ".zip":
                with zipfile.ZipFile(path) as archive:
                    damaged = archive.testzip()
                if damaged is not None:
                    raise zipfile.BadZipFile(f"{damaged} is damaged")
            else:
                with tarfile.open(path) as archive:
                    archive.getmembers()
        except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError) as error:
            bad[path] = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
    return bad


def _extractor_base():
    from nbgrader.plugins import ExtractorPlugin

    return ExtractorPlugin


class CheckedExtractorPlugin(_extractor_base()):
    """nbgrader's extractor for ``zip_collect``, which first reads every archive whole.

    nbgrader's own ends in a traceback at the first damaged archive, with some
    archives extracted and others not. This one names each damaged archive in one
    line and stops before anything is extracted (``ZipCollectApp.extractor_plugin``
    in ``nbgrader_config.py``).
    """

    def extract(self, archive_path, extracted_path):
        bad = unreadable_archives(archive_path, tuple(self.zip_ext))
        for path, why in bad.items():
            self.log.error(f"{path} is not a readable archive ({why}): download it again "
                           f"from the LMS; nothing was collected")
        if bad:
            raise SystemExit(1)
        super().extract(archive_path, extracted_path)
def _collector_base():
    from nbgrader.plugins import FileNameCollectorPlugin

    return FileNameCollectorPlugin


class LmsCollectorPlugin(_collector_base()):
    """nbgrader's file-name collector, with each submission's time where one is known.

    The time of a file is the ``timestamp`` group of ``named_regexp`` when the
    pattern has one (read with :attr:`timestamp_format` and :attr:`timezone` where
    it is not ISO 8601 with a zone), else the student's row of :attr:`times_file`.
    ``zip_collect`` keeps a student's latest time and writes it to ``timestamp.txt``.
    A malformed times file stops ``zip_collect`` before anything is copied.
    """

    times_file = Unicode("submission_times.csv", help=(
        "CSV of submission times, in downloaded/<assignment>/: a header student_id,submitted_at "
        "and one row per student, times with their zone (2027-03-01 23:59 Europe/Berlin)")
    ).tag(config=True)
    timezone = Unicode("", help=(
        "The zone of times written without one (an LMS's local time in file names), e.g. "
        "Europe/Berlin; empty: such a time is refused")).tag(config=True)
    timestamp_format = Unicode("", help=(
        "strptime format of the timestamp group of named_regexp, when it is not ISO 8601 "
        "(Blackboard: %Y-%m-%d-%H-%M-%S); empty: ISO 8601")).tag(config=True)

    _times = None
    _warned = None

    def _fail(self, message):
        fail = getattr(self.parent, "fail", None)
        if fail is not None:
            fail(message)   # zip_collect: logs the line and exits 1, before any file is copied
        raise ValueError(message)

    def _zone(self):
        from course.gradebook.deadlines import DeadlineError, _zone

        if not self.timezone:
            return None
        try:
            return _zone(self.timezone, "LmsCollectorPlugin.timezone", self.timezone)
        except DeadlineError as error:
            self._fail(str(error))

    def _times_path(self):
        app = self.parent
        coursedir = getattr(app, "coursedir", None)
        if coursedir is None or not hasattr(app, "collect_directory_structure"):
            return None
        archive = os.path.join(coursedir.root, app.collect_directory_structure).format(
            downloaded=app.downloaded_directory, assignment_id=coursedir.assignment_id,
            collect_step=app.archive_directory)
        return Path(archive).parent / self.times_file

    def _load_times(self):
        """``{student: ISO time in UTC}`` of the times file (empty when there is none)."""
        from course.gradebook.deadlines import DeadlineError, parse_time

        if self._times is not None:
            return self._times
        self._times = {}
        path = self._times_path()
        if path is None or not path.is_file():
            return self._times
        with open(path, newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream)
            if not {"student_id", "submitted_at"} <= set(reader.fieldnames or []):
                self._fail(f"{path}: expected a header student_id,submitted_at")
            for row in reader:
                where = f"{path}, line {reader.line_num}"
                student = (row["student_id"] or "").strip()
                try:
                    moment = parse_time(row["submitted_at"] or "", what=f"{where}: submitted_at",
                                        naive=self._zone())
                except DeadlineError as error:
                    self._fail(str(error))
                if student in self._times:
                    self._fail(f"{where}: a second time for {student}")
                self._times[student] = moment.isoformat(" ")
        self.log.info("Submission times of %d students from %s", len(self._times), path)
        return self._times

    def _named_time(self, text):
        from datetime import datetime

        from course.gradebook.deadlines import DeadlineError, parse_time

        try:
            if self.timestamp_format:
                moment = datetime.strptime(text, self.timestamp_format)
                return parse_time(moment.isoformat(), what="the time in the file name",
                                  naive=self._zone()).isoformat(" ")
            return parse_time(text, what="the time in the file name",
                              naive=self._zone()).isoformat(" ")
        except (ValueError, DeadlineError) as error:
            self._fail(f"{text!r} in a file name is not a time ({error}); set "
                       f"LmsCollectorPlugin.timestamp_format and .timezone")

    def collect(self, submitted_file):
        info = super().collect(submitted_file)
        if not info:
            return info
        late = info.pop("late", None)
        if info.get("timestamp"):
            info["timestamp"] = self._named_time(info["timestamp"])
        else:
            info.pop("timestamp", None)
            when = self._load_times().get(info["student_id"])
            if when is not None:
                info["timestamp"] = when
            elif late:
                self._warned = self._warned or set()
                if info["student_id"] not in self._warned:
                    self._warned.add(info["student_id"])
                    self.log.warning(f"{info['student_id']}: the LMS marks the submission late but "
                                     f"gives no time; write it in {self._times_path() or self.times_file} "
                                     f"(without a time, no late penalty is applied)")
        return info
