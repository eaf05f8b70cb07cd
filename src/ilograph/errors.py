"""The errors ilograph raises. The library never prints or exits; the CLI maps these to exit codes."""

from __future__ import annotations

from pathlib import Path


class IlographError(Exception):
    """Root of every error ilograph raises on purpose."""

    exit_code = 3


class InputError(IlographError):
    """The project's input cannot be read: a missing folder, a bad config, an unparseable file."""

    exit_code = 2


class ConfigError(InputError):
    """`ilograph.toml` is missing a setting or has a wrong one."""


class LoadError(InputError):
    """An RDF source file cannot be parsed.

    Carries the file, and the line and column (1-based) where the parser stopped, when known.
    """

    def __init__(self, path: Path, message: str, line: int | None = None, column: int | None = None,
                 hint: str | None = None) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.reason = message
        self.hint = hint
        where = str(path)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        text = f"{where}: {message}"
        if hint:
            text += f"\n  hint: {hint}"
        super().__init__(text)


class QueryError(InputError):
    """A named query is unknown, or a query is not valid SPARQL."""


class ReleaseError(IlographError):
    """A release could not be written (validation failed, or the disk refused)."""

    exit_code = 1


class ValidationFailed(ReleaseError):
    """`build` refused to write a release because the sources do not conform."""

    def __init__(self, report: object) -> None:
        self.report = report
        super().__init__("the sources do not conform: no release was written; run `ilograph validate` for the report")
