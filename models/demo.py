"""SYNTHETIC demo events: a deterministic, seeded generator in the canonical event schema.

Nothing here is real. Countries are real ISO3 codes (the schema needs them) and coordinates fall
inside each country, but every region is a fictional ``Demo ...`` admin1, every group a fictional
``Demo ... (synthetic)`` name, ``source`` is ``demo`` and every ``event_id`` starts with ``demo:``.

The dynamics are built to look like conflict-event data and to carry the signal threatcast models:

* each region has its own base rate and tactic mix;
* a latent log-intensity follows an AR(1) process (persistence), plus a per-country seasonal cycle
  and a per-country AR(1) component with occasional shocks;
* a few regions go through an occupation episode: during it, more territory seizures and armed
  clashes and fewer kidnappings and IEDs; after it ends, the tactic mix shifts toward kidnapping,
  bombing and suicide attacks, the shift decaying over about 24 months.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from models.episodes import episode_spans, parse_catalog
from models.regions import region_id, slug
from models.schema import conform_events
from models.taxonomy import ATTACK_TYPES

DEMO_SOURCE: Final = "demo"
SHIFT_TYPES: Final[tuple[str, ...]] = ("kidnapping", "bombing", "suicide_attack")
"""The tactics a post-occupation insurgency shifts toward."""

COUNTRY_BOXES: Final[dict[str, tuple[float, float, float, float]]] = {
    "MLI": (13.0, 19.5, -8.0, 2.5),
    "NER": (13.5, 18.5, 1.5, 11.5),
    "BFA": (10.5, 14.5, -4.5, 1.5),
    "NGA": (7.5, 12.5, 4.0, 13.0),
    "IRQ": (31.0, 36.5, 40.5, 46.5),
    "SOM": (0.5, 9.5, 42.5, 48.5),
}
"""Latitude/longitude boxes (south, north, west, east) inside each demo country."""

REGION_WORDS: Final[tuple[str, ...]] = (
    "North", "South", "East", "West", "Lakes", "Highlands", "Delta", "Valley", "Plateau", "Coast",
    "Desert", "Hills", "Riverside", "Savanna", "Frontier", "Marsh", "Basin", "Ridge", "Forest",
    "Steppe", "Oasis", "Canyon", "Gulf", "Peninsula", "Crossing", "Springs", "Dunes", "Mesa",
    "Terraces", "Uplands",
)

BASE_MIX: Final[dict[str, float]] = {
    "armed_assault": 0.27, "armed_clash": 0.22, "bombing": 0.13, "suicide_attack": 0.02,
    "kidnapping": 0.08, "assassination": 0.05, "indirect_fire": 0.06, "property_attack": 0.08,
    "territory_seizure": 0.01, "other": 0.08,
}
"""Average tactic mix outside occupations (each region draws its own around it)."""

DURING_FACTOR: Final[dict[str, float]] = {
    "kidnapping": 0.3, "bombing": 0.4, "suicide_attack": 0.3, "territory_seizure": 8.0, "armed_clash": 2.0,
}
"""Multipliers of the tactic mix while a region is occupied."""

AFTER_FACTOR: Final[dict[str, float]] = {"kidnapping": 3.5, "bombing": 3.0, "suicide_attack": 5.0}
"""Peak multipliers of the tactic mix right after an occupation ends (decaying with AFTER_DECAY)."""

AFTER_DECAY: Final = 12.0
"""e-folding time, in months, of the post-occupation shift (about 14% of it is left at 24 months)."""

MEAN_FATALITIES: Final[dict[str, float]] = {
    "armed_assault": 2.0, "armed_clash": 4.0, "bombing": 3.0, "suicide_attack": 9.0, "kidnapping": 0.2,
    "assassination": 1.1, "indirect_fire": 1.5, "property_attack": 0.1, "territory_seizure": 3.0,
    "other": 0.5,
}

TARGETS: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "armed_assault": (("Civilians (synthetic)", 0.5), ("Demo Security Forces (synthetic)", 0.5)),
    "armed_clash": (("Demo Security Forces (synthetic)", 0.85), ("Demo Militia (synthetic)", 0.15)),
    "bombing": (("Demo Security Forces (synthetic)", 0.6), ("Civilians (synthetic)", 0.4)),
    "suicide_attack": (("Demo Security Forces (synthetic)", 0.7), ("Civilians (synthetic)", 0.3)),
    "kidnapping": (("Civilians (synthetic)", 0.8), ("Demo Aid Workers (synthetic)", 0.2)),
    "assassination": (("Demo Local Officials (synthetic)", 0.7), ("Demo Religious Leaders (synthetic)", 0.3)),
    "indirect_fire": (("Demo Security Forces (synthetic)", 0.9), ("Civilians (synthetic)", 0.1)),
    "property_attack": (("Demo Property (synthetic)", 1.0),),
    "territory_seizure": (("Demo Security Forces (synthetic)", 1.0),),
    "other": (("Civilians (synthetic)", 1.0),),
}
"""Target (or opposing actor) of each attack type, with probabilities."""


@dataclass(frozen=True)
class DemoData:
    """SYNTHETIC demo data set.

    Attributes:
        events: canonical events (pass :func:`models.schema.validate_events`), sorted by date.
        episodes: the demo occupation episodes in the catalog schema (``source = "demo"``).
    """

    events: pd.DataFrame
    episodes: pd.DataFrame


@dataclass(frozen=True)
class _Regions:
    """The fictional regions of one demo data set."""

    country: np.ndarray
    admin1: np.ndarray
    region_id: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    groups: np.ndarray
    group_no: np.ndarray


def generate_demo(seed: int = 7, n_regions: int = 30, start: str = "2004-01",
                  end: str = "2018-12") -> DemoData:
    """Generate the SYNTHETIC demo data set; the same arguments always give the same frames.

    Args:
        seed: seed of the ``numpy`` random generator.
        n_regions: number of fictional regions (spread over six countries).
        start: first month (``YYYY-MM``).
        end: last month (``YYYY-MM``).

    Returns:
        The events and the demo episode catalog.

    Raises:
        ValueError: when ``n_regions`` < 1 or the period is shorter than 24 months.
    """
    if n_regions < 1:
        raise ValueError(f"n_regions must be >= 1, got {n_regions}")
    months = pd.period_range(pd.Period(start, freq="M"), pd.Period(end, freq="M"), freq="M")
    if len(months) < 24:
        raise ValueError(f"the demo period {start}..{end} must span at least 24 months")
    rng = np.random.default_rng(seed)
    regions = _make_regions(rng, n_regions)
    episodes = _make_episodes(rng, regions, months)
    rates = _intensity(rng, regions, months)
    during, since_end = _phase_arrays(regions, months, episodes)
    mix = _tactic_mix(rng, n_regions, during, since_end)
    occupied_boost = 1.0 + 0.5 * during + 0.6 * np.where(np.isnan(since_end), 0.0,
                                                          np.exp(-np.nan_to_num(since_end) / AFTER_DECAY))
    lam = (rates * occupied_boost)[:, :, None] * mix
    counts = rng.poisson(lam)
    events = _events(rng, regions, months, counts)
    return DemoData(events=events, episodes=episodes)


def post_occupation_shift(events: pd.DataFrame, catalog: pd.DataFrame, months_after: int = 24,
                          types: tuple[str, ...] = SHIFT_TYPES) -> dict[str, float]:
    """Share of ``types`` among events during episodes vs in the ``months_after`` months after them.

    Works on any canonical events and catalog. Months of the after-window that fall inside another
    episode of the same region count as ``during`` only.

    Returns:
        ``during_share``, ``after_share`` (NaN when there is no event in the window), ``other_share``
        (every other event, for reference), ``during_events``, ``after_events`` and ``episodes``
        (episodes with an end month that have events in the data).
    """
    ords = pd.PeriodIndex(pd.to_datetime(events["date"]).dt.to_period("M")).asi8
    regions = events["region_id"].to_numpy()
    shift = events["attack_type"].isin(types).to_numpy()
    during_mask = np.zeros(len(events), dtype=bool)
    after_mask = np.zeros(len(events), dtype=bool)
    used = 0
    for rid, start, end, _ in episode_spans(catalog):
        in_region = regions == rid
        if end is None:
            during_mask |= in_region & (ords >= start)
            continue
        during_mask |= in_region & (ords >= start) & (ords <= end)
        after_mask |= in_region & (ords > end) & (ords <= end + months_after)
        used += int(in_region.any())
    after_mask &= ~during_mask
    return {
        "during_share": float(shift[during_mask].mean()) if during_mask.any() else float("nan"),
        "after_share": float(shift[after_mask].mean()) if after_mask.any() else float("nan"),
        "other_share": float(shift[~(during_mask | after_mask)].mean()) if len(shift) else float("nan"),
        "during_events": float(during_mask.sum()),
        "after_events": float(after_mask.sum()),
        "episodes": float(used),
    }


def _make_regions(rng: np.random.Generator, n_regions: int) -> _Regions:
    """Fictional regions spread round-robin over the demo countries, with centroids and groups."""
    codes = list(COUNTRY_BOXES)
    country = np.array([codes[i % len(codes)] for i in range(n_regions)], dtype=object)
    names = np.array([f"Demo {REGION_WORDS[i % len(REGION_WORDS)]}"
                      + (f" {i // len(REGION_WORDS) + 1}" if i >= len(REGION_WORDS) else "")
                      for i in range(n_regions)], dtype=object)
    boxes = np.array([COUNTRY_BOXES[c] for c in country]).reshape(n_regions, 4)
    lat = boxes[:, 0] + rng.random(n_regions) * (boxes[:, 1] - boxes[:, 0])
    lon = boxes[:, 2] + rng.random(n_regions) * (boxes[:, 3] - boxes[:, 2])
    group_no = rng.integers(1, 3, size=n_regions)
    groups = np.array([_group_name(int(g), c) for g, c in zip(group_no, country, strict=True)], dtype=object)
    ids = np.array([region_id(c, a) for c, a in zip(country, names, strict=True)], dtype=object)
    return _Regions(country=country, admin1=names, region_id=ids, lat=lat, lon=lon, groups=groups,
                    group_no=group_no)


def _group_name(number: int, country: str) -> str:
    """The fictional name of armed group ``number`` (1 or 2) of a demo country."""
    return f"Demo Armed Group {number} {country} (synthetic)"


def _make_episodes(rng: np.random.Generator, regions: _Regions, months: pd.PeriodIndex) -> pd.DataFrame:
    """A few occupation episodes: clusters of neighbouring regions of one country taken together.

    The first cluster ends one to two years before the last month, so the data end with regions in
    their post-occupation phase.
    """
    n_months = len(months)
    n_regions = len(regions.region_id)
    target = max(1, n_regions // 6)
    rows: list[dict[str, str]] = []
    taken: set[int] = set()
    countries = list(dict.fromkeys(regions.country))
    rng.shuffle(countries)
    for code in countries:
        if len(rows) >= target:
            break
        members = [i for i in range(n_regions) if regions.country[i] == code and i not in taken]
        if not members:
            continue
        size = min(len(members), target - len(rows), int(rng.integers(1, 4)))
        chosen = rng.choice(members, size=size, replace=False)
        first = min(36, n_months // 4)
        last = max(first + 1, n_months - 36)
        if not rows:  # the first cluster ends shortly before the data do: a freshly liberated area
            first = max(first, n_months - 44)
            last = max(first + 1, n_months - 28)
        start = int(rng.integers(first, last))
        for i in sorted(int(k) for k in chosen):
            begin = min(start + int(rng.integers(0, 3)), n_months - 2)
            finish = min(begin + int(rng.integers(6, 25)), n_months - 1)
            taken.add(i)
            rows.append({
                "episode_id": f"demo-{regions.country[i].lower()}-{slug(regions.admin1[i])}-{months[begin]}",
                "country": regions.country[i],
                "admin1": regions.admin1[i],
                "start_month": str(months[begin]),
                "end_month": str(months[finish]),
                "groups": regions.groups[i],
                "note": f"SYNTHETIC demo episode: {regions.groups[i]} holds {regions.admin1[i]} "
                        f"from {months[begin]} to {months[finish]}.",
                "source": DEMO_SOURCE,
            })
    return parse_catalog(pd.DataFrame(rows))


def _intensity(rng: np.random.Generator, regions: _Regions, months: pd.PeriodIndex) -> np.ndarray:
    """Expected events per region-month before occupation effects: base x AR(1) x season x country."""
    n_r, n_m = len(regions.region_id), len(months)
    base = np.exp(rng.normal(np.log(3.2), 0.7, size=n_r))
    phi, sigma = 0.85, 0.25
    latent = np.zeros((n_r, n_m))
    latent[:, 0] = rng.normal(0.0, sigma / np.sqrt(1 - phi**2), size=n_r)
    shocks = rng.normal(0.0, sigma, size=(n_r, n_m))
    for t in range(1, n_m):
        latent[:, t] = phi * latent[:, t - 1] + shocks[:, t]
    codes = sorted(set(regions.country))
    country_index = np.array([codes.index(c) for c in regions.country])
    month_of_year = np.asarray([m.month for m in months])
    season_phase = rng.uniform(0, 12, size=len(codes))
    season = 0.25 * np.sin(2 * np.pi * (month_of_year[None, :] - season_phase[:, None]) / 12)
    common = np.zeros((len(codes), n_m))
    jumps = rng.random((len(codes), n_m)) < 1 / 60
    jump_size = rng.normal(0.7, 0.2, size=(len(codes), n_m)) * jumps
    noise = rng.normal(0.0, 0.1, size=(len(codes), n_m))
    for t in range(1, n_m):
        common[:, t] = 0.8 * common[:, t - 1] + noise[:, t] + jump_size[:, t]
    trend = rng.normal(0.02, 0.03, size=len(codes))[:, None] * np.arange(n_m)[None, :] / 12
    country_part = (season + common + trend)[country_index]
    return np.asarray(base[:, None] * np.exp(latent - sigma**2 / (2 * (1 - phi**2)) + country_part))


def _phase_arrays(regions: _Regions, months: pd.PeriodIndex,
                  episodes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``during`` (0/1) and months since the end of an occupation (NaN before any end)."""
    n_r, n_m = len(regions.region_id), len(months)
    during = np.zeros((n_r, n_m))
    since_end = np.full((n_r, n_m), np.nan)
    ords = months.asi8
    position = {r: i for i, r in enumerate(regions.region_id)}
    for rid, start, end, _ in episode_spans(episodes):
        i = position[rid]
        end = int(ords[-1]) if end is None else end
        during[i, (ords >= start) & (ords <= end)] = 1.0
        since_end[i, ords > end] = ords[ords > end] - end
    return during, since_end


def _tactic_mix(rng: np.random.Generator, n_regions: int, during: np.ndarray,
                since_end: np.ndarray) -> np.ndarray:
    """Tactic shares per region x month x attack type (rows sum to 1)."""
    base = np.array([BASE_MIX[t] for t in ATTACK_TYPES])
    region_mix = rng.dirichlet(base * 60, size=n_regions)
    mix = np.repeat(region_mix[:, None, :], during.shape[1], axis=1)
    decay = np.where(np.isnan(since_end), 0.0, np.exp(-(np.nan_to_num(since_end) - 1) / AFTER_DECAY))
    for k, attack in enumerate(ATTACK_TYPES):
        factor = np.ones_like(during)
        factor = np.where(during > 0, DURING_FACTOR.get(attack, 1.0), factor)
        peak = AFTER_FACTOR.get(attack, 1.0)
        factor = np.where(during > 0, factor, 1.0 + (peak - 1.0) * decay)
        mix[:, :, k] *= factor
    return np.asarray(mix / mix.sum(axis=2, keepdims=True))


def _events(rng: np.random.Generator, regions: _Regions, months: pd.PeriodIndex,
            counts: np.ndarray) -> pd.DataFrame:
    """Expand region x month x type counts into canonical event rows."""
    r_idx, m_idx, t_idx = np.nonzero(counts)
    reps = counts[r_idx, m_idx, t_idx]
    r = np.repeat(r_idx, reps)
    m = np.repeat(m_idx, reps)
    types = np.asarray(ATTACK_TYPES, dtype=object)[np.repeat(t_idx, reps)]
    n = len(r)
    month_start = months.to_timestamp(how="start")[m]
    days_in_month = np.asarray(months.days_in_month)[m]
    day = np.floor(rng.random(n) * days_in_month).astype(int)
    precision = rng.choice(np.array(["day", "week", "month"], dtype=object), size=n, p=[0.94, 0.03, 0.03])
    day = np.where(precision == "month", 0, np.where(precision == "week", day - day % 7, day))
    dates = month_start + pd.to_timedelta(day, unit="D")
    mean_fat = np.array([MEAN_FATALITIES[t] for t in types]) if n else np.zeros(0)
    fatalities = rng.poisson(rng.gamma(0.6, mean_fat / 0.6 + 1e-12)) if n else np.zeros(0, dtype=int)
    perpetrators = _perpetrators(rng, regions, r)
    targets = np.empty(n, dtype=object)
    for attack, options in TARGETS.items():
        sel = types == attack
        names = np.array([o[0] for o in options], dtype=object)
        targets[sel] = rng.choice(names, size=int(sel.sum()), p=[o[1] for o in options])
    frame = pd.DataFrame({
        "source": DEMO_SOURCE,
        "date": dates,
        "date_precision": precision,
        "country": regions.country[r],
        "admin1": regions.admin1[r],
        "region_id": regions.region_id[r],
        "latitude": np.clip(regions.lat[r] + rng.normal(0, 0.3, n), -90, 90).round(4),
        "longitude": np.clip(regions.lon[r] + rng.normal(0, 0.3, n), -180, 180).round(4),
        "attack_type": types,
        "perpetrator": perpetrators,
        "target": targets,
        "fatalities": fatalities,
        "suicide": types == "suicide_attack",
    })
    frame = frame.sort_values(["date", "region_id", "attack_type"], kind="stable").reset_index(drop=True)
    frame["event_id"] = [f"demo:{i:06d}" for i in range(1, len(frame) + 1)]
    return conform_events(frame)


def _perpetrators(rng: np.random.Generator, regions: _Regions, r: np.ndarray) -> np.ndarray:
    """Mostly each region's own group, some of its country's rival group, a few unknown."""
    rival = np.array([_group_name(3 - g, c) for g, c in zip(regions.group_no, regions.country, strict=True)],
                     dtype=object)
    draw = rng.random(len(r))
    out = np.where(draw < 0.75, regions.groups[r], np.where(draw < 0.92, rival[r], ""))
    return np.asarray(out, dtype=object)
