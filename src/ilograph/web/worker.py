"""A query worker process: ``python -m ilograph.web.worker CONFIG`` (started by
:class:`ilograph.web.pool.WorkerPool`, not by hand).

It opens the store (loads the release's N-Quads into memory, or opens an on-disk store read-only),
cuts itself off from the network where the system lets it (a new, empty network namespace: a
second line of defence behind the refusal of SERVICE and LOAD), caps its address space, says
``ready`` and then answers jobs one at a time over the socket it was given. Frames are a 4-byte
big-endian length and a pickle (both ends are this program, over a private socket pair). The pool
kills a worker that passes its deadline, so nothing here watches the clock.

Jobs run in a thread with a large stack (:data:`STACK_BYTES`): the engine parses and evaluates
recursively, and a chain of a few thousand ``UNION``, ``BIND``, triple patterns or ``!`` (no
nesting at all, a few kilobytes of text) is a tree deep enough to overflow the main thread's
8 MiB stack, which kills the process with SIGSEGV. The stack is address space reserved, not
memory used: pages are only touched as deep as a query goes.
"""

from __future__ import annotations

import ctypes
import json
import os
import pickle
import signal
import socket
import struct
import sys
import threading
from pathlib import Path

import pyoxigraph as ox

_HEADER = struct.Struct("!I")
_PR_SET_PDEATHSIG = 1
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
#: The stack of the thread that runs jobs: enough for any query that fits in a request body
#: (256 KiB of ``!`` is the deepest tree per byte; it needs about 250 MiB).
STACK_BYTES = 512 * 1024 * 1024


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _die_with_parent(libc: ctypes.CDLL | None) -> None:
    if libc is not None and sys.platform.startswith("linux"):
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _isolate_network(libc: ctypes.CDLL | None, *, allow_user_namespace: bool) -> bool:
    """Move into a new network namespace (no interfaces but a down loopback), so that even a
    request that slipped past the checks could not reach any host. Best effort: True if done."""
    if libc is None or not sys.platform.startswith("linux") or not hasattr(libc, "unshare"):
        return False
    if libc.unshare(_CLONE_NEWNET) == 0:
        return True
    if allow_user_namespace and libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        return True
    return False


def _limit_memory(megabytes: int | None) -> None:
    if not megabytes:
        return
    try:
        import resource
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def _read_frame(sock: socket.socket) -> bytes | None:
    header = _recv_exactly(sock, _HEADER.size)
    if header is None:
        return None
    return _recv_exactly(sock, _HEADER.unpack(header)[0])


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    buffer = bytearray()
    while len(buffer) < size:
        chunk = sock.recv(min(size - len(buffer), 1 << 20))
        if not chunk:
            return None
        buffer += chunk
    return bytes(buffer)


def _send(sock: socket.socket, payload: object) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def main(argv: list[str]) -> int:
    """Serve jobs until the socket closes. ``argv[0]`` is the JSON configuration: ``fd`` (the
    socket), ``quads`` and ``triples`` (the release's dumps to load in memory) or ``store`` (an
    on-disk store to open read-only), ``memory_mb`` and ``stats`` (report triples per graph when
    ready)."""
    config = json.loads(argv[0])
    sock = socket.socket(fileno=int(config["fd"]))
    libc = _libc()
    _die_with_parent(libc)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it stops us
    from ilograph.store import graph_sizes
    from ilograph.web.results import answer

    isolated = False
    if os.geteuid() == 0:  # root may unshare before opening anything
        isolated = _isolate_network(libc, allow_user_namespace=False)
    merge = None
    if config.get("store"):
        store = ox.Store.read_only(str(Path(config["store"])))
    else:  # laid out as ilograph.store.load_release and load_merge do
        from ilograph.store import fill

        store = ox.Store()
        fill(store, Path(config["quads"]))
        merge = ox.Store()
        merge.bulk_load(path=config["triples"], format=ox.RdfFormat.N_TRIPLES)
        if not isolated:  # everything is in memory now: a user namespace cannot hurt file access
            isolated = _isolate_network(libc, allow_user_namespace=True)
    _limit_memory(config.get("memory_mb"))
    ready: dict[str, object] = {"pid": os.getpid(), "isolated": isolated}
    if config.get("stats"):
        ready["graph_triples"] = graph_sizes(store)
    _send(sock, ready)

    def serve() -> None:
        while True:
            frame = _read_frame(sock)
            if frame is None:
                return
            job = pickle.loads(frame)
            try:
                result = answer(store, job, merge=merge)
            except MemoryError:
                from ilograph.store import Answer
                result = Answer(error="engine", message="the query needed more memory than a worker may use")
            _send(sock, result)

    _run_with_stack(serve, STACK_BYTES)
    return 0


def _run_with_stack(function, size: int) -> None:
    """Run ``function`` in a thread with a ``size``-byte stack and wait for it; in this thread if
    the system refuses such a thread (for example under a small address-space cap)."""
    try:
        previous = threading.stack_size(size)
    except (ValueError, RuntimeError):
        function()
        return
    try:
        thread = threading.Thread(target=function, name="ilograph-jobs", daemon=True)
        try:
            thread.start()
        except RuntimeError:
            function()
            return
    finally:
        threading.stack_size(previous)
    thread.join()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
