"""What must never reach students, and a search for it in a folder about to be handed out.

The instructor's material is found from the course itself, not listed by hand,
so that an exercise or a module added later is covered too:

- in each source notebook, every solution region (between the course's
  ``START CODE HERE`` and ``END CODE HERE`` markers, or a whole solution cell
  without them), every written answer's model answer and rubric (a manually
  graded markdown cell), every hidden test (between nbgrader's ``BEGIN HIDDEN
  TESTS`` and ``END HIDDEN TESTS``) and every mark scheme;
- the instructor's modules (``course/**/*.py``, of the course root and of the
  package that runs: the grader, the reference and the hidden cases of
  ``course/specs/``), except the templates of what ``course publish`` writes
  for students.

Each is looked for by its *telling* lines: stripped, long enough to mean
something (``else:`` and ``return A`` are everywhere), and for a module not a
comment. A region
of a notebook leaks when one file holds every telling line it has that no
visible cell of the source notebooks shows; a module leaks when one file holds
three of its telling lines one after the other. The ``helpers`` package shares
single lines with both, on purpose (part 1's network has its own backward pass:
``dA_prev = np.dot(W.T, dZ)``; ``rng = np.random.default_rng(seed)``), and no
three in a row: a copy shows at once, a shared line does not.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme

__all__ = ["Secret", "Leak", "telling_lines", "instructor_secrets", "find_leaks", "texts_of"]

#: Lines shorter than this tell nothing (``else:``, ``return A``, ``]``).
MIN_LINE = 12
#: Telling lines of a module that, one after the other in a file, show a copy of it.
WINDOW = 3


def _nbgrader_markers(preprocessor, begin, end):
    """The markers an nbgrader preprocessor cuts between (its defaults, which the course keeps)."""
    traits = preprocessor.class_traits()
    return traits[begin].default_value, traits[end].default_value


HIDDEN = _nbgrader_markers(ClearHiddenTests, "begin_test_delimeter", "end_test_delimeter")
MARK_SCHEME = _nbgrader_markers(ClearMarkScheme, "begin_mark_scheme_delimeter",
                                "end_mark_scheme_delimeter")


@dataclass(frozen=True)
class Secret:
    """A piece of the instructor's material, as the lines that give it away.

    Attributes
    ----------
    lines : tuple of str
        Its telling lines.
    origin : str
        What it is, in words: ``the solution of Gradients.ipynb, cell backward_step``.
    in_a_row : bool
        Whether the lines give it away only one after the other (a module's),
        or held anywhere in one file (a region of a notebook).
    """

    lines: tuple
    origin: str
    in_a_row: bool = False


@dataclass(frozen=True)
class Leak:
    """A secret found in a file of the folder searched (``path`` relative to it)."""

    path: Path
    secret: Secret

    def __str__(self):
        return f"{self.path} holds {self.secret.origin} ({self.secret.lines[0]!r} ...)"


def telling_lines(text, *, comments=True):
    """The lines of ``text`` that tell something, stripped, in order (with or without
    comment lines: a module's comments may well be anybody's, a hidden test's are the
    instructor's)."""
    lines = (line.strip() for line in text.splitlines())   # \r and \r\n too
    return [line for line in lines
            if len(line) >= MIN_LINE and (comments or not line.startswith("#"))]


def _regions(source, begin, end):
    """``(regions, outside)``: the text between each ``begin`` and ``end`` marker line (a
    list of texts), and the lines outside them (the markers' own lines included)."""
    regions, outside, current = [], [], None
    for line in source.split("\n"):
        if begin in line and current is None:
            current = []
            outside.append(line)
        elif end in line and current is not None:
            regions.append("\n".join(current))
            current = None
            outside.append(line)
        elif current is not None:
            current.append(line)
        else:
            outside.append(line)
    if current is not None:
        regions.append("\n".join(current))
    return regions, "\n".join(outside)


def _notebook_parts(path, begin, end):
    """``(secret, visible)``: ``[(text, origin), ...]`` of a source notebook's instructor
    regions, and the text of everything else of its cells."""
    nb = nbformat.read(path, as_version=4)
    secret, visible = [], []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        where = f"{path.name}, cell {meta.get('grade_id', index)}"
        source = cell.source
        if meta.get("solution") and cell.cell_type == "markdown":
            secret.append((source, f"the model answer or rubric of {where}"))
            continue
        if meta.get("solution"):
            if begin in source:
                regions, source = _regions(source, begin, end)
            else:
                regions, source = [source], ""   # a solution cell without markers: all of it
            secret += [(text, f"the solution of {where}") for text in regions]
        for markers, what in ((HIDDEN, "a hidden test"), (MARK_SCHEME, "the mark scheme")):
            regions, source = _regions(source, *markers)
            secret += [(text, f"{what} of {where}") for text in regions]
        visible.append(source)
    return secret, "\n".join(visible)


def instructor_secrets(root, assignment, *, begin, end):
    """Every piece of the instructor's material that must not be handed out.

    Parameters
    ----------
    root : path-like
        The course root (``source/<assignment>/``, ``course/``).
    assignment : str
    begin, end : str
        The solution markers (``ClearSolutions``'s delimiters).

    Returns
    -------
    list of Secret
    """
    root = Path(root)
    regions, shown = [], set()
    for notebook in sorted((root / "source" / assignment).glob("*.ipynb")):
        secret, visible = _notebook_parts(notebook, begin, end)
        regions += secret
        shown |= set(telling_lines(visible))
    secrets = []
    for text, origin in regions:
        lines = tuple(dict.fromkeys(line for line in telling_lines(text) if line not in shown))
        if lines:
            secrets.append(Secret(lines, origin))
    for name, module in _instructor_modules(root):
        lines = telling_lines(module.read_text(encoding="utf-8"), comments=False)
        origin = f"the instructor's module course/{name}"
        windows = {tuple(lines[i:i + WINDOW]) for i in range(max(len(lines) - WINDOW + 1, 1))}
        secrets += [Secret(window, origin, in_a_row=True) for window in sorted(windows) if window]
    return secrets


def _instructor_modules(root):
    """``(name, path)`` of every module of the course package, once: the root's ``course/``
    and the package this process runs (the same folder, unless it was installed from
    another copy), less the templates of what ``course publish`` writes for students."""
    found = {}
    for package in (Path(root) / "course", Path(__file__).resolve().parents[1]):
        for module in sorted(package.rglob("*.py")):
            name = module.relative_to(package).as_posix()
            if not name.startswith("publish/templates/"):
                found.setdefault((name, module.read_bytes()), module)
    return [(name, path) for (name, _), path in found.items()]


def texts_of(path):
    """The texts of a file as a reader sees them: a notebook's strings (cells, outputs,
    metadata) one by one, another file's text (bytes that are not UTF-8 replaced: a
    solution saved with one Latin-1 byte in it is still read)."""
    path = Path(path)
    text = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            return list(_strings(json.loads(text)))
        except json.JSONDecodeError:
            return [text]
    return [text]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            yield "".join(value)   # a multi-line string of a notebook, stored as a list
        else:
            for v in value:
                yield from _strings(v)
    elif isinstance(value, dict):
        for key, v in value.items():
            yield key
            yield from _strings(v)


def find_leaks(folder, secrets):
    """Every secret that a file under ``folder`` gives away, as :class:`Leak` records."""
    folder = Path(folder)
    lengths = {len(s.lines) for s in secrets if s.in_a_row}
    leaks = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        held = {line for text in texts_of(path) for line in telling_lines(text)}
        lines = [line for text in texts_of(path) for line in telling_lines(text, comments=False)]
        runs = {tuple(lines[i:i + n]) for n in lengths for i in range(len(lines) - n + 1)}
        leaks += [Leak(path.relative_to(folder), secret) for secret in secrets
                  if (secret.lines in runs if secret.in_a_row else held.issuperset(secret.lines))]
    return leaks
