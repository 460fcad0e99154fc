"""Countries: the list, and one country's forecast totals aggregated from its regions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from service.deps import ServedDep
from service.errors import ApiError
from service.routes.common import ERRORS, AttackTypeQuery, HorizonQuery, check_horizon
from service.schemas import CountryForecast, CountryList

router = APIRouter(prefix="/v1/countries", tags=["countries"])

METHOD = ("exact convolution of the region distributions (regions taken as independent): the mean is "
          "the sum of the region means, p_any = 1 - prod(1 - p_any of each region)")

CountryPath = Annotated[str, Path(pattern=r"^[A-Za-z]{3}$", description="ISO3 country code.",
                                  examples=["MLI"])]


@router.get("", response_model=CountryList, responses=ERRORS, summary="Every country")
async def list_countries(served: ServedDep) -> dict[str, Any]:
    """Every country with its region count and next month's expected attacks and P(any)."""
    items = []
    for country, rows in served.countries.items():
        first = next((r for r in rows if r["attack_type"] == "all" and r["horizon"] == 1), None)
        items.append({"country": country, "regions": first["regions"] if first else 0,
                      "mean_next_month": first["mean"] if first else 0.0,
                      "p_any_next_month": first["p_any"] if first else 0.0})
    return {"model_version": served.version, "data_cutoff": served.cutoff, "stale": served.is_stale(),
            "count": len(items), "countries": items}


@router.get("/{iso3}/forecast", response_model=CountryForecast, responses=ERRORS,
            summary="Forecasts of one country's totals")
async def country_forecast(served: ServedDep, iso3: CountryPath, attack_type: AttackTypeQuery = None,
                           horizon: HorizonQuery = None) -> dict[str, Any]:
    """Mean, q10/q50/q90 and P(any) of the country's total per attack type and horizon.

    Aggregated from the region distributions (not a sum of quantiles), so it agrees with them: the
    country mean is the sum of its regions' means.
    """
    code = iso3.upper()
    rows = served.countries.get(code)
    if rows is None:
        raise ApiError(404, "unknown_country", f"no country {code!r} in the served model",
                       {"countries": sorted(served.countries)})
    check_horizon(served, horizon)
    chosen = [r for r in rows if (attack_type is None or r["attack_type"] == attack_type)
              and (horizon is None or r["horizon"] <= horizon)]
    regions = sorted(r for r, info in served.infos.items() if info["country"] == code)
    return {**served.served(), "country": code, "regions": regions, "method": METHOD, "forecasts": chosen}
