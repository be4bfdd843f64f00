"""Gradescope's autograder container, laid out in a root of the test's own.

Gradescope unpacks the autograder zip into ``/autograder/source``, copies
``run_autograder`` to ``/autograder/run_autograder``, puts the upload in
``/autograder/submission`` and runs ``/autograder/run_autograder`` as root from
``/autograder``. :func:`run_autograder` does the same in a bubblewrap root made for
the run: the machine's ``/usr`` and ``/etc`` read-only, this checkout's virtual
environment where ``setup.sh`` puts the course's (``/opt/course/venv``), and a
folder of the test's as ``/autograder``, so that the machine's own ``/autograder``
is never touched.

Two kinds of container: ``"docker"``, as Docker starts one by default (and so, as far
as its documentation says, Gradescope): Docker's default capabilities, without
``CAP_SYS_ADMIN``, and a ``/proc`` of its own with parts covered, where bubblewrap
cannot make a sandbox; and ``"privileged"``: every capability and the machine's
``/proc``, where it can (``docker run --privileged``).
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from . import ROOT

#: Docker's default capability set (moby's ``oci/caps/defaults.go``): no CAP_SYS_ADMIN.
DOCKER_CAPS = ("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
               "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE")
VENV = "/opt/course/venv"


def lay_out(folder, zip_path, files, metadata=None):
    """``folder`` laid out as Gradescope's ``/autograder`` for one upload; returns it.

    ``files`` maps paths in the upload to bytes (or text).
    """
    folder = Path(folder)
    source = folder / "source"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(source)
        for info in archive.infolist():   # zipfile drops the Unix modes; Gradescope keeps them
            mode = info.external_attr >> 16 & 0o777
            if mode:
                os.chmod(source / info.filename, mode)
    shutil.copy2(source / "run_autograder", folder / "run_autograder")
    (folder / "submission").mkdir()
    for name, data in files.items():
        path = folder / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    meta = metadata or {"id": 123456, "created_at": "2026-12-01T10:00:00.000000-08:00",
                        "users": [{"email": "student@example.edu", "id": 1, "name": "A Student"}],
                        "assignment": {"title": "initialization", "total_points": 16.0},
                        "previous_submissions": []}
    (folder / "submission_metadata.json").write_text(json.dumps(meta))
    (folder / "results").mkdir()
    return folder


def _system_binds():
    """bwrap options showing the machine's system folders read-only, as a container has them."""
    options = []
    for link in ("/bin", "/lib", "/lib32", "/lib64", "/sbin"):
        if os.path.islink(link):
            options += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            options += ["--ro-bind", link, link]
    return options + ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
                      "--ro-bind", "/sys", "/sys"]


def container_command(folder, kind="privileged"):
    """The bwrap command that runs ``run_autograder`` with ``folder`` as ``/autograder``."""
    venv = Path(sys.prefix).resolve()
    shown = sorted({str(Path(sys.base_prefix).resolve()), str(ROOT.resolve()), str(venv)})
    # A privileged container's /proc shows its processes whole; a PID namespace of the
    # test's own would need a /proc of its own, which bwrap covers in part (as Docker does).
    proc = (["--bind", "/proc", "/proc"] if kind == "privileged"
            else ["--unshare-pid", "--proc", "/proc"])
    command = ["bwrap", "--die-with-parent", "--unshare-ipc", "--unshare-uts",
               *proc, "--dev", "/dev", "--tmpfs", "/tmp", *_system_binds()]
    for path in shown:
        command += ["--ro-bind", path, path]
    command += ["--ro-bind", str(venv), VENV, "--bind", str(folder), "/autograder",
                "--chdir", "/autograder", "--setenv", "HOME", "/root",
                "--setenv", "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):   # as this machine's other tests
        if name in os.environ:
            command += ["--setenv", name, os.environ[name]]
    if kind == "privileged":
        command += ["--cap-add", "ALL"]
    else:
        for cap in DOCKER_CAPS:
            command += ["--cap-add", cap]
    return command + ["/autograder/run_autograder"]


def run_autograder(folder, kind="privileged", timeout=2400):
    """Run ``run_autograder`` in its container; ``(results.json as a dict, stdout text)``."""
    result = subprocess.run(container_command(folder, kind), capture_output=True,
                            text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    results = Path(folder) / "results" / "results.json"
    assert result.returncode == 0, result.stdout + result.stderr
    assert results.is_file(), result.stdout + result.stderr
    return json.loads(results.read_text()), result.stdout + result.stderr


SCHEMA = Path(__file__).with_name("gradescope_results.schema.json")


def validate(results):
    """Raise ``jsonschema.ValidationError`` unless ``results`` follows Gradescope's specification.

    Also checks what a schema cannot say: the JSON is plain (no NaN), and each test's
    score is within its maximum.
    """
    import jsonschema

    json.dumps(results, allow_nan=False)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(results)
    for test in results.get("tests", []):
        if "score" in test and "max_score" in test:
            assert 0 <= test["score"] <= test["max_score"], test
