"""Freed memory given back to the system between the stages of a big job.

The query engine evaluates on several threads, and glibc's allocator keeps what each thread frees
in that thread's arena for later use: after a stage of big queries the process holds hundreds of
megabytes it no longer uses, and the next stage's peak lands on top of it. ``malloc_trim`` hands
the free pages of every arena back. Where the C library is not glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def trim() -> None:
    """Return the heap's free pages to the system (glibc), else nothing."""
    call = _malloc_trim()
    if call is not None:
        call(0)
