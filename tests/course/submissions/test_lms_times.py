"""The course's zip_collect collector: each submission's time, from the file name or the times file."""

import logging

import pytest
from nbgrader.apps import ZipCollectApp
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from course.submissions.lms_archive import LmsCollectorPlugin

CANVAS = (r".*/(?P<student_id>[A-Za-z][A-Za-z0-9]*)_(?:(?P<late>LATE)_)?[0-9]+_[0-9]+_"
          r"(?P<file_id>[^/]+?)(?:-[0-9]+)?\.ipynb$")
BLACKBOARD = r".*/ps1_(?P<student_id>\w+?)_attempt_(?P<timestamp>[0-9\-]+)_(?P<file_id>\w+)\.ipynb$"


def _app(root, **settings):
    config = Config()
    config.FileNameCollectorPlugin.named_regexp = CANVAS
    for name, value in settings.items():
        setattr(config.LmsCollectorPlugin, name, value)
    app = ZipCollectApp(config=config)   # as zip_collect makes it (its initialize, in short)
    app.coursedir = CourseDirectory(config=config, root=str(root), assignment_id="initialization")
    return app, LmsCollectorPlugin(parent=app, config=config)


class _Lines(logging.Handler):
    """The lines an app logs (nbgrader's apps do not pass them to the root logger)."""

    def __init__(self, log):
        super().__init__(logging.DEBUG)
        self.lines = []
        log.addHandler(self)

    def emit(self, record):
        self.lines.append(record.getMessage())


def _extracted(root, name):
    return str(root / "downloaded" / "initialization" / "extracted" / name)


def test_times_come_from_the_times_file_in_utc(tmp_path):
    (tmp_path / "downloaded" / "initialization").mkdir(parents=True)
    (tmp_path / "downloaded" / "initialization" / "submission_times.csv").write_text(
        "student_id,submitted_at\nalice,2027-03-01 23:59 Europe/Berlin\nbob,2027-03-02T10:00+05:30\n")
    _, plugin = _app(tmp_path)
    alice = plugin.collect(_extracted(tmp_path, "alice_20460_880100_Initialization.ipynb"))
    assert alice == {"student_id": "alice", "file_id": "Initialization",
                     "timestamp": "2027-03-01 22:59:00"}
    bob = plugin.collect(_extracted(tmp_path, "bob_LATE_20461_880101_Initialization.ipynb"))
    assert bob["timestamp"] == "2027-03-02 04:30:00" and "late" not in bob


def test_a_late_flag_without_a_time_is_named_once(tmp_path):
    app, plugin = _app(tmp_path)
    log = _Lines(app.log)
    for notebook in ("Initialization", "Layers"):
        info = plugin.collect(_extracted(tmp_path, f"carol_LATE_20462_880102_{notebook}.ipynb"))
        assert "timestamp" not in info
    warned = [line for line in log.lines if "marks the submission late" in line]
    assert warned == [f"carol: the LMS marks the submission late but gives no time; write it in "
                      f"{tmp_path}/downloaded/initialization/submission_times.csv (without a "
                      f"time, no late penalty is applied)"]


@pytest.mark.parametrize("text, message", [
    ("student,when\nalice,2027-03-01 12:00 UTC\n", "expected a header student_id,submitted_at"),
    ("student_id,submitted_at\nalice,2027-03-01 12:00\n",
     "line 2: submitted_at '2027-03-01 12:00' has no time zone"),
    ("student_id,submitted_at\nalice,2027-03-01 12:00 UTC\nalice,2027-03-02 12:00 UTC\n",
     "line 3: a second time for alice"),
])
def test_a_malformed_times_file_stops_zip_collect_naming_its_line(tmp_path, text, message):
    (tmp_path / "downloaded" / "initialization").mkdir(parents=True)
    (tmp_path / "downloaded" / "initialization" / "submission_times.csv").write_text(text)
    app, plugin = _app(tmp_path)
    log = _Lines(app.log)
    with pytest.raises(SystemExit):   # zip_collect's own fail(): the line, then exit 1
        plugin.collect(_extracted(tmp_path, "alice_20460_880100_Initialization.ipynb"))
    assert any(message in line for line in log.lines), log.lines


def test_a_time_in_the_file_name_is_read_with_its_format_and_zone(tmp_path):
    """Blackboard names the attempt's local time: nbgrader's own timestamp group."""
    config = Config()
    config.FileNameCollectorPlugin.named_regexp = BLACKBOARD
    config.LmsCollectorPlugin.timestamp_format = "%Y-%m-%d-%H-%M-%S"
    config.LmsCollectorPlugin.timezone = "America/New_York"
    plugin = LmsCollectorPlugin(config=config)
    info = plugin.collect("/x/ps1_bitdiddle_attempt_2027-03-01-23-59-00_problem1.ipynb")
    assert info["student_id"] == "bitdiddle" and info["timestamp"] == "2027-03-02 04:59:00"
    config.LmsCollectorPlugin.timezone = ""
    with pytest.raises(ValueError, match="is not a time .*has no time zone.*timestamp_format and .timezone"):
        LmsCollectorPlugin(config=config).collect(
            "/x/ps1_bitdiddle_attempt_2027-03-01-23-59-00_problem1.ipynb")
