"""`course worker`: Dask's own `dask worker`, with the settings of a grading worker."""

import json
import subprocess
import sys

from course import dask_worker


def test_one_thread_unless_the_instructor_gives_nthreads():
    assert dask_worker.arguments(["tcp://10.0.0.1:8786"]) == ["tcp://10.0.0.1:8786",
                                                              "--nthreads", "1"]
    for given in (["--nthreads", "4"], ["--nthreads=4"]):
        assert dask_worker.arguments(["tcp://h:1", *given]) == ["tcp://h:1", *given]


def test_settings_already_in_the_environment_win():
    name = "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"
    env = dask_worker.environment({name: "True", "HOME": "/home/ta"})
    assert env[name] == "True" and env["HOME"] == "/home/ta"
    assert {k: env[k] for k in dask_worker.SETTINGS if k != name} == {
        k: v for k, v in dask_worker.SETTINGS.items() if k != name}


def test_the_settings_are_dask_settings_that_dask_reads():
    """Each names a key of Dask's configuration, and Dask reads the value given."""
    probe = ("import dask.config, distributed, json; from course import dask_worker; "
             "print(json.dumps([str(dask.config.get(k.removeprefix('DASK_').lower()"
             ".replace('__', '.').replace('_', '-'))) for k in dask_worker.SETTINGS]))")
    env = {**dask_worker.SETTINGS, "PATH": "/usr/bin:/bin"}
    read = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, check=True).stdout
    assert json.loads(read) == list(dask_worker.SETTINGS.values())
    defaults = subprocess.run([sys.executable, "-c", probe], env={"PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, check=True).stdout
    assert all(a != b for a, b in zip(json.loads(defaults), dask_worker.SETTINGS.values()))


def test_course_worker_passes_dask_workers_options_through():
    result = subprocess.run([sys.executable, "-m", "course", "worker", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Usage: course worker [OPTIONS] [SCHEDULER]" in result.stdout
    assert "--nthreads" in result.stdout and "--tls-ca-file" in result.stdout
