"""The processes that grade: forked from one server process that has imported nbgrader once.

Not forks of the main process, which may run a progress-bar thread; and not
spawned one by one, each paying nbgrader's seconds of imports again. The
server can start before the main process imports anything heavy
(:func:`start_server`, called by ``course grade`` and ``course demo`` first
thing), so that its imports and the main process's run side by side on two
cores rather than one after the other (about 2 s sooner to the first
submission on this project's machine).
"""

from multiprocessing import get_context

#: What the server imports before it forks any worker.
PRELOAD = ["course.grading.local", "nbgrader.apps"]


def context():
    """The multiprocessing context of the grading workers."""
    try:
        ctx = get_context("forkserver")
    except ValueError:  # no fork on this platform
        return get_context("spawn")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_server():
    """Start the fork server now, without waiting for its imports; later pools use it."""
    if context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
