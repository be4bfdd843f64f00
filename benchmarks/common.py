"""Timing helpers shared by the benchmarks: side by side, best of several rounds."""

import os
import platform
import time


def best_of(rounds, *contenders):
    """Run each ``(name, callable)`` once per round, interleaved; keep the best times.

    Interleaving puts both contenders under the same load, and the best of
    several rounds is the least disturbed by other processes on the machine.

    Returns
    -------
    results : dict of str to dict
        Per name: ``wall`` and ``cpu`` (this process and its children), the best
        seconds over the rounds, and ``value``, what the last call returned.
    """
    results = {name: {"wall": float("inf"), "cpu": float("inf"), "value": None}
               for name, _ in contenders}
    for _ in range(rounds):
        for name, run in contenders:
            wall, cpu = time.perf_counter(), _cpu()
            value = run()
            wall, cpu = time.perf_counter() - wall, _cpu() - cpu
            best = results[name]
            best["wall"], best["cpu"], best["value"] = min(best["wall"], wall), min(best["cpu"], cpu), value
    return results


def _cpu():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def machine():
    """One line on where the figures come from."""
    try:
        load = "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = "load average unknown"
    return (f"{platform.node()}: {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, {load}")


def verdict(ratio, target):
    return f"{ratio:.2f} (target <= {target:.2f}: {'met' if ratio <= target else 'NOT met'})"
