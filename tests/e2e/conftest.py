"""Fixtures of the browser tests: Playwright on Debian's Chromium, a student's folder."""

import re
import shutil
from pathlib import Path

import pytest

from .jupyterlab import CHROMIUM, Lab, LabError, chromium_missing_message

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"


@pytest.fixture(scope="session")
def playwright():
    if not CHROMIUM.exists():
        pytest.fail(chromium_missing_message(), pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        yield p


@pytest.fixture
def artifacts(request):
    """test-artifacts/e2e/<test name>/, emptied: the screenshots of this test."""
    path = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(path, ignore_errors=True)
    return path


@pytest.fixture
def lab(tmp_path, playwright, artifacts):
    """Open JupyterLab on a folder: ``with lab(folder) as session: ...`` (``python=``: the
    environment it runs from, by default the tests' own)."""
    def start(folder, **options):
        return Lab(folder, playwright, artifacts, **options)
    return start


@pytest.fixture
def student_folder(tmp_path):
    """A student's folder holding a fresh copy of the release, as fetched."""
    folder = tmp_path / "student"
    shutil.copytree(ROOT / "release" / "initialization", folder / "initialization")
    return folder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A failed wait reads as what was awaited and what the page showed, without a stack."""
    try:
        return (yield)
    except LabError as error:
        message = str(error)
    pytest.fail(message, pytrace=False)
