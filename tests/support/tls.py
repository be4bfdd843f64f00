"""Certificates for a Dask cluster over TLS, made with the `openssl` command line.

The same commands as the README's TLS paragraph ("Grading a large class"): a CA of
the course, and a certificate it signs for the scheduler, the workers and the
driver (the client). For the tests of a driver that must be refused, also
another CA, and a client certificate that other CA signed.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: An elliptic-curve key (quick to make), no passphrase, valid for 30 days.
KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30"]


def _openssl(*args, cwd):
    subprocess.run(["openssl", "req", "-x509", *KEY, *args], cwd=cwd, check=True,
                   capture_output=True, text=True)


def make_ca(folder, name):
    """``name.pem`` and ``name.key``: a self-signed CA."""
    _openssl("-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={name}", cwd=folder)


def make_certificate(folder, name, ca):
    """``name.pem`` and ``name.key``, signed by the CA ``ca`` (``ca.pem``, ``ca.key``)."""
    _openssl("-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-keyout", f"{name}.key",
             "-out", f"{name}.pem", "-subj", f"/CN={name}",
             "-addext", "basicConstraints=critical,CA:FALSE",
             "-addext", "subjectAltName=IP:127.0.0.1", cwd=folder)


class Certificates:
    """The files of one course's TLS setup in ``folder``, readable by every user.

    ``ca``; ``scheduler``, ``worker``, ``client`` (each a ``(cert, key)`` pair)
    signed by it; ``other_ca`` and ``stranger`` (a client certificate the other
    CA signed), which the cluster must refuse. Keys are left readable by all:
    the workers run as user nobody, and these are throwaway test keys.
    """

    def __init__(self, folder):
        if shutil.which("openssl") is None:
            pytest.skip("the openssl command line is not installed (Debian's openssl package)")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        make_ca(self.folder, "ca")
        for name in ("scheduler", "worker", "client"):
            make_certificate(self.folder, name, "ca")
        make_ca(self.folder, "other-ca")
        make_certificate(self.folder, "stranger", "other-ca")
        for path in self.folder.iterdir():
            os.chmod(path, 0o644)
        os.chmod(self.folder, 0o755)

    def path(self, name):
        return str(self.folder / name)

    @property
    def ca(self):
        return self.path("ca.pem")

    @property
    def other_ca(self):
        return self.path("other-ca.pem")

    def pair(self, name):
        """``(certificate, key)`` of ``name``."""
        return self.path(f"{name}.pem"), self.path(f"{name}.key")

    def options(self, name, ca=None):
        """``--tls-ca-file``, ``--tls-cert`` and ``--tls-key`` of ``name``, as dask and course take them."""
        cert, key = self.pair(name)
        return ["--tls-ca-file", ca or self.ca, "--tls-cert", cert, "--tls-key", key]

    def security(self, name="client"):
        """A ``distributed.Security`` for a client holding ``name``'s certificate."""
        from distributed.security import Security

        cert, key = self.pair(name)
        return Security(tls_ca_file=self.ca, tls_client_cert=cert, tls_client_key=key,
                        require_encryption=True)
