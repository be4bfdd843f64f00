"""`course publish`: what students get holds the release, helpers and what runs them, and nothing else.

The first tests publish into temporary folders and read what was written: the
files and nothing more, none of the instructor's material (checked here
independently of the command's own check, with the hidden material the other
tests of the release look for), a leak or a stale release refused with nothing
written, a second publication replacing only its own files.

The others use ``student_install``: the published folder installed by the
commands of its own README into a fresh virtual environment, from the registry
(tests/support/published.py). From that environment every notebook, answered as
the demo class's best student answers it, runs and passes nbgrader's Validate;
the environment holds none of the instructor's packages and shows a student only
the Assignment List and Validate of nbgrader.
"""

import json
import re
import shutil
import subprocess
import tomllib

import nbformat
import pytest
import yaml

from course.publish import build
from course.submissions.build import fill, load_class
from support import ASSIGNMENT, ROOT, hidden
from support.published import NOT_RUN, readme_commands, student_environment
from support.readme import sections, without_comment

TOP = {".course-publish", "README.md", "pyproject.toml", "environment.yml", "helpers",
       ASSIGNMENT, "jupyter-config"}
INSTRUCTORS_ONLY = {"rich", "distributed", "dask", "django-static-mathjax", "scikit-learn",
                    "pytest", "nbval", "playwright", "psycopg2-binary", "pytest-xdist",
                    "initialization-course"}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    dest = tmp_path_factory.mktemp("publish") / "students"
    publication = build.publish(ROOT, dest, binder_repo="example-university/initialization")
    return dest, publication


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _texts(folder):
    from course.publish.secrets import texts_of
    return {path: "\n".join(texts_of(folder / path)) for path in _files(folder)}


def test_publish_writes_the_release_helpers_and_what_runs_them(published):
    dest, publication = published
    assert {p.name for p in dest.iterdir()} == TOP
    files = _files(dest)
    assert files == sorted(publication.files)
    assert (dest / ".course-publish").read_text().splitlines()[1:] == list(publication.files)
    release = ROOT / "release" / ASSIGNMENT
    for path in release.iterdir():
        assert (dest / ASSIGNMENT / path.name).read_bytes() == path.read_bytes(), path.name
    assert _files(dest / ASSIGNMENT) == _files(release)
    modules = sorted(p.name for p in (ROOT / "helpers").glob("*.py"))
    assert _files(dest / "helpers") == modules
    assert publication.notebooks == ("Initialization.ipynb", "Layers.ipynb", "Gradients.ipynb")


def test_nothing_of_the_instructor_s_is_published(published):
    """Checked without course.publish.secrets: the lines and values the release tests look
    for, the instructor's modules and folders."""
    dest, _ = published
    texts = _texts(dest)
    everything = "\n".join(texts.values())
    for notebook, secrets in {
            "Initialization.ipynb": ["np.sqrt(2 / layers_dims[l - 1])", "BEGIN HIDDEN TESTS"],
            "Layers.ipynb": ["Rubric", "np.sqrt(variance)",
                             "rng.standard_normal((n, n_prev)) * weight_std(n_prev)"],
            "Gradients.ipynb": ["dW = np.dot(dZ, A_prev.T) / m", "END HIDDEN TESTS"]}.items():
        source = (ROOT / "source" / ASSIGNMENT / notebook).read_text()
        for secret in secrets:
            assert secret in source, (notebook, secret)   # still a secret worth looking for
            assert secret not in everything, (notebook, secret)
    assert not [line for line in hidden.hidden_lines() if line in everything]
    assert not [value for value in hidden.hidden_only_values() if value in everything]
    for path, text in texts.items():
        assert not re.search(r"^\s*(from|import)\s+course\b", text, re.MULTILINE), path
        assert not set(path.split("/")) & {"course", "source", "tests", "submitted", "demo",
                                           "autograded", "feedback"}, path
    instructor = {p.read_bytes() for p in (ROOT / "course").rglob("*.py")
                  if "templates" not in p.parts}
    assert not [p for p in texts if (dest / p).read_bytes() in instructor]


def test_student_dependencies_are_the_course_s_own_without_the_instructor_s(published):
    dest, _ = published
    student = tomllib.loads((dest / "pyproject.toml").read_text())["project"]
    course = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert set(student["dependencies"]) < set(course["dependencies"])
    names = {re.split(r"[<>=!~ ]", r)[0].lower() for r in student["dependencies"]}
    assert names == {"numpy", "h5py", "matplotlib", "jupyterlab", "nbgrader", "threadpoolctl",
                     "ipywidgets", "jupyterlab_widgets"}
    assert not names & INSTRUCTORS_ONLY
    env = yaml.safe_load((dest / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert [build.conda_requirement(r) for r in student["dependencies"]] == conda[2:]
    assert conda[:2] == [f"python={build.CONDA_PYTHON}", "pip"]
    assert env["dependencies"][-1] == {"pip": ["."]}   # repo2docker then installs the folder
    assert build.conda_requirement("nbgrader==0.9.6") == "nbgrader=0.9.6"


def test_students_readme_says_how_to_open_validate_and_hand_in(published):
    dest, publication = published
    readme = (dest / "README.md").read_text()
    assert publication.binder_url in readme
    assert publication.binder_url == ("https://mybinder.org/v2/gh/example-university/"
                                      "initialization/HEAD?urlpath=lab/tree/initialization/"
                                      "Initialization.ipynb")
    assert "$" not in readme   # every placeholder filled
    commands = [without_comment(c) for c in readme_commands(dest)]
    assert ".venv/bin/pip install ." in commands
    assert ".venv/bin/nbgrader validate initialization/Initialization.ipynb" in commands
    for pattern, why, _ in NOT_RUN:
        assert any(re.search(pattern, c) for c in commands), f"NOT_RUN {pattern!r}: stale"


def test_course_readme_for_students_gives_the_published_readme_s_commands(published):
    """The course's README tells students what the published folder's README tells them."""
    dest, _ = published
    course = sections((ROOT / "README.md").read_text())["For students"]
    published_commands = {without_comment(c) for c in readme_commands(dest)}
    assert course and {without_comment(c) for c in course} <= published_commands


def _course_copy(tmp_path):
    """A course root to spoil: its config, source, release, helpers and course package."""
    copy = tmp_path / "course"
    copy.mkdir()
    for name in ("nbgrader_config.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for name in ("source", "release", "helpers", "course"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    return copy


def test_a_leak_is_refused_and_nothing_is_written(tmp_path):
    copy = _course_copy(tmp_path)
    shutil.copy2(ROOT / "course" / "specs" / "initialization.py", copy / "helpers" / "cases.py")
    dest = tmp_path / "students"
    with pytest.raises(build.PublishError,
                       match=r"helpers/cases.py holds the instructor's module "
                             r"course/specs/initialization.py"):
        build.publish(copy, dest)
    assert not dest.exists()
    (copy / "helpers" / "cases.py").unlink()
    nb = nbformat.read(ROOT / "source" / ASSIGNMENT / "Gradients.ipynb", as_version=4)
    [answer] = [c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "backward_step"]
    (copy / "helpers" / "backward.py").write_text(answer.source)
    with pytest.raises(build.PublishError,
                       match=r"the solution of Gradients.ipynb, cell backward_step"):
        build.publish(copy, dest)
    assert not dest.exists() and not list(tmp_path.glob(".students.publishing-*"))


def test_a_stale_release_is_refused(tmp_path):
    copy = _course_copy(tmp_path)
    path = copy / "source" / ASSIGNMENT / "Layers.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nOne more sentence."
    nbformat.write(nb, path)
    with pytest.raises(build.PublishError, match=r"release/initialization is not what "
                                                 r"source/initialization generates "
                                                 r"\(Layers.ipynb\); run `course release`"):
        build.publish(copy, tmp_path / "students")
    assert not (tmp_path / "students").exists()


def test_publishing_again_replaces_its_own_files_and_keeps_the_rest(tmp_path):
    dest = tmp_path / "students"
    first = build.publish(ROOT, dest)
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (dest / "LICENSE").write_text("CC BY 4.0\n")
    (dest / "helpers" / "gone.py").write_text("# published once, no longer\n")
    manifest = dest / ".course-publish"
    manifest.write_text(manifest.read_text() + "helpers/gone.py\n")
    second = build.publish(ROOT, dest)
    assert second.files == first.files
    assert not (dest / "helpers" / "gone.py").exists()
    assert (dest / "LICENSE").read_text() == "CC BY 4.0\n"
    assert (dest / ".git" / "HEAD").exists()
    assert set(_files(dest)) == set(first.files) | {"LICENSE", ".git/HEAD"}


def test_publish_refuses_a_folder_it_did_not_write_or_inside_the_course(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(build.PublishError, match="already holds files that `course publish` "
                                                 "did not write; nothing was written"):
        build.publish(ROOT, mine)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    with pytest.raises(build.PublishError, match=r"is inside the course's release/"):
        build.publish(ROOT, ROOT / "release" / "students")
    with pytest.raises(build.PublishError, match=r"holds the course itself"):
        build.publish(ROOT, ROOT.parent)
    with pytest.raises(build.PublishError, match=r"not a GitHub repository's OWNER/REPO"):
        build.publish(ROOT, tmp_path / "new", binder_repo="https://github.com/x/y")
    assert not (tmp_path / "new").exists()


# --- the published folder, installed as its README says (student_install) --------------


def _run(dest, *args, cwd=None):
    return subprocess.run(args, cwd=cwd or dest, env=student_environment(dest.parent / "home"),
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)


# What a student saw at every kernel start or Validate before (issue 26), and nbgrader's
# complaint that it found no configuration.
WARNINGS = ("without encryption", "No nbgrader_config.py", "not a subdirectory")


@pytest.mark.slow
def test_readme_commands_install_the_course_and_validate(student_install):
    log = (student_install.parent / "readme-commands.log").read_text()
    assert "VALIDATION FAILED" in log   # the notebook as released: its functions not written
    for warning in WARNINGS:
        assert warning not in log, warning


@pytest.mark.slow
def test_student_environment_holds_none_of_the_instructor_s_packages(student_install):
    python = student_install / ".venv" / "bin" / "python"
    listed = _run(student_install, str(python), "-m", "pip", "list", "--format", "json")
    names = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "initialization-course-student" in names and "nbgrader" in names
    assert not names & INSTRUCTORS_ONLY, sorted(names & INSTRUCTORS_ONLY)
    probe = ("import importlib.util, helpers\n"
             "print(importlib.util.find_spec('course'))\n"
             "print(helpers.__file__)\n")
    found = _run(student_install, str(python), "-c", probe, cwd=student_install.parent)
    course, where = found.stdout.split("\n")[:2]
    assert course == "None"
    assert "site-packages" in where, where   # the installed package, not the folder's


@pytest.mark.slow
def test_student_environment_shows_only_assignment_list_and_validate(student_install):
    jupyter = str(student_install / ".venv" / "bin" / "jupyter")
    server = _run(student_install, jupyter, "server", "extension", "list")
    listing = re.sub(r"\x1b\[[0-9;]*m", "", server.stdout + server.stderr)
    for extension, state in (("formgrader", "disabled"), ("course_list", "disabled"),
                             ("assignment_list", "enabled"), ("validate_assignment", "enabled")):
        assert re.search(rf"^\s*nbgrader\.server_extensions\.{extension} {state}\s*$",
                         listing, re.MULTILINE), (extension, listing)
    lab = _run(student_install, jupyter, "labextension", "list")
    listing = re.sub(r"\x1b\[[0-9;]*m", "", lab.stdout + lab.stderr)
    assert re.search(r"@jupyter/nbgrader v\S+ enabled\s+OK", listing), listing
    disabled = set(re.findall(r"^\s*(@jupyter/nbgrader:\S+)\s*$",
                              listing.split("Disabled extensions:")[-1], re.MULTILINE))
    assert disabled == {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                        "@jupyter/nbgrader:create-assignment"}, listing


@pytest.fixture(scope="module")
def answered(student_install, tmp_path_factory):
    """The published notebooks, answered as alice of the demo class answers them (all right)."""
    folder = tmp_path_factory.mktemp("answered")
    shutil.copytree(student_install / ASSIGNMENT, folder / ASSIGNMENT)
    answers = load_class(ROOT / "demo" / "class.toml")["alice"]
    for path in sorted((folder / ASSIGNMENT).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cells = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
        nbformat.write(fill(nb, {k: v for k, v in answers.items() if k in cells}), path)
    return folder / ASSIGNMENT


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["Initialization.ipynb", "Layers.ipynb", "Gradients.ipynb"])
def test_every_notebook_passes_validate_in_the_student_environment(student_install, answered,
                                                                   notebook):
    validated = _run(student_install, str(student_install / ".venv" / "bin" / "nbgrader"),
                     "validate", str(answered / notebook), cwd=answered.parent)
    output = validated.stdout + validated.stderr
    assert "Success! Your notebook passes all the tests." in output, output[-3000:]
    for warning in WARNINGS:
        assert warning not in output, (warning, output[-3000:])


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["Initialization.ipynb", "Layers.ipynb", "Gradients.ipynb"])
def test_every_notebook_runs_in_the_student_environment(student_install, answered, notebook,
                                                        tmp_path):
    """Run as JupyterLab runs it (no nbgrader: the explorers build their widgets)."""
    out = tmp_path / notebook
    ran = _run(student_install, str(student_install / ".venv" / "bin" / "jupyter"), "nbconvert",
               "--to", "notebook", "--execute", "--output", str(out), str(answered / notebook),
               cwd=answered)
    assert ran.returncode == 0, ran.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error" or o.get("name") == "stderr"]
    assert not errors, errors[:3]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    if notebook != "Layers.ipynb":   # the two explorers: the widget, with its figure as PNG
        last = code[-1].outputs
        assert len(last) == 1 and "application/vnd.jupyter.widget-view+json" in last[0].data
        assert "image/png" in last[0].data
