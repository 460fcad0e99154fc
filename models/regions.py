"""Region keys: ISO3 country codes and ``region_id = ISO3.slug(admin1)``."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

import pycountry

_NON_ALNUM = re.compile(r"[^a-z0-9]+")

COUNTRY_OVERRIDES: Final[dict[str, str]] = {
    "ivory coast": "CIV",
    "cote d'ivoire": "CIV",
    "democratic republic of congo": "COD",
    "democratic republic of the congo": "COD",
    "dr congo": "COD",
    "drc": "COD",
    "republic of congo": "COG",
    "congo": "COG",
    "russia": "RUS",
    "iran": "IRN",
    "syria": "SYR",
    "laos": "LAO",
    "turkey": "TUR",
    "turkiye": "TUR",
    "south korea": "KOR",
    "north korea": "PRK",
    "tanzania": "TZA",
    "bolivia": "BOL",
    "venezuela": "VEN",
    "vietnam": "VNM",
    "palestine": "PSE",
    "west bank and gaza strip": "PSE",
    "west bank": "PSE",
    "gaza strip": "PSE",
    "kosovo": "XKX",
    "eswatini": "SWZ",
    "swaziland": "SWZ",
    "cape verde": "CPV",
    "east timor": "TLS",
    "macedonia": "MKD",
    "moldova": "MDA",
    "micronesia": "FSM",
    "burma": "MMR",
    "myanmar (burma)": "MMR",
    "cambodia (kampuchea)": "KHM",
    "yemen (north yemen)": "YEM",
    "zimbabwe (rhodesia)": "ZWE",
    "madagascar (malagasy)": "MDG",
    "serbia (yugoslavia)": "SRB",
    "bosnia-herzegovina": "BIH",
    "kingdom of eswatini": "SWZ",
    "central african republic": "CAF",
    "united states": "USA",
    "united kingdom": "GBR",
    "great britain": "GBR",
}
"""Country names that pycountry's lookup misses or resolves ambiguously, lower-cased, to ISO3."""


def slug(text: str) -> str:
    """Lower-case ASCII slug: accents removed, every run of other characters turned into one ``-``.

    >>> slug("Boucle du Mouhoun")
    'boucle-du-mouhoun'
    >>> slug("Ségou")
    'segou'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")


def region_id(iso3: str, admin1: str) -> str:
    """Build the stable region key ``ISO3.slug(admin1)``.

    Raises:
        ValueError: when the ISO3 code is malformed or the admin1 name slugs to nothing.
    """
    code = iso3.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"not an ISO3 country code: {iso3!r}")
    admin_slug = slug(admin1)
    if not admin_slug:
        raise ValueError(f"admin1 name {admin1!r} has no letters or digits")
    return f"{code}.{admin_slug}"


@functools.lru_cache(maxsize=4096)
def country_iso3(name: str) -> str | None:
    """ISO3 code for a country name or code (``"Mali"``, ``"MLI"``, ``"Côte d'Ivoire"``), else ``None``."""
    key = name.strip()
    if not key:
        return None
    override = COUNTRY_OVERRIDES.get(key.lower())
    if override:
        return override
    try:
        return str(pycountry.countries.lookup(key).alpha_3)
    except LookupError:
        pass
    try:
        matches = pycountry.countries.search_fuzzy(key)
    except LookupError:
        return None
    return str(matches[0].alpha_3) if len(matches) == 1 else None
