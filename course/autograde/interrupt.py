"""An instructor's Ctrl-C stops a grading run, even where Python would drop it.

Python turns SIGINT into :class:`KeyboardInterrupt` at the main thread's next
bytecode. When that bytecode belongs to a weakref callback or a ``__del__``
(SQLAlchemy and pyzmq run many while a submission is set up), Python prints
"Exception ignored in ..." and the interrupt is lost: the run goes on and grades
everyone, and exits 0. :func:`install` remembers the signal; :func:`check`, called
at the grader's safe points (before each notebook and each cell), raises it again.
"""

import signal
import threading

__all__ = ["install", "check"]

_pending = False


def _interrupted(signum, frame):
    global _pending
    _pending = True
    raise KeyboardInterrupt


def install():
    """Remember SIGINT from now on, where Python's own handler is in place (else leave it)."""
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
        signal.signal(signal.SIGINT, _interrupted)


def check():
    """Raise :class:`KeyboardInterrupt` if SIGINT came since :func:`install`."""
    if _pending:
        raise KeyboardInterrupt
