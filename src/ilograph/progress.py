"""Progress of long work (load, validate, each dump, compression, checksums, descriptions).

On a terminal, each stage shows a live line that is replaced by its result (time, count, rate); in
logs and CI (stderr not a terminal) nothing is printed unless ``--verbose`` asks for one line per
stage; ``--quiet`` prints nothing. Timings are also kept, so benchmarks can read them.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, TextIO


@dataclass
class Stage:
    name: str
    count: int | None = None
    unit: str = "triples"
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of the process (all threads) during the stage
    peak_rss: int | None = None  # the process's peak resident memory so far, in bytes (Linux), at the stage's end
    background_seconds: float = 0.0  # CPU time of helper threads whose work the stage waited for (overlapped)

    def done(self, count: int | None = None, unit: str | None = None) -> None:
        """Record how many items the stage handled (shown with a rate)."""
        if count is not None:
            self.count = count
        if unit is not None:
            self.unit = unit


@dataclass
class Progress:
    """Report stages to ``stream``. ``mode`` is ``auto`` (live on a terminal, silent otherwise),
    ``verbose`` (a line per stage, always) or ``quiet`` (nothing)."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    mode: str = "auto"
    stages: list[Stage] = field(default_factory=list)
    callback: Callable[[str], None] | None = None

    @classmethod
    def of(cls, progress: "Progress | Callable[[str], None] | None") -> "Progress":
        """A Progress from what a caller gave: a Progress, a function taking one line per finished
        stage, or None (silent)."""
        if isinstance(progress, Progress):
            return progress
        if progress is None:
            return cls(mode="quiet")
        return cls(mode="quiet", callback=progress)

    @property
    def live(self) -> bool:
        return self.mode != "quiet" and bool(getattr(self.stream, "isatty", lambda: False)())

    @property
    def lines(self) -> bool:
        return self.mode == "verbose" or self.live

    @contextmanager
    def stage(self, name: str) -> Iterator[Stage]:
        """Time one stage. Exceptions pass through; the stage line then says it failed."""
        stage = Stage(name)
        if self.live:
            self.stream.write(f"\r\033[K  … {name}")
            self.stream.flush()
        start, cpu = time.perf_counter(), time.process_time()
        ok = False
        try:
            yield stage
            ok = True
        finally:
            stage.seconds = time.perf_counter() - start
            stage.cpu_seconds = time.process_time() - cpu
            stage.peak_rss = peak_rss()
            self.stages.append(stage)
            if self.callback is not None:
                self.callback(f"{name}: {self._detail(stage).strip()}" + ("" if ok else " (failed)"))
            if self.lines:
                prefix = "\r\033[K" if self.live else ""
                mark = "✓" if ok else "✗"
                self.stream.write(f"{prefix}  {mark} {name:<44} {self._detail(stage)}\n")
                self.stream.flush()

    def note(self, message: str) -> None:
        if self.lines:
            self.stream.write(("\r\033[K" if self.live else "") + f"ilograph: {message}\n")
            self.stream.flush()

    @staticmethod
    def _detail(stage: Stage) -> str:
        text = f"{stage.seconds:7.2f} s"
        if stage.count is not None:
            text += f"  {stage.count:>11,} {stage.unit}"
            if stage.seconds > 0.0005:
                text += f"  ({stage.count / stage.seconds:,.0f}/s)"
        return text


def peak_rss() -> int | None:
    """The process's peak resident memory in bytes (``VmHWM`` of ``/proc/self/status``), or None
    where there is no such file."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def silent() -> Progress:
    return Progress(mode="quiet")
