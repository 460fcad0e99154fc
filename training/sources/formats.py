"""Known source formats: the columns that identify each one and the columns each one requires.

Detection compares a file's header (lower-cased, stripped) with every format's signature columns and
picks the format with the largest share of its signature present; at least two signature columns
must match. A detected or requested format whose required columns are missing is an error that
names the format and the missing columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from models.schema import EVENT_COLUMNS
from training.sources.errors import SourceFormatError


@dataclass(frozen=True)
class FormatSpec:
    """The header contract of one source format.

    Attributes:
        name: format name (``acled``, ``ucdp``, ``gtd``, ``canonical``).
        signature: columns whose presence identifies the format.
        required: columns without which no row can be converted.
    """

    name: str
    signature: frozenset[str]
    required: tuple[str, ...]


ACLED: Final = FormatSpec(
    "acled",
    frozenset({"event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type",
               "actor1", "inter1", "actor2", "inter2", "interaction", "admin1", "fatalities"}),
    ("event_id_cnty", "event_date", "sub_event_type", "inter1", "country", "admin1", "fatalities"),
)
UCDP: Final = FormatSpec(
    "ucdp",
    frozenset({"type_of_violence", "side_a", "side_b", "dyad_name", "conflict_name", "adm_1",
               "date_start", "date_end", "date_prec", "best", "where_prec", "priogrid_gid"}),
    ("id", "type_of_violence", "side_a", "country", "adm_1", "date_start", "best"),
)
GTD: Final = FormatSpec(
    "gtd",
    frozenset({"eventid", "iyear", "imonth", "iday", "country_txt", "provstate", "attacktype1_txt",
               "suicide", "nkill", "nwound", "gname", "targtype1_txt"}),
    ("eventid", "iyear", "imonth", "iday", "country_txt", "provstate", "attacktype1_txt"),
)
CANONICAL: Final = FormatSpec(
    "canonical",
    frozenset(EVENT_COLUMNS),
    ("event_id", "date", "country", "admin1", "attack_type"),
)

FORMATS: Final[dict[str, FormatSpec]] = {spec.name: spec for spec in (ACLED, UCDP, GTD, CANONICAL)}
"""Every known format by name."""

FORMAT_CHOICES: Final[tuple[str, ...]] = ("auto", *FORMATS)
"""Values accepted for a format option."""


def normalise_header(columns: Iterable[object]) -> list[str]:
    """Header names lower-cased and stripped (a UTF-8 byte-order mark removed)."""
    return [str(c).replace("\ufeff", "").strip().lower() for c in columns]


def detect_format(columns: Iterable[object]) -> str | None:
    """Name of the format whose signature best matches ``columns``, or ``None`` when none does."""
    header = set(normalise_header(columns))
    best: tuple[float, int, str] | None = None
    for spec in FORMATS.values():
        hits = len(spec.signature & header)
        if hits < 2:
            continue
        score = (hits / len(spec.signature), hits, spec.name)
        if best is None or score[:2] > best[:2]:
            best = score
    return None if best is None else best[2]


def resolve_format(columns: Iterable[object], fmt: str, path: str) -> FormatSpec:
    """The format to read ``path`` with: ``fmt`` itself, or the detected one when ``fmt`` is ``auto``.

    Raises:
        SourceFormatError: for an unknown ``fmt``, an undetectable header, or missing required columns.
    """
    header = normalise_header(columns)
    if fmt not in FORMAT_CHOICES:
        raise SourceFormatError(path, f"unknown format {fmt!r}; choose one of {', '.join(FORMAT_CHOICES)}")
    name = detect_format(header) if fmt == "auto" else fmt
    if name is None:
        shown = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
        raise SourceFormatError(
            path, f"not a known event format (none of {', '.join(FORMATS)} matches the header: {shown})")
    spec = FORMATS[name]
    missing = [c for c in spec.required if c not in header]
    if missing:
        how = "detected" if fmt == "auto" else "requested"
        raise SourceFormatError(
            path, f"{how} format {name!r} but the file lacks required columns: {', '.join(missing)}",
            detected=name, missing=missing)
    return spec
