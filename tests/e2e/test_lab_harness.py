"""The browser harness itself: a wait that fails says what it waited for and what was shown."""

import pytest

from .jupyterlab import LabError

pytestmark = pytest.mark.e2e


def test_failed_wait_names_what_it_waited_for_and_what_the_page_showed(lab, student_folder):
    with lab(student_folder) as session:
        session.open_notebook("initialization/Initialization.ipynb")
        with pytest.raises(LabError) as failure:
            session.wait_for("a cell that never appears", "() => false", 2)
    message = str(failure.value)
    assert message.startswith("waited 2 s for a cell that never appears; it did not happen.")
    assert "page title: 'Initializati" in message
    assert "Idle" in message          # the status bar, as the student saw it
    assert "screenshot: " in message and "failure.png" in message
    assert failure.value.__cause__ is None and failure.value.__suppress_context__
