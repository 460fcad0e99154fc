"""Type coverage: which attack types each source can observe in each region.

A zero count means "no attack" only where a source that could have reported the type covers the
region; elsewhere it means "no data". The rule (documented in ``docs/data.md``), applied to the
canonical events of each source in each region where it has events:

1. **Coded methods.** A source with a method field (any of its events has ``method_source``
   ``coded``) observes the types its codebook can produce: :data:`CODEBOOKS` for the sources
   threatcast reads (ACLED's ``sub_event_type`` and GTD's ``attacktype1_txt`` maps of
   :mod:`models.taxonomy`), every attack type for any other source (canonical files, the demo).
2. **Default types.** A source without a method field observes its coarse default types
   everywhere it has events: :data:`DEFAULT_TYPES` for UCDP (``type_of_violence`` 1/2/3 to
   ``armed_clash``/``armed_assault``), else the types its ``default`` events carry.
3. **Text methods.** Where a source has at least one event typed from its text (``method_source``
   ``text``) in a region, it also observes there every type the method classifier can give
   (:data:`TEXT_TYPES`).
4. **Reported types.** A type the source reports in the region is observed there.

A region observes the union over the sources with events in it. The rule reads only the events,
so it is deterministic: the same events give the same coverage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from models.panel import event_months
from models.taxonomy import ACLED_SUB_EVENT, ALL, ATTACK_TYPES, GTD_ATTACK_TYPE, UCDP_VIOLENCE_TYPE

COVERAGE_VERSION: Final = "1.0"

CODEBOOKS: Final[Mapping[str, frozenset[str]]] = {
    "acled": frozenset(ACLED_SUB_EVENT.values()),
    "gtd": frozenset(GTD_ATTACK_TYPE.values()) | {"suicide_attack"},
}
"""Types a coded source's method field can produce (a source not listed codes every type)."""

DEFAULT_TYPES: Final[Mapping[str, frozenset[str]]] = {"ucdp": frozenset(UCDP_VIOLENCE_TYPE.values())}
"""The coarse default types of sources without a method field."""

TEXT_TYPES: Final[frozenset[str]] = frozenset(ACLED_SUB_EVENT.values())
"""Attack types the method classifier can give (its labels are ACLED's sub-event types)."""


def _ordered(types: set[str] | frozenset[str]) -> tuple[str, ...]:
    return tuple(t for t in ATTACK_TYPES if t in types)


@dataclass(frozen=True)
class Coverage:
    """Observed attack types per source and region.

    Attributes:
        by_source: source -> region -> observed types (in :data:`ATTACK_TYPES` order), for every
            region where the source has events.
    """

    by_source: Mapping[str, Mapping[str, tuple[str, ...]]]

    def regions(self) -> dict[str, tuple[str, ...]]:
        """Region -> the types some source present there observes (the union), sorted by region."""
        found: dict[str, set[str]] = {}
        for per_region in self.by_source.values():
            for region, types in per_region.items():
                found.setdefault(region, set()).update(types)
        return {r: _ordered(found[r]) for r in sorted(found)}

    def sources(self) -> dict[str, tuple[str, ...]]:
        """Source -> the types it observes in at least one region."""
        return {s: _ordered({t for types in regions.values() for t in types})
                for s, regions in sorted(self.by_source.items())}

    def mixed(self) -> bool:
        """Whether the pooled data mixes different type coverages (across sources or regions)."""
        return len({types for regions in self.by_source.values() for types in regions.values()}) > 1

    def warning(self) -> str | None:
        """A readable warning when the data pools different type coverages, else ``None``."""
        if not self.mixed():
            return None
        sets = [set(types) for regions in self.by_source.values() for types in regions.values()]
        everywhere, somewhere = set.intersection(*sets), set.union(*sets)
        parts = []
        for source, regions in sorted(self.by_source.items()):
            sizes = sorted({len(t) for t in regions.values()})
            shown = str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]} to {sizes[-1]}"
            parts.append(f"{source} observes {shown} of {len(ATTACK_TYPES)} types")
        partial = [t for t in ATTACK_TYPES if t in somewhere and t not in everywhere]
        nowhere = [t for t in ATTACK_TYPES if t not in somewhere]
        return (f"the data pools sources of different type coverage ({'; '.join(parts)}); "
                f"observed in some regions only: {', '.join(partial) or 'none'}; observed nowhere: "
                f"{', '.join(nowhere) or 'none'}; where no source observes a type its zeros are no data, "
                "and the service marks it unobserved")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``version``, ``regions`` (region -> types), ``sources``, ``warning``."""
        return {"version": COVERAGE_VERSION,
                "regions": {r: list(t) for r, t in self.regions().items()},
                "sources": {s: list(t) for s, t in self.sources().items()}, "warning": self.warning()}


def coverage(events: pd.DataFrame, cutoff: pd.Period | str | None = None) -> Coverage:
    """The type coverage of canonical ``events`` (those dated up to ``cutoff`` when given)."""
    frame = events
    if cutoff is not None and len(frame):
        frame = frame[(event_months(frame["date"]) <= pd.Period(cutoff, freq="M")).to_numpy()]
    by_source: dict[str, dict[str, tuple[str, ...]]] = {}
    for source, rows in frame.groupby("source", sort=True):
        name = str(source)
        method = rows["method_source"].astype(str)
        base: set[str] = set()
        if (method == "coded").any():
            base |= CODEBOOKS.get(name.lower(), frozenset(ATTACK_TYPES))
        if (method == "default").any():
            base |= DEFAULT_TYPES.get(name.lower(), frozenset(rows.loc[method == "default", "attack_type"]))
        text_regions = set(rows.loc[method == "text", "region_id"].astype(str))
        reported = rows.groupby("region_id", sort=True)["attack_type"].unique()
        by_source[name] = {
            str(region): _ordered(base | set(types) | (TEXT_TYPES if str(region) in text_regions else set()))
            for region, types in reported.items()}
    return Coverage(by_source)


def is_observed(observed: Mapping[str, Sequence[str]] | None, region_id: str, attack_type: str) -> bool:
    """Whether ``attack_type`` is observable in ``region_id`` under a bundle's coverage map.

    ``all`` is always observed; so is everything when there is no map (an older bundle) or the
    map does not list the region.
    """
    if attack_type == ALL or observed is None:
        return True
    types = observed.get(region_id)
    return types is None or attack_type in types


def observed_mask(frame: pd.DataFrame, observed: Mapping[str, Sequence[str]] | None) -> np.ndarray:
    """Per row of ``frame`` (``region_id``, ``attack_type``), :func:`is_observed` as a boolean array."""
    if observed is None or frame.empty:
        return np.ones(len(frame), dtype=bool)
    regions = frame["region_id"].astype(str)
    types = frame["attack_type"].astype(str)
    pairs = pd.Index([f"{r}\x1f{t}" for r, listed in observed.items() for t in listed])
    listed = regions.isin(list(observed)).to_numpy()
    found = (regions + "\x1f" + types).isin(pairs).to_numpy()
    return np.asarray((types == ALL).to_numpy() | ~listed | found)
