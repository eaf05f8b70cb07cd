"""A project: the folder of sources (ontology/, data/, shapes/, queries/) and its settings.

Settings come from one place, ``ilograph.toml`` at the project root. A folder without that file
is still a project: the base IRI then defaults to a ``file:`` IRI of the folder, which is enough to
validate and build, and ``ilograph`` says so in its output.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError, InputError

CONFIG_FILE = "ilograph.toml"
RDF_SUFFIXES = {".ttl": "turtle", ".nt": "n-triples", ".rdf": "rdf/xml", ".owl": "rdf/xml"}
#: RDF files that are not read as sources, and why: a maintainer who puts one in a source folder
#: is told so rather than having it silently left out of the graph.
UNREAD_SUFFIXES = {
    ".jsonld": (
        ("JSON-LD is not read as a source: its @context may name remote documents (or files), and "
         "ilograph never fetches anything while it validates or builds"),
        ("convert it to Turtle ({ttl}) with its context written out (look at what the context names "
         "first: a converter may fetch it), or move it out of {folder}/")),
    ".trig": ("TriG is not read as a source: each source file is one named graph, so it holds triples, not quads",
              "write each of its graphs as a Turtle file of its own"),
    ".nq": ("N-Quads is not read as a source: each source file is one named graph, so it holds triples, not quads",
            "write each of its graphs as an N-Triples (.nt) or Turtle file of its own"),
    ".n3": ("Notation3 is not read as a source (it is more than RDF)",
            "if it is plain RDF, save it as Turtle ({ttl})"),
}


@dataclass(frozen=True)
class Dataset:
    """What the published dataset says about itself (used by releases and catalogue records)."""

    base: str
    title: str = "Untitled dataset"
    description: str = ""
    license: str = "https://creativecommons.org/licenses/by/4.0/"
    version: str = "0.0.0"
    issued: str | None = None
    modified: str | None = None
    publisher: str | None = None
    publisher_name: str | None = None
    contact: str | None = None  # an e-mail address or a web page; default: the homepage
    keywords: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()  # EU data themes, by code (ECON) or IRI
    release_name: str = "graph"
    homepage: str | None = None  # the dataset's home page; default: the base IRI
    language: str = "en"  # the language of title, description and keywords (a BCP 47 tag)
    spatial: str | None = None  # IRI of the area the data covers, e.g. a GeoNames feature
    publisher_type: str | None = None  # IRI of an ADMS publisher type


@dataclass(frozen=True)
class Project:
    """A frozen view of a project folder. Build it with :func:`open_project`."""

    root: Path
    dataset: Dataset
    configured: bool = True
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def base(self) -> str:
        return self.dataset.base

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def checks_dir(self) -> Path:
        return self.queries_dir / "checks"

    def graph_iri(self, path: Path) -> str:
        """The named graph a source file is loaded into: ``<base>graph/<path without suffix>``.

        Data files map to ``graph/<stem>``; ontology files to ``graph/ontology/<stem>``.
        """
        path = path.resolve()
        for folder, prefix in ((self.data_dir, ""), (self.ontology_dir, "ontology/")):
            try:
                rel = path.relative_to(folder.resolve())
            except ValueError:
                continue
            return f"{self.base}graph/{prefix}{rel.with_suffix('').as_posix()}"
        raise InputError(f"{path}: not inside {self.data_dir} or {self.ontology_dir}")

    def sources(self, folder: Path) -> list[Path]:
        """RDF files of a folder, recursively, in a stable order.

        Raises :class:`InputError` for an RDF file that would otherwise be silently left out: a
        format that is not read (JSON-LD, TriG, N-Quads, N3) or a known suffix in other letter case.
        """
        if not folder.is_dir():
            return []
        found = []
        for p in sorted(folder.rglob("*")):
            if not p.is_file():
                if p.suffix in RDF_SUFFIXES and not p.name.startswith("."):
                    self._refuse_non_file(p)
                continue
            if p.suffix in RDF_SUFFIXES:
                found.append(p)
                continue
            if p.name.startswith("."):  # an editor's or the system's file
                continue
            suffix = p.suffix.lower()
            where = self._shown(p)
            if suffix in UNREAD_SUFFIXES:
                reason, hint = UNREAD_SUFFIXES[suffix]
                hint = hint.format(ttl=p.with_suffix(".ttl").name, folder=folder.name)
                raise InputError(f"{where}: {reason}.\n  hint: {hint}")
            if suffix in RDF_SUFFIXES:
                raise InputError(f"{where}: the suffix {p.suffix!r} is not read (suffixes are lower case).\n"
                                 f"  hint: rename it to {p.with_suffix(suffix).name}")
        return found

    def _refuse_non_file(self, path: Path) -> None:
        """A source name that is not a readable file: a dangling symbolic link, or a folder."""
        where = self._shown(path)
        if path.is_symlink() and not path.exists():
            raise InputError(f"{where}: a symbolic link to {os.readlink(path)}, which does not exist.\n"
                             f"  hint: restore the file it points to, or delete the link")
        if path.is_dir():
            raise InputError(f"{where}: a folder, where a source file of that name is expected.\n"
                             f"  hint: rename the folder (without the {path.suffix} suffix), or put the file there")
        raise InputError(f"{where}: not a regular file.\n  hint: replace it with the file")

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def named_queries(self) -> list[Path]:
        if not self.queries_dir.is_dir():
            return []
        return sorted(self.queries_dir.glob("*.rq"))


def open_project(root: str | Path = ".") -> Project:
    """Read the project at ``root``.

    Raises :class:`InputError` when the folder or its ``data/`` is missing and :class:`ConfigError`
    when ``ilograph.toml`` is malformed.
    """
    root = Path(root).resolve()
    if not root.is_dir():
        raise InputError(f"{root}: no such project folder (give --project DIR)")
    if not (root / "data").is_dir() and not (root / "ontology").is_dir():
        raise InputError(f"{root}: not an ilograph project: it has neither data/ nor ontology/ "
                         f"(a project is a folder laid out as ontology/ data/ shapes/ queries/)")
    config_path = root / CONFIG_FILE
    if not config_path.exists():
        return Project(root=root, dataset=Dataset(base=root.as_uri() + "/"), configured=False)
    try:
        config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: {exc}\n  hint: check the quotes and brackets there: a TOML value is "
                          f'written key = "text" (on one line) or key = ["a", "b"]') from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{config_path}: not UTF-8 text ({exc.reason} at byte {exc.start})\n"
                          f"  hint: save the file as UTF-8") from exc
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot be read ({exc.strerror or exc})\n"
                          f"  hint: {CONFIG_FILE} is a text file of settings, e.g. [dataset] then "
                          f'base = "https://example.org/mygraph/"') from exc
    section = config.get("dataset")
    if not isinstance(section, dict):
        raise ConfigError(f"{config_path}: a [dataset] table is required\n  hint: put the settings under a line "
                          f"[dataset], e.g. [dataset] then base = \"https://example.org/mygraph/\"")
    base = section.get("base")
    if not isinstance(base, str) or not base.startswith(("http://", "https://")) or not base.endswith("/"):
        raise ConfigError(f"{config_path}: [dataset] base must be an http(s) IRI ending in '/', e.g. "
                          f'base = "https://example.org/mygraph/"')
    known = {f for f in Dataset.__dataclass_fields__}
    values = {}
    for key, value in section.items():
        name = key.replace("-", "_")
        if name not in known:
            names = sorted(k.replace("_", "-") for k in known)
            close = difflib.get_close_matches(key, names, n=1)
            raise ConfigError(f"{config_path}: unknown setting [dataset] {key}; known: " + ", ".join(names)
                              + (f"\n  hint: did you mean {close[0]}?" if close else ""))
        if name in ("keywords", "themes"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{config_path}: [dataset] {key} must be a list of strings, e.g. {key} = [\"a\", \"b\"]")
            value = tuple(value)
        elif not isinstance(value, str):
            raise ConfigError(f"{config_path}: [dataset] {key} must be a string, in quotes: {key} = \"{value}\"")
        values[name] = value
    extra = {k: v for k, v in config.items() if k != "dataset"}
    return Project(root=root, dataset=Dataset(**values), configured=True, extra=extra)
