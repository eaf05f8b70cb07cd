"""Pins on releases: a process serving a release holds a shared lock on it, so that a later
``ilograph build`` beside it never prunes a release that is still being read.

A release lives in ``<parent>/.<name>.releases/<id>/``; its pin is the file ``<id>.pin`` beside it.
Servers take a shared ``flock`` on that file for as long as they serve; :func:`pinned` asks for an
exclusive lock without waiting, which fails while any server holds its shared one. Locks vanish
with the process that held them (even after ``kill -9``), so a pin can never outlive its server.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class Pin:
    """A shared lock on one release folder, held until :meth:`close` (or the process ends)."""

    def __init__(self, folder: Path, fd: int | None) -> None:
        self.folder = folder
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None

    def __enter__(self) -> "Pin":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def pin_path(folder: Path) -> Path:
    return folder.parent / f"{folder.name}.pin"


def pin(folder: Path) -> Pin:
    """Pin the release at ``folder`` (a resolved release folder). A folder whose parent cannot be
    written (a release on read-only media, which no build will prune either) gives a pin that is
    not held; nothing is raised."""
    try:
        fd = os.open(pin_path(folder), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        return Pin(folder, None)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    except OSError:
        os.close(fd)
        return Pin(folder, None)
    return Pin(folder, fd)


def pinned(folder: Path) -> bool:
    """True while some process holds a pin on the release at ``folder``."""
    try:
        fd = os.open(pin_path(folder), os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False  # never pinned (or the pin file is gone): nobody holds it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
