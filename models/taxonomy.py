"""Attack-type taxonomy: the versioned mapping from each source's event codes to threatcast types.

Version history:
    1.0: initial ten types; ACLED sub_event_type, GTD attacktype1_txt and UCDP type_of_violence maps.
"""

from __future__ import annotations

from typing import Final

TAXONOMY_VERSION: Final = "1.0"

ATTACK_TYPES: Final[tuple[str, ...]] = (
    "armed_assault",
    "armed_clash",
    "bombing",
    "suicide_attack",
    "kidnapping",
    "assassination",
    "indirect_fire",
    "property_attack",
    "territory_seizure",
    "other",
)
"""Every attack type, in display order."""

ALL: Final = "all"
"""Pseudo attack type: the sum over every attack type."""

PANEL_TYPES: Final[tuple[str, ...]] = (*ATTACK_TYPES, ALL)
"""Attack types carried by the panel and forecast frames (every type plus ``all``)."""

ACLED_SUB_EVENT: Final[dict[str, str]] = {
    "attack": "armed_assault",
    "armed clash": "armed_clash",
    "remote explosive/landmine/ied": "bombing",
    "grenade": "bombing",
    "suicide bomb": "suicide_attack",
    "abduction/forced disappearance": "kidnapping",
    "shelling/artillery/missile attack": "indirect_fire",
    "looting/property destruction": "property_attack",
    "non-state actor overtakes territory": "territory_seizure",
    "sexual violence": "other",
}
"""ACLED ``sub_event_type`` (lower-cased) to attack type. Anything else is not a threat event."""

ACLED_NON_THREAT: Final[frozenset[str]] = frozenset(
    {
        "peaceful protest",
        "protest with intervention",
        "excessive force against protesters",
        "violent demonstration",
        "mob violence",
        "air/drone strike",
        "agreement",
        "arrests",
        "change to group/activity",
        "disrupted weapons use",
        "government regains territory",
        "headquarters or base established",
        "non-violent transfer of territory",
        "other",
        "chemical weapon",
    }
)
"""Known ACLED sub-event types that are deliberately not threat events (rejected as such)."""

GTD_ATTACK_TYPE: Final[dict[str, str]] = {
    "armed assault": "armed_assault",
    "bombing/explosion": "bombing",
    "hostage taking (kidnapping)": "kidnapping",
    "hostage taking (barricade incident)": "kidnapping",
    "hijacking": "kidnapping",
    "assassination": "assassination",
    "facility/infrastructure attack": "property_attack",
    "unarmed assault": "other",
    "unknown": "other",
}
"""GTD ``attacktype1_txt`` (lower-cased) to attack type; bombing becomes suicide_attack when suicide=1."""

UCDP_VIOLENCE_TYPE: Final[dict[int, str]] = {1: "armed_clash", 2: "armed_clash", 3: "armed_assault"}
"""UCDP ``type_of_violence`` to attack type (GED carries no attack method)."""

ACLED_THREAT_INTER: Final[frozenset[int]] = frozenset({2, 3, 4})
"""ACLED ``inter1`` codes of non-state armed perpetrators (rebels, political and identity militias)."""

ACLED_CLASH_INTER: Final[frozenset[int]] = frozenset({2, 3})
"""For ACLED armed clashes: either side of these types makes it a threat event."""


def acled_attack_type(sub_event_type: str) -> str | None:
    """Map an ACLED ``sub_event_type`` to an attack type, or ``None`` when it is not a threat event."""
    return ACLED_SUB_EVENT.get(sub_event_type.strip().lower())


def gtd_attack_type(attacktype1_txt: str, suicide: bool) -> str | None:
    """Map a GTD ``attacktype1_txt`` (and the suicide flag) to an attack type, or ``None`` if unknown."""
    mapped = GTD_ATTACK_TYPE.get(attacktype1_txt.strip().lower())
    if mapped == "bombing" and suicide:
        return "suicide_attack"
    return mapped


def ucdp_attack_type(type_of_violence: int) -> str | None:
    """Map a UCDP ``type_of_violence`` code to an attack type, or ``None`` for an unknown code."""
    return UCDP_VIOLENCE_TYPE.get(int(type_of_violence))
