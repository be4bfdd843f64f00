"""Which TCP and UDP sockets a process tree listens on, as ``ss -ltnup`` lists them.

A server the tests start (a Dask scheduler and its workers, PostgreSQL,
JupyterLab and its kernels) must listen on loopback only: a socket on
0.0.0.0, ``::`` or the machine's own address lets anyone on the network in
(for a Dask worker: hand it a task). :func:`assert_loopback_only` is what
their fixtures call once the server is up. ``ss`` (Debian's iproute2) names
the process of each socket; a process tree is a process and all its
descendants (a worker's nanny and its worker process, PostgreSQL's backends,
JupyterLab's kernels). The tests run as root, so ``ss`` sees every user's
processes (the workers run as nobody, PostgreSQL as postgres).
"""

import contextlib
import ipaddress
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Listening", "parse", "listening", "tree", "of_trees", "beyond_loopback",
           "assert_loopback_only", "own_addresses", "refused_from"]

_PID = re.compile(r"pid=(\d+)")


@dataclass(frozen=True)
class Listening:
    """One listening socket: ``netid`` (tcp, udp), ``address`` (no brackets), ``port``, ``pids``."""

    netid: str
    address: str
    port: int
    pids: frozenset

    @property
    def loopback(self):
        """Whether only this machine can reach it (127.0.0.0/8, ::1, ::ffff:127.x)."""
        if self.address == "*":
            return False
        ip = ipaddress.ip_address(self.address)
        mapped = getattr(ip, "ipv4_mapped", None)
        return (mapped or ip).is_loopback

    def __str__(self):
        where = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.netid} {where}:{self.port} (pid {', '.join(map(str, sorted(self.pids)))})"


def parse(line):
    """The :class:`Listening` of one line of ``ss -ltnupH``, or None for a socket no process names.

    >>> str(parse('tcp LISTEN 0 2048 [::]:41879 [::]:* users:(("python",pid=5651,fd=16))'))
    'tcp [::]:41879 (pid 5651)'
    >>> parse('udp UNCONN 0 0 127.0.0.1%lo:323 0.0.0.0:*').pids
    frozenset()
    """
    fields = line.split()
    netid, local = fields[0], fields[4]
    host, _, port = local.rpartition(":")
    host = host.strip("[]").split("%")[0]
    pids = frozenset(int(p) for p in _PID.findall(" ".join(fields[6:])))
    return Listening(netid, host, int(port), pids)


def listening():
    """Every listening TCP socket and unconnected UDP socket of this machine (``ss -ltnupH``)."""
    ss = shutil.which("ss") or "/usr/sbin/ss"
    if not Path(ss).exists():
        raise RuntimeError("ss not found: the socket checks need Debian's iproute2 package "
                           "(system-packages.txt)")
    output = subprocess.run([ss, "-ltnupH"], capture_output=True, text=True, check=True).stdout
    return [parse(line) for line in output.splitlines() if line.strip()]


def tree(pid):
    """``pid`` and every live descendant of it (from /proc: each process's parent)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:   # it ended meanwhile
            continue
        parent = int(text[text.rindex(")") + 2:].split()[1])   # after "pid (comm) state"
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


def of_trees(pids):
    """The listening sockets of the process trees of ``pids``."""
    members = set().union(*(tree(pid) for pid in pids))
    return [s for s in listening() if s.pids & members]


def beyond_loopback(sockets):
    """The sockets of ``sockets`` that another machine could reach."""
    return [s for s in sockets if not s.loopback]


def assert_loopback_only(what, *pids, expect_some=True):
    """Raise unless every socket the process trees of ``pids`` listen on is on loopback.

    Parameters
    ----------
    what : str
        The server, for the message ("the Dask scheduler").
    *pids : int
        The processes at the top of the trees (the ones the fixture started).
    expect_some : bool
        Also raise if they listen on nothing at all (the server is up: a check
        that sees no socket checks nothing).

    Returns
    -------
    list of Listening
        The sockets seen.
    """
    sockets = of_trees(pids)
    if expect_some and not sockets:
        raise AssertionError(f"{what} (pids {', '.join(map(str, pids))}) listens on no TCP or "
                             f"UDP socket that ss -ltnup shows; expected its server's sockets")
    outside = beyond_loopback(sockets)
    if outside:
        raise AssertionError(f"{what} listens beyond loopback: {'; '.join(map(str, outside))}; "
                             f"expected 127.0.0.1 or ::1 only")
    return sockets


def own_addresses():
    """This machine's addresses other than loopback and link-local (``hostname -I``'s), maybe none."""
    import psutil

    found = []
    for addresses in psutil.net_if_addrs().values():
        for a in addresses:
            if a.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            ip = ipaddress.ip_address(a.address.split("%")[0])
            if not (ip.is_loopback or ip.is_link_local):
                found.append(str(ip))
    return found


@contextlib.contextmanager
def addresses_to_connect_from(force=False):
    """This machine's own addresses (:func:`own_addresses`); where it has none but loopback,
    one made for the test: a documentation address (192.0.2.10, RFC 5737) added to the
    loopback interface, as a second address of the machine, and taken away afterwards. A
    server bound to 127.0.0.1 refuses it; one bound to every interface answers it. Made
    where ``force`` too. Needs root and iproute2.
    """
    found = [] if force else own_addresses()
    if found:
        yield found
        return
    address = "192.0.2.10"
    made = subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", "lo"],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise RuntimeError(f"this machine has no address but loopback, and one to connect "
                           f"from could not be added: {made.stderr.strip()} (the test needs "
                           f"root and iproute2)")
    try:
        yield [address]
    finally:
        subprocess.run(["ip", "addr", "del", f"{address}/32", "dev", "lo"], capture_output=True)


def refused_from(address, port, timeout=3):
    """Whether a TCP connection to ``address``:``port`` (this machine's own address) is refused."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect((address, port))
        except ConnectionRefusedError:
            return True
        return False
