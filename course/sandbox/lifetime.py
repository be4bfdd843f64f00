"""A sandbox dies with the grading process that started it, from its first instruction.

bwrap's ``--die-with-parent`` asks Linux to SIGKILL bwrap when its parent dies
(``PR_SET_PDEATHSIG``), but bwrap asks only once it has started and read its
options. A grading process killed in the milliseconds between its ``fork`` and
that request (``course grade`` stopped with SIGKILL, a Dask worker lost) left a
sandbox that nothing would ever stop: its kernel waits for a client for good.
So every sandbox, and the Dask worker's grading process, is started as::

    setpriv --pdeathsig KILL -- /bin/sh -c GUARD sh <grader pid> <lifeline fd|-> [cgroup.procs ...] -- command

``setpriv`` (util-linux) asks for the signal before anything else runs. The shell
keeps it (the signal survives ``exec`` of a program that is not set-user-id,
and so does bwrap's own request), checks that its parent is still the grader,
which may have died before ``setpriv`` asked, joins the sandbox's cgroups
(:meth:`course.sandbox.cgroup.Bound.procs`) and execs the command.

That covers bwrap's first process. The second, which bwrap clones to set up the
sandbox and which becomes its init, asks for the signal only once the sandbox is
set up (its mounts: a fraction of a second): a grader killed in between takes the
first with it and leaves the second to start the kernel. A sandbox therefore also
holds a *lifeline*: a pipe whose one write end the grader keeps (:class:`Lifeline`),
which reaches its end when the grader is gone, however it went. A kernel takes it as
its stdin, and :data:`ON_LIFELINE`, run in the sandbox before the kernel, kills the
kernel at its end (a judge process reads its stdin and ends at its end by itself).

And before bwrap's first process lets the second run (it writes to an eventfd that
the second waits on), the second can do nothing at all: a grader killed in that
window (under a millisecond on a quiet machine; a full run with three workers hit it)
takes the first with it, and the second waits on that eventfd for good, before it
has left the session the grader started it in. So the guard, given the lifeline,
first leaves a watcher behind, outside the sandbox: a ``cat`` on the lifeline, then
``kill -KILL 0``, which ends what is left of that session (the command must be
started in a session of its own: ``start_new_session``). Once bwrap's second process
has left the session it is past that wait, and the lifeline in the sandbox or the
judge's own stdin ends it.

As with ``--die-with-parent``, "the parent" is the thread that started the
process: a sandbox started from a thread that ends dies with that thread.

The workers of ``course grade --jobs`` are Python processes that multiprocessing's
fork server starts; :func:`die_with_run` ends each when the run's own process ends.
"""

import os

from course.sandbox.cgroup import start_time

#: Exit status of a guarded command whose grader was gone, or that could not join a cgroup.
GONE = 125
#: Seconds between two looks at the run's process, where Linux has no pidfd_open.
LOOK = 1
# $1: the grader's pid; $2: the lifeline's fd, or "-"; then the cgroup.procs files to
# join, "--", the command. With a lifeline, the shell must lead a process group of its
# own (or "kill 0" would reach the grader's): else it runs nothing. The lifeline is
# opened again as fd 9 (sh names no fd above 9 itself); the watcher holds none of the
# command's pipes and is in none of its cgroups.
GUARD = ('read -r _ _ _ parent group _ < /proc/self/stat; [ "$parent" = "$1" ] || exit 125; '
         'if [ "$2" != - ]; then [ "$group" = $$ ] || exit 125; exec 9< "/proc/self/fd/$2"; '
         '{ /bin/cat <&9 >/dev/null 2>&1; kill -KILL 0; } </dev/null >/dev/null 2>&1 & fi; '
         'shift 2; while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; '
         'exec "$@" 9<&-')

#: Runs in the sandbox, then the command after it: a background ``cat`` reads the
#: lifeline (stdin, kept as fd 3) until its end, then SIGKILLs the command (``$$``,
#: which the shell becomes by ``exec``); the command's own stdin is /dev/null.
#: bwrap runs it as its own user, before the command changes to the student's.
ON_LIFELINE = ('exec 3<&0; { /bin/cat <&3 >/dev/null 2>&1; kill -KILL $$; } & '
               'exec "$@" 3<&- </dev/null')


class Lifeline:
    """A pipe whose read end a sandbox gets (a kernel as its stdin), and whose one write
    end this process holds until :meth:`cut`: its end, read by the sandbox's watchers,
    means the grader is gone."""

    def __init__(self):
        self.read_end, self._write_end = os.pipe()   # neither is inherited by other children
        if self.read_end < 3:   # this process had stdin, stdout or stderr closed
            import fcntl

            low, self.read_end = self.read_end, fcntl.fcntl(self.read_end, fcntl.F_DUPFD_CLOEXEC, 3)
            os.close(low)

    def started(self):
        """The kernel has its copy of the read end: close this process's."""
        if self.read_end is not None:
            os.close(self.read_end)
            self.read_end = None

    def cut(self):
        """The sandbox is done with: close both ends (its watchers end it, if it still runs)."""
        self.started()
        if self._write_end is not None:
            os.close(self._write_end)
            self._write_end = None


def guarded(command, join=(), lifeline=None):
    """``command`` started so that it dies with this process, inside the cgroups whose
    ``cgroup.procs`` files ``join`` names.

    Start it from this process itself (``subprocess.Popen``): the check compares
    the new process's parent with :func:`os.getpid`. ``lifeline``: the number the
    read end of a :class:`Lifeline` has in the new process (0 if it is its stdin;
    else pass it in ``pass_fds``), for a command (bwrap) that starts processes which
    could outlive it; the command must then start a session of its own
    (``start_new_session=True``), which is all the watcher ends.
    """
    return ["setpriv", "--pdeathsig", "KILL", "--", "/bin/sh", "-c", GUARD, "sh",
            str(os.getpid()), "-" if lifeline is None else str(int(lifeline)),
            *map(str, join), "--", *command]


def die_with_run(owner):
    """End this process as soon as the run's process ``owner`` ends (at once if it has).

    For the workers that multiprocessing's fork server starts for a run: their
    parent is that server, which lives on as long as they do, so neither
    ``PR_SET_PDEATHSIG`` nor the server's own exit can end them. ``owner`` is
    :func:`course.sandbox.cgroup.owner_tag` of the run's process (its pid and start
    time): a thread of this process waits on a ``pidfd`` of it (Linux 5.3; before
    that, it looks every :data:`LOOK` seconds), and the process exits when it
    ends; its sandboxes die with it (:func:`guarded`).
    """
    import select
    import threading
    import time

    pid, start = owner.split(".", 1)
    try:
        watch = os.pidfd_open(int(pid))
    except ProcessLookupError:
        os._exit(GONE)
    except OSError:   # no pidfd_open in this kernel
        watch = None
    if start_time(pid) != start:   # the pid is another process's now: the run is gone
        os._exit(GONE)

    def wait():
        if watch is not None:
            select.select([watch], [], [])   # readable once the process has ended
        else:
            while start_time(pid) == start:
                time.sleep(LOOK)
        os._exit(GONE)

    threading.Thread(target=wait, name="die with the run", daemon=True).start()
