"""The shipped occupation-episode catalog and the validation of user catalogs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from models.episodes import (
    CATALOG_COLUMNS,
    CATALOG_VERSION,
    CatalogError,
    load_catalog,
    parse_catalog,
    write_catalog,
)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
UCDP_FILE = DATA / "ucdp_ged_hdx_191-221_selected_to2018.csv.gz"
ACLED_FILE = DATA / "acled_hdx_2020_selected_to2018.csv.gz"
HEADER = ",".join(CATALOG_COLUMNS)


def _write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return load_catalog()


def test_shipped_catalog_has_the_required_real_episodes(shipped: pd.DataFrame) -> None:
    assert CATALOG_VERSION == "1.1"
    assert len(shipped) >= 12
    assert shipped["episode_id"].is_unique
    spans = {(r, str(s), str(e)) for r, s, e in
             zip(shipped["region_id"], shipped["start_month"], shipped["end_month"], strict=True)}
    for expected in [
        ("MLI.tombouctou", "2012-04", "2013-01"), ("MLI.gao", "2012-04", "2013-01"),
        ("MLI.kidal", "2012-03", "2013-01"), ("IRQ.ninawa", "2014-06", "2017-07"),
        ("IRQ.al-anbar", "2014-01", "2016-06"), ("IRQ.al-anbar", "2015-05", "2016-02"),
        ("IRQ.salah-ad-din", "2014-06", "2015-04"), ("SYR.ar-raqqa", "2014-01", "2017-10"),
        ("LBY.sirte", "2015-06", "2016-12"), ("PHL.lanao-del-sur", "2017-05", "2017-10"),
        ("MOZ.cabo-delgado", "2020-08", "2021-08"), ("NGA.borno", "2014-08", "2015-03"),
        ("PAK.khyber-pakhtunkwa", "2007-10", "2009-06"),
    ]:
        assert expected in spans
    ends = dict(zip(shipped["region_id"], shipped["end_month"].astype(str), strict=True))
    assert ends["SOM.banadir"] == "2011-08"
    assert ends["SOM.lower-juba"] == "2012-09"
    assert set(shipped["source"]) == {"catalog"}
    assert (shipped["note"].str.len() > 40).all()
    assert (shipped["groups"] != "").all()
    assert str(shipped["start_month"].dtype) == "period[M]"


@pytest.mark.realdata
def test_catalog_regions_match_the_regions_ucdp_ingestion_produces(shipped: pd.DataFrame) -> None:
    if not UCDP_FILE.exists():
        pytest.skip("shared UCDP data absent")
    ingest = pytest.importorskip("training.ingest").ingest
    regions = set(ingest([UCDP_FILE]).events["region_id"])
    covered = shipped[shipped["country"].isin(["IRQ", "NGA", "PAK", "PHL"])]
    assert len(covered) == 10
    assert set(covered["region_id"]) <= regions
    assert {"IRQ.ninawa", "PHL.lanao-del-sur", "NGA.borno", "PAK.khyber-pakhtunkwa"} <= regions


@pytest.mark.realdata
def test_catalog_admin1_names_are_spelled_as_acled_names_them(shipped: pd.DataFrame) -> None:
    if not ACLED_FILE.exists():
        pytest.skip("shared ACLED data absent")
    acled = pd.read_csv(ACLED_FILE, usecols=["country", "admin1"], dtype=str).drop_duplicates()
    names = set(zip(acled["country"], acled["admin1"], strict=True))
    covered = shipped[shipped["country"].isin(["MLI", "MOZ"])]
    country = {"MLI": "Mali", "MOZ": "Mozambique"}
    assert {(country[c], a) for c, a in zip(covered["country"], covered["admin1"], strict=True)} <= names


def test_user_catalog_without_optional_columns_gets_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, "x-1,NER,Tillaberi,2019-05,", "x-2,BFA,Sahel,2018-01,2019-12",
                  header="episode_id,country,admin1,start_month,end_month")
    catalog = load_catalog(path)
    assert list(catalog["source"]) == ["user", "user"]
    assert list(catalog["groups"]) == ["", ""]
    assert list(catalog["region_id"]) == ["NER.tillaberi", "BFA.sahel"]
    assert pd.isna(catalog.loc[0, "end_month"])
    assert catalog.loc[1, "end_month"] == pd.Period("2019-12", freq="M")


def test_write_catalog_round_trips(tmp_path: Path, shipped: pd.DataFrame) -> None:
    ongoing = parse_catalog(pd.DataFrame({
        "episode_id": ["a"], "country": ["MLI"], "admin1": ["Ségou"], "start_month": ["2016-01"],
        "end_month": [""], "groups": ["JNIM"], "note": ["a note, with a comma"], "source": ["user"]}))
    both = pd.concat([shipped, ongoing], ignore_index=True)
    back = load_catalog(write_catalog(both, tmp_path / "sub" / "out.csv"))
    pd.testing.assert_frame_equal(back, both)
    assert back.loc[len(back) - 1, "region_id"] == "MLI.segou"


def test_short_rows_get_empty_optional_fields(tmp_path: Path) -> None:
    catalog = load_catalog(_write(tmp_path, "a,MLI,Gao,2012-04,2013-01"))
    assert catalog.loc[0, "groups"] == ""
    assert catalog.loc[0, "source"] == "user"


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,MLI,2012-04", header="episode_id,country,start_month")
    with pytest.raises(CatalogError, match=r"lacks columns \['admin1', 'end_month'\]"):
        load_catalog(path)


@pytest.mark.parametrize(("row", "message"), [
    ("a,MLI,Gao,2012-13,2013-01,,,", r"line 3: start_month '2012-13' is not a month \(YYYY-MM\)"),
    ("a,MLI,Gao,April 2012,2013-01,,,", r"line 3: start_month 'April 2012' is not a month"),
    ("a,MLI,Gao,,2013-01,,,", r"line 3: start_month '' is not a month"),
    ("a,MLI,Gao,2012-04,2013/01,,,", r"line 3: end_month '2013/01' is not a month \(YYYY-MM or empty\)"),
    ("a,XKZ,Gao,2012-04,2013-01,,,", r"line 3: unknown country 'XKZ'; expected an ISO3 code"),
    ("a,Mali,Gao,2012-04,2013-01,,,", r"unknown country 'Mali' \(use the ISO3 code MLI\)"),
    ("a,MLI,,2012-04,2013-01,,,", r"line 3: admin1 '' is empty"),
    ("a,MLI,--,2012-04,2013-01,,,", r"line 3: admin1 '--' is empty or has no letters"),
    (",MLI,Gao,2012-04,2013-01,,,", r"line 3: empty episode_id"),
    ("a,MLI,Gao,2013-02,2013-01,,,", r"line 3: episode 'a' ends \(2013-01\) before it starts \(2013-02\)"),
])
def test_invalid_rows_get_a_clear_error(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        load_catalog(_write(tmp_path, "ok,MLI,Kidal,2012-03,2013-01,,,", row))


def test_error_lines_count_from_the_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,MLI,Gao,2012-04,2013-01,,,", "b,MLI,Gao,2012-04,2013-01,,,",
                  "a,MLI,Kidal,2012-04,2011-01,,,")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    text = str(info.value)
    assert "line 2: duplicate episode_id 'a'" in text
    assert "line 4: duplicate episode_id 'a'" in text
    assert "line 3" not in text


def test_many_problems_are_summarised(tmp_path: Path) -> None:
    rows = [f"e{i},ZZZ,Gao,2012-04,2013-01,,," for i in range(15)]
    with pytest.raises(CatalogError, match=r"\.\.\. and 5 more"):
        load_catalog(_write(tmp_path, *rows))


def test_unreadable_files_get_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(CatalogError, match="not a readable CSV"):
        load_catalog(empty)
    assert issubclass(CatalogError, ValueError)
