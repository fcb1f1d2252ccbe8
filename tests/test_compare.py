"""The logic of the Compare and Trends pages (dashboard.compare, dashboard.charts_compare):
selection, ranks, gaps, index and per-inhabitant series,
breaks, projects."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard import charts_compare, compare

# A few real keys with invented attributes; enough to tell apart same-named places.
REGIONS = pd.DataFrame(
    [
        ("DG", "bund", "Deutschland", "Bundesrepublik", None, None, None),
        ("09", "land", "Bayern", "Freistaat", "09", None, None),
        ("05", "land", "Nordrhein-Westfalen", "Land", "05", None, None),
        ("09162", "kreis", "München", "Kreisfreie Stadt", "09", "09162", "≥ 500.000"),
        ("09184", "kreis", "München", "Landkreis", "09", "09184", "300.000–500.000"),
        ("09179", "kreis", "Fürstenfeldbruck", "Landkreis", "09", "09179", "200.000–300.000"),
        ("09174", "kreis", "Dachau", "Landkreis", "09", "09174", "100.000–200.000"),
        ("05117", "kreis", "Mülheim an der Ruhr", "Kreisfreie Stadt", "05", "05117", "100.000–200.000"),
        ("05315", "kreis", "Köln", "Kreisfreie Stadt", "05", "05315", "≥ 500.000"),
        ("09162000", "gemeinde", "München", "Stadt", "09", "09162", "≥ 500.000"),
        ("09184119", "gemeinde", "Unterschleißheim", "Stadt", "09", "09184", "20.000–50.000"),
        ("09184147", "gemeinde", "Garching b.München", "Stadt", "09", "09184", "5.000–20.000"),
    ],
    columns=["region_id", "level", "name", "type", "land_id", "kreis_id", "population_class"],
)


def test_clean_selection_drops_unknown_duplicates_and_extra():
    kept, dropped = compare.clean_selection(["09162", "x", "09162", "09184", " 05315 ", "", "99999"], REGIONS["region_id"], limit=2)
    assert kept == ["09162", "09184"]
    assert dropped == ["x", "05315", "99999"]


# ---------------------------------------------------------------- ranks and gaps


def test_rank_values_direction_ties_and_missing():
    values = pd.Series([10.0, 30.0, 30.0, np.nan, 5.0], index=list("abcde"))
    assert compare.rank_values(values, "higher").tolist()[:3] == [3.0, 1.0, 1.0]
    assert compare.rank_values(values, "neutral").tolist()[:3] == [3.0, 1.0, 1.0]
    lower = compare.rank_values(values, "lower")
    assert lower["e"] == 1.0 and lower["a"] == 2.0 and lower["b"] == 3.0
    assert math.isnan(lower["d"])


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=40), st.sampled_from(["higher", "lower", "neutral"]))
def test_rank_values_properties(xs, better):
    values = pd.Series(xs)
    ranks = compare.rank_values(values, better)
    assert ranks.min() == 1 and ranks.max() <= len(xs)
    best = values.min() if better == "lower" else values.max()
    assert (ranks[values == best] == 1).all()


def test_rank_change_table():
    a = pd.DataFrame({"region_id": ["k1", "k2", "k3", "k4", "L1", "L2"], "level": ["kreis"] * 4 + ["land"] * 2, "value": [1.0, 2.0, 3.0, 4.0, 50.0, 60.0]})
    b = pd.DataFrame({"region_id": ["k1", "k2", "k3", "k4", "L1", "L2"], "level": ["kreis"] * 4 + ["land"] * 2, "value": [9.0, 2.0, np.nan, 4.0, 70.0, 60.0]})
    out = compare.rank_change_table(a, b, ["k1", "k3", "L1"], "higher").set_index("region_id")
    # k1: 4th of 4 in A, 1st of 3 in B: up three places (ranked within its level only).
    assert out.loc["k1", ["rank_a", "rank_b", "n_a", "n_b", "change"]].tolist() == [4, 1, 4, 3, 3]
    assert math.isnan(out.loc["k3", "rank_b"]) and math.isnan(out.loc["k3", "change"])
    assert out.loc["L1", ["rank_a", "rank_b", "change"]].tolist() == [2, 1, 1]
    # Within the group (k1, k3, L1): A 1, 3, 2 → L1 best in A; B: L1 70 > k1 9.
    assert out.loc["L1", "group_rank_a"] == 1 and out.loc["k1", "group_rank_a"] == 3
    assert out.loc["k1", "group_rank_b"] == 2 and out.loc["k1", "group_change"] == 1
    assert compare.rank_change_table(a, b, [], "higher").empty


def test_gaps_to_median():
    values = pd.Series({"anchor": 80.0, "p1": 50.0, "p2": 60.0, "p3": np.nan, "p4": 70.0})
    median, gaps = compare.gaps_to_median(values, ["p1", "p2", "p3", "p4"])
    assert median == 60.0
    g = gaps.set_index("region_id")
    assert g.loc["anchor", "gap"] == 20.0
    assert g.loc["anchor", "gap_pct"] == pytest.approx(100 / 3)
    assert g.loc["p1", "gap"] == -10.0
    assert math.isnan(g.loc["p3", "gap"])
    zero, gz = compare.gaps_to_median(pd.Series({"a": 1.0, "b": 0.0}), ["b"])
    assert zero == 0 and gz["gap_pct"].isna().all()
    none, gn = compare.gaps_to_median(pd.Series({"a": 1.0, "b": np.nan}), ["b"])
    assert math.isnan(none) and gn["gap"].isna().all()


def test_gap_unit():
    assert compare.gap_unit("%") == "Prozentpunkte"
    assert compare.gap_unit("% ggü. Vorjahr", "en") == "percentage points"
    assert compare.gap_unit("EUR") == "EUR"


def test_window_around():
    ordered = [str(i) for i in range(20)]
    assert compare.window_around(ordered, "10", 5) == ["8", "9", "10", "11", "12"]
    assert compare.window_around(ordered, "0", 5) == ["0", "1", "2", "3", "4"]
    assert compare.window_around(ordered, "19", 5) == ["15", "16", "17", "18", "19"]
    assert compare.window_around(ordered[:3], "1", 5) == ["0", "1", "2"]
    assert compare.window_around(ordered, "x", 3) == ["0", "1", "2"]


def test_default_indicator_prefers_broadband():
    topics = {"gdp": "economy", "bb_hh_all_16": "broadband", "bb_hh_all_50": "broadband"}
    assert compare.default_indicator(["gdp", "bb_hh_all_16", "bb_hh_all_50"], topics) == "bb_hh_all_50"
    assert compare.default_indicator(["gdp", "bb_hh_all_16"], topics) == "bb_hh_all_16"
    assert compare.default_indicator(["gdp"], topics) == "gdp"
    assert compare.default_indicator([], topics) is None


def test_default_period_a_skips_sparse_periods():
    counts = pd.Series({"2010-12-31": 150, "2014-12-31": 160, "2015-12-31": 400, "2016-12-31": 401, "2021-06-30": 401})
    assert compare.default_period_a(counts, "2021-06-30") == "2015-12-31"
    assert compare.default_period_a(counts, "2010-12-31") == "2010-12-31"
    sparse = pd.Series({"2019-12-31": 10, "2020-12-31": 400})
    assert compare.default_period_a(sparse, "2020-12-31") == "2019-12-31"
    assert compare.default_period_a(counts, "1999-12-31") is None


# ---------------------------------------------------------------- trends


def test_period_text_half_years_years_and_dates():
    assert compare.period_text("2019-06-30", "half_year") == "Mitte 2019"
    assert compare.period_text("2019-12-31", "half_year") == "Ende 2019"
    assert compare.period_text("2019-06-30", "half_year", "en") == "mid 2019"
    assert compare.period_text("2019-12-31", "year") == "2019"
    assert compare.period_text("2020-01-01", "year") == "01.01.2020"
    assert compare.period_text("2020-01-01", "year", "en") == "1 Jan 2020"


def test_period_ticks_thin_out():
    periods = pd.DataFrame({"period": pd.date_range("1990-12-31", periods=40, freq="YE"), "period_type": "year"})
    vals, texts = compare.period_ticks(periods, max_ticks=10)
    assert len(vals) == 10 and texts[0] == "1990" and texts[1] == "1994"
    halves = pd.DataFrame({"period": pd.to_datetime(["2018-06-30", "2018-12-31"]), "period_type": "half_year"})
    assert compare.period_ticks(halves)[1] == ["Mitte 2018", "Ende 2018"]


def _series_frame():
    return pd.DataFrame(
        {
            "series": ["b", "b", "a", "a"],
            "region_id": ["09", "09", "05", "05"],
            "label": ["B", "B", "A", "A"],
            "role": ["region", "region", "land", "land"],
            "period": pd.to_datetime(["2018-06-30", "2019-06-30", "2018-06-30", "2018-12-31"]),
            "period_type": "half_year",
            "value": [10.0, 20.0, 4.0, 8.0],
            "flag": [None, None, None, None],
        }
    )


def test_complete_periods_inserts_gaps_and_keeps_order():
    frame = _series_frame()
    periods = frame[["period", "period_type"]].drop_duplicates("period")
    out = compare.complete_periods(frame, periods)
    assert list(dict.fromkeys(out["series"])) == ["b", "a"]  # the order they came in
    assert len(out) == 2 * 3
    b = out[out["series"] == "b"].set_index("period")
    assert math.isnan(b.loc[pd.Timestamp("2018-12-31"), "value"])
    assert b.loc[pd.Timestamp("2018-12-31"), "label"] == "B" and b.loc[pd.Timestamp("2018-12-31"), "period_type"] == "half_year"


def test_index_series_base_100_and_missing_base():
    frame = compare.complete_periods(_series_frame(), _series_frame()[["period", "period_type"]])
    out, missing = compare.index_series(frame, "2018-12-31")
    assert missing == ["b"]  # no value in the base period: left out, not rescaled elsewhere
    a = out[out["series"] == "a"].set_index("period")["value"]
    assert a[pd.Timestamp("2018-12-31")] == 100 and a[pd.Timestamp("2018-06-30")] == 50
    zero = _series_frame().assign(value=[0.0, 1.0, 2.0, 3.0])
    _, missing_zero = compare.index_series(zero, "2018-06-30")
    assert missing_zero == ["b"]


@given(st.lists(st.floats(min_value=0.01, max_value=1e9), min_size=2, max_size=12))
def test_index_series_property(xs):
    frame = pd.DataFrame({"series": "s", "period": pd.date_range("2000-12-31", periods=len(xs), freq="YE"), "value": xs})
    out, missing = compare.index_series(frame, frame["period"].iloc[0])
    assert not missing
    assert out["value"].iloc[0] == pytest.approx(100)
    assert np.allclose(out["value"] * xs[0] / 100, xs)


@pytest.mark.parametrize(
    ("ind", "unit", "aggregation", "topic", "expected"),
    [
        ("gdp_mio_eur", "Mio. EUR", "sum", "economy", (1e6, 1, "EUR je Einwohner")),
        ("x_eur", "EUR", "sum", "economy", (1, 1, "EUR je Einwohner")),
        ("ev_points", "Anzahl", "sum", "emobility", (1, 10_000, "je 10.000 Einwohner")),
        ("employed_thousand", "1000 Personen", "sum", "economy", (1e3, 1_000, "je 1.000 Einwohner")),
        ("bb_hh_all_50", "%", "mean_households", "broadband", None),
        ("gdp_per_inhabitant_eur", "EUR", "mean_population", "economy", None),
        ("population", "Personen", "sum", "population", None),
        ("inhabitants_thousand", "1000 Personen", "sum", "economy", None),
        ("area_km2", "km²", "sum", "population", None),
        ("working_hours_mio", "Mio. Arbeitsstunden", "sum", "economy", None),
    ],
)
def test_per_capita_spec(ind, unit, aggregation, topic, expected):
    spec = compare.per_capita_spec(ind, unit, aggregation, topic)
    if expected is None:
        assert spec is None
    else:
        assert (spec.factor, spec.per, spec.unit_de) == expected


def test_per_capita_uses_nearest_population_on_or_before():
    frame = pd.DataFrame(
        {
            "series": ["k"] * 4,
            "region_id": ["09162"] * 4,
            "period": pd.to_datetime(["2008-12-31", "2010-12-31", "2016-12-31", "2019-12-31"]),
            "value": [5.0, 10.0, 20.0, 30.0],
        }
    )
    pop = pd.DataFrame(
        {
            "region_id": ["09162", "09162", "09162", "09184"],
            "period": pd.to_datetime(["2009-12-31", "2016-12-31", "2018-12-31", "2008-12-31"]),
            "value": [1_000_000.0, 2_000_000.0, np.nan, 5.0],
        }
    )
    spec = compare.PerCapita(1e6, 1, "EUR je Einwohner", "EUR per inhabitant")
    out = compare.per_capita(frame, pop, spec)
    assert list(out["period"]) == list(frame["period"])  # order kept
    assert math.isnan(out.loc[0, "value"])  # no population on or before 2008 (another region's does not count)
    assert out.loc[1, "value"] == pytest.approx(10.0) and out.loc[1, "population_period"] == pd.Timestamp("2009-12-31")
    assert out.loc[2, "value"] == pytest.approx(10.0)
    # The 2018 population is missing: the 2016 one stands in.
    assert out.loc[3, "population_period"] == pd.Timestamp("2016-12-31") and out.loc[3, "value"] == pytest.approx(15.0)
    use = compare.population_use(out)
    assert use[["population_period", "first", "last", "same"]].values.tolist() == [
        [pd.Timestamp("2009-12-31"), pd.Timestamp("2010-12-31"), pd.Timestamp("2010-12-31"), False],
        [pd.Timestamp("2016-12-31"), pd.Timestamp("2016-12-31"), pd.Timestamp("2019-12-31"), False],
    ]


def test_per_capita_without_population():
    frame = pd.DataFrame({"series": ["k"], "region_id": ["09162"], "period": pd.to_datetime(["2019-12-31"]), "value": [1.0]})
    empty = pd.DataFrame(columns=["region_id", "period", "value"])
    out = compare.per_capita(frame, empty, compare.PerCapita(1, 1, "", ""))
    assert out["value"].isna().all()
    assert compare.population_use(out).empty


BREAKS = json.dumps(
    [
        {"date": "2010-12-31", "explanation_de": "Beginn", "explanation_en": "Start"},
        {"date": "2015-12-31", "explanation_de": "Methode", "explanation_en": "Method"},
        {"date": "2030-12-31", "explanation_de": "später", "explanation_en": "later"},
    ]
)


def test_parse_breaks():
    assert [b["date"] for b in compare.parse_breaks(BREAKS)] == ["2010-12-31", "2015-12-31", "2030-12-31"]
    assert compare.parse_breaks(None) == [] and compare.parse_breaks(float("nan")) == []
    assert compare.parse_breaks("not json") == [] and compare.parse_breaks("") == []


def test_break_positions_between_periods():
    periods = pd.date_range("2010-12-31", "2021-12-31", freq="YE")
    positions = compare.break_positions(compare.parse_breaks(BREAKS), periods)
    # 2010 is the first period (nothing before it to break from); 2030 lies beyond the data.
    assert len(positions) == 1
    pos, b = positions[0]
    assert b["date"] == "2015-12-31"
    assert pd.Timestamp("2014-12-31") < pos < pd.Timestamp("2015-12-31")
    assert compare.break_positions(compare.parse_breaks(BREAKS), []) == []


def test_breaks_between():
    breaks = compare.parse_breaks(BREAKS)
    assert [b["date"] for b in compare.breaks_between(breaks, "2014-12-31", "2021-06-30")] == ["2015-12-31"]
    assert [b["date"] for b in compare.breaks_between(breaks, "2021-06-30", "2014-12-31")] == ["2015-12-31"]
    assert compare.breaks_between(breaks, "2015-12-31", "2020-12-31") == []


def test_flag_counts():
    frame = pd.DataFrame({"value": [np.nan, np.nan, 1.0, 2.0], "flag": ["not_reported", "not_reported", "estimated", None]})
    gaps, kept = compare.flag_counts(frame)
    assert gaps.to_dict() == {"not_reported": 2}
    assert kept.to_dict() == {"estimated": 1}


# ---------------------------------------------------------------- projects

PROJECTS = pd.DataFrame(
    {
        "registry_id": ["mpsc", "mpsc", "codefor"],
        "project_id": ["P1", "P2", "c1"],
        "title": ["München digital", "Landkreis smart", "Open Data Lab"],
        "round": ["Staffel 1 (2019)", "Staffel 2 (2020)", None],
        "source_id": ["mpsc", "mpsc", "codefor"],
    }
)
LINKS = pd.DataFrame(
    {
        "registry_id": ["mpsc", "mpsc", "codefor", "codefor"],
        "project_id": ["P1", "P2", "c1", "c1"],
        "region_id": ["09162000", "09184", "09162000", "09162"],
        "level": ["gemeinde", "kreis", "gemeinde", "kreis"],
        "role": ["lead", "lead", "lead", "partner"],
    }
)


def test_projects_of_regions_counts_contained_units():
    out = compare.projects_of_regions(PROJECTS, LINKS, ["09162", "09", "05315", "09162000", "DG"])
    by = {rid: sorted(part["project_id"]) for rid, part in out.groupby("region_id")}
    assert by["09162"] == ["P1", "c1"]
    assert by["09"] == ["P1", "P2", "c1"]
    assert by["09162000"] == ["P1", "c1"]
    assert by["DG"] == ["P1", "P2", "c1"]
    assert "05315" not in by
    rows = out.set_index(["region_id", "project_id"])
    # A direct link wins over the same project reached through a Gemeinde.
    assert pd.isna(rows.loc[("09162", "c1"), "via"]) and rows.loc[("09162", "c1"), "role"] == "partner"
    assert rows.loc[("09162", "P1"), "via"] == "09162000"
    assert rows.loc[("09162", "P1"), "title"] == "München digital"


def test_projects_of_regions_handles_absence():
    assert compare.projects_of_regions(None, None, ["09162"]).empty
    assert compare.projects_of_regions(PROJECTS, LINKS.iloc[0:0], ["09162"]).empty
    assert compare.projects_of_regions(PROJECTS, LINKS, []).empty


# ---------------------------------------------------------------- figures


def test_gap_bar_chart_median_line_escaping_and_source():
    frame = pd.DataFrame(
        {
            "label": ["<b>A</b>", "B", "C"],
            "value": [3.0, 1.0, np.nan],
            "text": ["3,0 (+1,0)", "1,0 (−1,0)", ""],
            "hover": ["x", "y", "z"],
            "highlight": [True, False, False],
        }
    )
    fig = charts_compare.gap_bar_chart(frame, 2.0, "Titel <i>", "Quelle: X", "Wert (%)", "Median: 2,0 %", "keine Daten")
    bar = fig.data[0]
    assert list(bar.y) == ["&lt;b&gt;A&lt;/b&gt;", "B", "C"]
    assert bar.marker.color[0] == charts_compare.ANCHOR_COLOUR and bar.marker.color[1] == charts_compare.BAR_COLOUR
    assert bar.text[2] == "keine Daten"
    assert [s.x0 for s in fig.layout.shapes] == [2.0] and fig.layout.shapes[0].line.dash == "dash"
    names = {a.name: a for a in fig.layout.annotations}
    assert names["median"].text == "Median: 2,0 %"
    assert names["source_line"].text == "Quelle: X" and names["source_line"].yshift < -40
    assert "&lt;i&gt;" in fig.layout.title.text
    no_median = charts_compare.gap_bar_chart(frame, float("nan"), "T", "Q", "W", "M", "n")
    assert not no_median.layout.shapes


def test_trend_chart_gaps_context_breaks_and_ticks():
    frame = pd.DataFrame(
        {
            "series": ["a", "a", "a", "DG", "DG", "DG"],
            "label": ["A", "A", "A", "Deutschland", "Deutschland", "Deutschland"],
            "role": ["region", "region", "region", "bund", "bund", "bund"],
            "period": pd.to_datetime(["2018-06-30", "2018-12-31", "2019-06-30"] * 2),
            "value": [1.0, np.nan, 3.0, 2.0, 2.5, 2.7],
            "flag": [None, "not_reported", "estimated", None, None, None],
            "hover": ["h"] * 6,
        }
    )
    ticks = [pd.Timestamp("2018-06-30"), pd.Timestamp("2018-12-31")]
    fig = charts_compare.trend_chart(frame, "T", "Q", "%", ticks, ["Mitte 2018", "Ende 2018"], [(pd.Timestamp("2018-09-30"), "Bruch 1")], flagged_name="mit Kennzeichen")
    region, germany, flagged = fig.data
    assert region.connectgaps is False and math.isnan(region.y[1])
    assert germany.line.dash == "dot" and region.line.dash is None
    assert list(flagged.x) == [pd.Timestamp("2019-06-30")]  # the flagged value with a number, not the gap
    assert list(fig.layout.xaxis.ticktext) == ["Mitte 2018", "Ende 2018"]
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].line.dash == "dash"
    assert any(a.text == "Bruch 1" for a in fig.layout.annotations)
    quiet = charts_compare.trend_chart(frame, "T", "Q", "%", ticks, ["a", "b"], mark_flags=False)
    assert len(quiet.data) == 2


# ---------------------------------------------------------------- end to end on the real kit


