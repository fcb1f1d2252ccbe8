"""AppTest on the kit's warehouse: values converted to the 2021 territorial status
(flag ``harmonised``, etl/territory.py) are shown and explained on the map, the
profile and the trends, like every flag."""

from __future__ import annotations

import pandas as pd

import pytest

LABEL_DE = "umgerechnet auf den Gebietsstand 2021-01-01"


def _text(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning] + [i.value for i in at.info])


def test_goettingen_has_a_harmonised_value_for_every_broadband_period_from_2018(warehouse):
    frame = warehouse.sql(
        "SELECT period, flag FROM observations WHERE region_id = '03159' AND indicator_id = 'bb_hh_all_50' AND period >= DATE '2018-01-01' ORDER BY period"
    )
    periods = warehouse.sql(
        "SELECT DISTINCT period FROM observations WHERE indicator_id = 'bb_hh_all_50' AND region_id = '03151' AND period >= DATE '2018-01-01' ORDER BY period"
    )
    assert frame["period"].tolist() == periods["period"].tolist()
    assert len(frame) == 7 and frame["period"].iloc[-1] == pd.Timestamp("2021-06-30")
    # End 2018 is published for 03159 itself (annual workbook) and kept; the half-years are converted.
    assert frame["flag"].fillna("").tolist() == ["harmonised", "", "harmonised", "harmonised", "harmonised", "harmonised", "harmonised"]


@pytest.mark.parametrize(
    ("page", "params"),
    [
        (None, {}),  # the default map: Kreise, bb_hh_all_50, mid-2021
        ("views/steckbrief.py", {"region": "03159"}),
        ("views/trends.py", {"regions": "03159", "ind": "bb_hh_all_50", "topic": "broadband"}),
    ],
)
def test_the_flag_is_explained_where_the_value_is_shown(open_app, page, params):
    at = open_app(page, **params)
    assert LABEL_DE in _text(at).replace("\\", "")


def test_the_sources_page_explains_the_territorial_status_with_counts(open_app, warehouse):
    at = open_app("views/quellen.py")
    assert any(s.value == "Gebietsstand und Gebietsänderungen" for s in at.subheader)
    n = warehouse.sql("SELECT count(*) AS n FROM observations WHERE flag = 'harmonised'")["n"].iloc[0]
    text = "\n".join(m.value for m in at.markdown).replace("\\", "")
    assert f"{n:,}".replace(",", ".") + " Werte" in text
    tables = [d.value for d in at.dataframe if "Zeilen der Umsteigetabelle" in d.value.columns]
    assert tables and tables[0]["Zeilen der Umsteigetabelle"].sum() == warehouse.sql("SELECT count(*) AS n FROM territorial_changes")["n"].iloc[0]
