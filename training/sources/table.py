"""What every reader does alike: read a raw table by column, check ids, place rows, build the events.

A reader (:mod:`training.sources.acled`, ``ucdp``, ``gtd``, ``canonical``) differs in how it finds
the attack type, the date and the actors; the rest is common. :class:`RawTable` reads columns by
their lower-cased header; :meth:`RawTable.ids` rejects rows without an id; :meth:`RawTable.place`
resolves country, region and coordinates; :func:`events_frame` lays out the canonical columns in
:data:`models.schema` order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from training.sources import fields
from training.sources.triage import Triage


class Place(NamedTuple):
    """Where each row happened: ISO3 code, admin1 name, region id and coordinates."""

    country: pd.Series
    admin1: pd.Series
    region_id: pd.Series
    latitude: pd.Series
    longitude: pd.Series


class Method(NamedTuple):
    """How each row's attack type was found: ``method_source`` and ``method_confidence``."""

    source: object
    """One label or an array of labels."""
    confidence: object
    """One probability or an array (NaN where none)."""


class RawTable:
    """One raw source table, read by column name (headers lower-cased and stripped)."""

    def __init__(self, raw: pd.DataFrame) -> None:
        self.raw = raw
        self.n = len(raw)

    def column(self, name: str) -> pd.Series | None:
        """The raw column ``name``, else ``None``."""
        return fields.column(self.raw, name)

    def text(self, name: str) -> pd.Series:
        """Column ``name`` as stripped text (``""`` where missing, or everywhere without the column)."""
        return fields.text(self.column(name), self.n)

    def ids(self, triage: Triage, name: str) -> pd.Series:
        """The id column ``name`` as text, rejecting rows without an id as ``missing_id``."""
        ids = self.text(name)
        triage.reject(ids == "", "missing_id", f"{name} is empty")
        return ids

    def dates(self, triage: Triage, name: str) -> pd.Series:
        """The date column ``name`` parsed, rejecting empty and unparseable dates."""
        raw = self.column(name)
        if raw is None:
            raise ValueError(f"the {name} column is required")
        parsed = fields.dates(raw)
        fields.check_date(triage, parsed, raw, name)
        return parsed

    def place(self, triage: Triage, country: str, admin1: pd.Series, admin1_name: str,
              fallback: pd.Series | None = None) -> Place:
        """Country, region and coordinates of every row (see :func:`fields.locate`).

        Args:
            triage: where failing rows are rejected.
            country: the country column's name.
            admin1: first-level unit names, already cleaned by the reader.
            admin1_name: the admin1 column's name in the source, for reject details.
            fallback: ISO3 (or ISO3-convertible) codes that fill what the names miss.
        """
        iso3, region = fields.locate(triage, self.column(country), admin1, country_name=country,
                                     admin1_name=admin1_name, fallback=fallback)
        lat, lon = fields.coordinates(triage, self.column("latitude"), self.column("longitude"), self.n)
        return Place(iso3, admin1, region, lat, lon)

    def fatalities(self, triage: Triage, name: str) -> pd.Series:
        """The fatality count in column ``name`` (see :func:`fields.fatalities`)."""
        return fields.fatalities(triage, self.column(name), self.n, name)

    def coded(self) -> Method:
        """The method of a source with a coded attack type: ``coded``, confidence 1.0."""
        return Method("coded", 1.0)


def events_frame(table: RawTable, event_id: pd.Series, source: object, when: tuple[pd.Series, pd.Series],
                 place: Place, attack_type: pd.Series, actors: tuple[pd.Series, pd.Series],
                 fatalities: pd.Series, suicide: object, method: Method,
                 target_class: object) -> pd.DataFrame:
    """The canonical event columns of a converted table, one row per raw row.

    Args:
        table: the raw table (for its row count).
        event_id: the canonical event ids.
        source: the source name, or a column of names.
        when: the event date and its precision.
        place: where each row happened.
        attack_type: threatcast attack types.
        actors: the perpetrator and target names.
        fatalities: fatality counts.
        suicide: boolean mask of suicide attacks.
        method: how the attack type was found.
        target_class: target classes (an array or one label).
    """
    date, precision = when
    perpetrator, target = actors
    return pd.DataFrame({
        "event_id": event_id, "source": source, "date": date, "date_precision": precision,
        "country": place.country, "admin1": place.admin1, "region_id": place.region_id,
        "latitude": place.latitude, "longitude": place.longitude, "attack_type": attack_type,
        "perpetrator": perpetrator, "target": target, "fatalities": fatalities,
        "suicide": np.asarray(suicide, dtype=bool), "method_source": fields.labels(method.source, table.n),
        "method_confidence": method.confidence, "target_class": fields.labels(target_class, table.n),
    })
