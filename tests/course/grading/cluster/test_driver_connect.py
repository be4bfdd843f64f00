"""`course grade --scheduler`: what the driver refuses before it connects (no scheduler needed).

distributed itself would raise TypeError or RuntimeError for these, with a
traceback, and then hang while the half-made client is collected; the driver
says what to fix in one line. The refusals that need a scheduler on the other
end (another CA, a certificate it did not sign) are in
tests/integration/test_cluster.py, against a real one over TLS.
"""

import json

import pytest

from course.grading.cluster import driver
from course.grading.local import GradeError
from support.tls import Certificates


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return Certificates(tmp_path_factory.mktemp("tls"))


def _refused(**kwargs):
    """The one line of the refusal. Nothing listens on port 9 (discard): a driver that tried
    to connect would say it cannot reach the scheduler, not what the tests expect."""
    with pytest.raises(GradeError) as error:
        driver.connect(timeout=5, **kwargs)
    return str(error.value)


def test_connect_refuses_a_tls_address_without_certificates():
    said = _refused(address="tls://127.0.0.1:9")
    assert said.startswith("the Dask scheduler at tls://127.0.0.1:9 speaks TLS: give --tls-ca-file")


def test_connect_reads_the_protocol_from_the_scheduler_file(tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    scheduler_file.write_text(json.dumps({"address": "tls://127.0.0.1:9"}))
    said = _refused(scheduler_file=str(scheduler_file))
    assert f"the scheduler named in {scheduler_file} speaks TLS (tls://127.0.0.1:9)" in said


def test_connect_refuses_a_ca_without_a_client_certificate(certs):
    from distributed.security import Security

    security = Security(tls_ca_file=certs.ca, require_encryption=True)
    assert "speaks TLS: give" in _refused(address="tls://127.0.0.1:9", security=security)


def test_connect_refuses_tls_options_with_a_tcp_address(certs):
    said = _refused(address="tcp://127.0.0.1:9", security=certs.security())
    assert said == ("TLS was asked for (--tls-*), but the scheduler's address tcp://127.0.0.1:9 "
                    "is not tls://: give the scheduler's tls:// address, or leave out the "
                    "--tls-* options")


def test_connect_refuses_a_key_of_another_certificate(certs):
    from distributed.security import Security

    cert, _ = certs.pair("client")
    _, key = certs.pair("worker")
    security = Security(tls_ca_file=certs.ca, tls_client_cert=cert, tls_client_key=key,
                        require_encryption=True)
    said = _refused(address="tls://127.0.0.1:9", security=security)
    assert said.startswith("cannot load this client's TLS certificate and key (SSLError: ")
    assert "check --tls-cert and --tls-key" in said


def test_a_refused_run_prints_its_one_line_and_no_progress_bar(tmp_path, capsys, monkeypatch,
                                                               empty_gradebook):
    import shutil

    from nbgrader.api import Gradebook

    from course import cli

    monkeypatch.setenv("COLUMNS", "1000")   # the line stays one line
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy2(empty_gradebook, root / "gradebook.db")   # released: the assignment is there
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.add_assignment("initialization")
    (root / "submitted" / "alice" / "initialization").mkdir(parents=True)
    (root / "submitted" / "alice" / "initialization" / "Initialization.ipynb").write_text("{}")
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    code = cli.main(["--root", str(root), "grade", "--scheduler", "tls://127.0.0.1:9"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(
        "course grade: the Dask scheduler at tls://127.0.0.1:9 speaks TLS"), lines


def test_a_refused_connection_is_said_at_once_not_after_the_timeout():
    import socket

    with socket.socket() as probe:   # a loopback port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(GradeError, match=r"refused the connection: nothing listens on "
                                         rf"127\.0\.0\.1:{port}; is the scheduler running"):
        driver.connect(address=f"tcp://127.0.0.1:{port}", timeout=600)
