"""The grader's side of a judge process: start it, ask it, read what it observed.

A :class:`JudgeProcess` is ``course/judge/runner.py`` running in the grading
sandbox, in a process of its own and under a user id of its own (as root), next
to the notebook's kernel but apart from it. It is started once per notebook
graded, with the notebook's locked cells, and asked once per test cell:
:meth:`JudgeProcess.observe` sends the student's answer cell and the calls of
the test, and returns one :class:`Observed` per call, decoded by
``course/judge/codec.py``.

What it returns is data. The outcomes of the calls come from a child process
that ran the student's code, so they are only what the function returned (or
the error it raised), checked for shape here; which array inputs were changed
in place comes from the fork server, which ran no student code.
"""

import json
import os
import selectors
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from course.sandbox.kernel import kill_session
from . import codec, runner
from .spec import Constant, Named, Observed, Rng

__all__ = ["JudgeProcess", "JudgeError", "JudgeTimeout", "JudgeFault", "JudgeStartTimeout",
           "Observed",
           "request_arguments"]

#: Largest frame read from a judge process.
MAX_FRAME = 64 * 2**20
#: Seconds the fork server has to run the locked cells.
START_TIMEOUT = 120
#: The judge processes' user ids (as root): this + the grading process's id.
UID_OFFSET = 500_000_000


class JudgeError(Exception):
    """The judge process gave no valid answer to a test; that test cell scores zero."""


class JudgeTimeout(JudgeError):
    """The function under test ran past the time limit."""


class JudgeFault(Exception):
    """The judge process could not run the notebook's locked cells: a fault of the grader."""


class JudgeStartTimeout(JudgeError):
    """The judge process was not ready within :data:`START_TIMEOUT` seconds (a busy machine)."""


def request_arguments(args, arrays):
    """The JSON description of ``args`` (live values); arrays are appended to ``arrays``."""
    def describe(value):
        if type(value) is np.ndarray:
            arrays.append(value)
            return {"array": len(arrays) - 1}
        if type(value) is list:
            return {"list": [describe(v) for v in value]}
        if type(value) is tuple:
            return {"tuple": [describe(v) for v in value]}
        if isinstance(value, Rng):
            return {"rng": value.seed}
        if isinstance(value, Named):
            return {"named": value.name}
        if isinstance(value, Constant):
            return {"constant": value.value}
        if value is None or type(value) in (bool, int, float, str):
            return {"value": value}
        raise TypeError(f"a test's argument cannot be a {type(value).__name__}")

    return [describe(value) for value in args]


@lru_cache(maxsize=64)
def python_source(cell_source):
    """A cell's source as Python: IPython's ``%magic`` lines turned into calls, as IPython does.

    A pure text transformation (IPython's ``TransformerManager``): nothing of the
    cell runs here. Kept for the last few cells: each test cell of a notebook sends
    the same answer cell, and the judge of every notebook the same imports cell.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(cell_source)


def make_request(answer, function, calls, filename="<answer cell>"):
    """The request for ``calls`` (a list of ``spec.Call``) and where each call's arrays are.

    Returns
    -------
    request : dict
    owners : list of list of int
        For each call, the positions of its arrays in the request's arrays.
    """
    arrays, described, owners = [], [], []
    for call in calls:
        first = len(arrays)
        args = request_arguments(call.args, arrays)
        owners.append(list(range(first, len(arrays))))
        described.append({"args": args, "reseed": None if call.reseed is None
                          else list(call.reseed), "repeat": call.repeat})
    return ({"answer": python_source(answer), "filename": filename, "function": function,
             "arrays": [codec.encode_array(np.asarray(a)) for a in arrays],
             "calls": described}, owners)


def _outcome(value):
    if not isinstance(value, dict) or len(value) != 1 or not ({"returned", "raised"} >= set(value)):
        raise codec.CodecError("a call's outcome is neither returned nor raised")
    if "raised" in value and (type(value["raised"]) is not str or len(value["raised"]) > 2000):
        raise codec.CodecError("an error message is not a short string")
    return value


def read_answer(raw, calls):
    """The outcomes in the child's answer ``raw`` (bytes), checked against ``calls``, and per
    call whether a repeat handed out the first result again.

    Raises
    ------
    JudgeError
        If it is not JSON holding one list of outcomes per call, each as many as the
        call's repeats.
    """
    if not raw:
        raise JudgeError("the judge process ended without an answer (the function crashed "
                         "it, or went over a limit)")
    if raw.count(b"[") + raw.count(b"{") > 2 * codec.MAX_NODES:
        raise JudgeError(f"the answer holds more than {2 * codec.MAX_NODES} containers")
    try:
        answer = json.loads(raw)
        codec.exact_keys(answer, {"outcomes", "reused"}, "the answer")
        results, reused = answer["outcomes"], answer["reused"]
        if type(results) is not list or len(results) != len(calls):
            raise codec.CodecError(f"the answer does not hold {len(calls)} calls")
        if type(reused) is not list or len(reused) != len(calls) or not all(
                type(r) is bool for r in reused):
            raise codec.CodecError(f"the answer does not say for {len(calls)} calls whether "
                                   f"a result was handed out again")
        budget = codec.Budget()
        decoded = []
        for call, repeats in zip(calls, results):
            if type(repeats) is not list or len(repeats) != call.repeat:
                raise codec.CodecError(f"a call asked for {call.repeat} results")
            decoded.append([_outcome(codec.decode(o, budget)) for o in repeats])
        return decoded, reused
    except (ValueError, RecursionError) as error:   # json's and the codec's errors
        raise JudgeError(f"the answer is malformed ({str(error)[:200]})") from None


class JudgeProcess:
    """The judge process of one notebook (see the module docstring).

    Parameters
    ----------
    manager : course.sandbox.kernel.SandboxKernelManager
        A manager of its own (not the kernel's), configured as the kernel's; None
        runs the judge without the sandbox (``SandboxedExecute.sandbox = False``).
    prelude : list of str
        The notebook's locked cells that the answer cells rely on (its imports cell).
    workdir : str
        The notebook's folder (the judge's working folder is an empty one at that path).
    """

    def __init__(self, manager, prelude, workdir):
        self.manager = manager
        argv = [sys.executable, "-P", "-c", runner.BOOT]
        if manager is None:
            import subprocess
            env = {"PATH": os.environ.get("PATH", ""), "MPLBACKEND": "agg",
                   "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                            cwd=workdir, env=env, start_new_session=True)
        else:
            uid = manager.uid_base + UID_OFFSET + os.getpid()
            self.process = manager.start_process(argv, workdir, uid=uid)
        self._buffer = b""
        source = Path(runner.__file__).read_text()
        boot = {"runner": source, "codec": Path(codec.__file__).read_text(),
                "prelude": [python_source(cell) for cell in prelude]}
        try:
            self._send(boot)
            ready = json.loads(self._frame(time.monotonic() + START_TIMEOUT))
        except JudgeTimeout:
            self.stop()
            raise JudgeStartTimeout(f"the judge process was not ready within {START_TIMEOUT} s "
                                    f"(a machine too busy)") from None
        except (JudgeError, OSError, ValueError) as error:
            self.stop()
            raise JudgeFault(f"the judge process did not start ({error})") from None
        if not isinstance(ready, dict) or ready.get("ready") is not True:
            self.stop()
            raise JudgeFault(f"the notebook's locked cells failed in the judge process "
                             f"({str(ready.get('error') if isinstance(ready, dict) else ready)[:300]})")

    def observe(self, answer, function, calls, timeout):
        """Call ``function`` of the answer cell ``answer`` for each of ``calls``.

        Returns
        -------
        list of Observed

        Raises
        ------
        JudgeTimeout
            Past ``timeout`` seconds (the judge process is then stopped: start another).
        JudgeError
            If the judge process sent no valid answer.
        """
        request, owners = make_request(answer, function, calls)
        deadline = time.monotonic() + timeout
        try:
            self._send(request)
            raw = self._frame(deadline)
            report = json.loads(self._frame(deadline))
        except OSError:
            raise JudgeError("the judge process ended (the function crashed it, or went "
                             "over a limit)") from None
        outcomes, reused = read_answer(raw, calls)
        changed = set(report["changed"])
        return [Observed(repeats, [i for i, k in enumerate(mine) if k in changed], again)
                for repeats, mine, again in zip(outcomes, owners, reused)]

    def _send(self, payload):
        data = json.dumps(payload).encode()
        self.process.stdin.write(len(data).to_bytes(8, "big") + data)
        self.process.stdin.flush()

    def _frame(self, deadline):
        header = self._read(8, deadline)
        size = int.from_bytes(header, "big")
        if size > MAX_FRAME:
            raise JudgeError(f"the judge process sent {size} bytes (at most {MAX_FRAME})")
        return self._read(size, deadline)

    def _read(self, size, deadline):
        fd = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while len(self._buffer) < size:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.stop()
                    raise JudgeTimeout("the function ran past its time limit")
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise OSError("the judge process ended")
                self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    @property
    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """Stop the judge process and everything it started."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if self.manager is not None:
            self.manager.stop_process(process)
        else:
            kill_session(process)
