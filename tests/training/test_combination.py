"""The served combination from backtest rows: the equal-weight pool and the rule switch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.taxonomy import ALL, PANEL_TYPES
from training.backtest import PREDICTION_COLUMNS
from training.combination import (
    COMBINE,
    combiner,
    pool_choice,
    pool_forward,
    pool_members,
    pooled_rows,
    served_choice,
    served_pool_choice,
)
from training.selection import SELECTED

MODELS = {"zero": (0.0, 0.0, 0.0), "mean12": (1.0, 1.0, 0.5), "bootstrap24": (2.0, 3.0, 0.6),
          "pooled_negbin": (3.0, 4.0, 0.7), "state_space_series": (4.0, 6.0, 0.8)}
"""model -> (mean, var, p_any) on every row."""


def _rows(with_classifier: bool = True) -> pd.DataFrame:
    parts = []
    keys = [(r, t, h) for r in ("MLI.gao", "MLI.kidal") for t in PANEL_TYPES for h in (1, 2)]
    for model, (mean, var, p) in {**MODELS, **({"classifier": (np.nan, np.nan, 0.3)} if with_classifier
                                               else {})}.items():
        frame = pd.DataFrame(keys, columns=["region_id", "attack_type", "horizon"])
        frame = frame.assign(model=model, country="MLI", origin="2015-01",
                             target_month=np.where(frame["horizon"] == 1, "2015-02", "2015-03"),
                             y=np.where(frame["attack_type"] == ALL, 4.0, 0.0), mean=mean, var=var,
                             q10=0.0, q50=0.0, q90=0.0, p_any=p, crps=1.0 + mean, twcrps=0.0, pit80=1.0,
                             pit_lo=0.0, pit_hi=1.0, post_occupation=False)
        parts.append(frame[[*PREDICTION_COLUMNS, "post_occupation"]])
    return pd.concat(parts, ignore_index=True)


def test_the_pool_takes_the_fitted_families_and_bootstrap24() -> None:
    members, p_members = pool_members(_rows())
    assert members == ["pooled_negbin", "state_space_series", "bootstrap24"]
    assert p_members == [*members, "classifier"]
    assert pool_members(_rows(with_classifier=False))[1] == members
    choice = pool_choice(_rows())
    assert set(choice) == set(PANEL_TYPES)
    assert choice[ALL]["count_model"] == "pool" and choice[ALL]["rows"] == 4
    assert choice[ALL]["crps"] == {"bootstrap24": 3.0, "pooled_negbin": 4.0, "state_space_series": 5.0}


def test_the_served_pool_without_rows_is_the_pool_a_full_backtest_chooses() -> None:
    decisions = ("count_model", "p_any", "pool", "p_pool")
    from_rows = {t: {k: e[k] for k in decisions} for t, e in pool_choice(_rows()).items()}
    assert served_pool_choice() == from_rows


def test_the_pooled_baselines_can_be_chosen_and_must_be_baselines() -> None:
    members, _ = pool_members(_rows(), baselines=("mean12", "bootstrap24", "last_value"))
    assert members == ["pooled_negbin", "state_space_series", "mean12", "bootstrap24"]
    assert pool_members(_rows(), baselines=())[0] == ["pooled_negbin", "state_space_series"]
    with pytest.raises(ValueError, match="pool baselines"):
        pool_members(_rows(), baselines=("pooled_negbin",))


def test_pooled_rows_are_the_members_mixture() -> None:
    rows = pooled_rows(_rows(), pool_choice(_rows()))
    assert len(rows) == 2 * len(PANEL_TYPES) * 2 and set(rows["model"]) == {SELECTED}
    np.testing.assert_allclose(rows["mean"], 3.0)
    # mixture of (3, 4), (4, 6), (2, 3): E[X^2] = (13 + 22 + 7) / 3 = 14, var = 14 - 9 = 5
    np.testing.assert_allclose(rows["var"], 5.0)
    np.testing.assert_allclose(rows["p_any"], (0.7 + 0.8 + 0.6 + 0.3) / 4)


def test_without_a_fitted_family_the_selection_serves() -> None:
    rows = _rows()
    baselines = rows[rows["model"].isin(["zero", "mean12", "bootstrap24", "classifier"])]
    choice = pool_choice(baselines)
    assert {e["count_model"] for e in choice.values()} <= {"zero", "mean12", "bootstrap24"}


def test_pool_forward_rows_are_one_coherent_hurdle() -> None:
    rows = pool_forward(_rows())
    assert set(rows["model"]) == {SELECTED} and rows["crps"].notna().all()
    wide = rows.pivot_table(index=["region_id", "horizon"], columns="attack_type", values="mean")
    np.testing.assert_allclose(wide.drop(columns=ALL).sum(axis=1), wide[ALL], rtol=0.01)
    assert (rows["q90"][rows["p_any"] > 0.1] >= 1).all()


def test_pool_forward_reconciles_the_all_probability_with_the_types() -> None:
    rows = pool_forward(_rows())
    plain = pool_forward(_rows(), reconcile_p=False)
    p = rows.pivot_table(index=["region_id", "horizon"], columns="attack_type", values="p_any")
    q = plain.pivot_table(index=["region_id", "horizon"], columns="attack_type", values="p_any")
    types = [t for t in PANEL_TYPES if t != ALL]
    np.testing.assert_allclose(p[types], q[types])
    # every member's P(any) is pooled to 0.6 on every row; the types are capped at their mean
    bottom_up = 1.0 - np.prod(1.0 - p[types].to_numpy(), axis=1)
    np.testing.assert_allclose(q[ALL], 0.6)
    np.testing.assert_allclose(p[ALL], 0.5 * (0.6 + bottom_up))
    assert (rows["crps"] != plain["crps"]).any()


def test_the_rule_switch() -> None:
    assert COMBINE == "pool"
    assert served_choice(_rows(), "select")[ALL]["count_model"] in {*MODELS}
    assert served_choice(_rows())[ALL]["count_model"] == "pool"
    with pytest.raises(ValueError, match="combination rule must be one of"):
        combiner("best")
    with pytest.raises(ValueError, match="combination rule must be one of"):
        served_choice(_rows(), "best")
