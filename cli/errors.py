"""The error every command reports as one line with exit code 2."""

from __future__ import annotations


class CommandError(Exception):
    """A user error: printed as one line, exit code 2."""
