"""The mistake catalogue, graded: does the autograder catch every wrong answer
and accept every right one?

The catalogue (``tests/catalogue/*.toml``, described in its README) lists
plausible answers to the exercises, wrong and right. :func:`plan` turns it
into submissions (one per wrong answer, its other functions answered by right
ones; or, packed, a wrong answer for every function at once), :func:`build`
makes their notebooks from the release, :func:`grade` grades them with
``nbgrader autograde`` in several course roots at once (nbgrader grades one
notebook at a time), and :func:`outcomes` says, per entry, which test cells
lost points and what the student read there.
"""

import shutil
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course import pipeline
from course.submissions import build as builder
SOLUTION = "solution"


class CatalogueError(ValueError):
    """The catalogue is malformed."""


@dataclass
class Entry:
    """One answer of the catalogue.

    Attributes
    ----------
    name, function, family : str
    code : str
        The lines between START CODE HERE and END CODE HERE.
    loses : list of str
        Test cells (grade ids) it must lose; empty for a right answer.
    message : str
        Fragment of the message every lost cell must show.
    frame : list of (str, str)
        Edits outside the block, applied to the answer cell as (old, new).
    mistake : str
        The mistake code the grader's verdict must carry in every lost cell
        (``"backward.missing_one_over_m"``); empty for a right answer.
    """

    name: str
    function: str
    family: str
    code: str
    loses: list
    message: str
    frame: list = field(default_factory=list)
    mistake: str = ""

    @property
    def wrong(self):
        return bool(self.loses)


@dataclass
class Submission:
    """A submission to grade: a student id and the entry answering each function."""

    student: str
    entries: dict  # function -> Entry, or None for the instructor's solution

    @property
    def expected_losses(self):
        return {cell for e in self.entries.values() if e for cell in e.loses}


@dataclass
class Outcome:
    """What grading did to one entry (``None``: the instructor's solution) in one submission.

    Attributes
    ----------
    lost : dict of str to float
        Points lost per test cell of the entry's function.
    messages : dict of str to str
        The error each failed test cell of the function showed (type: message).
    codes : dict of str to str
        The mistake code of the grader's verdict in each failed test cell.
    """

    entry: Entry
    function: str
    student: str
    lost: dict
    messages: dict
    codes: dict = field(default_factory=dict)

    @property
    def name(self):
        return self.entry.name if self.entry else SOLUTION

    @property
    def wrong(self):
        return self.entry is not None and self.entry.wrong

    @property
    def points_lost(self):
        return sum(self.lost.values())

    @property
    def caught(self):
        return self.points_lost > 0

    @property
    def seen(self):
        """The first problem the student read, in the first cell that failed."""
        return first_line(next(iter(self.messages.values()), ""))


def load_catalogue(folder):
    """Every entry of ``folder/*.toml``, in file then entry order.

    Raises
    ------
    CatalogueError
        On a missing key, a duplicate name, or a right answer with a message.
    """
    entries, seen = [], set()
    files = sorted(Path(folder).glob("*.toml"))
    if not files:
        raise CatalogueError(f"no catalogue file (*.toml) in {folder}")
    for path in files:
        with open(path, "rb") as f:
            try:
                data = tomllib.load(f)
            except tomllib.TOMLDecodeError as error:
                raise CatalogueError(f"{path} is not valid TOML: {error}") from None
        for raw in data.get("entry", []):
            missing = {"name", "function", "family", "code", "loses", "message"} - set(raw)
            if missing:
                raise CatalogueError(f"{path}: entry {raw.get('name', '?')!r} lacks "
                                     f"{', '.join(sorted(missing))}")
            loses = [] if raw["loses"] == "none" else raw["loses"]
            if not isinstance(loses, list) or not all(isinstance(c, str) for c in loses):
                raise CatalogueError(f"{path}: entry {raw['name']!r}: loses must be a list "
                                     f"of test cell names, or \"none\"")
            if raw["name"] in seen:
                raise CatalogueError(f"{path}: entry name {raw['name']!r} is used twice")
            if bool(loses) != bool(raw["message"]) or bool(loses) != bool(raw.get("mistake")):
                raise CatalogueError(f"{path}: entry {raw['name']!r}: a wrong answer needs a "
                                     f"message fragment and a mistake code, a right one "
                                     f"(loses = \"none\") neither")
            seen.add(raw["name"])
            entries.append(Entry(raw["name"], raw["function"], raw["family"], raw["code"],
                                 loses, raw["message"], [tuple(e) for e in raw.get("frame", [])],
                                 raw.get("mistake", "")))
    return entries


def plan(entries, *, packed=False):
    """The submissions that put every entry to the test.

    By default, one submission per wrong entry, its other functions answered
    by right entries taken in turn, so that each right entry is graded beside
    wrong ones (and must keep its function's points there); then submissions of
    right entries only, for any right entry not used yet. With ``packed``, the
    k-th submission answers each function with its k-th entry, wrong ones first
    (a function's test cells call only that function, so each entry is still
    judged on its own cells), and leaves out a function whose entries are all
    placed: each entry is graded once, and a notebook none of whose functions
    is answered is not handed in (:func:`build`), which needs far fewer
    submissions and notebooks. Last, the instructor's own solution (its
    ``entries`` all None).
    """
    functions = list(dict.fromkeys(e.function for e in entries))
    right = {f: [e for e in entries if e.function == f and not e.wrong] for f in functions}
    wrong = {f: [e for e in entries if e.function == f and e.wrong] for f in functions}
    lacking = [f for f in functions if not right[f]]
    if lacking:
        raise CatalogueError(f"no right answer in the catalogue for {', '.join(lacking)}: "
                             f"wrong answers are graded beside right ones")
    turn = dict.fromkeys(functions, 0)

    def next_right(function):
        entry = right[function][turn[function] % len(right[function])]
        turn[function] += 1
        return entry

    result = []
    if packed:
        queue = {f: wrong[f] + right[f] for f in functions}
        for k in range(max(len(q) for q in queue.values())):
            answers = {f: queue[f][k] for f in functions if k < len(queue[f])}
            result.append(Submission(f"p{len(result) + 1:02d}-packed", answers))
    else:
        for entry in (e for e in entries if e.wrong):
            answers = {f: entry if f == entry.function else next_right(f) for f in functions}
            result.append(Submission(f"w{len(result) + 1:02d}-{entry.name}", answers))
        unused = [e for f in functions for e in right[f][turn[f]:]]
        while unused:
            answers = {f: next_right(f) for f in functions}
            result.append(Submission(f"r{len(result) + 1:02d}-right", answers))
            unused = [e for e in unused if e not in answers.values()]
    result.append(Submission(f"z-{SOLUTION}", dict.fromkeys(functions)))
    return result


def owners(notebook):
    """The answer cell each test cell checks: the closest answer cell above it."""
    owner, found = None, {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            owner = meta["grade_id"]
        elif meta.get("grade") and owner is not None:
            found[meta["grade_id"]] = owner
    return found


def build(release_dir, source_dir, submission, *, lean=False):
    """The notebooks of ``submission``: {file name: NotebookNode}.

    Each answer goes in the notebook that has its answer cell; answer cells
    the submission does not answer (and those it answers with None) get the
    instructor's solution, so that only the entries' own answers can lose points.
    A notebook with none of the submission's functions is left out: its cells
    are not the catalogue's to judge, and grading it would only cost time.
    """
    release_dir, source_dir = Path(release_dir), Path(source_dir)
    notebooks, placed = {}, set()
    for path in sorted(release_dir.glob("*.ipynb")):
        release = nbformat.read(path, as_version=4)
        if not set(submission.entries) & set(builder.answer_cells(release)):
            continue
        solution = builder.answer_cells(nbformat.read(source_dir / path.name, as_version=4))
        mine = {f: e for f, e in submission.entries.items()
                if f in builder.answer_cells(release) and e is not None}
        nb = builder.fill(release, {f: e.code for f, e in mine.items()})
        for function, cell in builder.answer_cells(nb).items():
            if function not in mine:
                cell.source = solution[function].source
                continue
            for old, new in mine[function].frame:
                if old not in cell.source:
                    raise CatalogueError(f"entry {mine[function].name}: the answer cell "
                                         f"{function} has no {old!r} to replace")
                cell.source = cell.source.replace(old, new, 1)
        placed.update(f for f in submission.entries if f in solution)
        notebooks[path.name] = builder.lean(nb) if lean else nb
    unplaced = set(submission.entries) - placed
    if unplaced:
        raise CatalogueError(f"no release notebook has the answer cell(s) "
                             f"{', '.join(sorted(unplaced))}")
    return notebooks


def _course(repo_root, folder):
    """A course root in ``folder`` with the repository's config and source, released."""
    folder.mkdir(parents=True)
    shutil.copy2(Path(repo_root) / "nbgrader_config.py", folder / "nbgrader_config.py")
    shutil.copytree(Path(repo_root) / "source", folder / "source")
    pipeline.release(folder)
    return folder


def grade(repo_root, planned, workdir, *, workers=2, feedback=False, lean=False):
    """Grade ``planned`` submissions in ``workers`` new course roots under ``workdir``.

    With ``lean``, the notebooks leave out the release's ungraded code cells
    (``course.submissions.build.lean``: the training runs and plots, which no test
    cell depends on), which takes a notebook's grading from about 17 s to 5.

    Returns
    -------
    dict of str to Path
        Each student's course root (autograded/ and, with ``feedback``,
        feedback/ inside).
    """
    workdir = Path(workdir)
    roots = [workdir / f"course{k}" for k in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda root: _course(repo_root, root), roots))
    where = hand_in(planned, roots, lean=lean)

    def run(root):
        # nbgrader adds unknown students itself; one autograde for the whole root.
        pipeline.nbgrader(root, "autograde", pipeline.ASSIGNMENT, "--force", check=False)
        if feedback:
            pipeline.nbgrader(root, "generate_feedback", pipeline.ASSIGNMENT, "--force")

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, roots))
    return where


def hand_in(planned, roots, *, lean=False):
    """Write each of the ``planned`` submissions into ``submitted/`` of a course root, in turn.

    Each root must hold the release and the source (:func:`build`). Returns
    ``{student: the root that holds the submission}``.
    """
    where = {}
    for k, submission in enumerate(planned):
        root = roots[k % len(roots)]
        for name, nb in build(root / "release" / pipeline.ASSIGNMENT,
                              root / "source" / pipeline.ASSIGNMENT, submission, lean=lean).items():
            path = root / "submitted" / submission.student / pipeline.ASSIGNMENT / name
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
        where[submission.student] = root
    return where


def messages(notebook):
    """The error message of every failed test cell of an autograded notebook."""
    found = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found[meta["grade_id"]] = f"{output.ename}: {output.evalue}"
    return found


def mistake_codes(notebook):
    """The mistake code of the grader's verdict in every test cell of an autograded notebook."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["course"]["verdict"]["code"]
            for cell in notebook.cells
            if cell.metadata.get("course", {}).get("verdict") and "nbgrader" in cell.metadata}


def first_line(message):
    """The first problem a check names: its first ``- `` item, else its first line."""
    lines = message.splitlines()
    items = [line.strip()[2:] for line in lines if line.strip().startswith("- ")]
    return items[0] if items else (lines[0] if lines else "")


def outcomes(planned, where):
    """One :class:`Outcome` per function of each planned submission.

    Raises
    ------
    pipeline.PipelineError
        If a submission was not graded.
    """
    scores = {}
    for root in set(where.values()):
        scores.update({s.student: s for s in pipeline.scores(root)})
    result = []
    for submission in planned:
        folder = where[submission.student] / "autograded" / submission.student / pipeline.ASSIGNMENT
        notebooks = [nbformat.read(path, as_version=4) for path in sorted(folder.glob("*.ipynb"))]
        result += submission_outcomes(submission, scores.get(submission.student), notebooks)
    return result


def submission_outcomes(submission, score, notebooks):
    """One :class:`Outcome` per function of ``submission``, from what grading it left.

    Parameters
    ----------
    submission : Submission
    score : course.gradebook.scores.Score or None
        The student's points per test cell (None: not in the gradebook).
    notebooks : list of NotebookNode
        The student's autograded notebooks.

    Raises
    ------
    pipeline.PipelineError
        If the submission was not graded.
    """
    if score is None or not score.graded:
        raise pipeline.PipelineError(f"submission {submission.student} was not graded")
    found, owner, codes = {}, {}, {}
    for nb in notebooks:
        found.update(messages(nb))
        owner.update(owners(nb))
        codes.update(mistake_codes(nb))
    result = []
    for function, entry in submission.entries.items():
        lost = {c: score.max_points[c] - score.points[c] for c in score.max_points
                if owner.get(c) == function and score.points[c] < score.max_points[c]}
        result.append(Outcome(entry, function, submission.student, lost,
                              {c: found.get(c, "") for c in lost},
                              {c: codes.get(c, "") for c in lost}))
    return result


def unexpected(results):
    """Outcomes that differ from what their entry says: (outcome, reason) pairs."""
    problems = []
    for o in results:
        wanted = set(o.entry.loses) if o.entry else set()
        if set(o.lost) != wanted:
            problems.append((o, f"lost {sorted(o.lost) or 'nothing'}, expected "
                                f"{sorted(wanted) or 'nothing'}"))
        elif o.entry and o.entry.message:
            missing = [c for c in o.lost if o.entry.message not in o.messages[c]]
            if missing:
                problems.append((o, f"{', '.join(missing)} did not say {o.entry.message!r}"))
            coded = [c for c in o.lost if o.codes.get(c) != o.entry.mistake]
            if coded:
                problems.append((o, f"{', '.join(coded)} carried the mistake code "
                                    f"{o.codes[coded[0]]!r}, not {o.entry.mistake!r}"))
    return problems


def totals(results):
    """Mutation score and false failures, as counts of entries (the solution is a right one)."""
    return {
        "wrong": len({o.name for o in results if o.wrong}),
        "caught": len({o.name for o in results if o.wrong and o.caught}),
        "right": len({o.name for o in results if not o.wrong}),
        "penalized": len({o.name for o in results if not o.wrong and o.caught}),
    }
