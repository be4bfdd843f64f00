"""Cells matched back to the release: a notebook graded on what its answers earn.

Students edit notebooks the way people edit notebooks: they paste a cell twice
(the copy keeps the nbgrader metadata, so two cells claim one grade id,
nbgrader's #1083), split a cell in two (JupyterLab gives both halves the
metadata), open the notebook in an editor that drops cell metadata (nbgrader's
#1941), or save it with an old or foreign nbgrader extension. nbgrader then
fails the whole notebook (``CheckCellMetadata``: duplicate grade id, outdated
schema, no grade id), and every answer in it scores zero.

:class:`MatchReleasedCells` runs first among the sanitizing steps and puts each
cell of the release back into the notebook once, with the release's nbgrader
metadata, before nbgrader's own steps check and overwrite them:

- a cell whose grade id is the release's gets the release's metadata, whatever
  its copy says (schema version, flags, points: the release decides);
- a grade id claimed by several cells is graded once. Of an answer, the copy
  kept is the last one that is not the release's stub (the code that ran last);
  the stub copies are left out (run after the answer they would undo it), the
  other copies stay as the student's ordinary cells. Consecutive copies that
  only compile together (a split cell) are joined again. Of a test or read-only
  cell, the copy kept is a pristine one in the release's place; pristine copies
  are left out and a changed one stays as the student's ordinary cell, so a
  student's cell that claims a test's grade id never replaces the test;
- a cell without (usable) metadata is matched to a release cell it lost: by
  content first (a test or read-only cell exactly as released, an answer by the
  lines of the release's frame around the stub), then by place (the notebook
  aligned cell by cell with the release);
- a test cell found nowhere is put back from the release at its place (nbgrader
  restores its source from the gradebook, hidden tests included).

Test and read-only cells always come from the instructor: ``OverwriteCells``
(``course.autograde.overwrite``) overwrites their source after this step, and the grader
judges tests itself (``course.autograde.execute``). What could not be matched is reported in
one log line naming the student, the notebook and the cell, and graded as an
ordinary cell; a submission nobody edited is left exactly as it was.
"""

import ast
import copy
import difflib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

__all__ = ["MatchReleasedCells", "Matched", "match_cells", "role"]

#: Characters beyond which split copies of an answer are not parsed to be joined.
_MAX_JOIN = 200_000


def role(meta):
    """What an nbgrader cell is for: 'answer', 'written', 'test', 'task', 'locked' or None."""
    if not isinstance(meta, dict):
        return None
    if meta.get("solution"):
        return "written" if meta.get("grade") else "answer"
    if meta.get("grade"):
        return "test"
    if meta.get("task"):
        return "task"
    if meta.get("locked"):
        return "locked"
    return None


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader")


def _source(cell):
    source = cell.get("source", "")
    return ("".join(source) if isinstance(source, list) else str(source)).strip()


def _compiles(source):
    try:
        ast.parse(source)
    except Exception:     # SyntaxError, and a parser overwhelmed by a hostile cell
        return False
    return True


def _lines(text):
    return {line.strip() for line in text.splitlines() if line.strip()}


def _frame_score(release_source, mine):
    """How much of an answer's release frame (its lines around the stub) the lines ``mine`` keep.

    The share of the release's lines found, plus 1 when its first line (``def ...``) is.
    """
    frame = _lines(release_source)
    if not frame:
        return 0.0
    first = next(line.strip() for line in release_source.splitlines() if line.strip())
    return len(frame & mine) / len(frame) + (1.0 if first in mine else 0.0)


@dataclass
class Matched:
    """The cells to grade, and what was done to get them (one line each)."""

    cells: list
    repaired: list = field(default_factory=list)    # duplicates, splits, tests put back
    by_content: list = field(default_factory=list)  # "grade_id (cell n)" that lost metadata
    by_place: list = field(default_factory=list)
    relabeled: list = field(default_factory=list)   # grade ids whose metadata was not the release's
    unmatched: list = field(default_factory=list)   # one log line each, at WARNING
    number: dict = field(default_factory=dict, repr=False)   # id(cell) -> its number handed in

    def summary(self):
        """What was repaired, in one line ('' for a notebook handed in as released)."""
        parts = list(self.repaired)
        if self.by_content or self.by_place:
            found = [f"by content {', '.join(self.by_content)}" if self.by_content else "",
                     f"by place {', '.join(self.by_place)}" if self.by_place else ""]
            parts.append("nbgrader metadata lost, matched to the release "
                         + "; ".join(f for f in found if f))
        if self.relabeled:
            parts.append(f"nbgrader metadata unlike the release's, the release's used: "
                         f"{', '.join(self.relabeled)}")
        return "; ".join(parts)


class _Reference:
    """The release notebook's nbgrader cells, by grade id, in order."""

    def __init__(self, release_cells):
        self.cells = list(release_cells)
        self.index = {}
        for i, cell in enumerate(self.cells):
            meta = _meta(cell)
            if role(meta) and isinstance(meta.get("grade_id"), str):
                self.index.setdefault(meta["grade_id"], i)

    def role(self, grade_id):
        return role(_meta(self.cells[self.index[grade_id]]))

    def source(self, grade_id):
        return _source(self.cells[self.index[grade_id]])

    def key(self, i):
        """What a release cell is in an alignment: its grade id, or its type and text."""
        meta = _meta(self.cells[i])
        if role(meta) and meta.get("grade_id") in self.index:
            return ("id", meta["grade_id"])
        return ("text", self.cells[i].get("cell_type"), _source(self.cells[i]))

    def previous_id(self, grade_id):
        """The grade id of the nbgrader cell before ``grade_id`` in the release, or None."""
        before = [g for g, i in self.index.items() if i < self.index[grade_id]]
        return max(before, key=self.index.get) if before else None


def _label(cell, grade_id, reference):
    """Give ``cell`` the release's nbgrader metadata of ``grade_id`` (a copy)."""
    cell.setdefault("metadata", {})["nbgrader"] = copy.deepcopy(
        _meta(reference.cells[reference.index[grade_id]]))


def _unlabel(cell):
    cell.get("metadata", {}).pop("nbgrader", None)


def _what(kind):
    return {"answer": "answer cell", "written": "written answer", "test": "test cell",
            "task": "task", "locked": "read-only cell"}.get(kind, "cell")


def match_cells(cells, release_cells):
    """Match the ``cells`` handed in to the release's nbgrader cells.

    Parameters
    ----------
    cells : list of NotebookNode
        The submitted notebook's cells (changed in place where repaired).
    release_cells : list of NotebookNode
        The release notebook's cells: what the student was given.

    Returns
    -------
    Matched
        The cells to grade, in order, each release grade id on at most one of
        them, with the release's metadata; and one line per repair or per
        cell that could not be matched.
    """
    ref = _Reference(release_cells)
    out = Matched(cells=list(cells))
    out.number = {id(c): n for n, c in enumerate(out.cells, 1)}    # as handed in
    labels = _labels(out.cells, ref)
    _resolve_duplicates(out, labels, ref)
    labels = _labels(out.cells, ref)
    _match_by_content(out, labels, ref)
    _match_by_place(out, labels, ref)
    _ordinary_unless_matched(out, labels, ref)
    _put_back_tests(out, labels, ref)
    for grade_id in ref.index:
        if grade_id not in labels.values() and ref.role(grade_id) in ("answer", "written"):
            out.unmatched.append(f"{_what(ref.role(grade_id))} {grade_id} matches no cell handed "
                                 f"in (none has its metadata, and neither content nor place says "
                                 f"which it is); its tests judge the code that ran")
    return out


def _ordinary_unless_matched(out, labels, ref):
    """Release metadata on every matched cell; none on the others (reported if they claimed some)."""
    for i, cell in enumerate(out.cells):
        meta = _meta(cell)
        if i in labels:
            if meta != _meta(ref.cells[ref.index[labels[i]]]):
                out.relabeled.append(labels[i])
                _label(cell, labels[i], ref)
        elif meta is not None:
            claimed = meta.get("grade_id") if isinstance(meta, dict) else None
            if not isinstance(meta, dict) or role(meta) or claimed:
                number = out.number.get(id(cell), i + 1)
                out.unmatched.append(f"cell {number} has nbgrader metadata for no cell of the "
                                     f"release (grade id {claimed!r}); it is graded as an "
                                     f"ordinary cell")
            _unlabel(cell)


def _labels(cells, ref):
    """{index: grade id} of the cells that carry a grade id of the release."""
    found = {}
    for i, cell in enumerate(cells):
        meta = _meta(cell)
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str) \
                and meta["grade_id"] in ref.index:
            found[i] = meta["grade_id"]
    return found


def _drop(out, indices):
    for i in sorted(indices, reverse=True):
        del out.cells[i]


def _resolve_duplicates(out, labels, ref):
    groups = {}
    for i, grade_id in labels.items():
        groups.setdefault(grade_id, []).append(i)
    dropped = set()
    for grade_id, copies in groups.items():
        if len(copies) < 2:
            continue
        kind, released = ref.role(grade_id), ref.source(grade_id)
        if kind == "answer" and _join_split(out, copies, dropped):
            out.repaired.append(f"{_what(kind)} {grade_id} split in {len(copies)} cells, "
                                f"joined again")
            continue
        pristine = [i for i in copies if _source(out.cells[i]) == released]
        if kind in ("answer", "written"):
            written = [i for i in copies if i not in pristine]
            keep = (written or copies)[-1]
            why = "the last copy that is not the release's stub: the code that ran last"
        else:
            keep = _in_place(out.cells, copies, pristine, grade_id, ref, labels)
            why = "the release's, in its place"
        for i in copies:
            if i == keep:
                continue
            if i in pristine:
                dropped.add(i)
            else:
                _unlabel(out.cells[i])
        out.repaired.append(f"{_what(kind)} {grade_id} handed in {len(copies)} times, "
                            f"graded once ({why})")
    _drop(out, dropped)


def _join_split(out, copies, dropped):
    """Join consecutive copies of an answer that compile only together (a split cell)."""
    if copies != list(range(copies[0], copies[0] + len(copies))):
        return False
    parts = [out.cells[i] for i in copies]
    if all(p.get("cell_type") == "code" and _compiles(_source(p)) for p in parts):
        return False
    if sum(len(_source(p)) for p in parts) > _MAX_JOIN:
        return False
    joined = "\n".join(("".join(p["source"]) if isinstance(p["source"], list) else p["source"])
                       .rstrip("\n") for p in parts)
    if not _compiles(joined):
        return False
    parts[0]["source"] = joined
    dropped.update(copies[1:])
    return True


def _in_place(cells, copies, pristine, grade_id, ref, labels):
    """The copy of a test or read-only cell to keep: after the cell the release puts before it.

    Among those, a pristine copy first; then the last of a test (it is judged after
    the answers it tests), the first of a read-only cell (what it sets up, before).
    """
    before = ref.previous_id(grade_id)

    def previous(i):
        for j in range(i - 1, -1, -1):
            if j in labels and labels[j] != grade_id:
                return labels[j]
        return None

    placed = [i for i in copies if previous(i) == before] or copies
    best = [i for i in placed if i in pristine] or placed
    return best[-1] if ref.role(grade_id) == "test" else best[0]


def _free(out, labels):
    return [i for i in range(len(out.cells)) if i not in labels]


def _match_by_content(out, labels, ref):
    missing = [g for g in ref.index if g not in labels.values()]
    scores = []
    free = {i: _source(out.cells[i]) for i in _free(out, labels)}
    lines = {}
    for grade_id in missing:
        kind, released = ref.role(grade_id), ref.source(grade_id)
        for i, mine in free.items():
            if kind != "answer":
                if mine == released:
                    scores.append((2.0, grade_id, i))
            else:
                if i not in lines:
                    lines[i] = _lines(mine)
                score = _frame_score(released, lines[i])
                if score >= 1.5:       # its first line and most of its frame
                    scores.append((score, grade_id, i))
    for score, grade_id, i in sorted(scores, key=lambda s: (-s[0], s[2])):
        if grade_id in labels.values() or i in labels:
            continue
        rivals = [s for s in scores if s[0] == score and (s[1] == grade_id) != (s[2] == i)
                  and s[1] not in labels.values() and s[2] not in labels]
        if rivals and ref.role(grade_id) == "answer":
            continue                   # two as like each other: content cannot say
        labels[i] = grade_id
        _label(out.cells[i], grade_id, ref)
        out.by_content.append(f"{grade_id} (cell {out.number.get(id(out.cells[i]), i + 1)})")


def _keys(out, labels):
    return [("id", labels[i]) if i in labels
            else ("text", c.get("cell_type"), _source(c)) for i, c in enumerate(out.cells)]


def _match_by_place(out, labels, ref):
    release_keys = [ref.key(i) for i in range(len(ref.cells))]
    matcher = difflib.SequenceMatcher(None, release_keys, _keys(out, labels), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace":
            continue
        lost = [(i, release_keys[i][1]) for i in range(i1, i2)
                if release_keys[i][0] == "id" and release_keys[i][1] not in labels.values()]
        free = [j for j in range(j1, j2) if j not in labels]
        if i2 - i1 == j2 - j1:
            pairs = [(g, j1 + (i - i1)) for i, g in lost if j1 + (i - i1) in free]
        elif len(lost) == 1:
            wanted = ref.cells[lost[0][0]].get("cell_type")
            fits = [j for j in free if out.cells[j].get("cell_type") == wanted]
            pairs = [(lost[0][1], fits[0])] if len(fits) == 1 else []
        else:
            pairs = []
        for grade_id, j in pairs:
            labels[j] = grade_id
            _label(out.cells[j], grade_id, ref)
            out.by_place.append(f"{grade_id} (cell {out.number.get(id(out.cells[j]), j + 1)})")


def _put_back_tests(out, labels, ref):
    """Insert each test cell found nowhere, from the release, after the cell before it there."""
    for grade_id in ref.index:
        if ref.role(grade_id) != "test" or grade_id in labels.values():
            continue
        before = ref.previous_id(grade_id)
        at = 0
        while before is not None and before not in labels.values():
            before = ref.previous_id(before)
        if before is not None:
            at = next(i for i, g in labels.items() if g == before) + 1
        cell = copy.deepcopy(ref.cells[ref.index[grade_id]])
        cell.pop("id", None)
        out.cells.insert(at, cell)
        shifted = {(i + 1 if i >= at else i): g for i, g in labels.items()}
        labels.clear()
        labels.update(shifted)
        labels[at] = grade_id
        out.repaired.append(f"test cell {grade_id} not handed in, put back from the release "
                            f"after {before or 'the top of the notebook'}")


def _fix_cell_ids(nb):
    """Cell ids as the notebook's format wants them: none before 4.5, unique from 4.5 on."""
    with_ids = (nb.get("nbformat", 4), nb.get("nbformat_minor", 0)) >= (4, 5)
    seen = set()
    for cell in nb.cells:
        if not with_ids:
            cell.pop("id", None)
        elif cell.get("id") in seen or not cell.get("id"):
            cell["id"] = uuid.uuid4().hex[:8]
        seen.add(cell.get("id"))


class MatchReleasedCells(NbGraderPreprocessor):
    """Each release cell once, with the release's metadata (see the module docstring).

    Runs first among ``Autograde.sanitize_preprocessors``, before
    ``DeduplicateIds`` (which then finds nothing to do) and ``OverwriteCells``.
    """

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        release = self._release(info, resources)
        if release is None:
            return nb, resources
        who = f"student {info.get('student')}: {info.get('notebook')}.ipynb:"
        try:
            result = match_cells(copy.deepcopy(nb.cells), release.cells)
        except Exception as error:     # never worse than nbgrader's own handling
            self.log.error(f"{who} cells not matched to the release, graded as handed in "
                           f"(course.autograde.match failed: {type(error).__name__}: {error})")
            return nb, resources
        summary = result.summary()
        if summary or result.unmatched or len(result.cells) != len(nb.cells):
            nb.cells = result.cells
            _fix_cell_ids(nb)
        if summary:
            self.log.info(f"{who} {summary}")
        for line in result.unmatched:
            self.log.warning(f"{who} {line}")
        return nb, resources

    def _release(self, info, resources):
        """The release notebook the student was given, or None (logged) if there is none."""
        converter = getattr(self.parent, "parent", None)
        coursedir = getattr(converter, "coursedir", None)
        if coursedir is not None:
            folder = Path(coursedir.format_path(coursedir.release_directory, ".",
                                                info.get("assignment", "")))
        else:     # submitted/<student>/<assignment>/, beside release/<assignment>/
            here = Path(resources.get("metadata", {}).get("path", "."))
            folder = here.resolve().parents[2] / "release" / here.name
        path = folder / f"{info.get('notebook')}.ipynb"
        try:
            return nbformat.read(path, as_version=4)
        except (OSError, ValueError) as error:
            self.log.warning(f"student {info.get('student')}: {info.get('notebook')}.ipynb: "
                             f"cells not matched to the release ({path}: {error})")
            return None
