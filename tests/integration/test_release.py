"""Generated files are in sync with what they are generated from."""

import filecmp

import nbformat
import pytest

from course import pipeline
from course.submissions import build
from support import ASSIGNMENT


def _same_tree(a, b):
    compare = filecmp.dircmp(a, b)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return mismatch + errors + compare.common_dirs


def test_release_is_generated_from_source(course_dir, repo_root):
    pipeline.release(course_dir, db=False)
    generated = course_dir / "release" / ASSIGNMENT
    committed = repo_root / "release" / ASSIGNMENT
    assert not _same_tree(generated, committed), (
        "release/ is stale: run `make release` (or `course release`) and commit it with source/")


def test_demo_class_is_built_from_release_and_class_file(tmp_path, repo_root):
    students = build.load_class(repo_root / "demo" / "class.toml")
    build.write_class(students, repo_root / "release" / ASSIGNMENT, tmp_path, ASSIGNMENT)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (repo_root / "submitted").iterdir())
    for student in students:
        mismatch = _same_tree(tmp_path / student / ASSIGNMENT,
                              repo_root / "submitted" / student / ASSIGNMENT)
        assert not mismatch, f"submitted/{student} is stale: run `course demo-class`"


def test_release_has_no_solution_and_no_hidden_test(repo_root):
    text = (repo_root / "release" / ASSIGNMENT / "Initialization.ipynb").read_text()
    source = (repo_root / "source" / ASSIGNMENT / "Initialization.ipynb").read_text()
    assert "HIDDEN TESTS" in source and "HIDDEN TESTS" not in text
    assert "np.sqrt(2 / layers_dims[l - 1])" in source
    assert "np.sqrt(2 / layers_dims[l - 1])" not in text
    assert text.count("# YOUR CODE HERE") == 3
    assert text.count("### START CODE HERE ### (≈ 2 lines of code)") == 3
    assert '"outputs": []' in text and '"image/png"' not in text


def test_fill_rejects_unknown_answer_and_missing_stub(repo_root):
    import nbformat
    nb = nbformat.read(repo_root / "release" / ASSIGNMENT / "Initialization.ipynb", as_version=4)
    with pytest.raises(build.SubmissionError, match="no answer cell named initialize_xavier"):
        build.fill(nb, {"initialize_xavier": "pass"})
    filled = build.fill(nb, {"initialize_parameters_he": "pass"})
    with pytest.raises(build.SubmissionError, match="has no '# YOUR CODE HERE' stub"):
        build.fill(filled, {"initialize_parameters_he": "pass"})


def test_load_class_reports_bad_toml(tmp_path):
    (tmp_path / "class.toml").write_text("[ada\n")
    with pytest.raises(build.SubmissionError, match="is not valid TOML"):
        build.load_class(tmp_path / "class.toml")
    (tmp_path / "class.toml").write_text("[ada]\ninitialize_parameters_he = 3\n")
    with pytest.raises(build.SubmissionError, match=r"\[ada\] must map answer cell names"):
        build.load_class(tmp_path / "class.toml")


# --- part 2: Layers.ipynb, its data file, and answers graded by hand ----------------------

def _cells(path):
    import nbformat
    return nbformat.read(path, as_version=4).cells


def test_layers_release_has_stubs_and_no_solution_hidden_test_or_rubric(repo_root):
    text = (repo_root / "release" / ASSIGNMENT / "Layers.ipynb").read_text()
    source = (repo_root / "source" / ASSIGNMENT / "Layers.ipynb").read_text()
    for secret in ("BEGIN HIDDEN TESTS", "Rubric", "np.sqrt(variance)",
                   "rng.standard_normal((n, n_prev)) * weight_std(n_prev)"):
        assert secret in source and secret not in text, secret
    assert text.count("# YOUR CODE HERE") == 3
    assert text.count("### START CODE HERE ### (≈ 2 lines of code)") == 3
    assert '"outputs": []' in text and '"image/png"' not in text
    manual = [c for c in _cells(repo_root / "release" / ASSIGNMENT / "Layers.ipynb")
              if c.metadata.get("nbgrader", {}).get("grade_id") == "relu_spread_answer"]
    assert len(manual) == 1 and manual[0].cell_type == "markdown"
    assert manual[0].source == build.TEXT_STUB
    nbgrader = manual[0].metadata["nbgrader"]
    assert nbgrader["solution"] and nbgrader["grade"] and nbgrader["points"] == 2


def test_solution_marker_appears_only_in_solution_cells(repo_root):
    for notebook in sorted((repo_root / "source" / ASSIGNMENT).glob("*.ipynb")):
        for cell in _cells(notebook):
            if "START CODE HERE" in cell.source:
                assert cell.metadata.get("nbgrader", {}).get("solution"), (
                    f"{notebook.name}: 'START CODE HERE' outside an answer cell would be "
                    f"cleared as a solution: {cell.source[:60]!r}")


def test_fill_replaces_the_written_answer_placeholder(repo_root):
    import nbformat
    nb = nbformat.read(repo_root / "release" / ASSIGNMENT / "Layers.ipynb", as_version=4)
    filled = build.fill(nb, {"relu_spread_answer": "\n  He, because ...\n"})
    cell = build.answer_cells(filled)["relu_spread_answer"]
    assert cell.source == "He, because ..."
    with pytest.raises(build.SubmissionError, match="does not hold 'YOUR ANSWER HERE'"):
        build.fill(filled, {"relu_spread_answer": "again"})


def test_each_released_answer_keeps_its_own_hint(repo_root):
    """Each answer opens with its source's own line ("(≈ 9 lines of code)" for
    backward_step), not one hint for every exercise (course/publish/clear_solutions.py)."""
    for source in sorted((repo_root / "source" / ASSIGNMENT).glob("*.ipynb")):
        released = build.answer_cells(
            nbformat.read(repo_root / "release" / ASSIGNMENT / source.name, as_version=4))
        for grade_id, cell in build.answer_cells(
                nbformat.read(source, as_version=4)).items():
            opening = [line for line in cell.source.splitlines() if "START CODE HERE" in line]
            if opening:
                assert opening[0] in released[grade_id].source.splitlines(), (source.name, grade_id)
    gradients = (repo_root / "release" / ASSIGNMENT / "Gradients.ipynb").read_text()
    assert "### START CODE HERE ### (≈ 9 lines of code)" in gradients
