"""Notebooks edited the way students edit them, as the tests of ``course.autograde.match`` build them.

Each edit takes a filled notebook (``course.submissions.build.fill`` of the release)
and returns a copy changed as a real editor or a real student would change it:
a cell pasted twice, a cell split or merged in JupyterLab, metadata dropped by
another editor, an old nbgrader extension's schema, ... The nbgrader issue that
reports each is named beside it.
"""

import copy
import uuid

import nbformat

__all__ = ["EDITS", "cell_of", "index_of"]


def index_of(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def cell_of(nb, grade_id):
    return nb.cells[index_of(nb, grade_id)]


def _pasted(cell, *, same_id=False):
    """A copy of ``cell`` as JupyterLab pastes it: its metadata kept, a new cell id."""
    new = copy.deepcopy(cell)
    if not same_id and "id" in new:
        new["id"] = uuid.uuid4().hex[:8]
    return new


def _copy(nb):
    return nbformat.from_dict(copy.deepcopy(nb))


def answer_pasted_twice(nb, grade_id, release=None):
    """An answer cell copied and pasted below itself (#1083)."""
    nb = _copy(nb)
    i = index_of(nb, grade_id)
    nb.cells.insert(i + 1, _pasted(nb.cells[i]))
    return nb


def stub_pasted_after_answer(nb, grade_id, release):
    """The release's stub of an answer pasted again below the student's answer (#1083)."""
    nb = _copy(nb)
    nb.cells.insert(index_of(nb, grade_id) + 1, _pasted(cell_of(release, grade_id)))
    return nb


def pasted_in_a_text_editor(nb, grade_id, release=None):
    """An answer cell duplicated as JSON in a text editor: the same cell id too."""
    nb = _copy(nb)
    i = index_of(nb, grade_id)
    nb.cells.insert(i, _pasted(nb.cells[i], same_id=True))
    return nb


def test_pasted_twice(nb, grade_id, release=None):
    """A test cell copied and pasted below itself (#1083, #1331)."""
    return answer_pasted_twice(nb, grade_id)


def metadata_dropped(nb, grade_id=None, release=None):
    """Every cell's metadata dropped by another editor (#1941, #424)."""
    nb = _copy(nb)
    for cell in nb.cells:
        cell.metadata = nbformat.NotebookNode()
    return nb


def nbgrader_metadata_emptied(nb, grade_id=None, release=None):
    """``"nbgrader": {}`` on every nbgrader cell, as nbgrader's DeduplicateIds leaves a copy."""
    nb = _copy(nb)
    for cell in nb.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader = nbformat.NotebookNode()
    return nb


def answer_split(nb, grade_id, release=None):
    """An answer cell split at its START CODE HERE line (JupyterLab's Split Cell, ananke#12)."""
    nb = _copy(nb)
    i = index_of(nb, grade_id)
    lines = nb.cells[i].source.splitlines(keepends=True)
    at = next(k for k, line in enumerate(lines) if "START CODE HERE" in line)
    second = _pasted(nb.cells[i])
    nb.cells[i].source, second.source = "".join(lines[:at]).rstrip("\n"), "".join(lines[at:])
    nb.cells.insert(i + 1, second)
    return nb


def answer_merged_with_its_test(nb, grade_id, release=None):
    """An answer cell merged with the test cell below it (JupyterLab's Merge: the first's metadata)."""
    nb = _copy(nb)
    i = index_of(nb, grade_id)
    nb.cells[i].source += "\n\n" + nb.cells[i + 1].source
    del nb.cells[i + 1]
    return nb


def old_schema(nb, grade_id=None, release=None):
    """nbgrader metadata as an old extension writes it: schema 1, no cell_type, no task (#883, #1086)."""
    nb = _copy(nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta:
            meta["schema_version"] = 1
            meta.pop("cell_type", None)
            meta.pop("task", None)
    return nb


def grade_id_changed(nb, grade_id, release=None):
    """A test cell's grade id changed (the linked-id edits of #1331)."""
    nb = _copy(nb)
    cell_of(nb, grade_id).metadata.nbgrader.grade_id = grade_id + "-copy1"
    return nb


def test_to_markdown_metadata_dropped(nb, grade_id, release=None):
    """A test cell turned into markdown and its metadata lost (#92, #1941)."""
    nb = _copy(nb)
    _to_markdown(cell_of(nb, grade_id)).metadata = nbformat.NotebookNode()
    return nb


def answer_to_markdown(nb, grade_id, release=None):
    """An answer cell turned into a markdown cell, metadata kept (#107, #1941)."""
    nb = _copy(nb)
    _to_markdown(cell_of(nb, grade_id))
    return nb


def _to_markdown(cell):
    """``cell`` turned into a markdown cell, as JupyterLab's cell-type menu does."""
    cell.cell_type = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)
    return cell


def kernelspec_changed(nb, grade_id=None, release=None):
    """Saved with another kernel chosen (#417)."""
    nb = _copy(nb)
    nb.metadata["kernelspec"] = {"name": "conda-env-base-py", "display_name": "Python [conda env:base]",
                                 "language": "python"}
    return nb


def saved_as_nbformat_4_4(nb, grade_id=None, release=None):
    """Saved by an old Jupyter: nbformat 4.4, no cell ids."""
    nb = _copy(nb)
    nb.nbformat_minor = 4
    for cell in nb.cells:
        cell.pop("id", None)
    return nb


def test_id_claimed_by_a_student_cell(nb, grade_id, release=None):
    """A new cell of the student's, above the answers, that claims a test cell's grade id."""
    nb = _copy(nb)
    fake = _pasted(cell_of(nb, grade_id))
    fake.source = 'print("✓ all good")'
    nb.cells.insert(index_of(nb, "imports") + 1, fake)
    return nb


def answer_rewritten_beside_a_scratch_cell(nb, grade_id, release=None):
    """Metadata dropped, an answer cell rewritten without its frame, a scratch cell beside it.

    Neither content nor place can say which cell is the answer: it stays unmatched.
    """
    nb = _copy(nb)
    i = index_of(nb, grade_id)
    cell = nb.cells[i]
    body = cell.source.split("### START CODE HERE ###")[1].split("### END CODE HERE ###")[0]
    body = "\n".join(line for line in body.splitlines()[1:])
    cell.source = (f"def {grade_id}(layers_dims):\n    np.random.seed(3)\n    parameters = {{}}\n"
                   f"    for l in range(1, len(layers_dims)):\n{body}\n    return parameters")
    nb.cells.insert(i, nbformat.v4.new_code_cell("layers = [2, 4, 1]  # scratch"))
    for c in nb.cells:
        c.metadata.pop("nbgrader", None)
    return nb


_I, _L = "Initialization", "Layers"
#: name -> (edit, grade id it applies to or None, notebook it applies to, nbgrader issue).
EDITS = {
    "answer-twice": (answer_pasted_twice, "initialize_parameters_he", _I, "#1083"),
    "stub-after-answer": (stub_pasted_after_answer, "initialize_parameters_zeros", _I, "#1083"),
    "text-editor-copy": (pasted_in_a_text_editor, "initialize_parameters_random", _I, "#1083"),
    "test-twice": (test_pasted_twice, "check_random_values", _I, "#1083"),
    "written-twice": (answer_pasted_twice, "relu_spread_answer", _L, "#1083"),
    "metadata-dropped": (metadata_dropped, None, "both", "#1941"),
    "nbgrader-emptied": (nbgrader_metadata_emptied, None, _I, "#1083"),
    "split": (answer_split, "initialize_parameters_random", _I, "ananke#12"),
    "merged": (answer_merged_with_its_test, "initialize_parameters_zeros", _I, "#1941"),
    "old-schema": (old_schema, None, "both", "#883"),
    "id-changed": (grade_id_changed, "check_he_structure", _I, "#1331"),
    "test-markdown-dropped": (test_to_markdown_metadata_dropped, "check_zeros_values", _I, "#92"),
    "answer-markdown": (answer_to_markdown, "he_scale", _L, "#107"),
    "kernelspec": (kernelspec_changed, None, "both", "#417"),
    "nbformat-4-4": (saved_as_nbformat_4_4, None, "both", "nbformat 4.5 ids"),
    "unmatched": (answer_rewritten_beside_a_scratch_cell, "initialize_parameters_he", _I, "#1941"),
}
