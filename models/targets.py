"""Target classes: who was attacked, mapped from each source's actor and target fields.

Version history:
    1.0: six classes; ACLED ``actor2``/``inter2``/``assoc_actor_2``/``notes``, UCDP ``side_a``/
    ``side_b``/``type_of_violence``/``source_headline``, GTD ``targtype1_txt`` and a keyword rule for
    free text (canonical ``target``).

The classes:

=================== ==================================================================
class               who
=================== ==================================================================
security_forces     military, police, gendarmes, militias of the state; checkpoints, outposts, bases
civilians           civilians, villagers, worshippers, businesses, schools, transport
international       peacekeepers, foreign forces, foreign nationals, aid workers, diplomats
government          officials, politicians, government offices and buildings
non_state           other armed groups (rebels, militias, terrorist groups)
unknown             not said
=================== ==================================================================

Rules per source (see ``docs/data.md``):

* **ACLED** — the target side's actor type (``inter2``, or ``inter1`` when the reader swapped the
  sides of a clash): 8 external forces, a ``Military/Police Forces of`` another country, the UN or
  ``Civilians (International)`` -> ``international``; 1 state forces -> ``security_forces``, or
  ``government`` for a ``Government of`` actor; 7 civilians -> ``civilians`` (``government`` or
  ``international`` when ``assoc_actor_2`` names a government or aid workers); 2/3/4 -> ``non_state``;
  5/6 rioters and protesters -> ``civilians``; no target actor -> the keyword rule on ``notes``.
* **UCDP** — ``type_of_violence`` 3 -> ``civilians`` (``international`` when the headline names aid
  workers or foreigners); 2 -> ``non_state``; 1 -> the state side was engaged: ``international`` when
  ``side_a`` is a government other than the event's country's or the headline names foreign forces,
  ``government`` when the headline names officials, else ``security_forces``.
* **GTD** — :data:`GTD_TARGET_TYPE` on ``targtype1_txt``.
* **text** (canonical ``target``, ACLED notes without a target actor) — :func:`keyword_class`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd

from models.regions import country_iso3

TARGET_VERSION: Final = "1.0"

TARGET_CLASSES: Final[tuple[str, ...]] = (
    "security_forces",
    "civilians",
    "international",
    "government",
    "non_state",
    "unknown",
)
"""Every target class, in display order."""

UNKNOWN: Final = "unknown"

_WORDS: Final[dict[str, str]] = {
    "international": (
        r"peace-?keep\w*|minusma|misma|monusco|amisom|unamid|barkhane|serval|sabre|takuba|eutm|"
        r"g5[ -]sahel|united nations|\bu\.?n\.? (?:mission|troops|convoy|base|camp|staff|workers?)|"
        r"\bfrench (?:forces|troops|soldiers|army|military|convoy|base)|"
        r"foreign(?:ers?|\s+(?:nationals?|troops|forces|workers?|tourists?|engineers?|citizens?|"
        r"contractors?|hostages?|priests?|nuns?))|"
        r"aid workers?|humanitarian|\bngos?\b|expatriates?|tourists?|"
        r"diplomat\w*|embass\w*|\bcoalition\b|\bnato\b|\bu\.?s\.?(?:-led)? (?:troops|soldiers|forces|"
        r"military|base|embassy|convoy)|american (?:troops|soldiers|forces)|(?:chinese|western) "
        r"(?:nationals?|workers?|engineers?)"),
    "government": (
        r"\bofficials?\b|\bmayors?\b|\bgovernors?\b|\b(?:sub-?)?prefects?\b|\bministers?\b|lawmakers?|"
        r"legislators?|politicians?|parliamentar\w+|\bmps?\b|council+ors?|town hall|city hall|"
        r"government (?:buildings?|offices?|officials?|employees?|workers?)|civil servants?|"
        r"\bjudges?\b|court ?house|election (?:officials?|workers?|staff)|candidates?|"
        r"district (?:chief|head|commissioner)|village (?:chief|head)s?"),
    "security_forces": (
        r"soldiers?|troops?|\barmy\b|military|police\w*|policem[ae]n|gendarm\w*|checkpoints?|"
        r"outposts?|barracks|security (?:forces|personnel|post|men|officers?)|national guard|"
        r"\bfama\b|border guards?|customs (?:post|officers?)|\bpatrols?\b|\bcops?\b|constabulary|"
        r"peshmerga|popular mobili[sz]ation|\bpmf\b|hashd|\bafp\b|marines?|paramilitar\w*|"
        r"frontier corps|\bfc\b|rangers|levies|\bcjtf\b|civilian joint task force|vigilantes?|"
        r"\bcafgu\b|\bvdp\b|military (?:camp|base|post|convoy|vehicle)s?"),
    "civilians": (
        r"civilians?|villagers?|residents?|farmers?|herders?|herdsm[ae]n|worshipp?ers?|mosques?|"
        r"churche?s?|markets?|schools?|students?|pupils?|teachers?|\bwomen\b|children|passengers?|"
        r"traders?|shepherds?|wedding|funeral|famil(?:y|ies)|villages?|motorists?|travell?ers?|"
        r"fishermen|miners?|pilgrims?|shoppers?|commuters?|locals|inhabitants|people|journalists?|"
        r"businessm[ae]n|shops?|bus\b|buses"),
    "non_state": (
        r"militants?|rebels?|insurgents?|jihadists?|terrorists?|boko haram|\bisis\b|\bisil\b|"
        r"islamic state|daesh|taliban|\bttp\b|al[- ]qa[e']?ida|abu sayyaf|\basg\b|\bnpa\b|"
        r"new people's army|\bbiff\b|\bmilf\b|\bmnlf\b|armed groups?|gunmen|bandits?|militias?\b|"
        r"\bjnim\b|\baqim\b|\bmujao\b|ansar|\bmnla\b|\biswap\b|extremists?|separatists?"),
}
"""Keyword patterns per class, tried in :data:`KEYWORD_ORDER` (case-insensitive)."""

KEYWORD_ORDER: Final[tuple[str, ...]] = ("international", "government", "security_forces",
                                         "civilians", "non_state")
"""Precedence of the keyword rule: the rarer, more specific classes first."""

_PATTERNS: Final[dict[str, re.Pattern[str]]] = {k: re.compile(v, re.IGNORECASE) for k, v in _WORDS.items()}

GTD_TARGET_TYPE: Final[dict[str, str]] = {
    "military": "security_forces",
    "police": "security_forces",
    "government (general)": "government",
    "government (diplomatic)": "international",
    "ngo": "international",
    "tourists": "international",
    "private citizens & property": "civilians",
    "business": "civilians",
    "educational institution": "civilians",
    "religious figures/institutions": "civilians",
    "journalists & media": "civilians",
    "transportation": "civilians",
    "airports & aircraft": "civilians",
    "maritime": "civilians",
    "utilities": "civilians",
    "telecommunication": "civilians",
    "food or water supply": "civilians",
    "abortion related": "civilians",
    "violent political party": "non_state",
    "terrorists/non-state militia": "non_state",
    "other": UNKNOWN,
    "unknown": UNKNOWN,
}
"""GTD ``targtype1_txt`` (lower-cased) to target class; anything else is ``unknown``."""

ACLED_INTER_TARGET: Final[dict[int, str]] = {
    1: "security_forces", 2: "non_state", 3: "non_state", 4: "non_state", 5: "civilians",
    6: "civilians", 7: "civilians", 8: "international",
}
"""ACLED actor-type code of the target side to target class (before the actor-name refinements)."""

_STATE_FORCES: Final = re.compile(r"^(?:military|police) forces of (.+?)\s*(?:\(.*)?$", re.IGNORECASE)
_GOVERNMENT_OF: Final = re.compile(r"^government of (.+?)\s*(?:\(.*)?$", re.IGNORECASE)
_INTERNATIONAL_ACTOR: Final = re.compile(
    r"\(international\)|united nations|minusma|misma|amisom|monusco|g5 sahel|aid workers|\bngo|"
    r"barkhane|serval|eutm|multinational", re.IGNORECASE)


def _by_value(values: pd.Series, func: Callable[[str], str]) -> np.ndarray:
    """Apply ``func`` once per distinct value and broadcast the results back."""
    codes, uniques = pd.factorize(values.astype("str"), use_na_sentinel=False)
    mapped = np.asarray([func(str(u)) for u in uniques], dtype=object)
    return mapped[codes] if len(codes) else np.zeros(0, dtype=object)


def keyword_class(text: str) -> str:
    """The target class a free text names, by :data:`KEYWORD_ORDER` precedence, else ``unknown``.

    >>> keyword_class("Suicide bomber hits army checkpoint")
    'security_forces'
    >>> keyword_class("Gunmen kidnap two aid workers")
    'international'
    """
    for name in KEYWORD_ORDER:
        if _PATTERNS[name].search(text):
            return name
    return UNKNOWN


def keyword_classes(texts: pd.Series) -> np.ndarray:
    """:func:`keyword_class` of every text (computed once per distinct text)."""
    return _by_value(texts.fillna(""), keyword_class)


def _foreign(country: str, event_iso3: str) -> bool:
    code = country_iso3(country.strip())
    return code is not None and bool(event_iso3) and code != event_iso3


def acled_actor_class(actor: str, inter: float, assoc: str, iso3: str) -> str | None:
    """Target class of one ACLED target actor, or ``None`` when the actor says nothing."""
    if _INTERNATIONAL_ACTOR.search(actor) or _INTERNATIONAL_ACTOR.search(assoc):
        return "international"
    forces = _STATE_FORCES.match(actor)
    if forces and _foreign(forces.group(1), iso3):
        return "international"
    government = _GOVERNMENT_OF.match(actor)
    if government:
        return "international" if _foreign(government.group(1), iso3) else "government"
    if np.isnan(inter):
        return None
    mapped = ACLED_INTER_TARGET.get(int(inter))
    if mapped == "civilians" and re.search(r"government of", assoc, re.IGNORECASE):
        return "government"
    return mapped


def acled_target_classes(actor: pd.Series, inter: pd.Series, assoc: pd.Series, notes: pd.Series,
                         iso3: pd.Series) -> np.ndarray:
    """Target class of ACLED rows from the target side's actor, actor type and associated actor.

    Rows whose target actor is empty (or of an unknown type) fall back to the keyword rule on
    ``notes``.
    """
    n = len(actor)
    out = np.empty(n, dtype=object)
    keys = pd.DataFrame({"a": actor.astype("str").to_numpy(), "i": inter.to_numpy(dtype=float),
                         "s": assoc.astype("str").to_numpy(), "c": iso3.astype("str").to_numpy()})
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(keys.fillna({"i": -1.0})))
    mapped = [acled_actor_class(a, np.nan if i == -1.0 else i, s, c) if (a or s or i != -1.0) else None
              for a, i, s, c in uniques]
    per_row = np.asarray(mapped, dtype=object)[codes] if n else np.zeros(0, dtype=object)
    missing = np.asarray([m is None for m in per_row], dtype=bool)
    out[~missing] = per_row[~missing]
    if missing.any():
        out[missing] = keyword_classes(notes.reset_index(drop=True)[missing])
    return out


def ucdp_target_classes(violence: pd.Series, side_a: pd.Series, headline: pd.Series,
                        iso3: pd.Series) -> np.ndarray:
    """Target class of UCDP GED rows from ``type_of_violence``, ``side_a`` and the headline."""
    kind = violence.to_numpy(dtype=float)
    words = keyword_classes(headline.reset_index(drop=True))
    a = side_a.astype("str").reset_index(drop=True)
    c = iso3.astype("str").reset_index(drop=True)
    foreign_state = _by_value(a + "\x1f" + c, lambda key: "y" if _foreign_side(*key.split("\x1f", 1)) else "")
    state = np.where(foreign_state == "y", "international",
                     np.where(np.isin(words, ("international", "government")), words, "security_forces"))
    civilians = np.where(words == "international", "international", "civilians")
    out = np.where(kind == 3, civilians, np.where(kind == 2, "non_state",
                                                   np.where(kind == 1, state, UNKNOWN)))
    return out.astype(object)


def _foreign_side(side: str, event_iso3: str) -> bool:
    """Whether a UCDP ``side_a`` names only governments of other countries than the event's."""
    names = [part.strip() for part in side.split(",") if part.strip()]
    governments = [_GOVERNMENT_OF.match(p) for p in names]
    if not names or not all(governments):
        return False
    return all(_foreign(g.group(1), event_iso3) for g in governments if g)


def gtd_target_classes(targtype: pd.Series) -> np.ndarray:
    """Target class of GTD rows from ``targtype1_txt`` (:data:`GTD_TARGET_TYPE`)."""
    key = targtype.astype("str").str.strip().str.lower()
    return key.map(GTD_TARGET_TYPE).fillna(UNKNOWN).to_numpy(dtype=object)
