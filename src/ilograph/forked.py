"""Work done by a forked child process while this one goes on: a big build validates its graph in
a child (which inherits the loaded store and texts without a copy) while this process writes the
dumps, so the two use both cores instead of one after the other.

The child sends back its result (or the exception it raised), pickled, through a pipe, with its CPU
time and peak memory. It dies with its parent (``PR_SET_PDEATHSIG``), so a build killed with
``kill -9`` leaves no process behind, and :meth:`Forked.cancel` kills it when the parent gives up.
Only the parent's calling thread exists in the child: fork where no other thread holds a lock
the work needs (the build forks right after loading, before its thread pools start).
"""

from __future__ import annotations

import ctypes
import os
import pickle
import resource
import select
import signal
import sys
from typing import Any, Callable

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)


class ForkedError(RuntimeError):
    """The child failed in a way that could not be sent back (it was killed, or its exception could
    not be pickled)."""


class Forked:
    """``work()`` run in a forked child. :meth:`result` waits for it and returns what it returned,
    or raises what it raised."""

    def __init__(self, work: Callable[[], Any]) -> None:
        parent = os.getpid()
        read, write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read)
            status = 0
            try:
                _die_with_parent(parent)
                try:
                    payload = pickle.dumps(("ok", work()), protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException as exc:  # noqa: BLE001 - sent to the parent, which raises it
                    try:
                        payload = pickle.dumps(("error", exc), protocol=pickle.HIGHEST_PROTOCOL)
                    except Exception:  # noqa: BLE001
                        payload = pickle.dumps(("error", ForkedError(f"{type(exc).__name__}: {exc}")))
                usage = resource.getrusage(resource.RUSAGE_SELF)
                payload = pickle.dumps((payload, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024))
                view = memoryview(payload)
                while view:
                    view = view[os.write(write, view):]
            except BaseException:  # noqa: BLE001
                status = 1
            finally:
                os._exit(status)
        os.close(write)
        self.pid: int | None = pid
        self._read = read
        self._chunks: list[bytes] = []
        self.cpu_seconds = 0.0
        self.peak_rss = 0
        self._outcome: tuple | None = None

    def done(self) -> bool:
        """Whether the child has finished (reads what it sent so far, without waiting)."""
        if self._outcome is not None:
            return True
        while select.select([self._read], [], [], 0)[0]:
            if not self._pull():
                return True
        return False

    def _pull(self) -> bool:
        chunk = os.read(self._read, 1 << 20)
        if chunk:
            self._chunks.append(chunk)
            return True
        self._finish()
        return False

    def _finish(self) -> None:
        os.close(self._read)
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        data = b"".join(self._chunks)
        self._chunks = []
        if not data:
            how = (f"killed by signal {-os.waitstatus_to_exitcode(status)}" if os.WIFSIGNALED(status)
                   else f"exit status {os.waitstatus_to_exitcode(status)}")
            self._outcome = ("error", ForkedError(f"the second process ended without an answer ({how})"))
            return
        payload, self.cpu_seconds, self.peak_rss = pickle.loads(data)
        self._outcome = pickle.loads(payload)

    def result(self) -> Any:
        """Wait for the child; its result, or raise its exception."""
        while self._outcome is None:
            self._pull()
        kind, value = self._outcome
        if kind == "error":
            raise value
        return value

    def cancel(self) -> None:
        """Kill the child (if still running) and reap it."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        self.pid = None
        os.close(self._read)
        self._outcome = ("error", ForkedError("cancelled"))
