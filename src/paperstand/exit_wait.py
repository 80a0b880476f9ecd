"""Background threads in native code that the process's exit waits for.

A daemon thread still inside torch when Python shuts down aborts the whole process: the thread wakes to
take the interpreter back, Python ends it with ``pthread_exit``, and the unwinding passes a C++ frame of
torch's that may not throw, so libstdc++ calls ``std::terminate`` ("terminate called without an active
exception", exit status 134). ``serve`` stopped while the embedding model was still loading, and a test
process ending just then, did exactly that. Such a thread stays a daemon, so that a hung one never keeps
the process alive for good, but the exit waits for it first: ``atexit`` handlers run before daemon threads
are stopped.
"""

from __future__ import annotations

import atexit
import logging
import threading

# The longest the exit waits for one such thread: a first load of the model builds its ONNX copy, about
# half a minute on two cores; past this, the process ends anyway.
EXIT_WAIT_S = 60.0

_threads: list[threading.Thread] = []
_lock = threading.Lock()
_exiting = threading.Event()


def exiting() -> bool:
    """Whether the process has begun to exit (such a thread's work may then fail: thread pools refuse work)."""
    return _exiting.is_set()


def finish_before_exit(thread: threading.Thread) -> None:
    """Have the process's exit wait (up to ``EXIT_WAIT_S``) for ``thread``, a started daemon thread."""
    with _lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)


def _wait_for_all() -> None:
    _exiting.set()
    with _lock:
        waiting = [t for t in _threads if t.is_alive()]
    for thread in waiting:
        logging.getLogger("paperstand").info("waiting for %s to reach a safe point before exiting", thread.name)
        thread.join(EXIT_WAIT_S)


atexit.register(_wait_for_all)
