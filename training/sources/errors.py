"""The one error a source file raises when it cannot be read as events at all."""

from __future__ import annotations

from collections.abc import Sequence


class SourceFormatError(ValueError):
    """A file is unreadable, not a known event format, or lacks the columns its format requires.

    Attributes:
        path: the file (or ``<frame>``) concerned.
        detected: the format detected or requested, ``None`` when no format matched.
        missing: the required columns that are absent (empty for other failures).
    """

    def __init__(self, path: str, message: str, detected: str | None = None,
                 missing: Sequence[str] = ()) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detected = detected
        self.missing = tuple(missing)
