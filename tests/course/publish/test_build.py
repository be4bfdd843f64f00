"""course.publish.build's pure parts: the students' requirements, conda's spelling, Binder's link."""

import pytest

from course.publish.build import (STUDENT_PACKAGES, PublishError, binder_url, conda_requirement,
                                  student_requirements)
from support import ROOT


def test_student_requirements_are_the_course_s_own_in_order(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["rich>=13", "NumPy>=2", "h5py", '
                         '"matplotlib>=3.8", "jupyterlab>=4.2", "nbgrader==0.9.6", '
                         '"threadpoolctl>=3.1", "ipywidgets>=8.1", "jupyterlab-widgets>=3"]\n')
    assert student_requirements(pyproject) == [
        "NumPy>=2", "h5py", "matplotlib>=3.8", "jupyterlab>=4.2", "nbgrader==0.9.6",
        "threadpoolctl>=3.1", "ipywidgets>=8.1", "jupyterlab-widgets>=3"]
    assert len(student_requirements(ROOT / "pyproject.toml")) == len(STUDENT_PACKAGES)


def test_a_student_package_the_course_does_not_list_is_named(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["numpy"]\n')
    with pytest.raises(PublishError, match=r"lists no h5py, matplotlib, .*jupyterlab_widgets; "
                                           r"the students' environment needs numpy, h5py"):
        student_requirements(pyproject)


def test_conda_spells_an_exact_version_with_one_equals_sign():
    assert conda_requirement("nbgrader==0.9.6") == "nbgrader=0.9.6"
    assert conda_requirement("numpy>=1.26") == "numpy>=1.26"
    assert conda_requirement("django-static-mathjax>=3.2.2,<4") == \
        "django-static-mathjax<4,>=3.2.2"
    assert conda_requirement("h5py") == "h5py"


def test_binder_link_opens_the_first_notebook_of_a_github_repository():
    assert binder_url("my-uni/init.course", "initialization", "Initialization.ipynb") == (
        "https://mybinder.org/v2/gh/my-uni/init.course/HEAD"
        "?urlpath=lab/tree/initialization/Initialization.ipynb")
    for bad in ("https://github.com/a/b", "a", "a/b/c", "a b/c", "-a/b"):
        with pytest.raises(PublishError, match="is not a GitHub repository's OWNER/REPO"):
            binder_url(bad, "initialization", "Initialization.ipynb")
