"""Start one sandboxed kernel in a process of its own, run code in it, print what happened.

    python tests/support/sandbox_probe.py WORKDIR CODE [--hang] [--die-at-launch S] [--watchdog]
                                          [--readonly PATH] [--timeout S]

Prints one JSON object: the memory bound in force (``kind``, ``why``), the
sandbox's runtime folder and cgroup folders, and the kernel's ``stdout``,
``status`` and ``exceeded`` (why it was stopped, if it was). With ``--hang``,
it prints the object once the code has run and then waits to be killed (the
tests kill it with SIGKILL, as a grader can be). With ``--die-at-launch S``, it
SIGKILLs itself S seconds after it started the kernel's process (0: at once),
while bwrap sets the sandbox up. With ``--watchdog``, the
sandbox is bounded by the watchdog as where no cgroup can be made. ``--readonly``
shows one more folder to the kernel (``SandboxKernelManager.extra_readonly``). ``--timeout``: the
seconds the code may run (60). The tests run it as another user (``setpriv``), with
another interpreter (an install of the course of its own), or kill it; a pytest
process could do none of these to itself.
"""

import argparse
import asyncio
import json
import os
import signal
import time

from course.sandbox import cgroup
from course.sandbox.kernel import SandboxKernelManager


def dying_at_launch(seconds):
    """A kernel manager whose grader is killed ``seconds`` after it started the kernel."""

    class DyingAtLaunch(SandboxKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            time.sleep(seconds)
            os.kill(os.getpid(), signal.SIGKILL)

    return DyingAtLaunch


async def probe(workdir, code, hang, readonly, timeout=60, manager=SandboxKernelManager):
    km = manager(sandbox_memory="1G", memory_limit="1G", extra_readonly=readonly)
    await km.start_kernel(cwd=workdir)
    report = {"kind": km.bound.kind, "why": km.bound.why, "runtime": str(km._runtime),
              "cgroups": [str(f) for f in km.bound.folders.values()], "stdout": "",
              "status": None, "limits": {}}
    for folder in km.bound.folders.values():
        for name in ("memory.limit_in_bytes", "memory.max", "pids.max"):
            if (folder / name).exists():
                report["limits"][name] = (folder / name).read_text().strip()
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        msg_id = kc.execute(code)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and report["status"] is None:
            try:
                msg = await kc.get_iopub_msg(timeout=1)
            except Exception:  # queue.Empty: the kernel may be gone
                if not await km.is_alive():
                    report["status"] = "dead"
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                report["stdout"] += msg["content"]["text"]
            elif msg["msg_type"] == "error":
                report["stdout"] += f"{msg['content']['ename']}: {msg['content']['evalue']}"
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                report["status"] = "ok"
        report["exceeded"] = km.exceeded
        print(json.dumps(report), flush=True)
        if hang:
            time.sleep(600)
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("workdir")
    parser.add_argument("code")
    parser.add_argument("--hang", action="store_true")
    parser.add_argument("--die-at-launch", type=float, default=None, metavar="SECONDS")
    parser.add_argument("--watchdog", action="store_true")
    parser.add_argument("--readonly", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    if args.watchdog:
        cgroup.detect = lambda: ("watchdog", {}, "--watchdog given")
    asyncio.run(probe(args.workdir, args.code, args.hang, args.readonly, args.timeout,
                      SandboxKernelManager if args.die_at_launch is None else
                      dying_at_launch(args.die_at_launch)))
