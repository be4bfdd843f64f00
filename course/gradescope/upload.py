"""What a student uploaded to Gradescope, sorted before anything is graded.

``course grade`` grades the notebooks at the top of a submission's folder, named as
released; a notebook named otherwise is "not handed in" (it scores zero, and the
preflight says so). Gradescope's upload adds ways to hand in nothing gradable:
an empty upload, the notebooks inside a folder (a zip of the assignment's folder,
which Gradescope unpacks as a folder), a zip file it did not unpack, or only
notebooks under other names. :func:`why_not_gradable` says so in one sentence,
so that the student reads why, instead of a zero for every exercise.

Only the standard library: the supervisor (:mod:`.run`) calls this before it
starts anything that could fail.
"""

from pathlib import Path

__all__ = ["why_not_gradable", "handed_in"]


def _names(expected):
    return ", ".join(sorted(expected))


def why_not_gradable(folder, expected):
    """Why the upload in ``folder`` cannot be graded at all (one sentence), or None.

    Parameters
    ----------
    folder : path-like
        Gradescope's ``/autograder/submission``.
    expected : iterable of str
        The release's notebook file names (``Initialization.ipynb``, ...).

    An upload holding at least one of ``expected`` at its top is graded as
    ``course grade`` grades it; the others are then said to be missing.
    """
    folder, expected = Path(folder), set(expected)
    top = sorted(folder.iterdir()) if folder.is_dir() else []
    names = _names(expected)
    if not top:
        return f"the upload is empty: upload your notebooks ({names})"
    notebooks = sorted(p.name for p in top if p.suffix == ".ipynb")
    if expected & set(notebooks):
        return None
    nested = sorted(p.relative_to(folder) for p in folder.rglob("*")
                    if p.name in expected and p.parent != folder)
    if nested:
        return (f"your notebooks are inside a folder of the upload ({nested[0].parent}/): "
                f"upload the notebook files themselves ({names}), not a folder or a zip of one")
    archives = [p.name for p in top if p.suffix.lower() in (".zip", ".tar", ".gz", ".tgz", ".7z")]
    if archives:
        return (f"{archives[0]} is an archive, not a notebook: upload the notebook files "
                f"themselves ({names})")
    if notebooks:
        return (f"none of {names} was uploaded (found {', '.join(notebooks)}): name the "
                f"notebooks as released and upload them again")
    found = ", ".join(p.name + ("/" if p.is_dir() else "") for p in top[:5])
    return f"the upload holds no notebook (found {found}): upload {names}"


def handed_in(folder):
    """The upload as ``course.grading.cluster.task`` takes it: ``{relative path: bytes, or {"link": target}}``.

    A symbolic link stays a link (``course grade`` leaves it out, one line; a
    notebook that is a link is not graded); nothing it points to is read. A name the
    grader would not write (a backslash in it) is left out, with a line in the log.
    """
    from course.grading.cluster.bundle import safe_relative

    folder = Path(folder)
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        try:
            safe_relative(rel)   # as the grader writes it (a backslash is refused there)
        except ValueError:
            print(f"course gradescope: {rel!r} left out of the submission: not a file name "
                  f"the grader writes", flush=True)
            continue
        if path.is_symlink():
            files[rel] = {"link": str(path.readlink())}
        elif path.is_file():
            files[rel] = path.read_bytes()
    return files
