"""`course worker`: Dask's own `dask worker`, with the settings of a grading worker, on loopback."""

import json
import subprocess
import sys

import pytest

from course.grading.cluster import worker

LOOPBACK = ["--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0"]
ELSEWHERE = "tcp://203.0.113.7:8786"   # TEST-NET-3 (RFC 5737): never this machine's


def test_one_thread_unless_the_instructor_gives_nthreads():
    assert worker.arguments(["tcp://127.0.0.1:8786"]) == ["tcp://127.0.0.1:8786",
                                                               "--nthreads", "1", *LOOPBACK]
    for given in (["--nthreads", "4"], ["--nthreads=4"]):
        assert worker.arguments(["tcp://h:1", *given]) == ["tcp://h:1", *given, *LOOPBACK]


@pytest.mark.parametrize("where", [["--host", "10.0.0.7"], ["--host=10.0.0.7"],
                                   ["--listen-address", "tls://10.0.0.7:9000"],
                                   ["--interface", "eth0"]])
def test_where_the_instructor_says_to_listen_replaces_loopback(where):
    """Only the task port's: the HTTP server (no TLS) stays on loopback unless told too."""
    args = worker.arguments(["tls://h:1", "--nthreads", "1", *where])
    assert args == ["tls://h:1", "--nthreads", "1", *where,
                    "--dashboard-address", "127.0.0.1:0"]
    given = worker.arguments(["tls://h:1", "--nthreads", "1", "--dashboard-address", ":8790"])
    assert given == ["tls://h:1", "--nthreads", "1", "--dashboard-address", ":8790",
                     "--host", "127.0.0.1"]


def test_a_scheduler_on_this_machine_needs_no_host(tmp_path):
    for address in ("tcp://127.0.0.1:8786", "tcp://[::1]:8786", "localhost:8786",
                    "tls://localhost:8786"):
        worker.check_reachable([address, "--nthreads", "1"])
    worker.check_reachable(["--scheduler-file", str(tmp_path / "not-written-yet.json")])


def test_a_scheduler_elsewhere_without_host_is_refused_in_one_line(tmp_path):
    with pytest.raises(worker.WorkerError, match=r"^the scheduler tcp://203\.0\.113\.7:8786 "
                       r"is on another machine.*give --host .*TLS"):
        worker.check_reachable(["--nthreads", "2", ELSEWHERE])
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text(json.dumps({"address": "tls://203.0.113.7:8786"}))
    with pytest.raises(worker.WorkerError, match="tls://203.0.113.7:8786"):
        worker.check_reachable(["--scheduler-file", str(scheduler_file)])
    for where in (["--host", "10.0.0.7"], ["--interface=eth0"],
                  ["--listen-address", "tcp://10.0.0.7:9000"]):
        worker.check_reachable([ELSEWHERE, *where])


def test_course_worker_refuses_a_scheduler_elsewhere_before_starting():
    result = subprocess.run([sys.executable, "-m", "course", "worker", ELSEWHERE],
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin",
                                                                 "COLUMNS": "1000"}, timeout=60)
    lines = result.stdout.splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stdout + result.stderr
    assert lines[0].startswith(f"course worker: the scheduler {ELSEWHERE} is on another machine")
    assert "Traceback" not in result.stderr and "distributed.nanny" not in result.stderr


def test_settings_already_in_the_environment_win():
    name = "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"
    env = worker.environment({name: "True", "HOME": "/home/ta"})
    assert env[name] == "True" and env["HOME"] == "/home/ta"
    assert {k: env[k] for k in worker.SETTINGS if k != name} == {
        k: v for k, v in worker.SETTINGS.items() if k != name}


def test_the_settings_are_dask_settings_that_dask_reads():
    """Each names a key of Dask's configuration, and Dask reads the value given."""
    probe = ("import dask.config, distributed, json; from course.grading.cluster import worker; "
             "print(json.dumps([str(dask.config.get(k.removeprefix('DASK_').lower()"
             ".replace('__', '.').replace('_', '-'))) for k in worker.SETTINGS]))")
    env = {**worker.SETTINGS, "PATH": "/usr/bin:/bin"}
    read = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, check=True).stdout
    assert json.loads(read) == list(worker.SETTINGS.values())
    defaults = subprocess.run([sys.executable, "-c", probe], env={"PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, check=True).stdout
    assert all(a != b for a, b in zip(json.loads(defaults), worker.SETTINGS.values()))


def test_course_worker_passes_dask_workers_options_through():
    result = subprocess.run([sys.executable, "-m", "course", "worker", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Usage: course worker [OPTIONS] [SCHEDULER]" in result.stdout
    assert "--nthreads" in result.stdout and "--tls-ca-file" in result.stdout
