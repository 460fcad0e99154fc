"""The one error a source file raises when it cannot be read as events at all."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Final

MAX_MESSAGE: Final = 600
"""Characters of an error message kept (a message quoting file content is cut there)."""


def printable(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` with control and other non-printable characters escaped (as hex escapes), cut to ``limit``.

    Messages quote file content (a header, a parser's view of a line); raw bytes of a binary file
    must not reach a terminal as they are.
    """
    out = []
    for char in text:
        if char == " " or (char.isprintable() and unicodedata.category(char)[0] != "C"):
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
    shown = "".join(out)
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."


class SourceFormatError(ValueError):
    """A file is unreadable, not a known event format, or lacks the columns its format requires.

    The message is always printable (see :func:`printable`).

    Attributes:
        path: the file (or ``<frame>``) concerned.
        detected: the format detected or requested, ``None`` when no format matched.
        missing: the required columns that are absent (empty for other failures).
    """

    def __init__(self, path: str, message: str, detected: str | None = None,
                 missing: Sequence[str] = ()) -> None:
        super().__init__(f"{printable(path, 300)}: {printable(message)}")
        self.path = path
        self.detected = detected
        self.missing = tuple(missing)
