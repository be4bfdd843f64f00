"""Sorting a Gradescope upload before grading (course/gradescope/upload.py)."""

import pytest

from course.gradescope.upload import handed_in, why_not_gradable

EXPECTED = ["Gradients.ipynb", "Initialization.ipynb", "Layers.ipynb"]


def _upload(tmp_path, names):
    folder = tmp_path / "submission"
    folder.mkdir()
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    return folder


@pytest.mark.parametrize("names", [["Initialization.ipynb"],
                                   ["Layers.ipynb", "notes.txt", "Initialization (1).ipynb"],
                                   EXPECTED])
def test_an_upload_with_a_released_notebook_at_its_top_is_graded(tmp_path, names):
    assert why_not_gradable(_upload(tmp_path, names), EXPECTED) is None


@pytest.mark.parametrize("names, expected", [
    ([], "the upload is empty: upload your notebooks (Gradients.ipynb, Initialization.ipynb, "
         "Layers.ipynb)"),
    (["initialization/Initialization.ipynb", "initialization/Layers.ipynb"],
     "your notebooks are inside a folder of the upload (initialization/): upload the notebook "
     "files themselves (Gradients.ipynb, Initialization.ipynb, Layers.ipynb), not a folder or a "
     "zip of one"),
    (["initialization.zip"], "initialization.zip is an archive, not a notebook: upload the "
                             "notebook files themselves"),
    (["Initialization (1).ipynb", "layers.ipynb"],
     "none of Gradients.ipynb, Initialization.ipynb, Layers.ipynb was uploaded (found "
     "Initialization (1).ipynb, layers.ipynb): name the notebooks as released"),
    (["answers.py", "plots/"], "the upload holds no notebook (found answers.py, plots/)"),
])
def test_an_upload_that_cannot_be_graded_says_why(tmp_path, names, expected):
    folder = _upload(tmp_path, [n for n in names if not n.endswith("/")])
    for name in (n for n in names if n.endswith("/")):
        (folder / name).mkdir()
    assert why_not_gradable(folder, EXPECTED).startswith(expected)


def test_what_is_handed_in_keeps_links_as_links_and_reads_nothing_they_point_to(tmp_path):
    folder = _upload(tmp_path, ["Initialization.ipynb", "data/extra.csv"])
    (folder / "Layers.ipynb").symlink_to("/etc/shadow")
    files = handed_in(folder)
    assert files == {"Initialization.ipynb": b"{}", "data/extra.csv": b"{}",
                     "Layers.ipynb": {"link": "/etc/shadow"}}


def test_a_name_the_grader_would_not_write_is_left_out_with_a_line(tmp_path, capsys):
    """A backslash in a name: left out, said in the log, never a fault of the grader."""
    folder = _upload(tmp_path, ["Initialization.ipynb"])
    (folder / "notes\\x.txt").write_text("x")
    assert handed_in(folder) == {"Initialization.ipynb": b"{}"}
    assert "'notes\\\\x.txt' left out of the submission" in capsys.readouterr().out
