"""``python -m ilograph``: the same as the ``ilograph`` command."""

from .cli import entry

entry()
