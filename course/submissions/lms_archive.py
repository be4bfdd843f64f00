"""An LMS download of a class's submissions, as `nbgrader zip_collect` reads it.

Learning management systems hand the instructor one archive with one file per
student and notebook, renamed after the student. This course expects Canvas's
naming (the pattern is ``FileNameCollectorPlugin.named_regexp`` in
``nbgrader_config.py``)::

    <login>_[LATE_]<user id>_<submission id>_<notebook name>[-<n>].ipynb

for example ``alice_20460_880100_Initialization.ipynb``; ``LATE_`` marks a
submission after the deadline and ``-1``, ``-2`` a file handed in again.
"""

import zipfile
from pathlib import Path

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
