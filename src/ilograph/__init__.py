"""ilograph: build, validate, release and serve a knowledge graph laid out as ontology/ data/ shapes/ queries/."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ilograph")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
